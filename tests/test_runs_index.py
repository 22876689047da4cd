"""The runs index in the store (issue 24): written by one reader, used by any other, never trusted over the listing.

Stores are built straight in the on-store format (``builders.StoreBuilder``); each run's final
record carries a summary, so a runs table needs nothing but records, and the requests a
reader sends are exact: the listing of run folders, the listing of the index folder, and the
GETs of index objects and of the records no index object holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import json
import os
from pathlib import Path
import shutil
import subprocess
import warnings

from builders import StoreBuilder, run_record
from lab_workbook import ExperimentRepository, RunsIndexWarning
from lab_workbook_cli import app
from lab_workbook_core import concurrent_map
from lab_workbook_core.keys import run_record_key
from lab_workbook_core.record import FINISHED, RUNNING
from lab_workbook_core.runs_index import RUNS_INDEX_PREFIX, WRITE_AFTER, parse_object_key
import pandas as pd
import pytest
from typer.testing import CliRunner

SUMMARY = {"json": {"parameters.json": {"learningRate": 0.1}}, "series": {}}
ARTIFACTS = {"parameters.json": {"size": 21, "sha256": "0" * 64}}


def tag(i: int) -> str:
    return f"202601{1 + i // 1440:02d}{(i // 60) % 24:02d}{i % 60:02d}-index{i:05d}"


def build(prefix: str, runs: int, start: int = 0, status: str = FINISHED) -> list[str]:
    """``runs`` finished runs (records with a summary), written concurrently."""
    store = StoreBuilder(prefix)
    tags = [tag(i) for i in range(start, start + runs)]

    def one(t: str) -> None:
        extra = {"summary": SUMMARY, "artifacts": ARTIFACTS} if status != RUNNING else {}
        store.record(t, status, description=f"run {t}", **extra)

    concurrent_map(one, tags, 16)
    return tags


def fresh_reader(prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> ExperimentRepository:
    """A reader as in a new process on another machine: its own, empty disk cache."""
    monkeypatch.setenv("LAB_WORKBOOK_CACHE_DIR", str(tmp_path / f"cache-{name}"))
    return ExperimentRepository(prefix)


def index_objects(prefix: str) -> list[str]:
    storage = StoreBuilder(prefix).storage
    return sorted(o.key for o in storage.list(RUNS_INDEX_PREFIX, delimiter=None).objects)


def requests(wb: ExperimentRepository) -> dict[str, int]:
    """The requests sent, by kind (a local store's ``head`` is a ``stat`` before each read: not counted)."""
    local = wb.storage.location.scheme != "s3"
    return {kind: n for kind, n in wb.storage.requests.items() if n and not (local and kind == "head")}


def test_an_index_written_by_one_reader_is_used_by_another(
    store_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tags = build(store_prefix, 40)
    first = fresh_reader(store_prefix, tmp_path, monkeypatch, "first")
    written = first.write_index()
    assert written.key is not None and written.runs == 40

    other = fresh_reader(store_prefix, tmp_path, monkeypatch, "other")
    table = other.runs()
    assert list(table["tag"]) == tags
    assert list(table["params.learningRate"]) == [0.1] * 40
    # the listing of run folders, the listing of the index folder, and one index object: no record
    assert requests(other) == {"list": 2, "get": 1}


def test_a_reader_writes_the_index_after_reading_a_thousand_unindexed_runs(
    local_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(local_prefix, WRITE_AFTER)
    first = fresh_reader(local_prefix, tmp_path, monkeypatch, "first")
    assert len(first.runs()) == WRITE_AFTER
    (written,) = index_objects(local_prefix)
    assert requests(first)["put"] == 1

    second = fresh_reader(local_prefix, tmp_path, monkeypatch, "second")
    assert len(second.runs()) == WRITE_AFTER
    assert requests(second) == {"list": 2, "get": 1}
    assert index_objects(local_prefix) == [written]  # nothing more to write


def test_fewer_unindexed_runs_than_the_threshold_write_nothing(
    local_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(local_prefix, 30)
    fresh_reader(local_prefix, tmp_path, monkeypatch, "first").runs()
    assert index_objects(local_prefix) == []


def test_with_index_writes_off_readers_write_nothing_and_the_command_still_does(
    local_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(local_prefix, WRITE_AFTER)
    monkeypatch.setenv("LAB_WORKBOOK_INDEX_WRITES", "off")
    fresh_reader(local_prefix, tmp_path, monkeypatch, "first").runs()
    assert index_objects(local_prefix) == []
    result = CliRunner().invoke(app, ["index", "--prefix", local_prefix])
    assert result.exit_code == 0, result.output
    assert f"indexed {WRITE_AFTER:,} finished runs" in result.output
    assert len(index_objects(local_prefix)) == 1


def test_overlapping_objects_from_two_writers_at_once_give_each_run_once(
    store_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(store_prefix, 40)
    late = fresh_reader(store_prefix, tmp_path, monkeypatch, "late")
    late.runs()  # read the (empty) index before the other writer wrote
    early = fresh_reader(store_prefix, tmp_path, monkeypatch, "early")
    assert early.write_index().runs == 40
    tags = build(store_prefix, 5, start=40)
    assert late.write_index().runs == 45  # it never saw the other object: the two overlap
    first, second = (parse_object_key(k) for k in index_objects(store_prefix))
    assert first is not None and second is not None and first.span == second.span

    reader = fresh_reader(store_prefix, tmp_path, monkeypatch, "reader")
    table = reader.runs()
    assert len(table) == 45 and table["tag"].is_unique and list(table["tag"])[-5:] == tags
    assert requests(reader) == {"list": 2, "get": 2}  # both objects, no record


def test_a_run_deleted_after_indexing_is_not_shown(
    store_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tags = build(store_prefix, 40)
    fresh_reader(store_prefix, tmp_path, monkeypatch, "writer").write_index()
    StoreBuilder(store_prefix).storage.delete([run_record_key(tags[2])])  # by hand: the run's folder is gone

    reader = fresh_reader(store_prefix, tmp_path, monkeypatch, "reader")
    assert tags[2] not in list(reader.runs()["tag"])
    result = CliRunner().invoke(app, ["list", "--json", "--limit", "0", "--prefix", store_prefix])
    assert tags[2] not in [row["tag"] for row in json.loads(result.output)]


def test_a_rebuild_replaces_the_index_without_the_deleted_runs(
    store_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tags = build(store_prefix, 40)
    fresh_reader(store_prefix, tmp_path, monkeypatch, "writer").write_index()
    (old,) = index_objects(store_prefix)
    StoreBuilder(store_prefix).storage.delete([run_record_key(tags[0])])
    monkeypatch.setenv("LAB_WORKBOOK_CACHE_DIR", str(tmp_path / "cache-cli"))
    result = CliRunner().invoke(app, ["index", "--rebuild", "--json", "--prefix", store_prefix])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["runs"], report["replaced"]) == (39, 1)
    (new,) = index_objects(store_prefix)
    assert new != old and parse_object_key(new).generation == 2  # type: ignore[union-attr]

    reader = fresh_reader(store_prefix, tmp_path, monkeypatch, "reader")
    assert list(reader.runs()["tag"]) == tags[1:]
    assert requests(reader) == {"list": 2, "get": 1}


def test_a_running_run_that_finishes_after_indexing_shows_its_final_status(
    store_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(store_prefix, 40)
    (running,) = build(store_prefix, 1, start=40, status=RUNNING)
    written = fresh_reader(store_prefix, tmp_path, monkeypatch, "writer").write_index()
    assert written.runs == 40  # running runs are never indexed
    build(store_prefix, 1, start=40)  # it finished: its final record replaces the running one

    reader = fresh_reader(store_prefix, tmp_path, monkeypatch, "reader")
    table = reader.runs().set_index("tag")
    assert table.loc[running, "status"] == FINISHED
    assert requests(reader) == {"list": 2, "get": 2}  # the index object and that run's record


def test_a_store_that_refuses_writes_reads_fine_and_writes_no_index(
    quirk_prefix: str, fault_proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    tags = build(quirk_prefix, WRITE_AFTER)
    fault_proxy.faults.deny_puts = ""  # a policy that may read but not write
    reader = fresh_reader(quirk_prefix, tmp_path, monkeypatch, "reader")
    with caplog.at_level("DEBUG", logger="lab_workbook"), warnings.catch_warnings():
        warnings.simplefilter("error")  # never a warning, never an error
        table = reader.runs()
    assert list(table["tag"]) == tags
    assert requests(reader)["put"] == 1  # one attempt, refused
    assert any("runs index: not written" in r.getMessage() for r in caplog.records if r.levelname == "DEBUG")
    fault_proxy.faults.deny_puts = None
    assert index_objects(quirk_prefix) == []
    reader.runs()
    assert requests(reader)["put"] == 1  # not asked again by this reader


def test_the_index_command_on_a_store_that_refuses_writes_says_so(
    quirk_prefix: str, fault_proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(quirk_prefix, 3)
    fault_proxy.faults.deny_puts = ""
    result = CliRunner().invoke(app, ["index", "--prefix", quirk_prefix])
    assert result.exit_code == 1
    assert "denied" in result.output.lower() or "access" in result.output.lower()


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """The folder cannot be written to while inside: ``chattr +i`` for root (who writes through modes), else modes."""
    if os.geteuid() != 0:
        folders = [folder, *(p for p in folder.rglob("*") if p.is_dir())]
        for path in folders:
            path.chmod(0o555)
        try:
            yield
        finally:
            for path in folders:
                path.chmod(0o755)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("root writes into read-only folders, and this file system has no immutable attribute")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(folder)], check=True)


def test_a_read_only_local_store_reads_fine_and_writes_no_index(
    local_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    tags = build(local_prefix, WRITE_AFTER)
    reader = fresh_reader(local_prefix, tmp_path, monkeypatch, "reader")
    with read_only(Path(local_prefix)), caplog.at_level("DEBUG", logger="lab_workbook"), warnings.catch_warnings():
        warnings.simplefilter("error")  # never a warning, never an error
        table = reader.runs()
    assert list(table["tag"]) == tags
    assert index_objects(local_prefix) == []
    assert requests(reader)["put"] == 1  # one attempt, refused
    assert any("runs index: not written" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("damage", ["cut", "garbage"])
def test_a_damaged_index_object_is_ignored_with_a_warning_and_its_runs_read_directly(
    store_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    tags = build(store_prefix, 40)
    written = fresh_reader(store_prefix, tmp_path, monkeypatch, "writer").write_index()
    assert written.key is not None
    storage = StoreBuilder(store_prefix).storage
    data = storage.get_bytes(written.key)
    storage.put_bytes(written.key, data[: len(data) // 2] if damage == "cut" else b"PAR1 garbage")

    reader = fresh_reader(store_prefix, tmp_path, monkeypatch, "reader")
    with pytest.warns(RunsIndexWarning, match="not a readable Parquet file"):
        table = reader.runs()
    assert list(table["tag"]) == tags
    assert requests(reader)["get"] == 1 + len(tags)  # the object, then every record


def test_the_original_tools_store_reads_as_before_and_gets_no_index(
    store_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Path(__file__).parent / "fixtures" / "original" / "201602142341-mn5SvgNxHY"
    store = StoreBuilder(store_prefix)
    for path in sorted(original.iterdir()):
        store.put(original.name, path.name, path.read_bytes())
    reader = fresh_reader(store_prefix, tmp_path, monkeypatch, "reader")
    table = reader.runs()
    assert list(table["tag"]) == [original.name] and list(table["status"]) == ["unknown"]
    reader.write_index()
    assert index_objects(store_prefix) == []  # its runs are not over as far as a record says: never indexed


def test_a_store_written_before_the_index_reads_as_before(
    store_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tags = build(store_prefix, 40)
    reader = fresh_reader(store_prefix, tmp_path, monkeypatch, "reader")
    assert list(reader.runs()["tag"]) == tags
    assert requests(reader) == {"list": 2, "get": 40}  # the run folders, the (empty) index folder, the records


def test_a_table_of_few_runs_to_read_does_not_look_for_an_index(
    store_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(store_prefix, 40)
    fresh_reader(store_prefix, tmp_path, monkeypatch, "writer").write_index()
    reader = fresh_reader(store_prefix, tmp_path, monkeypatch, "reader")
    for _ in reader.run_rows("newest", lambda exp: {"tag": exp.tag}, chunk=5):
        break
    assert requests(reader) == {"list": 1, "get": 5}  # five small records: cheaper than the index


def test_the_duckdb_runs_view_takes_the_records_the_index_holds(
    store_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("duckdb")
    if store_prefix.startswith("s3://"):
        pytest.importorskip("s3fs")
    import lab_workbook

    tags = build(store_prefix, 40)
    store = StoreBuilder(store_prefix)
    for t in tags:
        store.put(t, "parameters.json", '{"learningRate": 0.1}')
    fresh_reader(store_prefix, tmp_path, monkeypatch, "writer").write_index()
    store.storage.delete([run_record_key(t) for t in tags])  # now only the index has the records

    monkeypatch.setenv("LAB_WORKBOOK_CACHE_DIR", str(tmp_path / "cache-duckdb"))
    con = lab_workbook.duckdb(store_prefix)
    rows = con.sql("SELECT tag, status FROM runs ORDER BY tag").fetchall()
    assert rows == [(t, FINISHED) for t in tags]


def test_the_eighth_object_merges_the_index_into_one(
    local_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lab_workbook_core.runs_index import MERGE_AT

    tags = build(local_prefix, 40)
    for n in range(MERGE_AT):
        if n:
            tags += build(local_prefix, 1, start=40 + n)
        fresh_reader(local_prefix, tmp_path, monkeypatch, f"writer-{n}").write_index()
    spans = [parse_object_key(k).span for k in index_objects(local_prefix)]  # type: ignore[union-attr]
    assert sorted(spans) == [(1, 1), (1, MERGE_AT - 1), *((n, n) for n in range(2, MERGE_AT))]

    reader = fresh_reader(local_prefix, tmp_path, monkeypatch, "reader")
    assert list(reader.runs()["tag"]) == tags
    assert requests(reader) == {"list": 2, "get": 1}  # the merged object only


def test_index_objects_are_kept_in_the_disk_cache(
    store_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tags = build(store_prefix, 40)
    fresh_reader(store_prefix, tmp_path, monkeypatch, "writer").write_index()
    fresh_reader(store_prefix, tmp_path, monkeypatch, "reader").runs()

    again = ExperimentRepository(store_prefix)  # the same disk cache, another table (no rows kept for it)
    rows = [row for chunk in again.run_rows("another table", lambda exp: {"tag": exp.tag}) for row in chunk]
    assert sorted(row["tag"] for row in rows) == tags
    assert requests(again) == {"list": 2}  # the run folders and the index folder; the object from disk


def test_a_rebuild_after_damage_reads_every_record_and_replaces_the_damaged_object(
    store_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tags = build(store_prefix, 40)
    written = fresh_reader(store_prefix, tmp_path, monkeypatch, "writer").write_index()
    assert written.key is not None
    StoreBuilder(store_prefix).storage.put_bytes(written.key, b"PAR1 damaged")
    rebuilder = fresh_reader(store_prefix, tmp_path, monkeypatch, "rebuilder")
    rebuilt = rebuilder.write_index(rebuild=True)
    assert (rebuilt.runs, rebuilt.replaced) == (40, 1)
    assert requests(rebuilder)["get"] == 40  # every record: the index being repaired is not read
    assert index_objects(store_prefix) == [rebuilt.key]

    reader = fresh_reader(store_prefix, tmp_path, monkeypatch, "reader")
    with warnings.catch_warnings():
        warnings.simplefilter("error", RunsIndexWarning)
        assert list(reader.runs()["tag"]) == tags
    assert requests(reader) == {"list": 2, "get": 1}


def test_a_row_no_reader_can_trust_costs_only_its_run_a_direct_read(
    store_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lab_workbook_core.runs_index import new_object_key
    import pyarrow as pa
    import pyarrow.parquet as pq

    tags = build(store_prefix, 40)
    written = fresh_reader(store_prefix, tmp_path, monkeypatch, "writer").write_index()
    assert written.key is not None
    storage = StoreBuilder(store_prefix).storage
    table = pq.read_table(pa.BufferReader(storage.get_bytes(written.key)))
    rows = table.to_pylist()
    rows[3]["record"] = rows[3]["record"].replace('"pid":1234', '"pid":"1234"')  # a field of the wrong type
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), sink)
    storage.delete([written.key])
    storage.put_bytes(new_object_key([]), sink.getvalue().to_pybytes())

    reader = fresh_reader(store_prefix, tmp_path, monkeypatch, "reader")
    table_read = reader.runs()
    assert list(table_read["tag"]) == tags and set(table_read["status"]) == {FINISHED}
    assert requests(reader) == {"list": 2, "get": 2}  # the object, and that one run's record


def test_a_long_listing_is_sent_in_ranges_and_still_shows_exactly_the_runs_the_store_has(
    s3_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past a page of run folders the rest is listed in ranges cut at the index's tags, then at the last
    listing's (kept in the disk cache); cut points are hints: runs deleted or added anywhere since are seen."""
    tags = build(s3_prefix, 1100)
    fresh_reader(s3_prefix, tmp_path, monkeypatch, "writer").write_index()

    first = fresh_reader(s3_prefix, tmp_path, monkeypatch, "reader")
    assert first.tags() == tags
    # a page, the index folder, its object, then the rest after the page (no indexed tag to cut at past it)
    assert requests(first) == {"list": 1 + 1 + 1, "get": 1}

    store = StoreBuilder(s3_prefix)
    store.storage.delete([run_record_key(tags[1050])])  # deleted by hand
    added = [f"{tags[900]}-b", tags[-1] + "-z", "0-first"]  # inside a range, after the last, before the first
    for t in added:
        store.record(t, FINISHED, description="added")
    again = fresh_reader(s3_prefix, tmp_path, monkeypatch, "reader")  # the same disk cache: the kept cut points
    assert again.tags() == sorted({*tags, *added} - {tags[1050]})
    assert requests(again) == {"list": 2}  # two ranges cut at the 900th tag, at once; no index needed


def test_rows_made_from_the_index_are_the_rows_made_from_the_records(
    local_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table of indexed runs is made straight from the index's records (no experiment per run); it must
    be the very table the same runs' records give, whatever their summaries hold or lack."""
    store = StoreBuilder(local_prefix)
    loss = "Training loss.csv"
    csv = "step,loss,acc\r\n0,2.0,0.1\r\n1,1.5,\r\n"
    variants = [
        {"json": {"parameters.json": {"lr": 0.1, "model": {"depth": 8, "kinds": ["a", "b"]}}}},
        {
            "json": {"parameters.json": {"lr": 0.2}},
            "series": {loss: {"rows": 2, "fields": {"loss": {"last": 1.5, "min": 1.5, "max": 2.0}}}},
        },
        {"json": {}, "series": {loss: {"rows": 2, "fields": {"loss": {"last": "inf", "min": None, "max": "-inf"}}}}},
        {"json": {"parameters.json": [1, 2]}, "series": {loss: {"rows": 2, "fields": {"loss": "not numbers"}}}},
        {"json": {"parameters.json": {"lr": None}}, "series": {}},
    ]
    tags = []
    for i in range(40):
        t = tag(i)
        store.put(t, "parameters.json", json.dumps({"lr": i}))
        store.put(t, loss, csv)
        artifacts = {"parameters.json": {"size": 9}, loss: {"size": len(csv)}} if i % 7 else {"parameters.json": {}}
        extra: dict[str, object] = {"summary": variants[i % len(variants)], "artifacts": artifacts}
        if i % 11 == 3:
            extra["attempts"] = [{"attempt": 1}, {"attempt": 2}]  # resumed: its series are read
        if i % 13 == 5:
            extra["started"] = None
        store.record(t, FINISHED, description=None if i % 3 else f"run {i}", **extra)
        tags.append(t)
    fresh_reader(local_prefix, tmp_path, monkeypatch, "writer").write_index()
    asked = {"series": {loss: ["loss", "acc"]}, "best": {"loss": "max"}}

    from_index = fresh_reader(local_prefix, tmp_path, monkeypatch, "with-index").runs(**asked)
    StoreBuilder(local_prefix).storage.delete(index_objects(local_prefix))
    from_records = fresh_reader(local_prefix, tmp_path, monkeypatch, "from-records").runs(**asked)
    assert list(from_index["tag"]) == tags
    pd.testing.assert_frame_equal(from_index, from_records)
    kept = fresh_reader(local_prefix, tmp_path, monkeypatch, "with-index").runs(**asked)  # its kept rows
    pd.testing.assert_frame_equal(kept, from_records)


def test_a_reader_accepting_a_kept_listing_sends_no_request_and_sees_changes_once_it_lists(
    store_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tags = build(store_prefix, 40)
    assert len(fresh_reader(store_prefix, tmp_path, monkeypatch, "mine").runs()) == 40  # lists; rows kept
    StoreBuilder(store_prefix).storage.delete([run_record_key(tags[5])])
    added = build(store_prefix, 1, start=40)

    monkeypatch.setenv("LAB_WORKBOOK_CACHE_DIR", str(tmp_path / "cache-mine"))  # the same machine's cache
    stale = ExperimentRepository(store_prefix, listing_max_age=3600)
    assert list(stale.runs()["tag"]) == tags  # the kept listing: the run deleted since is still there
    assert requests(stale) == {}
    stale.refresh()
    assert stale.tags() == sorted({*tags, *added} - {tags[5]})  # a listing made again asks the store

    assert ExperimentRepository(store_prefix, listing_max_age=0).tags() == stale.tags()  # too old: listed
    assert ExperimentRepository(store_prefix).tags() == stale.tags()  # the default lists


def cli_list(
    prefix: str, monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[list[dict[str, object]], ExperimentRepository]:
    """``lab-workbook list --json ARGS``: its rows, and the repository it read them with (to count its requests)."""
    from lab_workbook_cli import _store

    made: list[ExperimentRepository] = []
    opener = _store.open_repository

    def remember(prefix: str | None) -> ExperimentRepository:
        made.append(opener(prefix))
        return made[-1]

    monkeypatch.setattr("lab_workbook_cli._commands.list.open_repository", remember)
    result = CliRunner().invoke(app, ["list", "--json", *args, "--prefix", prefix])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), made[-1]


@pytest.mark.parametrize("limit", ["0", "20"])
def test_list_over_an_indexed_store_sends_no_request_per_run(
    s3_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    tags = build(s3_prefix, 300)
    fresh_reader(s3_prefix, tmp_path, monkeypatch, "writer").write_index()

    monkeypatch.setenv("LAB_WORKBOOK_CACHE_DIR", str(tmp_path / "cache-cli"))  # a new machine's `list`
    rows, wb = cli_list(s3_prefix, monkeypatch, "--limit", limit)
    assert [row["tag"] for row in rows] == tags[::-1][: int(limit) or None]
    assert {row["status"] for row in rows} == {FINISHED} and {row["artifacts"] for row in rows} == {1}
    # the listing of run folders, the index folder's, and its one object: no record, no run folder listed
    assert requests(wb) == {"list": 2, "get": 1}


def test_list_rows_made_from_the_index_are_the_rows_made_from_the_records(
    local_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``list``'s rows of indexed runs are made straight from the index's records; they must be the rows
    the same runs' records give, whatever the records hold or lack."""
    store = StoreBuilder(local_prefix)
    tags = []
    for i in range(40):
        t = tag(i)
        record = run_record(t, FINISHED, description=f"run {i}", summary=SUMMARY)
        record["artifacts"] = {f"a{n}.json": {} for n in range(i % 4)}
        if i % 5 == 1:
            record["parent"] = {"tag": tag(0), "step": i}
        if i % 7 == 2:
            record["attempts"] = [{"attempt": 1}, {"attempt": 2, "status": FINISHED}]
        if i % 9 == 3:
            record["started"] = record["ended"] = None
        if i % 11 == 4:
            del record["ended"]  # a finished run without an end: its duration counts to what it wrote last
        if i % 13 == 5:
            record["description"] = None
        store.storage.put_bytes(run_record_key(t), json.dumps(record).encode())
        tags.append(t)
    fresh_reader(local_prefix, tmp_path, monkeypatch, "writer").write_index()

    monkeypatch.setenv("LAB_WORKBOOK_CACHE_DIR", str(tmp_path / "cache-with-index"))
    from_index, _ = cli_list(local_prefix, monkeypatch, "--limit", "0")
    kept, _ = cli_list(local_prefix, monkeypatch, "--limit", "0")  # the rows kept on disk by the first
    StoreBuilder(local_prefix).storage.delete(index_objects(local_prefix))
    monkeypatch.setenv("LAB_WORKBOOK_CACHE_DIR", str(tmp_path / "cache-from-records"))
    from_records, wb = cli_list(local_prefix, monkeypatch, "--limit", "0")
    assert requests(wb)["get"] == 40  # read from the records indeed
    assert [row["tag"] for row in from_index] == tags[::-1]
    assert from_index == from_records
    assert kept == from_records
