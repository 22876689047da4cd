"""What ``lab-workbook doctor`` asks of a store beyond plain reads and writes.

Each probe writes under the doctor's dot-folder (never taken for an experiment),
removes what it wrote, and answers a :class:`Check` saying what the store does and,
when lab-workbook needs the user to act, exactly what to set. The probed features and
the guarantees that depend on them are listed in docs/reliability.md, "Stores".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import secrets

from lab_workbook_core import AlreadyExists, Config, LabWorkbookError, Storage, StoreFeatureMissing, open_storage

__all__ = ["Check", "probe_batch_deletes", "probe_checksums", "probe_conditional_writes"]


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
            "before claiming a tag, so tags are never reused, but two runs claiming the same tag at the same "
            "moment are not excluded. Nothing to set; for race-free claims use a store with conditional writes",
            warning=True,
        )
    except StoreFeatureMissing:
        return Check(
            "conditional writes",
            True,
            "the store does not implement If-None-Match (501): lab-workbook checks before claiming a tag "
            "(tags are never reused; simultaneous claims of one tag are not excluded). Nothing to set",
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
        return Check("checksums", True, f"flexible checksums accepted; checksum mode {mode} (from {source})")
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
