"""Checkpoints by step end to end (issue 23): saved by the writer, listed and loaded by the reader.

A preempted job's next process finds where to restart with ``exp.checkpoints("model").step.max()``;
``keep_last`` deletes older checkpoints only once the newer one is stored, so an outage during a
save (the fault proxy in front of moto: refused connections, or requests never answered) never
leaves the run without a checkpoint.
"""

from __future__ import annotations

from fractions import Fraction
import math
import threading
import time

import boto3
from lab_workbook import ArtifactNotFound, CorruptArtifactError, ExperimentRepository
from lab_workbook_core import InvalidValueError
from lab_workbook_writer import new_experiment
import pytest


def _state(torch, step: int) -> dict:
    return {"weight": torch.full((3, 2), float(step)), "step": torch.tensor(step)}


def test_checkpoints_list_by_step_and_the_latest_loads_with_weights_only(store_prefix, torch):
    with new_experiment(store_prefix, capture_environment=False) as wb:
        for step in (100, 200, 300):
            wb.save_torch("model", _state(torch, step), step=step, keep_last=2)
    exp = ExperimentRepository(store_prefix)[wb.tag]
    table = exp.checkpoints("model")
    assert table.step.tolist() == [200, 300]
    assert table.name.tolist() == ["model/step-00000200.pt", "model/step-00000300.pt"]
    assert (table["size"] > 0).all() and table.modified.notna().all()
    assert exp.checkpoints("model").step.max() == 300  # the one line a resumed job needs
    assert exp.load_checkpoint("model")["step"].item() == 300
    assert exp.load_checkpoint("model", step=200)["weight"].tolist() == [[200.0, 200.0]] * 3


def test_a_run_without_checkpoints_lists_none_and_has_no_step_to_restart_from(local_prefix):
    with new_experiment(local_prefix, capture_environment=False) as wb:
        wb.save_json("parameters", {"lr": 0.1})
    table = ExperimentRepository(local_prefix)[wb.tag].checkpoints("model")
    assert table.empty and list(table.columns) == ["step", "name", "size", "modified"]
    assert math.isnan(table.step.max())


def test_pictures_of_the_same_name_are_not_checkpoints(local_prefix, torch):
    pytest.importorskip("PIL")
    with new_experiment(local_prefix, capture_environment=False) as wb:
        wb.save_torch("model", {}, step=1)
        wb.save_image("model", torch.zeros(4, 4), step=2)
    assert ExperimentRepository(local_prefix)[wb.tag].checkpoints("model").step.tolist() == [1]


def test_a_checkpoint_saved_with_save_file_is_listed_with_its_own_ending(local_prefix, tmp_path):
    source = tmp_path / "weights.safetensors"
    source.write_bytes(b"not torch")
    with new_experiment(local_prefix, capture_environment=False) as wb:
        wb.save_file(source, "weights", step=7)
    exp = ExperimentRepository(local_prefix)[wb.tag]
    assert exp.checkpoints("weights").name.tolist() == ["weights/step-00000007.safetensors"]
    assert exp.read_bytes("weights/step-00000007.safetensors") == b"not torch"


def test_a_checkpoint_holding_arbitrary_objects_loads_only_when_weights_only_is_turned_off(local_prefix, torch):
    with new_experiment(local_prefix, capture_environment=False) as wb:
        wb.save_torch("model", {"ratio": Fraction(1, 3)}, step=1)
    exp = ExperimentRepository(local_prefix)[wb.tag]
    with pytest.raises(CorruptArtifactError, match="safe loader"):
        exp.load_checkpoint("model")
    assert exp.load_checkpoint("model", weights_only=False) == {"ratio": Fraction(1, 3)}


def test_a_step_not_stored_is_not_found_naming_the_steps_there_are(local_prefix, torch):
    with new_experiment(local_prefix, capture_environment=False) as wb:
        for step in (5, 6):
            wb.save_torch("model", {}, step=step)
    exp = ExperimentRepository(local_prefix)[wb.tag]
    with pytest.raises(ArtifactNotFound, match=r"no checkpoint 'model' at step 4; its steps are 5, 6"):
        exp.load_checkpoint("model", step=4)


def test_a_series_without_checkpoints_is_not_found_naming_the_series_there_are(local_prefix, torch):
    with new_experiment(local_prefix, capture_environment=False) as wb:
        wb.save_torch("model", {}, step=1)
        wb.save_torch("optimizer", {})
    exp = ExperimentRepository(local_prefix)[wb.tag]
    with pytest.raises(ArtifactNotFound, match=r"no checkpoints 'modle'.*Did you mean 'model'\?.*series: 'model'"):
        exp.load_checkpoint("modle")
    with pytest.raises(ArtifactNotFound, match=r"It has 'optimizer.pt', saved without a step"):
        exp.load_checkpoint("optimizer")


