"""What ``lab-workbook doctor`` asks of a store beyond plain reads and writes.

Each probe writes under the doctor's dot-folder (never taken for an experiment),
removes what it wrote, and answers a :class:`Check` saying what the store does and,
when lab-workbook needs the user to act, exactly what to set. The probed features and
the guarantees that depend on them are listed in docs/reliability.md, "Stores".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import secrets

from lab_workbook_core import (
    AlreadyExists,
    ChecksumMismatch,
    Config,
    LabWorkbookError,
    Storage,
    StoreFeatureMissing,
    open_storage,
)
from lab_workbook_core.storage import ChecksumAlgorithm, object_checksum

__all__ = ["Check", "probe_batch_deletes", "probe_checksums", "probe_conditional_writes", "probe_integrity"]


@dataclass
class Check:
    """One line of the doctor's report.

    Attributes:
        name: what was checked.
        ok: ``True``, ``False``, or ``None`` when skipped because an earlier check failed.
        detail: what was found and, on failure, what to do.
        warning: it works, with a weaker guarantee the user should know about.
    """

    name: str
    ok: bool | None
    detail: str
    warning: bool = False


def _probe_key(folder: str) -> str:
    return f"{folder}/probe-{secrets.token_hex(8)}"


def probe_conditional_writes(storage: Storage, folder: str) -> Check:
    """Does a create-only write (``If-None-Match: *``) refuse an existing key? (Race-free tag claims.)"""
    key = _probe_key(folder)
    try:
        storage.put_bytes(key, b"first\n", if_absent=True)
        try:
            storage.put_bytes(key, b"second\n", if_absent=True)
        except AlreadyExists:
            return Check("conditional writes", True, "create-only writes are honoured: tag claims are race-free")
        return Check(
            "conditional writes",
            True,
            "the store IGNORES If-None-Match (a create-only write replaced an object): lab-workbook checks "
            "before claiming a tag, so tags are never reused, and reads its claim back a second later and "
            "before each write, so of two runs claiming one tag at the same moment one stops and keeps its "
            "data; that is not race-free (docs/reliability.md). Nothing to set; for race-free claims use a "
            "store with conditional writes",
            warning=True,
        )
    except StoreFeatureMissing:
        return Check(
            "conditional writes",
            True,
            "the store does not implement If-None-Match (501): lab-workbook checks before claiming a tag "
            "(tags are never reused) and reads its claim back a second later and before each write "
            "(simultaneous claims of one tag are not excluded; one run stops and keeps its data). Nothing to set",
            warning=True,
        )
    except LabWorkbookError as err:
        return Check("conditional writes", False, f"the create-only probe failed: {err}")
    finally:
        _remove(storage, [key])


def probe_checksums(storage: Storage, config: Config, folder: str) -> Check:
    """Does the store take boto3's flexible-checksum headers, and is the configured mode one that works?"""
    if storage.location.scheme != "s3":
        return Check("checksums", True, "not applicable to a local folder")
    mode = getattr(storage, "checksum_mode", None) or "when_supported"
    source = config.sources.get("checksum_mode", "boto3's default")
    key = _probe_key(folder)
    try:
        flexible = (
            storage
            if mode == "when_supported"
            else open_storage(replace(config, checksum_mode="when_supported"), max_attempts=1)
        )
        flexible.put_bytes(key, b"checksum probe\n")
        accepted = True
    except LabWorkbookError as err:
        accepted, why = False, str(err)
    finally:
        _remove(storage, [key])
    if accepted:
        return Check(
            "checksums",
            True,
            f"the store accepts flexible-checksum headers (whether it checks them: see integrity); "
            f"checksum mode {mode} (from {source})",
        )
    if mode == "when_supported":
        return Check(
            "checksums",
            False,
            f"the store rejects boto3's flexible-checksum headers ({why}). Set `checksumMode = when_required` "
            "in the config file, or AWS_REQUEST_CHECKSUM_CALCULATION=when_required",
        )
    return Check(
        "checksums",
        True,
        f"the store rejects flexible-checksum headers; checksum mode {mode} (from {source}) avoids them: keep it",
    )


