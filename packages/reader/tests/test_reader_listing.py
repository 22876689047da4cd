"""Listing and indexing experiments: sorted by tag, one paginated listing, stray keys ignored."""

from concurrent.futures import ThreadPoolExecutor

from lab_workbook import ExperimentList, ExperimentNotFound, ExperimentTuple
import pytest

TAGS = ["201601201654-OApx8tj3ZU", "201602122146-ZN6z9mEs3B", "201602122149-PMJ8a76csB"]


def _three(store):
    for tag in reversed(TAGS):
        store.finished(tag, {"parameters.json": "{}"})


def test_experiments_are_sorted_by_tag(store):
    _three(store)
    wb = store.repository()
    assert [e.tag for e in wb[:]] == TAGS
    assert list(wb) == wb[:]
    assert len(wb) == 3


def test_ints_and_slices_index_in_tag_order(store):
    _three(store)
    wb = store.repository()
    assert wb[0].tag == TAGS[0]
    assert wb[-1].tag == TAGS[-1]
    assert [e.tag for e in wb[-2:]] == TAGS[1:]
    assert isinstance(wb[-2:], ExperimentList) and isinstance(wb[-2:], list)


def test_a_tuple_of_tags_gives_a_tuple_of_experiments(store):
    _three(store)
    pair = store.repository()[TAGS[0], TAGS[2]]
    assert isinstance(pair, ExperimentTuple) and isinstance(pair, tuple)
    assert [e.tag for e in pair] == [TAGS[0], TAGS[2]]


def test_contains_checks_tags(store):
    _three(store)
    wb = store.repository()
    assert TAGS[1] in wb
    assert "201602122149-nothere000" not in wb


def test_repr_is_the_originals(store):
    _three(store)
    assert repr(store.repository()[:]) == "[" + ", ".join(f"<Experiment: {t}>" for t in TAGS) + "]"


def test_stray_objects_beside_experiments_are_not_experiments(store):
    _three(store)
    store.storage.put_bytes("README", b"experiments of the CIFAR project")
    store.storage.put_bytes("notes.txt", b"x")
    assert [e.tag for e in store.repository()[:]] == TAGS


def test_a_console_folder_marker_is_not_an_experiment(s3_store):
    _three(s3_store)
    s3_store.storage.client.put_object(Bucket=s3_store.storage.bucket, Key="experiments/", Body=b"")
    assert [e.tag for e in s3_store.repository()[:]] == TAGS


def test_a_folder_starting_with_a_dot_is_not_an_experiment(store):
    _three(store)
    store.storage.put_bytes(".lab-workbook-doctor/probe-x1y2z3", b"probe")  # what `lab-workbook doctor` leaves briefly
    store.storage.put_bytes(".hidden/.lab-workbook/run.json", b"{}")
    wb = store.repository()
    assert [e.tag for e in wb[:]] == TAGS
    assert len(wb) == 3 and ".lab-workbook-doctor" not in wb
    with pytest.raises(ExperimentNotFound):
        wb[".lab-workbook-doctor"]


def test_unknown_tag_is_a_key_error_naming_close_matches(store):
    _three(store)
    with pytest.raises(ExperimentNotFound) as caught:
        store.repository()["201602122149-PMJ8a76csX"]
    assert isinstance(caught.value, KeyError)
    assert "201602122149-PMJ8a76csB" in str(caught.value)


def test_a_new_experiment_is_found_without_waiting_for_the_listing_to_expire(store):
    _three(store)
    wb = store.repository(refresh_seconds=3600)
    assert len(wb) == 3
    store.finished("201603010000-newnewnewA", {"a.txt": "x"})
    assert wb["201603010000-newnewnewA"].tag == "201603010000-newnewnewA"
    wb.refresh()
    assert len(wb) == 4


def test_listing_is_reused_for_indexing_in_a_loop(store):
    _three(store)
    wb = store.repository(refresh_seconds=3600)
    before = wb.storage.requests["list"]
    for i in range(10):
        wb[i % 3]
        wb[TAGS[i % 3]]
    assert wb.storage.requests["list"] - before == 1


