"""Image series' step keys and picture endings: built and parsed by core alone, for every package."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lab_workbook_core import InvalidNameError, InvalidValueError
from lab_workbook_core.keys import (
    image_ending,
    image_step_name,
    image_steps_prefix,
    parse_image_step,
    picture_type,
)
import pytest

_names = st.lists(
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="/\x00"), min_size=1, max_size=12).filter(
        lambda part: part not in (".", "..")
    ),
    min_size=1,
    max_size=3,
).map("/".join)


@settings(max_examples=200, deadline=None)
@given(series=_names, step=st.integers(min_value=0, max_value=10**12))
def test_a_step_name_parses_back_to_its_series_and_step(series: str, step: int):
    assert parse_image_step(image_step_name(series, step)) == (series, step)


@given(step=st.integers(min_value=0, max_value=99_999_998))
def test_steps_up_to_eight_digits_sort_as_text_as_they_do_as_numbers(step: int):
    assert image_step_name("s", step) < image_step_name("s", step + 1)


def test_a_step_is_zero_padded_to_eight_digits_and_grows_past_them():
    assert image_step_name("samples", 1200) == "samples/step-00001200.png"
    assert image_step_name("val/attention map", 123456789) == "val/attention map/step-123456789.png"


def test_a_picture_without_a_step_is_the_name_with_png():
    assert image_ending(None) == ".png"


def test_numpy_style_integers_are_steps():
    class Index:
        def __index__(self) -> int:
            return 7

    assert image_ending(Index()) == "/step-00000007.png"


@pytest.mark.parametrize("step", [-1, True, 1.0, "3"])
def test_a_step_that_is_no_non_negative_integer_is_refused_at_the_call(step):
    with pytest.raises(InvalidValueError, match="step must be a non-negative integer"):
        image_ending(step)


@pytest.mark.parametrize(
    "name",
    [
        "samples.png",  # a picture without a step
        "step-00000001.png",  # no series
        "/step-00000001.png",
        "samples/step-.png",
        "samples/step-12a.png",
        "samples/step-1.PNG",
        "samples/step-1.png.png",
        "samples/xstep-1.png",
        "samples/step-1.jpg",
        "samples/step-\u0663.png",  # an Arabic-Indic digit: no step the writer makes
        "samples/step-1.png/notes.txt",
        "samples/notes.txt",
    ],
)
def test_a_name_that_is_no_step_key_does_not_parse(name: str):
    assert parse_image_step(name) is None


def test_a_nested_series_step_belongs_to_the_nested_series():
    assert parse_image_step("samples/deeper/step-00000003.png") == ("samples/deeper", 3)


def test_the_listing_prefix_is_the_step_names_under_the_run():
    prefix = image_steps_prefix("201602142341-mn5SvgNxHY", "samples")
    key = "201602142341-mn5SvgNxHY/" + image_step_name("samples", 5)
    assert key.startswith(prefix) and "/" not in key[len(prefix) :]


def test_the_listing_prefix_refuses_a_series_name_that_leaves_the_run():
    with pytest.raises(InvalidNameError):
        image_steps_prefix("t", "../x")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("confusion.png", "image/png"),
        ("photo.JPG", "image/jpeg"),
        ("a/b.jpeg", "image/jpeg"),
        ("x.gif", "image/gif"),
        ("x.bmp", "image/bmp"),
        ("x.webp", "image/webp"),
    ],
)
def test_picture_endings_name_their_content_type_in_any_case(name: str, kind: str):
    assert picture_type(name) == kind


@pytest.mark.parametrize("name", ["drawing.svg", "notes.txt", "png", "model.pt"])
def test_other_endings_are_no_pictures(name: str):
    assert picture_type(name) is None
