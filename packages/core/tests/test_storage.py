"""The storage interface behaves the same on a local folder and on S3 over HTTP."""

from pathlib import Path

from lab_workbook_core import (
    AlreadyExists,
    BucketNotFound,
    ChecksumMismatch,
    CredentialsError,
    ObjectNotFound,
    StorageError,
    StorageUnavailable,
    concurrent_map,
    load_config,
    open_storage,
)
from lab_workbook_core.storage import object_checksum
import pytest


@pytest.fixture
def storage(store_prefix):
    return open_storage(load_config(store_prefix))


def test_put_then_get_round_trips_bytes(storage):
    storage.put_bytes("TAG/nested name/a.bin", b"\x00\x01 data")
    assert storage.get_bytes("TAG/nested name/a.bin") == b"\x00\x01 data"
    assert storage.head("TAG/nested name/a.bin").size == 7


def test_missing_key_is_file_not_found(storage):
    with pytest.raises(FileNotFoundError):
        storage.get_bytes("TAG/missing")
    with pytest.raises(ObjectNotFound, match="TAG/missing"):
        storage.head("TAG/missing")
    assert not storage.exists("TAG/missing")


def test_create_only_write_refuses_an_existing_key(storage):
    storage.put_bytes("TAG/claim", b"first", if_absent=True)
    with pytest.raises(AlreadyExists):
        storage.put_bytes("TAG/claim", b"second", if_absent=True)
    assert storage.get_bytes("TAG/claim") == b"first"


def test_overwrite_replaces(storage):
    storage.put_bytes("TAG/a", b"1")
    storage.put_bytes("TAG/a", b"2")
    assert storage.get_bytes("TAG/a") == b"2"


def test_delimiter_listing_separates_folders_and_objects(storage):
    for key in ["T1/a", "T1/b/c", "T2/x", "README"]:
        storage.put_bytes(key, b".")
    top = storage.list("")
    assert top.prefixes == ["T1/", "T2/"]
    assert [o.key for o in top.objects] == ["README"]
    inside = storage.list("T1/", delimiter=None)
    assert sorted(o.key for o in inside.objects) == ["T1/a", "T1/b/c"]


def test_listing_is_paginated_through(storage):
    for i in range(1005):
        storage.put_bytes(f"T/{i:05d}", b"")
    assert len(storage.list("T/", delimiter=None).objects) == 1005


def test_a_listing_cut_into_ranges_anywhere_is_the_whole_listing(storage):
    """Cut points are hints: any of them, on a folder, between folders or outside, lose and repeat nothing."""
    for key in ["A/x", "T1/a", "T1/b/c", "T1-b/x", "T15", "T2/y", "T3 é/z", "Z/q"]:
        storage.put_bytes(key, b".")
    whole = storage.list("")
    for cuts in ([], ["T1"], ["T1", "T1-b", "T15", "T2"], ["0", "T1/", "T2/y", "T3", "zz"], ["T1-b/x", "Y"]):
        split = storage.list_split("", cuts, max_workers=4)
        assert split.prefixes == whole.prefixes, cuts
        assert [o.key for o in split.objects] == [o.key for o in whole.objects], cuts
    after = storage.list_split("", ["T2"], after="T1/")  # after a folder: its name with the delimiter
    assert after.prefixes == ["T2/", "T3 é/", "Z/"] and [o.key for o in after.objects] == ["T15"]
    between = storage.list_range("", after="T1", through="T2")  # a tag's folder is after the tag
    assert sorted(between.prefixes) == ["T1-b/", "T1/"] and [o.key for o in between.objects] == ["T15"]


def test_ranges_are_sent_at_once_one_request_each(s3_prefix):
    storage = open_storage(load_config(s3_prefix))
    for tag in ["a1", "a2", "b1", "b2", "c1"]:
        storage.put_bytes(f"{tag}/run", b".")
    before = storage.requests["list"]
    assert storage.list_split("", ["a2", "b2"]).prefixes == ["a1/", "a2/", "b1/", "b2/", "c1/"]
    assert storage.requests["list"] - before == 3


def test_a_listing_stopped_after_a_page_says_where_to_resume(s3_prefix):
    storage = open_storage(load_config(s3_prefix))
    keys = [f"T/{i:05d}" for i in range(1005)]
    concurrent_map(lambda key: storage.put_bytes(key, b""), keys, 16)
    first = storage.list_range("T/", delimiter=None, max_pages=1)
    assert [o.key for o in first.objects] == keys[:1000] and first.resume_after == keys[999]
    rest = storage.list_split("T/", keys[1001:1003], after=first.resume_after, delimiter=None)
    assert [o.key for o in rest.objects] == keys[1000:] and rest.resume_after is None


def test_a_listing_truncated_without_a_new_token_is_an_error_not_an_endless_loop(s3_prefix):
    from botocore.stub import Stubber

    storage = open_storage(load_config(s3_prefix))
    page = {"IsTruncated": True, "Contents": [{"Key": "experiments/T/a", "Size": 1, "ETag": '"x"'}]}
    with Stubber(storage.client) as stub:  # a store's answer, as botocore parses it
        stub.add_response("list_objects_v2", {**page, "NextContinuationToken": "t1"})
        stub.add_response("list_objects_v2", {**page, "NextContinuationToken": "t1"})  # the same token again
        with pytest.raises(StorageError, match="truncated but gives no new continuation token"):
            storage.list("T/", delimiter=None)
        stub.add_response("list_objects_v2", page)  # no token at all
        with pytest.raises(StorageError, match="does not implement ListObjectsV2 paging"):
            storage.list("T/", delimiter=None)