_INTEGRITY_PROBE = b"lab-workbook doctor: these bytes were sent with a deliberately wrong checksum\n"
_SENT: dict[ChecksumAlgorithm, str] = {"md5": "Content-MD5", "crc32": "CRC32"}


def probe_integrity(storage: Storage, folder: str) -> Check:
    """Does the store refuse bytes whose checksum is wrong, or store whatever arrives?

    A wrong ``Content-MD5`` (which every S3 store knows), then a wrong CRC32 (a flexible
    checksum, what boto3 sends in ``when_supported`` mode), each to a new probe key that is
    removed after. A store that verifies answers ``BadDigest``; one that does not stores them.
    """
    if storage.location.scheme != "s3":
        return Check("integrity", True, "not applicable to a local folder (its bytes cross no network)")
    refused: list[str] = []
    stored: list[str] = []
    unknown: list[str] = []
    for algorithm, sent in _SENT.items():
        key = _probe_key(folder)
        wrong = object_checksum(algorithm, _INTEGRITY_PROBE + b"(not these bytes)")
        try:
            storage.put_bytes_with_checksum(key, _INTEGRITY_PROBE, algorithm=algorithm, checksum=wrong)
            stored.append(sent)
        except ChecksumMismatch:
            refused.append(sent)
        except LabWorkbookError as err:
            unknown.append(f"a wrong {sent} could not be sent ({err})")
        finally:
            _remove(storage, [key])
    mode = getattr(storage, "checksum_mode", None) or "when_supported"
    uploads = (
        "uploads carry a CRC32 (checksum mode when_supported)"
        if mode == "when_supported"
        else f"uploads carry no checksum in checksum mode {mode}"
    )
    untold = f"; {'; '.join(unknown)}" if unknown else ""
    if stored:
        verdict = f"verifies {' and '.join(refused)} but NOT {' and '.join(stored)}" if refused else "does NOT verify"
        return Check(
            "integrity",
            True,
            f"the store {verdict} checksums: it stored bytes sent with a wrong {' and a wrong '.join(stored)}"
            f"{untold}. A body damaged on the way would be stored as it arrived; only TLS (an https:// endpoint) "
            "protects uploads then. Nothing to set; a store that verifies (AWS S3, MinIO) refuses such bytes",
            warning=True,
        )
    if not refused:
        return Check("integrity", None, f"could not tell whether the store verifies checksums{untold}")
    detail = f"the store verifies checksums: it refused a wrong {' and a wrong '.join(refused)}{untold}; {uploads}"
    if mode != "when_supported" and "CRC32" in refused:
        detail += " (`checksumMode = when_supported` would have every upload checked)"
    return Check("integrity", True, detail)


def probe_batch_deletes(storage: Storage, folder: str) -> Check:
    """Do batch deletes work (with ``Content-MD5``), or only one request per key?"""
    keys = [_probe_key(folder), _probe_key(folder)]
    try:
        for key in keys:
            storage.put_bytes(key, b"delete probe\n")
        before = storage.requests["delete"]
        storage.delete(keys)
        requests = storage.requests["delete"] - before
        left = [k for k in keys if storage.exists(k)]
    except LabWorkbookError as err:
        _remove(storage, keys)
        return Check("deletes", False, f"deleting probe objects failed: {err}; delete {folder}/ by hand")
    if left:
        return Check("deletes", False, f"the store answered a delete but kept {storage.url(left[0])}")
    if requests > 1 and storage.location.scheme == "s3":
        return Check(
            "deletes",
            True,
            "the store has no batch delete; lab-workbook deletes one object per request (slower cleanup). "
            "Nothing to set",
            warning=True,
        )
    return Check("deletes", True, "batch deletes work")


def _remove(storage: Storage, keys: list[str]) -> None:
    try:
        storage.delete(keys)
    except LabWorkbookError:
        pass
