"""The run record's times and the summary's infinities: one codec each, written and read by every package."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
import math
import re

from hypothesis import given
from hypothesis import strategies as st
from lab_workbook_core.summary import decode_summary_number, encode_summary_number
from lab_workbook_core.times import format_time, parse_time
import pytest

_moments = st.datetimes(
    min_value=datetime(2, 1, 1),
    max_value=datetime(9999, 12, 31),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]),
)


@given(moment=_moments)
def test_a_time_written_reads_back_as_the_same_moment_in_utc(moment: datetime):
    parsed = parse_time(format_time(moment))
    assert parsed == moment and parsed is not None and parsed.tzinfo == UTC


@given(moment=_moments)
def test_a_trimmed_time_reads_back_as_the_same_moment(moment: datetime):
    assert parse_time(format_time(moment, trim=True)) == moment


@given(earlier=_moments, later=_moments)
def test_record_times_sort_as_text_as_they_do_as_moments(earlier: datetime, later: datetime):
    assert (format_time(earlier) < format_time(later)) == (earlier < later)


def test_a_record_time_is_utc_to_the_microsecond_ending_in_z():
    moment = datetime(2016, 2, 14, 23, 41, 5, 250113, tzinfo=UTC)
    assert format_time(moment) == "2016-02-14T23:41:05.250113Z"
    assert format_time(moment.replace(microsecond=0)) == "2016-02-14T23:41:05.000000Z"


def test_trim_leaves_out_a_zero_fraction_only():
    moment = datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert format_time(moment, trim=True) == "2024-03-01T10:00:00Z"
    assert format_time(moment.replace(microsecond=5), trim=True) == "2024-03-01T10:00:00.000005Z"


def test_without_a_moment_the_time_is_now():
    before = datetime.now(UTC)
    written = parse_time(format_time())
    assert written is not None and before <= written <= datetime.now(UTC)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", format_time())


def test_a_naive_moment_is_utc_both_ways():
    naive = datetime(2024, 3, 1, 10, 0, 1)
    assert format_time(naive) == "2024-03-01T10:00:01.000000Z"
    assert parse_time("2024-03-01T10:00:01") == naive.replace(tzinfo=UTC)


def test_other_writers_offsets_are_read_as_utc():
    assert parse_time("2024-03-01T12:00:00+02:00") == datetime(2024, 3, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, "", "yesterday", 5, "2024-13-01T00:00:00Z", ["2024-03-01"]])
def test_anything_that_is_no_time_reads_as_none(value):
    assert parse_time(value) is None


@given(value=st.one_of(st.integers(), st.floats(allow_nan=False)))
def test_a_summary_number_reads_back_as_itself(value: float):
    encoded = encode_summary_number(value)
    assert decode_summary_number(encoded) == value
    assert isinstance(encoded, str) == math.isinf(value)


def test_the_infinities_are_the_strings_json_can_hold():
    assert (encode_summary_number(math.inf), encode_summary_number(-math.inf)) == ("inf", "-inf")


@pytest.mark.parametrize("value", [None, "nan", "Infinity", "abc", True, {"last": 1}])
def test_no_value_or_a_value_that_is_no_summary_number_reads_as_nan(value):
    assert math.isnan(decode_summary_number(value))