def test_etag_revalidation(storage):
    storage.put_bytes("TAG/a", b"one")
    data, etag = storage.get_if_changed("TAG/a", None)
    assert data == b"one"
    assert storage.get_if_changed("TAG/a", etag) == (None, etag)
    storage.put_bytes("TAG/a", b"two, longer")
    assert storage.get_if_changed("TAG/a", etag)[0] == b"two, longer"


def test_files_upload_and_download(storage, tmp_path: Path):
    source = tmp_path / "src.bin"
    source.write_bytes(b"x" * 100_000)
    storage.put_file("TAG/model.pt", source)
    seen = []
    storage.download("TAG/model.pt", tmp_path / "out" / "m.pt", progress=seen.append)
    assert (tmp_path / "out" / "m.pt").read_bytes() == source.read_bytes()
    assert sum(seen) == 100_000


def test_delete_removes_and_ignores_missing(storage):
    storage.put_bytes("TAG/a", b"1")
    storage.delete(["TAG/a", "TAG/never"])
    assert not storage.exists("TAG/a")


def test_requests_are_counted(storage):
    storage.put_bytes("TAG/a", b"1")
    storage.get_bytes("TAG/a")
    storage.list("")
    assert storage.requests["put"] == 1 and storage.requests["get"] == 1 and storage.requests["list"] == 1


def test_missing_bucket_says_so(s3_server, s3_bucket):
    storage = open_storage(load_config("s3://no-such-bucket-here/x/"))
    with pytest.raises(BucketNotFound, match="does not exist"):
        storage.get_bytes("TAG/a")


def test_expired_temporary_credentials_are_a_credentials_error(fault_proxy, quirk_prefix):
    fault_proxy.faults.deny_puts, fault_proxy.faults.deny_with = "", (400, "ExpiredToken")
    storage = open_storage(load_config(quirk_prefix))
    with pytest.raises(CredentialsError, match="Renew them"):
        storage.put_bytes("TAG/a", b"1")


def test_unreachable_endpoint_is_storage_unavailable(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # discard port: refused
    storage = open_storage(load_config("s3://bucket/x/"), max_attempts=1)
    with pytest.raises(StorageUnavailable):
        storage.get_bytes("TAG/a")


def test_missing_credentials_say_what_to_do(monkeypatch, s3_bucket):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    storage = open_storage(load_config(f"s3://{s3_bucket}/x/"))
    with pytest.raises(CredentialsError, match="aws configure"):
        storage.get_bytes("TAG/a")


def test_credential_source_names_the_method_never_the_secret(s3_prefix, local_prefix, monkeypatch):
    s3 = open_storage(load_config(s3_prefix))
    assert s3.credential_source() == "env"  # the fixtures set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
    assert s3.endpoint_url.startswith("http://127.0.0.1:")
    assert open_storage(load_config(local_prefix)).credential_source() == "not needed"
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert open_storage(load_config(s3_prefix)).credential_source() is None


def test_a_symlink_into_a_sibling_folder_with_the_same_name_prefix_is_refused(tmp_path):
    import os

    from lab_workbook_core import AccessDenied, LocalStorage, parse_prefix

    store, sibling = tmp_path / "store", tmp_path / "store-secrets"
    store.mkdir()
    sibling.mkdir()
    (sibling / "key.txt").write_text("TOP-SECRET")
    os.symlink(sibling / "key.txt", store / "leak.txt")
    storage = LocalStorage(parse_prefix(str(store) + "/"))
    with pytest.raises(AccessDenied, match="outside the store"):
        storage.get_bytes("leak.txt")


@pytest.mark.parametrize("algorithm", ["md5", "crc32", "sha256"])
def test_bytes_sent_with_their_right_checksum_are_stored(storage, algorithm):
    storage.put_bytes_with_checksum("TAG/a", b"data", algorithm=algorithm, checksum=object_checksum(algorithm, b"data"))
    assert storage.get_bytes("TAG/a") == b"data"


def test_a_local_folder_refuses_bytes_that_do_not_match_their_checksum(local_prefix):
    storage = open_storage(load_config(local_prefix))
    with pytest.raises(ChecksumMismatch, match="do not match the md5 checksum"):
        storage.put_bytes_with_checksum("TAG/a", b"data", algorithm="md5", checksum=object_checksum("md5", b"other"))
    assert not storage.exists("TAG/a")


@pytest.mark.parametrize("algorithm", ["md5", "crc32", "sha256"])
def test_a_store_answering_bad_digest_raises_checksum_mismatch(fault_proxy, quirk_prefix, algorithm):
    fault_proxy.faults.verify_checksums = True
    storage = open_storage(load_config(quirk_prefix), max_attempts=1)
    wrong = object_checksum(algorithm, b"other")
    with pytest.raises(ChecksumMismatch, match="BadDigest"):
        storage.put_bytes_with_checksum("TAG/a", b"data", algorithm=algorithm, checksum=wrong)


def test_an_unknown_checksum_algorithm_is_refused_at_the_call(storage):
    with pytest.raises(ValueError, match="md5, crc32, sha256"):
        storage.put_bytes_with_checksum("TAG/a", b"data", algorithm="crc64", checksum=b"")  # type: ignore[arg-type]
    assert storage.requests["put"] == 0


def test_a_local_store_whose_folder_does_not_exist_names_it(tmp_path):
    storage = open_storage(load_config(str(tmp_path / "typo") + "/"))
    assert storage.missing_folder() == tmp_path / "typo"
    assert not (tmp_path / "typo").exists()  # asking creates nothing
    storage.put_bytes("TAG/a", b"1")  # the writer's first write creates it
    assert storage.missing_folder() is None


def test_an_s3_store_never_has_a_missing_folder(s3_prefix):
    assert open_storage(load_config(s3_prefix)).missing_folder() is None
