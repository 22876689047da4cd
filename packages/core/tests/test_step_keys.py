"""Steps of any artifact kind (checkpoints, files, pictures): ``<series>/step-<8+ digits><ending>``, built and parsed in core."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lab_workbook_core import InvalidNameError, InvalidValueError
from lab_workbook_core.keys import image_step_name, parse_image_step, parse_step, step_name, steps_prefix
import pytest

_names = st.lists(
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="/\x00"), min_size=1, max_size=12).filter(
        lambda part: part not in (".", "..")
    ),
    min_size=1,
    max_size=3,
).map("/".join)
_endings = st.one_of(
    st.just(""),
    st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="/\x00"), min_size=1, max_size=8).map(
        lambda text: "." + text
    ),
)


@settings(max_examples=200, deadline=None)
@given(series=_names, step=st.integers(min_value=0, max_value=10**12), ending=_endings)
def test_a_step_name_of_any_ending_parses_back_to_its_series_step_and_ending(series: str, step: int, ending: str):
    assert parse_step(step_name(series, step, ending)) == (series, step, ending)


def test_a_checkpoint_step_is_zero_padded_to_eight_digits_with_its_ending():
    assert step_name("model", 12, ".pt") == "model/step-00000012.pt"
    assert step_name("ckpt", 3, ".tar.gz") == "ckpt/step-00000003.tar.gz"
    assert step_name("weights", 123456789, "") == "weights/step-123456789"


@pytest.mark.parametrize("ending", ["pt", "./x", "/a.pt", "."])
def test_an_ending_that_is_no_ending_is_refused_at_the_call(ending: str):
    with pytest.raises(InvalidValueError, match="ending"):
        step_name("model", 1, ending)


@pytest.mark.parametrize("step", [-1, True, 2.0, "3", None])
def test_a_step_that_is_no_non_negative_integer_is_refused_for_every_ending(step):
    with pytest.raises(InvalidValueError, match="step must be a non-negative integer"):
        step_name("model", step, ".pt")


@pytest.mark.parametrize(
    "name",
    ["model.pt", "step-00000001.pt", "model/step-.pt", "model/step-1x.pt", "model/step-1.", "model/xstep-1.pt"],
)
def test_a_name_that_is_no_step_does_not_parse(name: str):
    assert parse_step(name) is None


def test_a_checkpoint_step_is_no_image_step_but_a_picture_step_is_both():
    assert parse_image_step(step_name("model", 4, ".pt")) is None
    assert parse_step(image_step_name("samples", 4)) == ("samples", 4, ".png")


def test_the_steps_prefix_lists_a_series_steps_and_refuses_a_name_leaving_the_run():
    key = "201602142341-mn5SvgNxHY/" + step_name("model", 5, ".pt")
    prefix = steps_prefix("201602142341-mn5SvgNxHY", "model")
    assert key.startswith(prefix) and "/" not in key[len(prefix) :]
    with pytest.raises(InvalidNameError):
        steps_prefix("t", "../x")
