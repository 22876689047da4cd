"""An experiment's ticker thread: drains series to disk, starts their due uploads, beats the heart.

One daemon thread per experiment wakes every half ``flush_seconds`` of its
fastest series (at most every 0.5 s): it drains each series' waiting rows to the
spool, asks for an upload of rows older than their ``flush_seconds``, and queues
the run record again every ``heartbeat_seconds`` so readers can tell a live run
from a dead one. It must outlive any surprise, so an error is reported, not raised.
"""

from __future__ import annotations

from collections.abc import Callable
import threading
import time
from typing import TYPE_CHECKING

from ._notices import warn

if TYPE_CHECKING:
    from ._series import TimeSeriesLog

__all__ = ["Ticker"]


class Ticker:
    """The background bookkeeping of one experiment (started at once; :meth:`stop` ends it).

    Args:
        label: how messages name the experiment (its tag).
        series: the experiment's series now (called at every tick: series are added as the run goes).
        heartbeat: queue the run record again.
        heartbeat_seconds: how often to call ``heartbeat``.
    """

    def __init__(
        self,
        label: str,
        *,
        series: Callable[[], list[TimeSeriesLog]],
        heartbeat: Callable[[], None],
        heartbeat_seconds: float,
    ) -> None:
        self._label, self._series, self._heartbeat, self._heartbeat_seconds = (
            label,
            series,
            heartbeat,
            heartbeat_seconds,
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lab-workbook-ticker-{label}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread and wait for it (unless called from it): a heartbeat queued later would
        supersede the final run record."""
        self._stop.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        next_heartbeat = time.monotonic() + self._heartbeat_seconds
        while True:
            series = self._series()
            interval = min([0.5, self._heartbeat_seconds / 2, *(s.flush_seconds / 2 for s in series)])
            if self._stop.wait(interval):
                return
            try:
                now = time.monotonic()
                for each in series:
                    each.drain()
                    if each.due(now):
                        each.request_upload()
                if now >= next_heartbeat:
                    next_heartbeat = now + self._heartbeat_seconds
                    self._heartbeat()
            except Exception as err:  # the ticker must outlive any surprise; say it once
                warn(f"background bookkeeping of experiment {self._label} failed: {type(err).__name__}: {err}")
