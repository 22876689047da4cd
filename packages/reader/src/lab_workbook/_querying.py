"""SQL over the store in place: a DuckDB connection with the store's runs and parameters as views.

No server of ours and no copy: DuckDB reads the run records, parameter files and
series where they are (``docs/querying.md`` has the recipes, which also work without
this helper). On S3 the store is read through an ``s3fs`` filesystem registered
with DuckDB, because DuckDB's own ``httpfs`` extension is downloaded at ``INSTALL``
time (impossible offline); boto's usual settings apply (``AWS_ENDPOINT_URL_S3``,
profiles, the config file's ``endpointUrl``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from lab_workbook_core import MissingDependencyError, load_config
from lab_workbook_core.keys import run_record_key
from lab_workbook_core.record import DEFAULT_HEARTBEAT_SECONDS, MIN_STALE_SECONDS, STALE_INTERVALS

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
FROM read_json({records}, columns = {{
  tag: 'VARCHAR', status: 'VARCHAR', started: 'TIMESTAMPTZ', ended: 'TIMESTAMPTZ',
  heartbeat: 'TIMESTAMPTZ', heartbeat_interval: 'DOUBLE', description: 'VARCHAR',
  host: 'VARCHAR', git_commit: 'VARCHAR'}})
"""

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
    records = _quote(root + run_record_key("*"))
    connection.execute(
        "CREATE VIEW runs AS "
        + RUNS_SQL.format(
            records=records, intervals=STALE_INTERVALS, default=DEFAULT_HEARTBEAT_SECONDS, minimum=MIN_STALE_SECONDS
        )
    )
    if params:
        files = _quote(root + "*/" + params)
        connection.execute("CREATE VIEW parameters AS " + _PARAMETERS_SQL.format(files=files))
    return connection


def _s3_filesystem(endpoint_url: str | None) -> Any:
    try:
        import s3fs
    except ImportError as err:
        raise MissingDependencyError(
            "lab_workbook.duckdb() on an S3 store needs s3fs: pip install 'lab-workbook[duckdb]' (or pip install s3fs)"
        ) from err
    return s3fs.S3FileSystem(endpoint_url=endpoint_url) if endpoint_url else s3fs.S3FileSystem()
