"""Every error lab-workbook raises, in one tree.

Catch ``LabWorkbookError`` to handle anything of ours; catch the builtin a class
also derives from (``KeyError``, ``ValueError``, ``FileNotFoundError`` ...) where
the meaning is a builtin one, so ordinary Python code works unchanged::

    LabWorkbookError
    ├── ConfigError (ValueError)           bad config file, prefix or setting
    ├── InvalidNameError (ValueError)      artifact name that could escape the store
    ├── InvalidValueError (ValueError)     a value that cannot be recorded as asked
    ├── ExperimentClosedError (RuntimeError)  write to a closed experiment
    ├── NotFoundError (KeyError)           ``[]``-indexing found nothing
    │   ├── ExperimentNotFound
    │   └── ArtifactNotFound
    ├── CorruptArtifactError (ValueError)  an artifact that cannot be parsed
    ├── MissingDependencyError (ImportError)  an optional package is needed
    ├── SpoolError (OSError)               the writer's local spool disk failed (full, read-only...)
    ├── RunFinished                        resuming a finished run (it never changes: fork it)
    ├── RunBusy                            resuming a run whose writer is alive (fresh heartbeat)
    └── StorageError (OSError)             the store failed us
        ├── ObjectNotFound (FileNotFoundError)
        ├── AccessDenied (PermissionError)
        ├── BucketNotFound                     the bucket named in the prefix does not exist
        ├── AlreadyExists (FileExistsError)   a create-only write lost the race
        │   ├── TagTaken                       another run's record holds this run's tag
        │   └── AttemptTaken                   another process claimed this attempt of a resumed run
        ├── CredentialsError (PermissionError)
        ├── StoreFeatureMissing                the store lacks a feature (conditional writes...)
        ├── ChecksumMismatch                   the store refused bytes whose checksum did not match
        └── StorageUnavailable (ConnectionError)  worth retrying later: throttling, 5xx, a dropped connection
            └── StoreUnreachable                  nothing answers: connection refused, connect or read timeout

Every message says what to do next. Which ones are worth retrying: a
``StorageUnavailable`` (and a ``ChecksumMismatch``: the bytes were damaged on the way);
``AccessDenied``, ``CredentialsError``, ``BucketNotFound`` and ``StoreFeatureMissing``
fail the same way until someone changes the store or the configuration.
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "AlreadyExists",
    "ArtifactNotFound",
    "AttemptTaken",
    "BucketNotFound",
    "ChecksumMismatch",
    "ConfigError",
    "CorruptArtifactError",
    "CredentialsError",
    "ExperimentClosedError",
    "ExperimentNotFound",
    "InvalidNameError",
    "InvalidValueError",
    "LabWorkbookError",
    "MissingDependencyError",
    "NotFoundError",
    "ObjectNotFound",
    "RunBusy",
    "RunFinished",
    "SpoolError",
    "StorageError",
    "StorageUnavailable",
    "StoreFeatureMissing",
    "StoreUnreachable",
    "TagTaken",
]


class LabWorkbookError(Exception):
    """Base of every error lab-workbook raises."""


class ConfigError(LabWorkbookError, ValueError):
    """The configuration (file, environment or argument) cannot be used."""


class InvalidNameError(LabWorkbookError, ValueError):
    """An artifact or series name that is empty, reserved or could reach outside the store."""


class InvalidValueError(LabWorkbookError, ValueError):
    """A value that cannot be recorded as asked (not JSON, not finite, unknown field...)."""


class ExperimentClosedError(LabWorkbookError, RuntimeError):
    """A write to an experiment that was already closed: experiments are immutable once closed."""


class NotFoundError(LabWorkbookError, KeyError):
    """``[]``-indexing found nothing. A ``KeyError``, so ``dict``-style code keeps working."""

    def __str__(self) -> str:  # KeyError would repr() the message; show it as written.
        return str(self.args[0]) if self.args else ""


class ExperimentNotFound(NotFoundError):
    """No experiment with this tag under the store's prefix."""


class ArtifactNotFound(NotFoundError):
    """The experiment has no artifact of this name."""


class CorruptArtifactError(LabWorkbookError, ValueError):
    """An artifact exists but cannot be parsed as its kind (bad CSV, bad JSON...)."""


class MissingDependencyError(LabWorkbookError, ImportError):
    """An optional package (torch, pygments, torchfile...) is needed for this call."""


class SpoolError(LabWorkbookError, OSError):
    """The writer could not write to its local spool (disk full, file too large, read-only...).

    Not a :class:`StorageError`: the store may be fine; it is the local disk that
    holds unsent data which failed, so the fix is local (free space, or point
    ``LAB_WORKBOOK_SPOOL_DIR`` at a larger disk).
    """


class RunFinished(LabWorkbookError):
    """``new_experiment(resume=TAG)`` of a run whose status is ``finished``: a finished run never changes.

    The way out is a new run that names it as parent: ``new_experiment(fork=TAG, step=N)``.
    """


class RunBusy(LabWorkbookError):
    """``new_experiment(resume=TAG)`` of a run still ``running`` with a fresh heartbeat: another process writes it.

    If that process is known to be gone (its node was reclaimed before the heartbeat went
    stale), ``force=True`` resumes it all the same.
    """


class StorageError(LabWorkbookError, OSError):
    """The store (S3 or local folder) failed an operation."""


class ObjectNotFound(StorageError, FileNotFoundError):
    """No object under this key."""


class AccessDenied(StorageError, PermissionError):
    """The store refused the operation."""


class BucketNotFound(StorageError):
    """The bucket named in the prefix does not exist (S3 ``NoSuchBucket``).

    Not an :class:`ObjectNotFound`: no key under it can be read or written, and retrying
    will not create it. The fix is the prefix (``lab-workbook config``) or creating the bucket.
    """


class AlreadyExists(StorageError, FileExistsError):
    """A create-only write found the key taken."""


class TagTaken(AlreadyExists):
    """Another run holds the tag: its run record, read back, is not this run's (its ``nonce`` differs).

    On a store that ignores or lacks conditional writes two runs can both believe they
    claimed one tag; reading the record back tells which one did.
    """


class AttemptTaken(AlreadyExists):
    """Another process claimed the same attempt of a resumed run first (two copies of one job resumed at once).

    The store let exactly one create the attempt's claim object; this process lost, wrote
    nothing, and should stop: the other one continues the run.
    """


class CredentialsError(StorageError, PermissionError):
    """No usable credentials for the store."""


class StoreFeatureMissing(StorageError):
    """The store answered ``501 NotImplemented``: it lacks a feature (conditional writes, batch deletes...).

    Not an outage: retrying will not help. Callers fall back where they can.
    """


class ChecksumMismatch(StorageError):
    """The store refused a write because the bytes it received do not match the checksum sent with them.

    S3 answers ``BadDigest`` (``InvalidDigest`` for a malformed ``Content-MD5``; MinIO
    ``XAmzContentChecksumMismatch``): the bytes were damaged on the way, and nothing was
    stored. Sending them again is the fix. ``lab-workbook doctor`` provokes it on purpose
    to learn whether a store verifies what it receives.
    """


class StorageUnavailable(StorageError, ConnectionError):
    """The store cannot be reached right now; worth retrying later."""


class StoreUnreachable(StorageUnavailable):
    """Nothing answered: the connection was refused, or connecting or the answer timed out.

    Unlike a store that answers ``503 SlowDown`` or ``500`` (busy, but there), a store that
    does not answer at all will not answer the next request either: a writer's ``flush()``
    stops waiting for it at once instead of waiting out its timeout.
    """
