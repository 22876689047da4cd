"""A resumed run's series reads the same through docs/format.md's recipe (an outside reader) and lab_workbook."""

from pathlib import Path
import re

from builders import StoreBuilder, attempt_entries
from lab_workbook import ExperimentRepository
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TAG = "202601010000-resumedAAA"
# Attempt 1 logged steps 0-4; attempt 2 went back to step 2; attempt 3 to step 3, and logged step 3 twice.
SERIES = (
    "step,loss,Attempt,Date\r\n"
    + "".join(f"{s},{1 + s / 10},,2026-01-01T00:0{s}:00Z\r\n" for s in range(5))
    + "".join(f"{s},{2 + s / 10},2,2026-01-01T01:0{s}:00Z\r\n" for s in range(2, 5))
    + "".join(f"3,{3 + r / 10},3,2026-01-01T02:0{r}:00Z\r\n" for r in range(2))
)


def _recipe_frame() -> pd.DataFrame:
    """The default frame as docs/format.md's pandas recipe makes it, from ./Training loss.csv."""
    text = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    code = next(block for block in re.findall(r"```python\n(.*?)```", text, re.S) if '"Attempt" in frame' in block)
    namespace: dict = {}
    exec(code, namespace)  # our own documentation
    return namespace["frame"]


def test_the_documented_recipe_gives_the_readers_default_frame(local_prefix, tmp_path, monkeypatch):
    StoreBuilder(local_prefix).finished(
        TAG, {"Training loss.csv": SERIES}, attempts=attempt_entries(["crashed"] * 2 + ["finished"])
    )
    (tmp_path / "Training loss.csv").write_text(SERIES, encoding="utf-8", newline="")
    monkeypatch.chdir(tmp_path)
    ours = ExperimentRepository(local_prefix)[TAG]["Training loss.csv"]
    theirs = _recipe_frame()
    # In file order: attempt 2's step 4 (no later attempt logged it) before attempt 3's two rows of step 3.
    assert ours.index.tolist() == theirs.index.tolist() == [0, 1, 2, 4, 3, 3]
    assert ours["loss"].tolist() == theirs["loss"].tolist() == [1.0, 1.1, 2.2, 2.4, 3.0, 3.1]
    pd.testing.assert_frame_equal(ours, theirs, check_dtype=False)
