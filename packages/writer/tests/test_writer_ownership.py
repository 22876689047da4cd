"""A run's checks that it still holds its tag (stores without conditional writes): bounded, and final once lost."""

from __future__ import annotations

import json

from lab_workbook_core import Claim, TagTaken, load_config, open_storage
from lab_workbook_core.keys import run_record_key
from lab_workbook_writer._ownership import Ownership
import pytest

OURS = json.dumps({"tag": "mine", "nonce": "ours"}).encode()


@pytest.fixture
def ownership(local_prefix) -> Ownership:
    storage = open_storage(load_config(local_prefix))
    storage.put_bytes(run_record_key("mine"), OURS)
    storage.requests.clear()
    return Ownership(storage, Claim("mine", "ours", conditional=False))


def test_a_recent_check_vouches_for_the_next_writes_without_a_read(ownership):
    ownership.check()
    ownership.check()
    ownership.check()
    assert ownership.storage.requests["get"] == 1


def test_a_write_of_the_run_record_always_reads_it_back_first(ownership):
    ownership.check(fresh=True)
    ownership.check(fresh=True)
    assert ownership.storage.requests["get"] == 2


def test_a_check_finds_another_runs_record_and_the_tag_stays_lost_without_more_reads(ownership):
    ownership.storage.put_bytes(run_record_key("mine"), json.dumps({"nonce": "theirs", "host": "gpu-7"}).encode())
    with pytest.raises(TagTaken, match="is another run's \\(on gpu-7\\)"):
        ownership.check(fresh=True)
    ownership.storage.put_bytes(run_record_key("mine"), OURS)  # even if the record came back
    reads = ownership.storage.requests["get"]
    with pytest.raises(TagTaken):
        ownership.check(fresh=True)
    assert ownership.storage.requests["get"] == reads
