"""A series whose fields grow reads the same from its segments (reader, docs/format.md recipe) and its final CSV."""

from pathlib import Path
import re

from lab_workbook import ExperimentRepository
from lab_workbook_core import load_config, open_storage
from lab_workbook_core.keys import segments_prefix
from lab_workbook_writer import new_experiment

ROOT = Path(__file__).resolve().parents[1]


def _recipe():
    """The ``assemble`` function of docs/format.md, run as a reader in another language would write it."""
    text = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    code = next(block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "def assemble" in block)
    namespace: dict = {}
    exec(code, namespace)  # our own documentation
    return namespace["assemble"]


def _log_growing(log):
    for step in range(4):
        log(step=step, loss=1.0 / (step + 1))
    yield
    log(step=4, loss=0.1, lr=0.01)
    yield
    log(step=5, val_loss=0.3)


def test_a_running_growing_series_reads_as_its_final_csv_will(store_prefix):
    storage = open_storage(load_config(store_prefix))
    with new_experiment(store_prefix) as wb:
        log = wb.new_time_series_log("metrics")
        for _ in _log_growing(log):
            assert wb.flush(30)
        assert wb.flush(30)
        running = ExperimentRepository(store_prefix)[wb.tag]["metrics.csv"]
        keys = sorted(o.key for o in storage.list(segments_prefix(wb.tag, "metrics.csv"), delimiter=None).objects)
        from_recipe = _recipe()([storage.get_bytes(k) for k in keys])
    final = ExperimentRepository(store_prefix)[wb.tag]["metrics.csv"]
    assert len(keys) >= 3
    assert list(running.columns) == list(final.columns) == ["loss", "lr", "val_loss", "Date"]
    assert running.drop(columns="Date").fillna(-1).equals(final.drop(columns="Date").fillna(-1))
    assert final.index.tolist() == [0, 1, 2, 3, 4, 5]
    assert final["val_loss"].fillna(-1).tolist() == [-1] * 5 + [0.3]
    final_text = storage.get_bytes(f"{wb.tag}/metrics.csv").decode("utf-8")
    assert from_recipe == final_text
