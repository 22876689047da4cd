"""Figures of the peers benchmark: per-tracker summary, the markdown table, the chart, the doc section.

Per-step costs pool every call of every round; the other figures are the median over rounds.
Each is divided by ``csv.writer``'s figure from the same run.
"""

from __future__ import annotations

import datetime
from importlib import metadata
import os
from pathlib import Path
import platform
import re
import statistics
from typing import Any

__all__ = ["machine", "markdown_table", "summarize", "write_chart", "write_doc"]

_DISTRIBUTIONS = [
    "lab-workbook-writer",
    "lab-workbook",
    "mlflow",
    "tensorboardX",
    "tensorboard",
    "wandb",
    "aim",
    "trackio",
    "pandas",
    "moto",
]
BEGIN, END = "<!-- peers:begin (written by benchmarks/peers/bench_peers.py --doc) -->", "<!-- peers:end -->"
# (key in a summary, column title, unit scale, format)
COLUMNS = [
    ("median_us", "per step, median (µs)", "{:.2f}"),
    ("p99_us", "per step, p99 (µs)", "{:.2f}"),
    ("total_s", "total with import, start, close (s)", "{:.2f}"),
    ("bytes", "bytes on disk or sent (MB)", "{:.2f}"),
    ("peak_mib", "peak RSS (MiB)", "{:.0f}"),
    ("load_s", "load `loss` into pandas (s)", "{:.3f}"),
]


