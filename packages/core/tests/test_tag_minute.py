"""A generated tag's minute, and what it tells about a run's start before any request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from lab_workbook_core import new_tag
from lab_workbook_core.tags import TAG_MINUTE_SLACK, made_after, made_before, tag_minute
import pytest

_moments = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC))


@given(moment=_moments)
def test_a_new_tag_names_the_minute_it_was_made_in(moment: datetime):
    assert tag_minute(new_tag(moment)) == moment.replace(second=0, microsecond=0)


@given(moment=_moments)
def test_a_tag_is_made_before_its_minute_plus_the_slack_and_not_before_its_own_moment(moment: datetime):
    tag = new_tag(moment)
    assert made_before(tag, moment.replace(second=0, microsecond=0) + TAG_MINUTE_SLACK)
    assert not made_before(tag, moment)


def test_the_slack_is_the_rest_of_the_minute():
    tag = "201602142341-mn5SvgNxHY"
    assert not made_before(tag, datetime(2016, 2, 14, 23, 41, 59, 999999, tzinfo=UTC))
    assert made_before(tag, datetime(2016, 2, 14, 23, 42, tzinfo=UTC))


def test_a_tag_is_made_after_a_moment_before_its_minute_only():
    tag = "201602142341-mn5SvgNxHY"
    assert made_after(tag, datetime(2016, 2, 14, 23, 40, 59, tzinfo=UTC))
    assert not made_after(tag, datetime(2016, 2, 14, 23, 41, tzinfo=UTC))


@pytest.mark.parametrize(
    "tag",
    [
        "my-run",  # a user's tag
        "201602142341-short",
        "201602142341_mn5SvgNxHY",
        "201613142341-mn5SvgNxHY",  # month 13
        "201602302341-mn5SvgNxHY",  # February 30
        "2016021423410mn5SvgNxHY",
    ],
)
def test_a_tag_without_a_date_tells_nothing(tag: str):
    far = datetime(9999, 1, 1, tzinfo=UTC)
    assert tag_minute(tag) is None
    assert not made_before(tag, far)
    assert not made_after(tag, far - timedelta(days=10**6))
