"""The series CSV's rules (``lab_workbook_core.series_csv``): headers, torn ends, the merge of grown fields."""

from lab_workbook_core import CorruptArtifactError
from lab_workbook_core.series_csv import (
    DATE,
    Part,
    complete_prefix,
    header_line,
    is_header,
    is_missing,
    merge,
    split_parts,
    union_fields,
)
import pytest

D1, D2, D3 = "2026-01-01T00:00:01.000Z", "2026-01-01T00:00:02.000Z", "2026-01-01T00:00:03.000Z"


def test_a_header_line_is_the_fields_then_date_quoted_as_rfc_4180_with_crlf():
    assert header_line(["epoch", "a,b"]) == b'epoch,"a,b",Date\r\n'


def test_a_series_without_fields_has_date_alone_as_header():
    assert header_line([]) == b"Date\r\n"


def test_a_row_is_a_header_when_its_last_cell_is_date():
    assert is_header(["epoch", DATE])
    assert not is_header(["1", D1])
    assert not is_header([])


def test_empty_and_the_originals_nil_are_missing_and_nan_is_not():
    assert is_missing("")
    assert is_missing("nil")
    assert not is_missing("nan")
    assert not is_missing("0")


def test_a_last_line_without_its_line_end_is_torn():
    assert complete_prefix(f"a,Date\r\n1,{D1}\r\n2,2026-".encode()) == f"a,Date\r\n1,{D1}\r\n".encode()


def test_a_torn_line_inside_a_quoted_cell_holding_a_line_break_is_dropped_whole():
    whole = f"a,Date\r\n1,{D1}\r\n".encode()
    assert complete_prefix(whole + b'2,"first line\r\nsecond') == whole
    assert complete_prefix(whole + b'2,"first line\r\n') == whole


def test_a_quoted_line_break_in_a_whole_row_is_kept():
    data = f'a,note,Date\r\n1,"x\r\ny",{D1}\r\n'.encode()
    assert complete_prefix(data) == data


def test_a_stray_quote_inside_an_unquoted_cell_is_not_an_open_quote():
    data = f'a,Date\r\n5",{D1}\n'.encode()
    assert complete_prefix(data) == data


def test_data_without_any_line_end_has_no_complete_line():
    assert complete_prefix(b"epoch,lo") == b""
    assert complete_prefix(b"") == b""


def test_lf_line_ends_of_the_original_tool_are_line_ends():
    assert complete_prefix(b"a,Date\n1,2016-02-14T23:41:04Z\n2,0.") == b"a,Date\n1,2016-02-14T23:41:04Z\n"


def test_a_document_splits_into_parts_at_each_row_ending_in_date():
    data = f"a,Date\r\n1,{D1}\r\na,b,Date\r\n2,3,{D2}\r\n".encode()
    assert split_parts(data) == [
        Part(("a", "Date"), b"a,Date\r\n", f"1,{D1}\r\n".encode()),
        Part(("a", "b", "Date"), b"a,b,Date\r\n", f"2,3,{D2}\r\n".encode()),
    ]


def test_date_inside_a_quoted_cell_does_not_start_a_part():
    data = f'a,note,Date\r\n1,"x,Date\r\nDate",{D1}\r\n'.encode()
    assert [part.fields for part in split_parts(data)] == [("a", "note", "Date")]


def test_the_first_line_is_a_header_even_without_date():
    assert split_parts(b"step,x\n1,3\n") == [Part(("step", "x"), b"step,x\n", b"1,3\n")]


def test_the_union_is_the_fields_in_first_seen_order_then_date():
    headers = [("epoch", "loss", "Date"), ("epoch", "loss", "lr", "Date"), ("epoch", "val", "Date")]
    assert union_fields(headers) == ("epoch", "loss", "lr", "val", "Date")


def test_a_header_naming_a_field_twice_cannot_be_merged():
    with pytest.raises(CorruptArtifactError, match=r"t/s\.csv: .* names a field twice"):
        union_fields([("a", "Date"), ("a", "b", "b", "Date")], "t/s.csv")


def test_headers_with_different_index_fields_cannot_be_merged():
    with pytest.raises(CorruptArtifactError, match="does not start with the index field 'epoch'"):
        union_fields([("epoch", "Date"), ("step", "loss", "Date")])


def test_parts_of_one_header_merge_byte_for_byte_under_the_first_header():
    first = f"a,Date\n1,{D1}\n".encode()
    second = f"a,Date\r\n2,{D2}\r\n".encode()
    assert merge([first, second]) == first + f"2,{D2}\r\n".encode()


def test_rows_are_placed_under_the_union_by_name_with_empty_cells_where_they_had_no_value():
    segments = [
        f"epoch,loss,Date\r\n1,0.9,{D1}\r\n".encode(),
        f"epoch,loss,lr,Date\r\n2,0.8,0.1,{D2}\r\n".encode(),
        f"epoch,val_loss,Date\r\n3,0.5,{D3}\r\n".encode(),
    ]
    assert merge(segments) == (
        f"epoch,loss,lr,val_loss,Date\r\n1,0.9,,,{D1}\r\n2,0.8,0.1,,{D2}\r\n3,,,0.5,{D3}\r\n".encode()
    )


def test_a_local_file_of_several_parts_merges_as_its_segments_do():
    parts = [f"a,Date\r\n1,{D1}\r\n".encode(), f"a,b,Date\r\n2,3,{D2}\r\n".encode()]
    assert merge([b"".join(parts)]) == merge(parts) == f"a,b,Date\r\n1,,{D1}\r\n2,3,{D2}\r\n".encode()


def test_rows_under_the_union_header_are_kept_byte_for_byte():
    assert merge([b"a,Date\r\n1,d\r\n", b"a,b,Date\n2,3.50,d\n"]) == b"a,b,Date\r\n1,,d\r\n2,3.50,d\n"


def test_a_quoted_cell_with_a_line_break_survives_the_merge():
    merged = merge([f'a,note,Date\r\n1,"x ""y""\r\nz",{D1}\r\n'.encode(), f"a,note,b,Date\r\n2,,4,{D2}\r\n".encode()])
    assert merged == f'a,note,b,Date\r\n1,"x ""y""\r\nz",,{D1}\r\n2,,4,{D2}\r\n'.encode()


def test_each_documents_torn_end_is_dropped_before_merging():
    merged = merge([f"a,Date\r\n1,{D1}\r\n2,20".encode(), f"a,b,Date\r\n3,4,{D2}\r\n5,".encode()])
    assert merged == f"a,b,Date\r\n1,,{D1}\r\n3,4,{D2}\r\n".encode()


def test_a_document_without_a_whole_header_adds_nothing():
    assert merge([f"a,Date\r\n1,{D1}\r\n".encode(), b"a,b,Da"]) == f"a,Date\r\n1,{D1}\r\n".encode()
    assert merge([]) == b""


def test_a_part_without_rows_still_adds_its_fields():
    assert merge([f"a,Date\r\n1,{D1}\r\na,b,Date\r\n".encode()]) == f"a,b,Date\r\n1,,{D1}\r\n".encode()


def test_rows_before_any_field_get_an_empty_cell_for_each_later_field():
    assert merge([f"Date\r\n{D1}\r\nstep,Date\r\n1,{D2}\r\n".encode()]) == f"step,Date\r\n,{D1}\r\n1,{D2}\r\n".encode()


def test_a_line_end_after_an_escaped_quote_inside_a_quoted_cell_is_still_inside_it():
    whole = f"a,note,Date\r\n1,x,{D1}\r\n".encode()
    assert complete_prefix(whole + b'2,"say ""hi""\r\n') == whole