def machine(names: list[str]) -> dict[str, Any]:
    """Where and with what the figures were measured."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in _DISTRIBUTIONS:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{os.cpu_count()} × {cpu}",
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _percentile(ordered: list[int], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000


def summarize(rows: list[dict[str, Any]], missing: dict[str, str], steps: int) -> list[dict[str, Any]]:
    """One summary per tracker, in the order measured, with ``ratio_<key>`` against csv.writer."""
    from trackers import TRACKERS

    names = list(dict.fromkeys(row["name"] for row in rows))
    summaries = []
    for name in names:
        mine = [row for row in rows if row["name"] == name]
        good = [row for row in mine if "error" not in row]
        item: dict[str, Any] = {"name": name, "errors": [row["error"] for row in mine if "error" in row]}
        item["load_note"] = TRACKERS[name].load_note
        if good:
            pooled = sorted(s for row in good for s in row["samples"])
            item["median_us"] = _percentile(pooled, 0.5)
            item["p99_us"] = _percentile(pooled, 0.99)
            item["total_s"] = statistics.median(row["phases_ns"]["total"] / 1e9 for row in good)
            item["phases_s"] = {
                k: statistics.median(row["phases_ns"][k] / 1e9 for row in good)
                for k in ("import", "start", "loop", "close")
            }
            sent = [row["sent_bytes"] for row in good if row.get("sent_bytes") is not None]
            item["bytes_kind"] = "sent" if sent else "disk"
            item["bytes"] = statistics.median(sent or [row["disk_bytes"] for row in good]) / 1e6
            item["disk_mb"] = statistics.median(row["disk_bytes"] for row in good) / 1e6
            item["peak_mib"] = statistics.median(row["maxrss_kib"] for row in good) / 1024
            loaded = [row for row in good if "load_s" in row]
            if loaded:
                item["load_s"] = statistics.median(row["load_s"] for row in loaded)
                item["rows"] = min(row["rows"] for row in loaded)
                item["complete"] = all(row["complete"] for row in loaded)
            item["load_errors"] = [row["load_error"] for row in good if "load_error" in row]
            item["blocked"] = sorted({b for row in good for b in row["blocked"]})
        summaries.append(item)
    for name, reason in missing.items():
        summaries.append({"name": name, "errors": [reason], "load_note": ""})
    base = next((s for s in summaries if s["name"] == "csv.writer"), {})
    for item in summaries:
        for key, _, _ in COLUMNS:
            if item.get(key) is not None and base.get(key):
                item[f"ratio_{key}"] = item[key] / base[key]
    return summaries


def _cell(item: dict[str, Any], key: str, fmt: str) -> str:
    if item.get(key) is None:
        return "–"
    text = fmt.format(item[key])
    ratio = item.get(f"ratio_{key}")
    if ratio is None or item["name"] == "csv.writer":
        return text
    return f"{text} ({ratio:,.0f}×)" if ratio >= 10 else f"{text} ({ratio:.2g}×)"


def markdown_table(summaries: list[dict[str, Any]], steps: int) -> str:
    """The table of the doc: each figure and, in brackets, its ratio to csv.writer."""
    head = ["tracker", *(title for _, title, _ in COLUMNS), f"rows loaded (of {steps:,})"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    notes = []
    for item in summaries:
        if item.get("median_us") is None:
            lines.append(f"| {item['name']} | " + " | ".join(["–"] * (len(head) - 1)) + " |")
            notes.append(f"{item['name']}: {'; '.join(item['errors'])}")
            continue
        if item.get("rows") is not None:
            rows = f"{item['rows']:,}" + ("" if item["complete"] else " **rows lost**")
        elif item.get("load_errors"):
            rows = "load failed"
            notes.append(f"{item['name']} load: {item['load_errors'][0]}")
        else:
            rows = item["load_note"] or "–"
        cells = [_cell(item, key, fmt) for key, _, fmt in COLUMNS]
        if item.get("bytes_kind") == "sent":
            cells[3] += " sent"
        lines.append(f"| {item['name']} | " + " | ".join(cells) + f" | {rows} |")
        if item.get("errors"):
            notes.append(f"{item['name']}: {len(item['errors'])} round(s) failed: {item['errors'][0]}")
        if item.get("blocked"):
            notes.append(f"{item['name']}: refused connections outside 127.0.0.1: {', '.join(item['blocked'][:5])}")
    text = "\n".join(lines)
    if notes:
        text += "\n\n" + "\n".join(f"- {note}" for note in notes)
    return text


def write_chart(summaries: list[dict[str, Any]], path: Path, steps: int) -> None:
    """Horizontal bars per figure, log scale, one panel per figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(15, 7.5), constrained_layout=True)
    for ax, (key, title, _) in zip(axes.flat, COLUMNS, strict=True):
        shown = [s for s in summaries if s.get(key)]
        names = [s["name"] for s in shown][::-1]
        values = [s[key] for s in shown][::-1]
        colours = ["#2a7ab9" if n.startswith("lab-workbook") else "#9a9a9a" if "." in n else "#e08a3c" for n in names]
        ax.barh(names, values, color=colours)
        ax.set_xscale("log")
        ax.set_title(title, fontsize=10)
        for y, value in enumerate(values):
            ax.text(value, y, f" {value:.3g}", va="center", fontsize=8)
        ax.margins(x=0.25)
    fig.suptitle(f"{steps:,} steps of 3 scalars, each tracker in a fresh process (log scale; grey: baselines)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_doc(doc: Path, table: str, about: dict[str, Any], args: Any) -> None:
    """Replace the generated part of the Peers section of ``doc`` (between the markers)."""
    versions = ", ".join(f"{k} {v}" for k, v in about["versions"].items())
    command = "hatch run peers:bench --doc"
    if args.steps != 100_000 or args.rounds != 3:
        command += f" --steps {args.steps} --rounds {args.rounds}"
    block = "\n".join(
        [
            BEGIN,
            f"Figures of {about['date']}: {args.steps:,} steps × {args.rounds} interleaved rounds; {about['cpu']}, "
            f"{about['platform']}, Python {about['python']}; load average (1, 5, 15 min) {about['load_before']} at "
            f"the start and {about['load_after']} at the end. Versions: {versions}. Reproduce with `{command}`.",
            "",
            table,
            "",
            "![Peers: per-step cost, total time, bytes, peak memory and load time, log scale](images/peers.png)",
            END,
        ]
    )
    text = doc.read_text()
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## Peers\n\n" + block + "\n"
    doc.write_text(text)
