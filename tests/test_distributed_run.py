"""Several processes of one run: a real 2-process torch.distributed (gloo) job on 127.0.0.1."""

import os
import socket
import subprocess
import sys
import textwrap

from lab_workbook import ExperimentRepository
from lab_workbook_core import AlreadyExists, ConfigError, ExperimentNotFound
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


@pytest.mark.slow
def test_two_gloo_ranks_record_one_run_each_in_its_own_folder(tmp_path, s3_prefix, torch):
    store_prefix = s3_prefix  # the create-only claims and the run record on a real S3 API
    script = tmp_path / "rank.py"
    script.write_text(RANK_SCRIPT)
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
            [sys.executable, str(script), store_prefix],
            env={**env, "RANK": str(rank)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for rank in (0, 1)
    ]
    outputs = [process.communicate(timeout=240) for process in ranks]
    for process, (_, err) in zip(ranks, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
    tags = {line.split()[1] for out, _ in outputs for line in out.splitlines() if line.startswith("TAG ")}
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
