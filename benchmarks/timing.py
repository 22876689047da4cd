"""What the reader and runs benchmarks share: their environment, their timing loop, CPU time.

The machine these benchmarks run on is shared (two cores, several other jobs), so wall times
move with its load. Each benchmark therefore measures its baseline in the same run and
compares ratios; :func:`cpu_seconds` adds the CPU time a process spent, which moves far less
with the load than wall time does, and :func:`load_average` is printed with every figure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
import os
from pathlib import Path
import statistics
import tempfile
import time
from typing import Any

__all__ = ["Timer", "bench_environment", "cpu_seconds", "load_average", "stopwatch", "timed"]


def bench_environment(name: str, *, cache: bool = True) -> Path:
    """A fresh work folder, and the environment variables that keep a benchmark off the user's setup.

    Fake credentials (moto accepts any), no instance metadata lookups, no user config file, the
    disk cache under the work folder (``cache=True``), and no proxy for 127.0.0.1.
    """
    work = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        LAB_WORKBOOK_CONFIG=str(work / "no-config"),
        NO_PROXY="127.0.0.1",
    )
    if cache:
        os.environ["LAB_WORKBOOK_CACHE_DIR"] = str(work / "cache")
    return work


def load_average() -> str:
    """The 1-minute load average, as printed beside the figures (``load 3.1``)."""
    return f"load {os.getloadavg()[0]:.1f}"


def cpu_seconds(pid: int | None = None) -> float:
    """User plus system CPU time a process has used so far (this one by default), from ``/proc``."""
    fields = Path(f"/proc/{pid or os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Timer:
    """What :func:`stopwatch` measured: wall seconds, and CPU seconds of this process and of ``others``."""

    wall: float = 0.0
    cpu: float = 0.0
    others_cpu: float = 0.0
    load: str = field(default="")

    @property
    def total_cpu(self) -> float:
        """CPU seconds of this process and the watched ones (the S3 server) together."""
        return self.cpu + self.others_cpu


@contextmanager
def stopwatch(*others: int) -> Iterator[Timer]:
    """Time the block: wall time, this process's CPU time, and that of the processes ``others``."""
    timer = Timer()
    cpu, others_cpu = cpu_seconds(), sum(cpu_seconds(pid) for pid in others)
    start = time.perf_counter()
    try:
        yield timer
    finally:
        timer.wall = time.perf_counter() - start
        timer.cpu = cpu_seconds() - cpu
        timer.others_cpu = sum(cpu_seconds(pid) for pid in others) - others_cpu
        timer.load = load_average()


def timed(
    function: Callable[[Any], object],
    repeat: int,
    setup: Callable[[], Any] = lambda: None,
    settle: Callable[[], object] = lambda: None,
    settled: list[float] | None = None,
) -> float:
    """Median wall time of ``repeat`` calls of ``function(setup())``.

    ``setup`` and ``settle`` (called after each call, e.g. to wait for the cache writes) are not
    timed; how long each ``settle`` lasted is appended to ``settled``.
    """
    times = []
    for _ in range(repeat):
        argument = setup()
        with stopwatch() as call:
            function(argument)
        times.append(call.wall)
        with stopwatch() as after:
            settle()
        if settled is not None:
            settled.append(after.wall)
    return statistics.median(times)