def test_listing_1001_experiments_is_two_pages_and_the_index_folder(s3_store):
    """Past the first page the rest is listed in ranges cut at the runs index's tags: its folder is listed
    once (none here: the rest is one range); the next reader cuts at the listing kept on disk instead."""
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: s3_store.put(f"tag{i:05d}", "a.txt", b""), range(1001)))
    wb = s3_store.repository()
    wb.storage.requests.clear()
    assert len(wb[:]) == 1001
    assert dict(wb.storage.requests) == {"list": 3}
    again = s3_store.repository()
    assert len(again[:]) == 1001
    assert dict(again.storage.requests) == {"list": 2}  # two ranges, at once


def test_glued_prefix_lists_experiments_glued_to_it(s3_bucket, make_store):
    with pytest.warns(UserWarning, match="trailing"):
        glued = make_store(f"s3://{s3_bucket}/exp")
        glued.storage.put_bytes("201602142341-mn5SvgNxHY/a.txt", b"x")
        wb = glued.repository()
    assert [e.tag for e in wb[:]] == ["201602142341-mn5SvgNxHY"]


def test_read_records_fetches_each_record_once_and_none_a_new_process_knows(s3_store):
    tags = [f"2026010100{i:02d}-readRec{i:03d}" for i in range(12)]
    for tag in tags[:-1]:
        s3_store.finished(tag, {"a.txt": "x"}, description=f"run {tag[-3:]}")
    s3_store.record(tags[-1], "running")
    wb = s3_store.repository(refresh_seconds=3600)
    wb.storage.requests.clear()
    experiments = wb.read_records(tags)
    assert [e.tag for e in experiments] == tags
    assert dict(wb.storage.requests) == {"list": 1, "get": 12}  # one listing, one record each
    assert [wb[t].status for t in tags] == ["finished"] * 11 + ["running"]
    assert wb[tags[3]].description == "run 003"
    assert dict(wb.storage.requests) == {"list": 1, "get": 12}  # answered from what was read
    wb.save_cache()

    again = s3_store.repository()  # a new process: finished records come from the disk cache
    again.storage.requests.clear()
    again.read_records(tags)
    assert dict(again.storage.requests) == {"list": 1, "get": 1}  # only the running run's record
    assert again[tags[0]].status == "finished"


def test_read_records_does_not_list_again_when_the_listing_is_old(s3_store):
    tags = [f"2026010100{i:02d}-oldList{i:03d}" for i in range(3)]
    for tag in tags:
        s3_store.finished(tag, {"a.txt": "x"})
    wb = s3_store.repository(refresh_seconds=0)  # every listing is old at once
    assert wb.tags() == tags
    wb.storage.requests.clear()
    for tag in tags:  # as `lab-workbook list` reads chunk after chunk
        wb.read_records([tag])
    assert dict(wb.storage.requests) == {"get": 3}


def test_the_configured_listing_max_age_spares_a_later_reader_the_listing(s3_store, monkeypatch):
    """``LAB_WORKBOOK_LISTING_MAX_AGE`` (or ``listingMaxAge``) is the repository's ``listing_max_age``
    when none is given: the second table in the process takes the listing the first one kept."""
    for tag in TAGS:
        s3_store.finished(tag, {"parameters.json": "{}"})
    monkeypatch.setenv("LAB_WORKBOOK_LISTING_MAX_AGE", "3600")
    first = s3_store.repository()
    assert list(first.runs()["tag"]) == TAGS
    assert first.storage.requests["list"] >= 1

    second = s3_store.repository()
    assert list(second.runs()["tag"]) == TAGS
    assert second.storage.requests["list"] == 0
    assert sum(second.storage.requests.values()) == 0  # the finished runs' rows are kept too

    monkeypatch.delenv("LAB_WORKBOOK_LISTING_MAX_AGE")
    unset = s3_store.repository()
    assert unset.tags() == TAGS
    assert unset.storage.requests["list"] == 1  # without the setting every reader lists


def test_an_explicit_zero_listing_max_age_lists_whatever_the_configuration_says(s3_store, monkeypatch):
    _three(s3_store)
    monkeypatch.setenv("LAB_WORKBOOK_LISTING_MAX_AGE", "3600")
    assert s3_store.repository().tags() == TAGS  # keeps its listing
    explicit = s3_store.repository(listing_max_age=0)
    assert explicit.tags() == TAGS
    assert explicit.storage.requests["list"] == 1