@pytest.mark.parametrize("step", [-1, True, "newest", 1.5])
def test_a_step_that_is_neither_latest_nor_a_step_is_refused(local_prefix, torch, step):
    with new_experiment(local_prefix, capture_environment=False) as wb:
        wb.save_torch("model", {}, step=1)
    with pytest.raises(InvalidValueError, match='step must be "latest" or a non-negative integer'):
        ExperimentRepository(local_prefix)[wb.tag].load_checkpoint("model", step=step)


class _Watch:
    """Lists the series' checkpoints directly on moto (not through the proxy), as fast as it can."""

    def __init__(self, s3_server, prefix: str, tag: str) -> None:
        bucket, base = prefix[len("s3://") :].split("/", 1)
        self._client = boto3.client("s3", endpoint_url=s3_server.url, region_name="us-east-1")
        self._bucket, self._prefix = bucket, f"{base}{tag}/model/step-"
        self.counts: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def keys(self) -> list[str]:
        listing = self._client.list_objects_v2(Bucket=self._bucket, Prefix=self._prefix, Delimiter="/")
        return sorted(o["Key"].rsplit("/", 1)[1] for o in listing.get("Contents", []))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.counts.append(len(self.keys()))
            time.sleep(0.005)

    def stop(self) -> list[int]:
        self._stop.set()
        self._thread.join(10)
        return self.counts


@pytest.mark.parametrize("keep_last", [1, 2])
@pytest.mark.parametrize("fault", ["refused", "black-holed"])
def test_an_outage_during_the_third_save_never_leaves_zero_checkpoints_and_then_leaves_keep_last(
    fault_proxy, quirk_prefix, s3_server, torch, fault, keep_last
):
    wb = new_experiment(quirk_prefix, capture_environment=False, close_timeout=90)
    for step in (1, 2):
        wb.save_torch("model", _state(torch, step), step=step, keep_last=keep_last)
    assert wb.flush(timeout=30)
    watch = _Watch(s3_server, quirk_prefix, wb.tag)
    if fault == "refused":
        fault_proxy.down()
    else:
        fault_proxy.faults.blackhole = True  # requests are read, never answered
    wb.save_torch("model", _state(torch, 3), step=3, keep_last=keep_last)
    time.sleep(2.0)  # the put is refused and retried, or hangs
    assert watch.keys() == [f"step-{s:08d}.pt" for s in (1, 2)][-keep_last:]  # nothing deleted meanwhile
    if fault == "refused":
        fault_proxy.up()
    else:
        fault_proxy.reset()  # answers again; the hanging request is cut and retried
    assert wb.close() is True
    counts = watch.stop()
    assert min(counts) >= 1, counts
    assert watch.keys() == [f"step-{s:08d}.pt" for s in (2, 3)][-keep_last:]
    assert ExperimentRepository(quirk_prefix)[wb.tag].load_checkpoint("model")["step"].item() == 3


def test_a_checkpoint_the_store_refuses_never_costs_an_older_one(fault_proxy, quirk_prefix, torch):
    fault_proxy.faults.deny_puts = "step-00000003"  # a bucket policy refusing that one key, for good
    with new_experiment(quirk_prefix, capture_environment=False) as wb:
        for step in (1, 2, 3):
            wb.save_torch("model", _state(torch, step), step=step, keep_last=2)
        assert wb.flush(timeout=30) is False
        stored = ExperimentRepository(quirk_prefix)[wb.tag].checkpoints("model").step.tolist()
        wb.save_torch("model", _state(torch, 4), step=4, keep_last=2)
    assert stored == [1, 2]
    assert ExperimentRepository(quirk_prefix)[wb.tag].checkpoints("model").step.tolist() == [2, 4]


def test_a_store_refusing_deletes_keeps_every_checkpoint_and_the_run_finishes(fault_proxy, quirk_prefix, torch, capsys):
    fault_proxy.faults.delete_errors = True  # DeleteObjects answers AccessDenied for each key
    with new_experiment(quirk_prefix, capture_environment=False) as wb:
        for step in (1, 2, 3, 4):
            wb.save_torch("model", _state(torch, step), step=step, keep_last=2)
    exp = ExperimentRepository(quirk_prefix)[wb.tag]
    assert exp.status == "finished"
    assert exp.checkpoints("model").step.tolist() == [1, 2, 3, 4]
    assert capsys.readouterr().err.count("refused to list or delete old checkpoints") == 1
