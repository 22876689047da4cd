"""One atomic-write rule: the old content or the new, never half, and nothing left behind."""

from __future__ import annotations

import os
from pathlib import Path

from lab_workbook_core import atomic_file, atomic_path, write_atomic
from lab_workbook_core.files import TEMP_PREFIX
import pytest


def test_write_atomic_replaces_the_content_and_creates_the_folder(tmp_path: Path):
    target = tmp_path / "new" / "folder" / "file.bin"
    write_atomic(target, b"first")
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(target.parent) == ["file.bin"]


def test_a_failed_write_keeps_the_old_content_and_leaves_no_temporary_file(tmp_path: Path):
    target = tmp_path / "file.txt"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_file(target) as out:
        out.write(b"half of the new")
        raise RuntimeError("interrupted mid-write")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["file.txt"]


def test_the_temporary_file_is_in_the_same_folder_and_named_as_such(tmp_path: Path):
    target = tmp_path / "file.txt"
    with atomic_file(target) as out:
        seen = os.listdir(tmp_path)
        out.write(b"x")
    assert len(seen) == 1 and seen[0].startswith(TEMP_PREFIX)


def test_an_exclusive_write_refuses_an_existing_name_and_keeps_it(tmp_path: Path):
    target = tmp_path / "claimed"
    write_atomic(target, b"mine", exclusive=True)
    with pytest.raises(FileExistsError):
        write_atomic(target, b"theirs", exclusive=True)
    assert target.read_bytes() == b"mine"
    assert os.listdir(tmp_path) == ["claimed"]


def test_atomic_path_lets_a_library_write_by_name(tmp_path: Path):
    target = tmp_path / "by-name.txt"
    with atomic_path(target, prefix=".custom-") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".custom-")
        tmp.write_text("written by a library")
    assert target.read_text() == "written by a library"
    assert os.listdir(tmp_path) == ["by-name.txt"]


def test_an_unwritable_folder_raises_the_builtin_error(tmp_path: Path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError):
            write_atomic(folder / "file", b"x")
    finally:
        folder.chmod(0o700)
