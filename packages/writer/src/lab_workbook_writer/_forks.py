"""What a forked child may do with its parent's run: nothing, and it is told so.

A series belongs to the process that made it. In a forked child (a DataLoader
worker, a daemonising script) every series is sealed at the fork, so ``log()``
raises at once, naming the cause: the child's rows would otherwise go to the
parent's file behind its back, or wait in a memory no thread of the child drains.
"""

from __future__ import annotations

from collections.abc import Callable
import os
import threading
import weakref

__all__ = ["forked_child_message", "seal_in_forked_children"]

_live: list[weakref.WeakMethod[Callable[[], None]]] = []
_live_lock = threading.Lock()  # registration only: the child of a fork reads the list without it
_fork_hook_installed = False


def forked_child_message(what: str, tag: str, pid: int) -> str:
    """What a forked child is told when it writes to its parent's experiment."""
    return (
        f"{what} belongs to experiment {tag} of process {pid}; this is a forked child (a DataLoader worker, "
        "a daemonised script), which cannot write to it: return values to the main process and log there, "
        "or give this process a run of its own (docs/integrations.md, several processes of one run)"
    )


def seal_in_forked_children(seal: Callable[[], None]) -> None:
    """Call ``seal`` (a series' method) in the child of a fork; held weakly (the hook is installed with the first)."""
    global _fork_hook_installed
    with _live_lock:
        _live[:] = [ref for ref in _live if ref() is not None]
        _live.append(weakref.WeakMethod(seal))
        if not _fork_hook_installed:
            _fork_hook_installed = True
            os.register_at_fork(after_in_child=_seal_all_in_child)


def _seal_all_in_child() -> None:
    for ref in list(_live):
        seal = ref()
        if seal is not None:
            seal()
