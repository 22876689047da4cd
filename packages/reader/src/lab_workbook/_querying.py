"""SQL over the store in place: a DuckDB connection with the store's runs and parameters as views.

No server of ours and no copy: DuckDB reads the parameter files and series where they are
(``docs/querying.md`` has the recipes, which also work without this helper). The ``runs`` view
is the reader's: the run records of the listed runs, from the store's runs index and, for the
runs it does not hold, from the records themselves, read when the connection is made (the
pipeline ``wb.runs()`` uses, so 100,000 runs cost a few requests, not one per run). On S3 the store is read through an ``s3fs`` filesystem registered
with DuckDB, because DuckDB's own ``httpfs`` extension is downloaded at ``INSTALL``
time (impossible offline); boto's usual settings apply (``AWS_ENDPOINT_URL_S3``,
profiles, the config file's ``endpointUrl``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from lab_workbook_core import MissingDependencyError, load_config
from lab_workbook_core.record import DEFAULT_HEARTBEAT_SECONDS, MIN_STALE_SECONDS, STALE_INTERVALS, parse_time

if TYPE_CHECKING:
    import duckdb as duckdb_module

__all__ = ["RUNS_SQL", "duckdb"]

#: The ``runs`` view: one row per run record, with ``crashed`` for a stale heartbeat (``docs/format.md``).
RUNS_SQL = """
SELECT
  tag,
  CASE WHEN status = 'running'
        AND heartbeat < now() - to_seconds(greatest({intervals} * coalesce(heartbeat_interval, {default}), {minimum}))
       THEN 'crashed' ELSE status END AS status,
  started, ended, heartbeat, description, host, git_commit
FROM run_records
"""
#: The columns of ``run_records`` (the records the reader read), with their Arrow types.
_RECORD_COLUMNS = {
    "tag": "string",
    "status": "string",
    "started": "time",
    "ended": "time",
    "heartbeat": "time",
    "heartbeat_interval": "double",
    "description": "string",
    "host": "string",
    "git_commit": "string",
}

_PARAMETERS_SQL = """
SELECT split_part(filename, '/', -2) AS tag, * EXCLUDE (filename)
FROM read_json_auto({files}, filename = true, union_by_name = true)
"""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def duckdb(
    prefix: str | os.PathLike[str] | None = None, *, params: str | None = "parameters.json"
) -> duckdb_module.DuckDBPyConnection:
    """A DuckDB connection (in memory) with the views ``runs`` and ``parameters`` over the store.

    Args:
        prefix: the store, resolved like :class:`~lab_workbook.ExperimentRepository` does.
        params: the JSON artifact the ``parameters`` view reads (one row per run that has it);
            ``None`` for no such view.

    The variable ``store`` holds the prefix URL, for your own ``read_csv(getvariable('store') || ...)``.

    Raises:
        MissingDependencyError: ``duckdb`` (or, for S3, ``s3fs``) is not installed.
    """
    try:
        import duckdb as duckdb_module
    except ImportError as err:
        raise MissingDependencyError(
            "lab_workbook.duckdb() needs DuckDB: pip install 'lab-workbook[duckdb]' (or pip install duckdb)"
        ) from err
    config = load_config(prefix)
    location = config.location
    connection = duckdb_module.connect()
    if location.scheme == "s3":
        connection.register_filesystem(_s3_filesystem(config.endpoint_url))
        root = location.url
    else:
        root = location.url.removeprefix("file://")
    connection.execute(f"SET VARIABLE store = {_quote(root)}")
    connection.register("run_records", _run_records(prefix))
    connection.execute(
        "CREATE VIEW runs AS "
        + RUNS_SQL.format(intervals=STALE_INTERVALS, default=DEFAULT_HEARTBEAT_SECONDS, minimum=MIN_STALE_SECONDS)
    )
    if params:
        files = _quote(root + "*/" + params)
        connection.execute("CREATE VIEW parameters AS " + _PARAMETERS_SQL.format(files=files))
    return connection


def _run_records(prefix: str | os.PathLike[str] | None) -> Any:
    """The listed runs' records (runs without one, the original tool's, are left out) as an Arrow table."""
    import pyarrow as pa

    from ._repository import ExperimentRepository

    wb = ExperimentRepository(prefix)
    infos = [exp.info for exp in wb.read_records(wb.tags())]
    wb.save_cache()
    wb.update_index()
    infos = [info for info in infos if info]
    columns = {}
    for name, kind in _RECORD_COLUMNS.items():
        values = [info.get(name) for info in infos]
        if kind == "time":
            columns[name] = pa.array([parse_time(v) for v in values], pa.timestamp("us", tz="UTC"))
        elif kind == "double":
            numbers = [float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None for v in values]
            columns[name] = pa.array(numbers, pa.float64())
        else:
            columns[name] = pa.array([v if isinstance(v, str) else None for v in values], pa.string())
    return pa.table(columns)


def _s3_filesystem(endpoint_url: str | None) -> Any:
    try:
        import s3fs
    except ImportError as err:
        raise MissingDependencyError(
            "lab_workbook.duckdb() on an S3 store needs s3fs: pip install 'lab-workbook[duckdb]' (or pip install s3fs)"
        ) from err
    return s3fs.S3FileSystem(endpoint_url=endpoint_url) if endpoint_url else s3fs.S3FileSystem()
