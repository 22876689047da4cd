"""The three paths that make a series whose fields grew into one CSV give the same bytes (issue 22).

The writer's close (``merge_parts`` over its local file), ``sync`` after the writer died
(``complete_series`` over the same file, its last write torn) and a reader assembling the
run's segments (``Experiment.read_bytes`` over a local store) must agree byte for byte,
for any fields, rows and torn end; and with the recipe ``docs/format.md`` gives readers
in other languages.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
import re
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lab_workbook import ExperimentRepository
from lab_workbook_core import load_config, open_storage
from lab_workbook_core.keys import segment_key
from lab_workbook_core.series_csv import header_line
from lab_workbook_writer._fieldsets import Parts, merge_parts
from lab_workbook_writer._pending import complete_series

ROOT = Path(__file__).resolve().parents[1]
TAG = "202601010000-000abcdefg"
NAMES = ["loss", "lr", "val loss", "top1", "note", "grad,norm", "é"]


def _recipe(segments: list[bytes]) -> bytes:
    """The ``assemble`` function of docs/format.md (it drops a torn line as a simple reader would)."""
    text = (ROOT / "docs" / "format.md").read_text(encoding="utf-8")
    code = next(block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "def assemble" in block)
    namespace: dict = {}
    exec(code, namespace)  # our own documentation
    return namespace["assemble"](segments).encode("utf-8")


def _line(cells: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


cells = st.one_of(
    st.just(""),
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.lists(st.sampled_from(["a", ",", '"', "\r", "\n", " ", "é", "Date"]), max_size=4).map("".join),
)
dates = st.integers(0, 2_000_000_000_000).map(lambda ms: f"2026-01-01T00:00:{ms % 60:02d}.{ms % 1000:03d}Z")


@st.composite
def series(draw):
    """Parts as the writer makes them: each header extends the one before; rows under each; segment cuts."""
    names = draw(st.permutations(NAMES))
    counts = draw(st.lists(st.integers(1, 2), min_size=1, max_size=4))
    parts, used = [], 0
    for count in counts:
        used += count
        fields = ["step", *names[: used - 1]] if used > 1 else ["step"]
        rows = draw(st.lists(st.tuples(st.lists(cells, min_size=len(fields), max_size=len(fields)), dates), max_size=4))
        cuts = draw(st.lists(st.integers(0, len(rows)), max_size=2)) if rows else []
        parts.append((fields, [_line([*row, date]) for row, date in rows], sorted(set(cuts) - {0, len(rows)})))
    width = len(parts[-1][0])
    next_line = draw(st.sampled_from(["row", "row with line breaks", "header"]))
    extra = _line(["9", *draw(st.lists(cells, min_size=width - 1, max_size=width - 1)), "2026"])
    if next_line == "row with line breaks":  # a kill inside a quoted cell can leave a line end
        extra = _line(['9\r\n"9"', *['x\r\n"y"\r\nz'] * (width - 1), "2026"])
    elif next_line == "header":
        extra = header_line([*parts[-1][0], "later"])
    line_ends = [at + 1 for at in range(len(extra) - 1) if extra[at : at + 1] == b"\n"]
    cut = draw(st.one_of(st.integers(0, len(extra) - 1), *([st.sampled_from(line_ends)] if line_ends else [])))
    torn = extra[:cut]
    return parts, torn


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(series())
def test_close_sync_and_the_reader_give_the_same_csv_for_the_same_parts(drawn):
    parts, torn = drawn
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        local = b""
        bookkeeping = None
        segments = []
        for fields, rows, cuts in parts:
            header = header_line(fields)
            if bookkeeping is None:
                bookkeeping = Parts(header)
            else:
                bookkeeping.place(len(local), header)
            local += header + b"".join(rows)
            for start, end in zip([0, *cuts], [*cuts, len(rows)], strict=True):
                segments.append(header + b"".join(rows[start:end]))

        closed = root / "closed.csv"
        closed.write_bytes(local)
        merge_parts(closed, bookkeeping, len(local))

        crashed = root / "crashed.csv"
        crashed.write_bytes(local + torn)
        complete_series(crashed)

        store = root / "store"
        storage = open_storage(load_config(str(store)))
        for seq, segment in enumerate([*segments[:-1], segments[-1] + torn], 1):
            storage.put_bytes(segment_key(TAG, "s.csv", seq), segment)
        assembled = ExperimentRepository(str(store), cache=False)[TAG].read_bytes("s.csv")

        assert closed.read_bytes() == crashed.read_bytes() == assembled == _recipe(segments)
