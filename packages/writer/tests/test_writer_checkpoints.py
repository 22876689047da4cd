"""Checkpoints by step (issue 23): ``save_torch``/``save_file`` with ``step=`` and ``keep_last=``.

What is checked is what the store holds (core's storage), never the writer's internals.
"""

from __future__ import annotations

import io

from lab_workbook_core import InvalidValueError
from lab_workbook_writer import new_experiment
import pytest


def _steps(store, tag: str, series: str = "model") -> list[str]:
    return [k for k in store.keys(tag) if k.startswith(f"{series}/")]


def test_a_step_is_stored_as_its_own_checkpoint_under_the_series_name(store, torch):
    with new_experiment(store.prefix, capture_environment=False) as wb:
        for step in (100, 200):
            wb.save_torch("model", {"w": torch.full((2,), float(step))}, step=step)
    assert _steps(store, wb.tag) == ["model/step-00000100.pt", "model/step-00000200.pt"]
    loaded = torch.load(io.BytesIO(store.bytes(wb.tag, "model/step-00000200.pt")), weights_only=True)
    assert loaded["w"].tolist() == [200.0, 200.0]


def test_keep_last_two_leaves_exactly_the_two_newest_after_ten_saves(store, torch):
    with new_experiment(store.prefix, capture_environment=False) as wb:
        for step in range(1, 11):
            wb.save_torch("model", {"step": torch.tensor(step)}, step=step * 10, keep_last=2)
    assert _steps(store, wb.tag) == ["model/step-00000090.pt", "model/step-00000100.pt"]


def test_the_run_record_lists_only_the_checkpoints_kept(store, torch):
    with new_experiment(store.prefix, capture_environment=False) as wb:
        for step in range(5):
            wb.save_torch("model", {"step": torch.tensor(step)}, step=step, keep_last=2)
    listed = sorted(name for name in store.record(wb.tag)["artifacts"] if name.startswith("model/"))
    assert listed == ["model/step-00000003.pt", "model/step-00000004.pt"]


def test_a_lower_step_saved_after_higher_ones_is_kept_with_the_highest_others(store, torch):
    with new_experiment(store.prefix, capture_environment=False) as wb:
        for step in (10, 20, 30):
            wb.save_torch("model", {}, step=step, keep_last=2)
        wb.save_torch("model", {}, step=15, keep_last=2)  # went back to an earlier checkpoint
    assert _steps(store, wb.tag) == ["model/step-00000015.pt", "model/step-00000030.pt"]


def test_saving_a_step_again_replaces_it_without_deleting_it(store, torch):
    with new_experiment(store.prefix, capture_environment=False) as wb:
        wb.save_torch("model", {"v": torch.tensor(1)}, step=5, keep_last=1)
        wb.save_torch("model", {"v": torch.tensor(2)}, step=5, keep_last=1)
    assert _steps(store, wb.tag) == ["model/step-00000005.pt"]
    assert torch.load(io.BytesIO(store.bytes(wb.tag, "model/step-00000005.pt")), weights_only=True)["v"] == 2


def test_checkpoints_of_other_series_and_pictures_of_the_same_name_are_never_rotated(store, torch):
    with new_experiment(store.prefix, capture_environment=False) as wb:
        wb.save_torch("optimizer", {}, step=1)
        wb.save_torch("model", {}, step=1)
        wb.save_torch("model", {}, step=2, keep_last=1)
    assert _steps(store, wb.tag, "optimizer") == ["optimizer/step-00000001.pt"]
    assert _steps(store, wb.tag) == ["model/step-00000002.pt"]


def test_save_file_by_step_keeps_the_files_ending_and_rotates_like_save_torch(store, tmp_path):
    source = tmp_path / "ckpt.safetensors"
    with new_experiment(store.prefix, capture_environment=False) as wb:
        for step in range(4):
            source.write_bytes(b"weights %d" % step)
            wb.save_file(source, step=step, keep_last=2)
    assert _steps(store, wb.tag, "ckpt") == ["ckpt/step-00000002.safetensors", "ckpt/step-00000003.safetensors"]
    assert store.bytes(wb.tag, "ckpt/step-00000003.safetensors") == b"weights 3"


def test_steps_stored_before_this_process_are_rotated_too(store, torch):
    """What a resumed run relies on: the rotation decides from the store, not from this process's saves."""
    with new_experiment(store.prefix, capture_environment=False) as wb:
        store.storage.put_bytes(f"{wb.tag}/model/step-00000001.pt", b"an earlier attempt's")
        store.storage.put_bytes(f"{wb.tag}/model/step-00000002.pt", b"an earlier attempt's")
        wb.save_torch("model", {}, step=3, keep_last=2)
    assert _steps(store, wb.tag) == ["model/step-00000002.pt", "model/step-00000003.pt"]


def test_an_outage_during_a_save_deletes_nothing_until_the_newer_checkpoint_is_stored(store, outage, torch):
    wb = new_experiment(store.prefix, capture_environment=False, close_timeout=60)
    wb.save_torch("model", {}, step=1, keep_last=1)
    wb.save_torch("model", {}, step=2, keep_last=1)
    assert wb.flush(timeout=30)
    outage.stop()
    wb.save_torch("model", {}, step=3, keep_last=1)
    assert wb.flush(timeout=10) is False  # the put of step 3 waits in the spool, its rotation behind it
    outage.start()
    assert _steps(store, wb.tag) == ["model/step-00000002.pt"]
    assert wb.close() is True
    assert _steps(store, wb.tag) == ["model/step-00000003.pt"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"keep_last": 2}, "keep_last needs step="),
        ({"step": 1, "keep_last": 0}, "keep_last must be an integer >= 1"),
        ({"step": 1, "keep_last": True}, "keep_last must be an integer >= 1"),
        ({"step": 1, "keep_last": 1.5}, "keep_last must be an integer >= 1"),
        ({"step": -1}, "step must be a non-negative integer"),
        ({"step": "3"}, "step must be a non-negative integer"),
    ],
)
def test_bad_step_arguments_are_refused_at_the_call_before_anything_is_saved(tmp_path, torch, arguments, message):
    with new_experiment(tmp_path / "store", capture_environment=False) as wb:
        with pytest.raises(InvalidValueError, match=message):
            wb.save_torch("model", {}, **arguments)
        with pytest.raises(InvalidValueError, match=message):
            wb.save_file(__file__, "copy", **arguments)
        assert wb.flush(timeout=10)
    assert not (tmp_path / "store" / wb.tag / "model").exists()
    assert not (tmp_path / "store" / wb.tag / "copy").exists()
