"""The runs index's format rules (``lab_workbook_core.runs_index``): keys, the cover, and the Parquet rows."""

from __future__ import annotations

import json

from lab_workbook_core import CorruptArtifactError
from lab_workbook_core.keys import is_experiment_folder
from lab_workbook_core.record import RunRecord
from lab_workbook_core.runs_index import (
    RUNS_INDEX_PREFIX,
    IndexObject,
    cover,
    decode_index,
    encode_index,
    index_record,
    merged_key,
    new_object_key,
    parse_object_key,
    rebuild_key,
)
import pytest

pytest.importorskip("pyarrow")


def obj(generation: int, first: int, last: int, nonce: str = "0123456789abcdef") -> IndexObject:
    key = f"{RUNS_INDEX_PREFIX}generation={generation:06d}/{first:08d}-{last:08d}-{nonce}.parquet"
    parsed = parse_object_key(key)
    assert parsed is not None
    return parsed


def fields(tag: str, status: str = "finished", **more: object) -> dict[str, object]:
    return {
        "format": "lab-workbook/run",
        "format_version": 1,
        "tag": tag,
        "status": status,
        "started": "2026-01-01T00:00:00.000000Z",
        "ended": None if status == "running" else "2026-01-01T01:00:00.000000Z",
        "description": f"run {tag}",
        "summary": {"json": {"parameters.json": {"lr": 0.1}}, "series": {}},
        **more,
    }


def records(*many: dict[str, object]) -> dict[str, RunRecord]:
    return {str(f["tag"]): RunRecord.from_mapping(f) for f in many}


def decoded(data: bytes) -> dict[str, RunRecord]:
    """The records a reader takes from an index object: each row parsed and checked."""
    return {t: r for t, text in decode_index(data).items() if (r := index_record(t, text)) is not None}


