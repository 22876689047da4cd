"""docs/querying.md's Athena table over the runs index, checked against the Parquet objects core writes.

Athena cannot run here. What can drift is the table definition (its columns and their types, the
partition column, the location and the partition projection) from the format core writes, so this
file parses the ``CREATE EXTERNAL TABLE`` out of the documentation and compares it with the schema
of an index object made by :func:`lab_workbook_core.runs_index.encode_index`.
"""

from __future__ import annotations

import re
from typing import Any

from builders import run_record
from engine_store import DOC
from lab_workbook_core.record import FINISHED, RunRecord
from lab_workbook_core.runs_index import COLUMNS, RUNS_INDEX_PREFIX, encode_index, new_object_key
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

#: Where the documented table points: the example store's prefix.
STORE = "s3://my-bucket/experiments/"


def ddl() -> str:
    """The documented ``CREATE EXTERNAL TABLE runs_index`` statement."""
    found = re.findall(r"```sql\n(CREATE EXTERNAL TABLE runs_index .*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(found) == 1, "docs/querying.md should define the Athena table runs_index once"
    return found[0]


def ddl_columns(statement: str) -> list[tuple[str, str]]:
    """``(name, type)`` of the table's columns, in order (backquotes, which keep a keyword a name, left out)."""
    body = re.search(r"CREATE EXTERNAL TABLE runs_index \((.*?)\)\s*PARTITIONED BY", statement, re.S)
    assert body is not None, statement
    pairs = [part.split() for part in body.group(1).split(",")]
    assert all(len(pair) == 2 for pair in pairs), pairs
    return [(name.strip("`"), kind.lower()) for name, kind in pairs]


def properties(statement: str) -> dict[str, str]:
    return dict(re.findall(r"'([^']+)'\s*=\s*'([^']+)'", statement))


def athena_type(kind: Any) -> str:
    """The Athena (Hive DDL) type that reads a Parquet column of this Arrow type."""
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "string"
    if pa.types.is_timestamp(kind):
        return "timestamp"
    if pa.types.is_int64(kind):
        return "bigint"
    if pa.types.is_float64(kind):
        return "double"
    if pa.types.is_boolean(kind):
        return "boolean"
    raise AssertionError(f"no Athena type chosen for the index column type {kind}: add it here and to the docs")


@pytest.fixture(scope="module")
def written_schema() -> pa.Schema:
    """The schema of an index object as core writes it."""
    tag = "202601010000-athena0001"
    record = RunRecord.from_mapping(run_record(tag, FINISHED, description="a run"))
    return pq.read_schema(pa.BufferReader(encode_index({tag: record})))


def test_the_athena_table_has_the_index_objects_columns_and_types_in_order(written_schema: pa.Schema) -> None:
    written = [(field.name, athena_type(field.type)) for field in written_schema]
    assert [name for name, _ in written] == list(COLUMNS)
    assert ddl_columns(ddl()) == written


def test_the_athena_table_is_partitioned_by_the_generation_of_the_index_keys() -> None:
    statement = ddl()
    partition = re.search(r"PARTITIONED BY \((\w+) (\w+)\)", statement)
    assert partition is not None and partition.group(2).lower() == "string"
    key = new_object_key([])  # e.g. .lab-workbook/index/runs/generation=000001/00000001-00000001-<nonce>.parquet
    folder = key.removeprefix(RUNS_INDEX_PREFIX).split("/")[0]
    name, value = folder.split("=")
    assert name == partition.group(1)
    props = properties(statement)
    assert props["projection.enabled"] == "true"
    assert props[f"projection.{name}.type"] == "integer"
    assert int(props[f"projection.{name}.digits"]) == len(value)
    low, high = (int(n) for n in props[f"projection.{name}.range"].split(","))
    assert low <= int(value) and high == 10 ** len(value) - 1


def test_the_athena_table_is_located_at_the_index_folder_of_the_store() -> None:
    statement = ddl()
    (location,) = re.findall(r"LOCATION '([^']+)'", statement)
    assert location == STORE + RUNS_INDEX_PREFIX
    assert properties(statement)["storage.location.template"] == location + "generation=${generation}/"
    assert re.search(r"STORED AS PARQUET", statement)
