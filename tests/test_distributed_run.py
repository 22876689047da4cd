"""Several processes of one run: a real 2-process torch.distributed (gloo) job on 127.0.0.1."""

import os
from pathlib import Path
import socket
import subprocess
import sys
import textwrap

from lab_workbook import ExperimentRepository
from lab_workbook_core import AlreadyExists, ConfigError, ExperimentNotFound, RunFinished
from lab_workbook_writer import attach_experiment, new_experiment
import pytest

RANK_SCRIPT = textwrap.dedent("""
    import sys
    import torch, torch.distributed as dist
    from lab_workbook_writer import distributed_experiment

    prefix = sys.argv[1]
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(3, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    wb = distributed_experiment(prefix, description="two ranks")
    log = wb.new_time_series_log("train", ["step", "loss"])
    generator = torch.Generator().manual_seed(rank)
    for step in range(5):
        x = torch.randn(8, 3, generator=generator)
        loss = (model(x) - x.sum(1, keepdim=True)).pow(2).mean()
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        log(step=step, loss=loss.item())
    wb.save_json("whoami", {"rank": rank, "world": dist.get_world_size()})
    if rank != 0:
        wb.close()            # the attached rank sends its data first...
    dist.barrier()
    if rank == 0:
        wb.save_torch("model", model.module.state_dict())
        wb.close()            # ...then rank 0 closes the run
    print("TAG", wb.tag, flush=True)
    dist.destroy_process_group()
""")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _two_ranks(script: Path, args: list[str], tmp_path: Path) -> list[tuple[int, str, str]]:
    """Run ``script`` as ranks 0 and 1 of a gloo job on 127.0.0.1: each rank's exit code, stdout and stderr."""
    env = {
        **os.environ,
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(_free_port()),
        "WORLD_SIZE": "2",
        "LAB_WORKBOOK_SPOOL_DIR": str(tmp_path / "spool"),
        "GLOO_SOCKET_IFNAME": "lo",
    }
    ranks = [
        subprocess.Popen(
            [sys.executable, str(script), *args],
            env={**env, "RANK": str(rank)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for rank in (0, 1)
    ]
    outputs = [process.communicate(timeout=240) for process in ranks]
    return [(process.returncode, out, err) for process, (out, err) in zip(ranks, outputs, strict=True)]


@pytest.mark.slow
def test_two_gloo_ranks_record_one_run_each_in_its_own_folder(tmp_path, s3_prefix, torch):
    store_prefix = s3_prefix  # the create-only claims and the run record on a real S3 API
    script = tmp_path / "rank.py"
    script.write_text(RANK_SCRIPT)
    outputs = _two_ranks(script, [store_prefix], tmp_path)
    for code, _, err in outputs:
        assert code == 0, err[-3000:]
    tags = {line.split()[1] for _, out, _ in outputs for line in out.splitlines() if line.startswith("TAG ")}
    assert len(tags) == 1  # both ranks wrote to one run
    experiment = ExperimentRepository(store_prefix)[tags.pop()]
    assert experiment.status == "finished" and experiment.description == "two ranks"
    assert experiment["train.csv"].index.tolist() == experiment["rank1/train.csv"].index.tolist() == [0, 1, 2, 3, 4]
    assert experiment["whoami.json"] == {"rank": 0, "world": 2}
    assert experiment["rank1/whoami.json"] == {"rank": 1, "world": 2}
    assert set(experiment["model.pt"]) == {"weight", "bias"}


def test_a_second_process_attaching_as_the_same_rank_is_refused_naming_the_first(tmp_path):
    prefix = str(tmp_path / "store")
    with new_experiment(prefix) as wb:
        first = attach_experiment(wb.tag, prefix, rank=1, spool_dir=tmp_path / "spool")
        with pytest.raises(AlreadyExists, match=rf"rank1/ of run {wb.tag} is already written by pid {os.getpid()}"):
            attach_experiment(wb.tag, prefix, rank=1, spool_dir=tmp_path / "spool")
        second = attach_experiment(wb.tag, prefix, rank=2, spool_dir=tmp_path / "spool")
        first.save_json("params", {"a": 1})
        second.save_json("params", {"a": 2})
        first.close()
        second.close()
        assert not wb.closed  # an attached process never closes the run
    experiment = ExperimentRepository(prefix)[wb.tag]
    assert experiment["rank1/params.json"] == {"a": 1} and experiment["rank2/params.json"] == {"a": 2}
    assert experiment.status == "finished"


def test_an_attached_process_takes_the_tag_from_lab_workbook_tag(tmp_path, monkeypatch):
    prefix = str(tmp_path / "store")
    with new_experiment(prefix) as wb:
        monkeypatch.setenv("LAB_WORKBOOK_TAG", wb.tag)
        monkeypatch.setenv("RANK", "3")
        with attach_experiment(prefix=prefix, spool_dir=tmp_path / "spool") as attached:
            attached.new_time_series_log("loss", ["step", "loss"])(step=0, loss=1.0)
    assert ExperimentRepository(prefix)[wb.tag]["rank3/loss.csv"]["loss"].tolist() == [1.0]


def test_attaching_needs_a_tag_a_rank_above_zero_and_a_started_run(tmp_path, monkeypatch):
    monkeypatch.delenv("LAB_WORKBOOK_TAG", raising=False)
    prefix = str(tmp_path / "store")
    with pytest.raises(ConfigError, match="LAB_WORKBOOK_TAG"):
        attach_experiment(prefix=prefix, rank=1)
    with pytest.raises(ConfigError, match="rank 0 starts the run"):
        attach_experiment("202601010000-abcdefghij", prefix, rank=0)
    with pytest.raises(ExperimentNotFound, match="rank 0 starts it"):
        attach_experiment("202601010000-abcdefghij", prefix, rank=1, wait_seconds=0)


TAG = "202612070000-ddpResumed"


def _fail_first_attempt(prefix, spool) -> None:
    """Attempt 1 of run TAG: rank 1 logs steps 0-2 and closes, then rank 0 fails (an exception)."""
    with pytest.raises(RuntimeError, match="preempted"), new_experiment(prefix, tag=TAG, resume="auto") as wb:
        wb.new_time_series_log("train", ["step", "loss"])(step=0, loss=1.0)
        with attach_experiment(TAG, prefix, rank=1, spool_dir=spool) as rank1:
            log = rank1.new_time_series_log("train", ["step", "loss"])
            for step in range(3):
                log(step=step, loss=10.0 + step)
        raise RuntimeError("preempted")


def test_the_ranks_of_a_resumed_run_join_its_new_attempt_and_continue_their_series(tmp_path):
    prefix = str(tmp_path / "store")
    _fail_first_attempt(prefix, tmp_path / "spool")
    with new_experiment(prefix, tag=TAG, resume="auto") as wb:
        assert wb.attempt == 2
        with attach_experiment(TAG, prefix, rank=1, spool_dir=tmp_path / "spool") as rank1:  # reads the attempt
            assert rank1.attempt == 2
            log = rank1.new_time_series_log("train", ["step", "loss"])
            for step in range(2, 5):  # restarted from the checkpoint of step 2
                log(step=step, loss=20.0 + step)
    experiment = ExperimentRepository(prefix)[TAG]
    assert experiment.status == "finished" and len(experiment.attempts) == 2
    curve = experiment["rank1/train.csv"]
    assert curve.index.tolist() == [0, 1, 2, 3, 4]  # each step once: the latest attempt's row
    assert curve["loss"].tolist() == [10.0, 11.0, 22.0, 23.0, 24.0]
    every = experiment.load("rank1/train.csv", attempts="all")
    assert list(zip(every.index, every["Attempt"], strict=True)) == [(0, 1), (1, 1), (2, 1), (2, 2), (3, 2), (4, 2)]
    claims = sorted(
        p.relative_to(tmp_path / "store" / TAG).as_posix() for p in (tmp_path / "store" / TAG).rglob("*.json")
    )
    assert ".lab-workbook/writers/rank1.json" in claims
    assert ".lab-workbook/writers/attempt-0002/rank1.json" in claims


def test_a_rank_attaching_twice_to_one_attempt_is_refused_but_each_attempt_has_its_own_claim(tmp_path):
    prefix = str(tmp_path / "store")
    _fail_first_attempt(prefix, tmp_path / "spool")
    with new_experiment(prefix, tag=TAG, resume="auto"):
        first = attach_experiment(TAG, prefix, rank=1, spool_dir=tmp_path / "spool")
        with pytest.raises(AlreadyExists, match=rf"rank1/ of run {TAG} is already written by pid {os.getpid()}"):
            attach_experiment(TAG, prefix, rank=1, spool_dir=tmp_path / "spool")
        first.close()


def test_a_rank_waits_for_rank_0_to_resume_a_failed_run_and_says_so_when_it_does_not(tmp_path):
    prefix = str(tmp_path / "store")
    _fail_first_attempt(prefix, tmp_path / "spool")
    with pytest.raises(ExperimentNotFound, match=rf"run {TAG} .* is failed \(not a live attempt\) after 0 s"):
        attach_experiment(TAG, prefix, rank=1, wait_seconds=0, spool_dir=tmp_path / "spool")
    assert not (tmp_path / "store" / TAG / ".lab-workbook" / "writers" / "attempt-0002").exists()  # nothing claimed


def test_no_rank_attaches_to_a_finished_run(tmp_path):
    prefix = str(tmp_path / "store")
    with new_experiment(prefix) as wb:
        pass
    with pytest.raises(RunFinished, match=rf"run {wb.tag} is finished and never changes.*fork="):
        attach_experiment(wb.tag, prefix, rank=1, spool_dir=tmp_path / "spool")


RESUMED_RANK_SCRIPT = textwrap.dedent("""
    import os, sys
    import torch.distributed as dist
    from lab_workbook_writer import distributed_experiment

    prefix, tag, first_step = sys.argv[1], sys.argv[2], int(sys.argv[3])
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    wb = distributed_experiment(prefix, tag=tag, resume="auto")   # the requeued job's one line
    log = wb.new_time_series_log("train", ["step", "loss"])
    for step in range(first_step, first_step + 3):
        log(step=step, loss=100.0 * wb.attempt + step)
    if rank != 0:
        wb.close()
    dist.barrier()
    print("ATTEMPT", wb.attempt, flush=True)
    if rank == 0 and first_step == 0:
        os._exit(9)           # the node is taken back: rank 0 dies without closing the run
    if rank == 0:
        wb.close()
    dist.destroy_process_group()
""")


@pytest.mark.slow
def test_a_two_rank_gloo_job_killed_and_requeued_is_one_run_with_both_ranks_continued(tmp_path, s3_prefix, torch):
    script = tmp_path / "rank.py"
    script.write_text(RESUMED_RANK_SCRIPT)
    tag = "202612070000-glooResume"

    def job(first_step: int) -> list[tuple[int, str, str]]:
        return _two_ranks(script, [s3_prefix, tag, str(first_step)], tmp_path)

    first = job(0)
    assert first[0][0] == 9 and first[1][0] == 0, first[1][2][-3000:]
    second = job(2)  # requeued on the same node: rank 0's pid is gone, so no wait for a stale heartbeat
    for code, out, err in second:
        assert code == 0, err[-3000:]
        assert "ATTEMPT 2" in out
    experiment = ExperimentRepository(s3_prefix)[tag]
    assert experiment.status == "finished" and [a.status for a in experiment.attempts] == ["crashed", "finished"]
    for name in ("train.csv", "rank1/train.csv"):
        curve = experiment[name]
        assert curve.index.tolist() == [0, 1, 2, 3, 4], name
        assert curve["loss"].tolist() == [100.0, 101.0, 202.0, 203.0, 204.0], name
