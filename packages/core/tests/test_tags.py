"""Tag shape, order, randomness source, uniqueness under concurrent claims, and claims read back."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
import json
import random
import subprocess
import sys
import threading
import time
from urllib.parse import unquote
import warnings

from lab_workbook_core import (
    AlreadyExists,
    InvalidNameError,
    NoConditionalWritesWarning,
    TagTaken,
    claim_lost,
    claim_run,
    claim_tag,
    load_config,
    new_tag,
    open_storage,
)
from lab_workbook_core.keys import run_record_key
from lab_workbook_core.tags import TAG_PATTERN, validate_tag
import pytest


def test_tag_shape_is_utc_minute_dash_ten_alphanumerics():
    tag = new_tag(datetime(2016, 2, 14, 23, 41, 59, tzinfo=UTC))
    assert TAG_PATTERN.match(tag)
    assert tag.startswith("201602142341-")


def test_lexicographic_order_is_chronological():
    earlier = new_tag(datetime(2016, 2, 14, 23, 41, tzinfo=UTC))
    later = new_tag(datetime(2016, 2, 15, 0, 1, tzinfo=UTC))
    assert sorted([later, earlier]) == [earlier, later]


def test_tags_of_one_minute_sort_by_millisecond():
    base = datetime(2026, 11, 30, 2, 11, tzinfo=UTC)
    moments = [
        base.replace(second=s, microsecond=ms * 1000)
        for s, ms in [(0, 0), (0, 1), (0, 61), (0, 999), (1, 0), (59, 999)]
    ]
    tags = [new_tag(m) for m in moments]
    for _ in range(20):  # the random part never overrides the clock part
        assert sorted(random.sample(tags, len(tags))) == tags
    assert all(TAG_PATTERN.match(t) for t in tags)


def test_the_millisecond_is_the_first_three_characters_after_the_dash():
    tag = new_tag(datetime(2026, 11, 30, 2, 11, 59, 999_000, tzinfo=UTC))
    assert tag[13:16] == "Fbj"  # 59,999 = 15*62**2 + 37*62 + 45: "F", "b", "j" in 0-9A-Za-z
    assert new_tag(datetime(2026, 11, 30, 2, 11, tzinfo=UTC))[13:16] == "000"


def test_tags_do_not_depend_on_the_global_random_state():
    random.seed(0)
    first = new_tag()
    random.seed(0)
    assert new_tag() != first


def test_claim_writes_the_record_create_only(store_prefix):
    storage = open_storage(load_config(store_prefix))
    tag = claim_tag(storage, lambda t: f'{{"tag": "{t}"}}'.encode())
    assert storage.get_bytes(run_record_key(tag)) == f'{{"tag": "{tag}"}}'.encode()
    with pytest.raises(AlreadyExists, match="already used"):
        claim_tag(storage, lambda t: b"{}", tag=tag)


def test_user_chosen_tags_are_single_components():
    assert validate_tag("my-run") == "my-run"
    for bad in ("", "a/b", "..", "x\x00"):
        with pytest.raises(InvalidNameError):
            validate_tag(bad)


def test_concurrent_claims_of_one_tag_have_exactly_one_winner(store_prefix):
    storage = open_storage(load_config(store_prefix))

    def attempt(i: int) -> bool:
        try:
            claim_tag(storage, lambda t: str(i).encode(), tag="contested")
            return True
        except AlreadyExists:
            return False

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(attempt, range(64)))
    assert outcomes.count(True) == 1


CLAIMER = """
import sys
from lab_workbook_core import claim_tag, load_config, open_storage
storage = open_storage(load_config(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    print(claim_tag(storage, lambda t: b"{}"))
"""


@pytest.mark.slow
def test_a_thousand_claims_from_parallel_processes_in_one_minute_are_unique(store_prefix):
    """1,000 tags claimed by 8 processes at once: all distinct, and each run record exists."""
    procs = [
        subprocess.Popen([sys.executable, "-c", CLAIMER, store_prefix, "125"], stdout=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    tags = [line for p in procs for line in p.communicate(timeout=240)[0].split()]
    assert all(p.returncode == 0 for p in procs)
    assert len(tags) == 1000 and len(set(tags)) == 1000
    listing = open_storage(load_config(store_prefix)).list("")
    assert len(listing.prefixes) == 1000


# -- nonces, the probe, and stores that do not honour conditional writes (issue 21) ------------


def _record(tag: str, nonce: str) -> bytes:
    return json.dumps({"tag": tag, "nonce": nonce, "host": "here"}).encode()


def test_a_claim_on_an_honouring_store_costs_a_check_the_write_and_one_refused_probe(store_prefix):
    storage = open_storage(load_config(store_prefix))
    claim = claim_run(storage, lambda t: _record(t, "ours"))
    assert claim.conditional and claim.nonce == "ours"
    assert dict(storage.requests) == {"head": 1, "put": 2}
    assert json.loads(storage.get_bytes(run_record_key(claim.tag)))["nonce"] == "ours"


def test_a_store_that_ignores_if_none_match_is_detected_and_the_claim_read_back(fault_proxy, quirk_prefix):
    fault_proxy.faults.if_none_match = "ignore"
    storage = open_storage(load_config(quirk_prefix))
    with pytest.warns(NoConditionalWritesWarning, match="ignores conditional writes.*read.*back"):
        claim = claim_run(storage, lambda t: _record(t, "ours"), "mine", settle=0)
    assert (claim.tag, claim.nonce, claim.conditional) == ("mine", "ours", False)
    assert dict(storage.requests) == {"head": 1, "put": 2, "get": 1}


def test_a_store_answering_501_is_read_back_too(fault_proxy, quirk_prefix):
    fault_proxy.faults.if_none_match = "501"
    storage = open_storage(load_config(quirk_prefix))
    with pytest.warns(NoConditionalWritesWarning, match="501"):
        claim = claim_run(storage, lambda t: _record(t, "ours"), "mine", settle=0)
    assert not claim.conditional
    assert storage.requests["get"] == 1


def test_the_warning_is_given_once_per_store(fault_proxy, quirk_prefix):
    fault_proxy.faults.if_none_match = "ignore"
    storage = open_storage(load_config(quirk_prefix))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        claim_run(storage, lambda t: _record(t, "a"), "first", settle=0)
        claim_run(storage, lambda t: _record(t, "b"), "second", settle=0)
    assert [w.category for w in caught] == [NoConditionalWritesWarning]


def _overwrite_after_the_probe(fault_proxy, storage, data: bytes) -> threading.Thread:
    """A racer whose write lands while the claim settles: after the store answered the claim's second PUT.

    (Answered, not only seen by the proxy: a racer's PUT sent while the probe is still on its way to
    the store could land first, and the probe would then overwrite it.)
    """

    def racer() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            puts = [s for s in list(fault_proxy.seen) if s.method == "PUT" and "run.json" in s.path]
            if len(puts) >= 2 and puts[1].answered is not None:
                key = unquote(puts[1].path.split("?")[0]).split("/experiments/", 1)[1]
                storage.put_bytes(key, data)
                return
            time.sleep(0.01)

    thread = threading.Thread(target=racer)
    thread.start()
    return thread


def test_a_users_tag_whose_record_read_back_is_anothers_is_refused(fault_proxy, quirk_prefix):
    fault_proxy.faults.if_none_match = "ignore"
    storage = open_storage(load_config(quirk_prefix))
    racer = _overwrite_after_the_probe(fault_proxy, open_storage(load_config(quirk_prefix)), _record("x", "theirs"))
    with pytest.warns(NoConditionalWritesWarning), pytest.raises(TagTaken, match="'contested' was claimed at the"):
        claim_run(storage, lambda t: _record(t, "ours"), "contested", settle=2)
    racer.join()
    assert json.loads(storage.get_bytes(run_record_key("contested")))["nonce"] == "theirs"


def test_a_generated_tag_whose_record_read_back_is_anothers_is_given_up_for_a_fresh_one(fault_proxy, quirk_prefix):
    fault_proxy.faults.if_none_match = "ignore"
    storage = open_storage(load_config(quirk_prefix))
    racer = _overwrite_after_the_probe(fault_proxy, open_storage(load_config(quirk_prefix)), _record("x", "theirs"))
    with pytest.warns(NoConditionalWritesWarning):
        claim = claim_run(storage, lambda t: _record(t, "ours"), settle=2)
    racer.join()
    first = storage.list("").prefixes
    assert len(first) == 2 and f"{claim.tag}/" in first
    (lost,) = [p.removesuffix("/") for p in first if p != f"{claim.tag}/"]
    assert json.loads(storage.get_bytes(run_record_key(lost)))["nonce"] == "theirs"
    assert json.loads(storage.get_bytes(run_record_key(claim.tag)))["nonce"] == "ours"


def test_claim_lost_names_the_run_that_holds_the_tag(store_prefix):
    storage = open_storage(load_config(store_prefix))
    claim = claim_run(storage, lambda t: _record(t, "ours"), "mine")
    assert claim_lost(storage, claim) is None
    storage.put_bytes(run_record_key("mine"), json.dumps({"nonce": "theirs", "host": "gpu-7", "pid": 42}).encode())
    assert (
        claim_lost(storage, claim)
        == f"the run record {storage.url(run_record_key('mine'))} is another run's (on gpu-7 pid 42)"
    )
    storage.delete([run_record_key("mine")])
    assert "is gone" in (claim_lost(storage, claim) or "")


def test_a_claim_whose_earlier_write_landed_is_still_ours(store_prefix):
    """A claim retried after its answer was lost finds its own record (same nonce): not another run's."""
    storage = open_storage(load_config(store_prefix))
    storage.put_bytes(run_record_key("mine"), _record("mine", "ours"))
    assert claim_run(storage, lambda t: _record(t, "ours"), "mine").tag == "mine"
    with pytest.raises(AlreadyExists, match="already used"):
        claim_run(storage, lambda t: _record(t, "other"), "mine")
