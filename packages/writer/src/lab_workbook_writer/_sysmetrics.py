"""System metrics (opt-in): a background thread logging ``system.csv`` every few seconds.

``new_experiment(system_metrics=True)`` samples, every ``system_metrics_seconds`` (default
10), the machine's CPU use and memory, this process's CPU use and resident memory, and
per GPU its utilisation, memory and temperature when NVML is available (the optional
``nvidia-ml-py`` package; without it, or without a GPU, there are no GPU columns).

Nothing is added to the writer's dependencies: the machine's figures come from Linux's
``/proc`` (elsewhere from ``psutil`` if it is installed, else those columns stay empty)
and the process's CPU time from ``os.times()``. Sampling reads a few small files from
a thread that sleeps in between: the training loop does not pay for it.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
import threading
import time
from typing import TYPE_CHECKING, Any

from ._notices import warn

if TYPE_CHECKING:
    from ._experiment import Experiment

__all__ = ["SystemSampler"]

_PROC = Path("/proc")


class SystemSampler:
    """Logs one row of ``system.csv`` every ``interval`` seconds until stopped."""

    def __init__(self, experiment: Experiment, interval: float) -> None:
        self.interval = interval
        self._gpus = _Nvml.open()
        fields = ["elapsed_s", "cpu_percent", "ram_used_mb", "ram_percent", "process_cpu_percent", "process_rss_mb"]
        for index in range(self._gpus.count if self._gpus else 0):
            fields += [f"gpu{index}_util_percent", f"gpu{index}_mem_used_mb", f"gpu{index}_temp_c"]
        self._log = experiment.new_time_series_log("system", fields, save_every=100, flush_seconds=max(5.0, interval))
        self._start = time.monotonic()
        self._cpu = _cpu_times()
        self._process = (os.times(), time.monotonic())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lab-workbook-system-{experiment.tag}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the thread (called by the experiment before it seals its series)."""
        if not self._stop.is_set():
            self._stop.set()
            if threading.current_thread() is not self._thread:
                self._thread.join(5.0)
            if self._gpus:
                self._gpus.close()

    def _run(self) -> None:
        failures = 0
        while not self._stop.wait(self.interval):
            try:
                self._log(self.sample())
                failures = 0
            except Exception as err:  # sampling must never disturb the run; say so, and give up if it persists
                failures += 1
                warn(f"system metrics: sampling failed ({type(err).__name__}: {err})")
                if failures >= 3:
                    return

    def sample(self) -> dict[str, Any]:
        """One row: what the machine, this process and each GPU are doing now."""
        now = time.monotonic()
        row: dict[str, Any] = {"elapsed_s": round(now - self._start, 3)}
        cpu = _cpu_times()
        if cpu and self._cpu:
            busy, total = cpu[0] - self._cpu[0], cpu[1] - self._cpu[1]
            row["cpu_percent"] = round(100.0 * busy / total, 1) if total > 0 else 0.0
        self._cpu = cpu
        used, percent = _memory()
        row["ram_used_mb"], row["ram_percent"] = used, percent
        times, then = os.times(), self._process[1]
        spent = (times.user + times.system) - (self._process[0].user + self._process[0].system)
        row["process_cpu_percent"] = round(100.0 * spent / (now - then), 1) if now > then else 0.0
        self._process = (times, now)
        row["process_rss_mb"] = _rss_mb()
        if self._gpus:
            row.update(self._gpus.sample())
        return row


def _cpu_times() -> tuple[float, float] | None:
    """(busy, total) CPU time of the machine since boot, in jiffies (Linux), or None."""
    try:
        first = (_PROC / "stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return _psutil_cpu()
    values = [float(v) for v in first[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0.0)  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user time
    return total - idle, total


def _memory() -> tuple[float | None, float | None]:
    """(used MB, used %) of the machine's memory."""
    try:
        lines = (_PROC / "meminfo").read_text().splitlines()
    except OSError:
        return _psutil_memory()
    info = {line.split(":")[0]: float(line.split()[1]) for line in lines if ":" in line and len(line.split()) > 1}
    total, available = info.get("MemTotal"), info.get("MemAvailable", info.get("MemFree"))
    if not total or available is None:
        return None, None
    return round((total - available) / 1024, 1), round(100.0 * (total - available) / total, 1)


def _rss_mb() -> float | None:
    try:
        pages = int((_PROC / "self" / "statm").read_text().split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except (OSError, ValueError, IndexError):
        psutil = _optional("psutil")
        return None if psutil is None else round(float(psutil.Process().memory_info().rss) / 2**20, 1)


def _optional(module: str) -> Any:
    """An optional module (``psutil``, ``pynvml``), or None when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _psutil_cpu() -> tuple[float, float] | None:
    psutil = _optional("psutil")
    if psutil is None:
        return None
    times = psutil.cpu_times()
    total = sum(times)
    return total - times.idle, total


def _psutil_memory() -> tuple[float | None, float | None]:
    psutil = _optional("psutil")
    if psutil is None:
        return None, None
    memory = psutil.virtual_memory()
    return round(memory.used / 2**20, 1), float(memory.percent)


class _Nvml:
    """GPU figures through NVML (``nvidia-ml-py``, imported as ``pynvml``), when it answers."""

    def __init__(self, nvml: Any, handles: list[Any]) -> None:
        self._nvml, self._handles = nvml, handles
        self.count = len(handles)

    @classmethod
    def open(cls) -> _Nvml | None:
        try:
            pynvml = importlib.import_module("pynvml")
            pynvml.nvmlInit()
        except Exception:  # not installed, no driver, no GPU: no GPU columns
            return None
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        return cls(pynvml, handles)

    def sample(self) -> dict[str, Any]:
        nvml, row = self._nvml, {}
        for index, handle in enumerate(self._handles):
            try:
                row[f"gpu{index}_util_percent"] = nvml.nvmlDeviceGetUtilizationRates(handle).gpu
                row[f"gpu{index}_mem_used_mb"] = round(nvml.nvmlDeviceGetMemoryInfo(handle).used / 2**20, 1)
                row[f"gpu{index}_temp_c"] = nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)
            except Exception:  # one GPU that does not answer leaves its cells empty
                continue
        return row

    def close(self) -> None:
        try:
            self._nvml.nvmlShutdown()
        except Exception:
            pass
