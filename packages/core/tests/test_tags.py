"""Tag shape, order, randomness source and uniqueness under concurrent claims."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
import random
import subprocess
import sys

from lab_workbook_core import AlreadyExists, InvalidNameError, claim_tag, load_config, new_tag, open_storage
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