def parquet_with_rows(rows: list[tuple[str, str]]) -> bytes:
    """An index object whose rows' ``record`` texts are given as they are (what another writer might leave)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(pa.BufferReader(encode_index(records(fields("a")))))
    made = [{**table.to_pylist()[0], "tag": tag, "record": text} for tag, text in rows]
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(made, schema=table.schema), sink)
    return bytes(sink.getvalue().to_pybytes())


def test_the_index_folder_is_never_an_experiment_folder() -> None:
    assert not is_experiment_folder(RUNS_INDEX_PREFIX.split("/")[0])


def test_a_new_object_follows_every_span_of_the_newest_generation() -> None:
    key = new_object_key([obj(1, 1, 4), obj(1, 5, 5), obj(0, 1, 9)])
    assert parse_object_key(key) is not None
    assert parse_object_key(key).span == (6, 6)  # type: ignore[union-attr]
    assert parse_object_key(key).generation == 1  # type: ignore[union-attr]


def test_the_first_object_is_generation_one_sequence_one() -> None:
    made = parse_object_key(new_object_key([]))
    assert made is not None and (made.generation, made.span) == (1, (1, 1))


def test_two_new_keys_for_the_same_span_differ() -> None:
    assert new_object_key([]) != new_object_key([])


def test_a_merged_object_replaces_the_objects_it_spans() -> None:
    parts = [obj(1, 1, 1), obj(1, 2, 2), obj(1, 3, 3)]
    merged = parse_object_key(merged_key(parts))
    assert merged is not None and merged.span == (1, 3)
    later = obj(1, 4, 4)
    assert cover([*parts, merged, later]) == [merged, later]


def test_objects_of_one_span_from_two_writers_are_all_in_the_cover() -> None:
    one, other = obj(1, 1, 1, "aaaaaaaaaaaaaaaa"), obj(1, 1, 1, "bbbbbbbbbbbbbbbb")
    assert cover([one, other]) == [one, other]


def test_a_new_generation_replaces_every_older_object() -> None:
    old = [obj(1, 1, 5), obj(1, 6, 6)]
    rebuilt = parse_object_key(rebuild_key(old))
    assert rebuilt is not None and rebuilt.generation == 2
    assert cover([*old, rebuilt]) == [rebuilt]


def test_keys_that_are_not_index_objects_are_ignored() -> None:
    for key in (
        f"{RUNS_INDEX_PREFIX}generation=000001/notes.txt",
        f"{RUNS_INDEX_PREFIX}generation=000001/00000002-00000001-0123456789abcdef.parquet",  # last < first
        "202601010000-abc/.lab-workbook/run.json",
    ):
        assert parse_object_key(key) is None


def test_an_index_holds_each_finished_run_with_its_whole_record() -> None:
    runs = records(fields("b"), fields("a", description="ünïcode", custom={"x": 1}), fields("r", "running"))
    found = decoded(encode_index(runs))
    assert sorted(found) == ["a", "b"]  # running runs are never indexed
    assert found["a"] == runs["a"] and found["a"].description == "ünïcode"
    assert found["a"].to_mapping() == runs["a"].to_mapping()  # fields this version does not know included
    assert found["b"].summary == runs["b"].summary


def test_two_rows_of_one_tag_give_the_run_once() -> None:
    first, second = json.dumps(fields("a", description="first")), json.dumps(fields("a", description="second"))
    found = decoded(parquet_with_rows([("a", first), ("a", second)]))
    assert list(found) == ["a"] and found["a"].description == "first"


def test_the_parquet_columns_are_what_sql_engines_read() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(pa.BufferReader(encode_index(records(fields("a")))))
    assert table.schema.field("started").type == pa.timestamp("us", tz="UTC")
    assert table.column("status").to_pylist() == ["finished"]
    assert json.loads(table.column("record")[0].as_py())["tag"] == "a"


@pytest.mark.parametrize("damage", ["cut", "garbage", "empty"])
def test_a_damaged_index_object_is_refused(damage: str) -> None:
    data = encode_index(records(fields("a"), fields("b")))
    bad = {"cut": data[: len(data) // 2], "garbage": b"not parquet at all", "empty": b""}[damage]
    with pytest.raises(CorruptArtifactError, match="index-key"):
        decode_index(bad, "index-key")


def test_another_parquet_file_is_not_an_index() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"tag": ["a"], "record": ["{}"]}), sink)
    with pytest.raises(CorruptArtifactError, match="not a lab-workbook runs index"):
        decode_index(sink.getvalue().to_pybytes())


def test_a_row_whose_record_cannot_be_trusted_is_left_out() -> None:
    rows = [("a", json.dumps(fields("a", pid="not a number"))), ("b", json.dumps(fields("b"))), ("c", "{not json")]
    assert sorted(decoded(parquet_with_rows(rows))) == ["b"]


def test_a_row_whose_record_names_another_run_is_left_out() -> None:
    rows = [("a", json.dumps(fields("other"))), ("b", json.dumps(fields("b")))]
    assert sorted(decoded(parquet_with_rows(rows))) == ["b"]


def test_a_row_of_a_run_not_over_is_left_out() -> None:
    rows = [("a", json.dumps(fields("a", "running"))), ("b", json.dumps(fields("b")))]
    assert sorted(decoded(parquet_with_rows(rows))) == ["b"]


def test_a_row_that_is_not_one_json_value_is_left_out_and_shifts_no_other() -> None:
    two = json.dumps(fields("x")) + "," + json.dumps(fields("y"))
    found = decoded(parquet_with_rows([("a", json.dumps(fields("a"))), ("b", two), ("c", json.dumps(fields("c")))]))
    assert sorted(found) == ["a", "c"] and found["c"].tag == "c"


def test_failed_and_interrupted_runs_are_not_indexed_they_may_be_resumed() -> None:
    runs = records(fields("a"), fields("f", "failed"), fields("i", "interrupted"))
    assert sorted(decoded(encode_index(runs))) == ["a"]
