"""``lab-workbook doctor``: is the store usable from here, and if not, what to fix.

The checks run in order and each says what to do when it fails: the config parses,
credentials exist (S3 only; their *source* is shown, never a secret), the store
answers a listing, a probe object can be created, read back and deleted under
the prefix, and then what S3-compatible stores differ in (:mod:`lab_workbook_cli._probes`):
conditional writes, flexible-checksum headers, whether the store verifies checksums (bytes
sent with a deliberately wrong one must be refused) and batch deletes. The probe key, ``.lab-workbook-doctor/probe-<random>``, starts with a dot
so it can never be taken for an experiment, and is removed at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
import os
from pathlib import Path
import secrets

from lab_workbook_core import LabWorkbookError, Storage, load_config, open_storage
from rich.text import Text
import typer

from .._options import JsonOption, PrefixOption
from .._output import make_table, print_json, print_table, stdout_console
from .._probes import Check, probe_batch_deletes, probe_checksums, probe_conditional_writes, probe_integrity

__all__ = ["PROBE_DIR", "doctor"]

PROBE_DIR = ".lab-workbook-doctor"
_CREDENTIAL_SOURCES = {
    "env": "environment variables",
    "shared-credentials-file": "the shared credentials file (~/.aws/credentials)",
    "config-file": "the AWS config file",
    "iam-role": "the instance's IAM role",
    "container-role": "the container's IAM role",
    "assume-role": "an assumed role",
    "sso": "AWS SSO",
}


def doctor(prefix: PrefixOption = None, json: JsonOption = False) -> None:
    """Check the config, credentials, store access and write permission, and say what to fix."""
    checks = list(_run_checks(prefix))
    healthy = all(c.ok is not False for c in checks)
    if json:
        print_json({"ok": healthy, "checks": [asdict(c) for c in checks]})
    else:
        _print(checks)
    if not healthy:
        raise typer.Exit(1)


def _run_checks(prefix: str | None) -> Iterator[Check]:
    try:
        cfg = load_config(prefix)
    except LabWorkbookError as err:
        yield Check("config", False, str(err))
        for name in ("credentials", "store", "write"):
            yield Check(name, None, "skipped: fix the config first")
        return
    yield Check("config", True, f"prefix {cfg.location.url} (from {cfg.sources.get('prefix', '?')})")
    try:
        storage = open_storage(cfg, max_attempts=1)
    except LabWorkbookError as err:
        yield Check("credentials", False, str(err))
        return
    credentials = _credentials(storage)
    yield credentials
    if credentials.ok is False:
        for name in ("store", "write"):
            yield Check(name, None, "skipped: fix the credentials first")
        return
    missing = storage.missing_folder()
    if missing is not None:  # a mistyped prefix, or no run yet: say so, and create nothing
        yield Check(
            "store",
            True,
            f"the folder {missing} does not exist, so it holds no runs. A training run creates it; if runs "
            "should be there, the prefix is mistyped (`lab-workbook config` shows where it comes from)",
            warning=True,
        )
        yield _creatable(missing)
        for name in ("conditional writes", "checksums", "integrity", "deletes"):
            yield Check(name, None, "skipped: the folder does not exist (doctor creates nothing)")
        return
    try:
        listing = storage.list("", delimiter="/")
    except LabWorkbookError as err:
        yield Check("store", False, str(err))
        yield Check("write", None, "skipped: the store cannot be listed")
        return
    yield Check("store", True, f"{_where(storage)} answers; {len(listing.prefixes)} experiment folder(s)")
    write = _write_probe(storage)
    yield write
    if not write.ok:  # the checksum probe may tell why (a store refusing flexible-checksum headers)
        yield Check("conditional writes", None, "skipped: the store refuses writes")
        yield probe_checksums(storage, cfg, PROBE_DIR)
        yield Check("integrity", None, "skipped: the store refuses writes")
        yield Check("deletes", None, "skipped: the store refuses writes")
        return
    yield probe_conditional_writes(storage, PROBE_DIR)
    yield probe_checksums(storage, cfg, PROBE_DIR)
    yield probe_integrity(storage, PROBE_DIR)
    yield probe_batch_deletes(storage, PROBE_DIR)


def _credentials(storage: Storage) -> Check:
    if storage.location.scheme != "s3":
        return Check("credentials", True, "not needed for a local folder")
    method = _credential_method(storage)
    if method is None:
        return Check(
            "credentials",
            False,
            "no AWS credentials found: run `aws configure`, or set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)",
        )
    return Check("credentials", True, f"found, from {_CREDENTIAL_SOURCES.get(method, method)}")


def _credential_method(storage: Storage) -> str | None:
    """How boto3's chain found credentials ("env", "iam-role"...), or None; never the secret itself."""
    return storage.credential_source()


def _where(storage: Storage) -> str:
    endpoint = storage.endpoint_url
    return f"{storage.location.url} at {endpoint}" if endpoint else storage.location.url


def _creatable(folder: Path) -> Check:
    """Could a training run create ``folder``? Asked of its nearest existing parent, creating nothing."""
    parent = next(p for p in folder.parents if p.exists())
    if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
        return Check("write", True, f"not tried (nothing is created): {parent} is writable, so a run can create it")
    return Check(
        "write", False, f"a run cannot create {folder}: {parent} is not a writable folder; fix the prefix or its rights"
    )


def _write_probe(storage: Storage) -> Check:
    key = f"{PROBE_DIR}/probe-{secrets.token_hex(8)}"
    payload = b"lab-workbook doctor probe: safe to delete\n"
    try:
        storage.put_bytes(key, payload)
    except LabWorkbookError as err:
        return Check("write", False, f"cannot create a probe object: {err}")
    problem = None
    try:
        if storage.get_bytes(key) != payload:
            problem = f"the probe {storage.url(key)} read back different bytes"
    except LabWorkbookError as err:
        problem = f"cannot read back the probe: {err}"
    try:
        storage.delete([key])
    except LabWorkbookError as err:
        return Check("write", False, f"created {storage.url(key)} but cannot delete it ({err}); delete it by hand")
    if problem:
        return Check("write", False, problem)
    return Check("write", True, f"created, read back and deleted {storage.url(key)}")


def _print(checks: list[Check]) -> None:
    console = stdout_console()
    marks = {True: Text("ok", style="green"), False: Text("FAIL", style="red"), None: Text("skip", style="dim")}
    table = make_table("check", "result", "detail")
    for check in checks:
        mark = Text("warn", style="yellow") if check.warning else marks[check.ok]
        table.add_row(check.name, mark, check.detail)
    print_table(table, console)
