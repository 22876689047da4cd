"""Series parsing: the fast pyarrow path gives exactly what ``pandas.read_csv`` gives, or steps aside."""

from lab_workbook._arrow_csv import MISSING_MARKERS, arrow_frame
from lab_workbook._series import parse_series, parse_with_pandas, read_header
from lab_workbook_core.series_csv import complete_prefix
import pandas as pd
import pytest

SAMPLES = {
    "numbers and Date": b"epoch,loss,top1,Date\n0.05,2.25,7,2016-02-14T23:41:04Z\n0.1,2.09,9,2016-02-14T23:41:05.250113Z\n",
    "nil and empty are missing": b"epoch,loss,n,Date\n1,nil,3,2016-02-14T23:41:04Z\n2,,nil,nil\n3,0.5,4,2016-02-14T23:41:06Z\n",
    "a column with nothing": b"step,x\n1,nil\n2,\n",
    "a missing index value": b"step,x\n1,3\nnil,4\n",
    "booleans": b"step,ok\n1,True\n2,false\n",
    "booleans with a gap": b"step,ok\n1,True\n2,\n",
    "1 and True": b"step,ok\n1,True\n2,1\n",
    "crlf and no last line end": b"step,x\r\n1,3\r\n2,4",
    "a blank line": b"step,x\n1,3\n\n2,4\n",
    "a byte order mark": b"\xef\xbb\xbfstep,x\n1,3\n",
    "a plus sign": b"step,x\n+1,-2\n",
    "integers past int64": b"step,x\n1,18446744073709551615\n2,4\n",
    "nanoseconds": b"step,x,Date\n1,3,2016-02-14T23:41:04.123456789Z\n",
    "nanoseconds that are zeros": b"step,x,Date\n1,3,2016-02-14T23:41:04.123456000Z\n",
    "an offset": b"step,x,Date\n1,3,2016-02-14T23:41:04+01:00\n",
    "no zone": b"step,x,Date\n1,3,2016-02-14T23:41:04\n",
    "quoted strings": b'step,note,Date\n1,"a, b",2016-02-14T23:41:04Z\n2,"x ""y""",2016-02-14T23:41:05Z\n',
    "plain strings": b"step,note\n1,ab\n2,cd\n",
    "a repeated name": b"a,a\n1,2\n",
    "an empty name": b"a,,c\n1,2,3\n",
    "header only": b"step,x\n",
    "infinities": b"epoch,x\n0.5,inf\n1,-inf\n",
}


@pytest.mark.parametrize("fields", [None, ["x"], ["loss", "Date"], ["nothing"]], ids=["all", "x", "loss+Date", "none"])
@pytest.mark.parametrize("name", list(SAMPLES))
def test_the_fast_parser_gives_what_pandas_gives(name, fields):
    data = SAMPLES[name]
    header = read_header(data, "t/s.csv")
    columns = header if fields is None else [header[0], *[c for c in header[1:] if c in fields]]
    complete = (
        complete_prefix(data) if b"\n" in data else data
    )  # a last line without its line end is dropped first (issue 9)
    expected = parse_with_pandas(complete, "t/s.csv", None if fields is None else columns, "Date" in columns[1:])
    got = parse_series(data, "t/s.csv", fields)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.columns.dtype == expected.columns.dtype


@pytest.mark.parametrize("fields", [None, ["loss"]])
def test_a_plain_numeric_series_takes_the_fast_path(fields):
    data = SAMPLES["nil and empty are missing"]
    header = read_header(data, "t/s.csv")
    columns = header if fields is None else [header[0], "loss"]
    fast = arrow_frame(data, header, columns, "Date" in columns)
    assert fast is not None
    assert fast["loss"].isna().tolist() == [True, True, False]


@pytest.mark.parametrize("name", ["quoted strings", "booleans with a gap", "nanoseconds", "a plus sign"])
def test_what_pyarrow_reads_differently_is_left_to_pandas(name):
    data = SAMPLES[name]
    header = read_header(data, "t/s.csv")
    assert arrow_frame(data, header, header, "Date" in header) is None


@pytest.mark.parametrize("marker", MISSING_MARKERS)
@pytest.mark.parametrize("column", ["x", "n", "Date"])
def test_every_missing_marker_is_missing_in_a_number_or_time_column(marker, column):
    # The fast path first reads with the empty cell as the only marker; any other marker must still
    # give exactly pandas' frame (NaN, or NaT), whether pyarrow reads it as a number ("nan") or not.
    rows = [
        ["1", "0.5", "1", "2016-02-14T23:41:04Z"],
        ["2", "1.5", "2", "2016-02-14T23:41:05Z"],
        ["3", "2.5", "3", "2016-02-14T23:41:06Z"],
    ]
    rows[1][["step", "x", "n", "Date"].index(column)] = marker
    data = ("step,x,n,Date\n" + "".join(",".join(row) + "\n" for row in rows)).encode()
    expected = parse_with_pandas(data, "t/s.csv", None, True)
    got = parse_series(data, "t/s.csv")
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert pd.isna(got[column].iloc[1])


def test_the_missing_markers_are_pandas_defaults_and_nil():
    from pandas._libs.parsers import STR_NA_VALUES

    assert set(MISSING_MARKERS) == set(STR_NA_VALUES) | {"nil"}


@pytest.mark.parametrize(
    "line", [b"a,b,c", b"\xef\xbb\xbfa,b", b" a , b ", b"a,b,", b"a,a", b'"a,b",c', b"1,2.5,True", b"a,b\r"]
)
def test_the_header_is_named_as_pandas_names_it(line):
    import io

    expected = pd.read_csv(io.BytesIO(line.rstrip(b"\r")), nrows=0).columns.to_list()
    assert read_header(line + b"\n1,2,3\n", "t/s.csv") == expected
