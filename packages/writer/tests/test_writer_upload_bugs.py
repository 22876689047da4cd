"""A bug while sending an upload surfaces as one: logged with its traceback, given up, never retried (issue 22)."""

from __future__ import annotations

import logging
import time

from lab_workbook_core import Storage, load_config, open_storage
from lab_workbook_writer._spool import Destination, ExperimentSpool
from lab_workbook_writer._uploader import Uploader


class _BuggyUpload:
    """An upload (a :class:`~lab_workbook_writer._spool.Job`) whose code has a bug."""

    def __init__(self) -> None:
        self.calls = 0

    def upload(self, storage: Storage) -> int:
        self.calls += 1
        return len(None)  # type: ignore[arg-type]  # the bug: a TypeError, neither ours nor an OSError


def test_a_bug_while_sending_is_logged_with_its_traceback_given_up_and_never_retried(tmp_path, caplog):
    storage = open_storage(load_config(f"{tmp_path / 'store'}/"))
    spool = ExperimentSpool.create(tmp_path / "spool", Destination(storage.location.url, None, "run"))
    uploader = Uploader(storage, spool, label="run", max_backoff=0.05)
    job = _BuggyUpload()
    with caplog.at_level(logging.ERROR, logger="lab_workbook_writer"):
        entry = uploader.submit_job(job, group="loss")
        assert uploader.wait(entry.seq, timeout=10) is False
        time.sleep(0.5)  # retries 0.05 s apart would have called it again by now
    uploader.stop()
    assert job.calls == 1
    assert [(e.seq, type(err)) for e, err in uploader.lost] == [(entry.seq, TypeError)]
    bug = [r for r in caplog.records if r.name == "lab_workbook_writer" and r.levelno == logging.ERROR]
    assert bug and "bug in lab-workbook" in bug[0].getMessage() and "len(None)" in bug[0].exc_text
