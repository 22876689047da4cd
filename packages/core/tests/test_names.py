"""Artifact names cannot reach outside the store, on either backend."""

from lab_workbook_core import InvalidNameError, load_config, open_storage, validate_name
import pytest

HOSTILE = ["", "../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", ".", "..", "x\x00y", "trailing/"]


@pytest.mark.parametrize("name", ["model", "Training loss.csv", "checkpoints/epoch 3.pt", "a..b", ".hidden"])
def test_ordinary_names_are_accepted(name):
    assert validate_name(name) == name


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_rejected_with_a_hint(name):
    with pytest.raises(InvalidNameError, match="Use a relative name"):
        validate_name(name)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_keys_are_rejected_before_any_io_on_both_backends(store_prefix, tmp_path, name):
    storage = open_storage(load_config(store_prefix))
    # Other tests' folders beside this one may hold files named x: only a new one is this test's doing.
    before = set(tmp_path.parent.rglob("x"))
    with pytest.raises(InvalidNameError):
        storage.put_bytes(f"TAG/{name}" if name else name, b"evil")
    with pytest.raises(InvalidNameError):
        storage.get_bytes(f"TAG/{name}" if name else name)
    assert sum(storage.requests.values()) == 0
    assert set(tmp_path.parent.rglob("x")) == before
