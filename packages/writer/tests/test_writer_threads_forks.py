"""Threads and forks: a run ends when its process really ends, and no row is dropped without a word."""

import sys
import threading

from lab_workbook_core import ExperimentClosedError
from lab_workbook_writer import new_experiment
import pytest


@pytest.fixture
def eager_thread_switches():
    """Switch threads every microsecond (not every 5 ms): races show up in a short test."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_rows_logged_by_four_threads_while_closing_are_kept_or_refused_never_dropped(store, eager_thread_switches):
    wb = new_experiment(store.prefix)
    log = wb.new_time_series_log("Training loss", ["thread", "step", "note"], save_every=10, flush_seconds=0.1)
    accepted = [0] * 4
    started = threading.Barrier(5)

    def train(index):
        started.wait()
        step = 0
        while True:
            try:
                log(thread=index, step=step, note="x" if step % 3 else None)  # both the fast and general paths
            except ExperimentClosedError:
                return
            accepted[index] += 1
            step += 1

    threads = [threading.Thread(target=train, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    started.wait()
    while sum(accepted) < 20_000:
        threading.Event().wait(0.01)
    assert wb.close(timeout=30) is True
    for thread in threads:
        thread.join()
    rows = store.rows(wb.tag, "Training loss.csv")
    for index in range(4):  # every accepted row is there, once, in that thread's order
        steps = [int(r["step"]) for r in rows if r["thread"] == str(index)]
        assert steps == list(range(accepted[index]))


SCRIPTS = {
    "a thread outliving main": """
        import threading
        from lab_workbook_writer import new_experiment
        wb = new_experiment({prefix!r})
        log = wb.new_time_series_log("Training loss", ["step"], save_every=100, flush_seconds=0.2)
        def train():
            for step in range(50_000):
                log(step=step)
        threading.Thread(target=train).start()  # not a daemon: Python waits for it, and so must the run
    """,
    "a fork inside with": """
        import os, sys, time
        from lab_workbook_writer import new_experiment
        with new_experiment({prefix!r}) as wb:
            log = wb.new_time_series_log("Training loss", ["step"], save_every=100, flush_seconds=0.2)
            for step in range(25_000):
                log(step=step)
            pid = os.fork()
            if pid == 0:
                sys.exit(0)  # as daemonising code does: leaves the with block, runs exit hooks
            began = time.monotonic()
            os.waitpid(pid, 0)
            print("child took", time.monotonic() - began, flush=True)
            for step in range(25_000, 50_000):
                log(step=step)
    """,
    "a fork outside with": """
        import os, sys, time
        from lab_workbook_writer import new_experiment
        wb = new_experiment({prefix!r})
        log = wb.new_time_series_log("Training loss", ["step"], save_every=100, flush_seconds=0.2)
        for step in range(25_000):
            log(step=step)
        pid = os.fork()
        if pid == 0:
            sys.exit(0)
        began = time.monotonic()
        os.waitpid(pid, 0)
        print("child took", time.monotonic() - began, flush=True)
        for step in range(25_000, 50_000):
            log(step=step)
    """,
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(SCRIPTS))
def test_the_run_is_closed_once_by_its_own_process_with_every_row(store, run_script, case):
    process = run_script(SCRIPTS[case].format(prefix=store.prefix))
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "Traceback" not in err, err
    tag = out.splitlines()[0].removeprefix("Experiment Tag: ")
    for line in out.splitlines():
        if line.startswith("child took"):
            assert float(line.split()[-1]) < 10  # its exit touched nothing of the parent's run
    data = store.bytes(tag, "Training loss.csv")
    assert data.count(b"step,Date") == 1  # one header: the child wrote nothing
    assert [int(r["step"]) for r in store.parse(data)] == list(range(50_000))
    assert store.record(tag)["status"] == "finished"


FORKED_CHILD_WRITES = """
    import os, sys
    from lab_workbook_core import ExperimentClosedError
    from lab_workbook_writer import new_experiment
    with new_experiment({prefix!r}) as wb:
        log = wb.new_time_series_log("Training loss", ["step"], save_every=100, flush_seconds=0.2)
        for step in range(1_000):
            log(step=step)
        log._layout_lock.acquire()  # as if another thread were mid-row at the fork
        pid = os.fork()
        if pid != 0:
            log._layout_lock.release()
        if pid == 0:  # as a DataLoader worker that was handed the series would
            refused = []
            for attempt in (lambda: log(step=-1), lambda: log(step="x"), lambda: wb.save_json("child", {{}})):
                try:
                    attempt()
                except ExperimentClosedError as err:
                    refused.append(str(err))
            print("child refused", len(refused), refused[0] if refused else "", flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
        for step in range(1_000, 2_000):
            log(step=step)
"""


@pytest.mark.slow
def test_a_forked_child_that_logs_or_saves_is_refused_at_the_call(store, run_script):
    process = run_script(FORKED_CHILD_WRITES.format(prefix=store.prefix))
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    tag = out.splitlines()[0].removeprefix("Experiment Tag: ")
    refused = next(line for line in out.splitlines() if line.startswith("child refused"))
    assert refused.startswith("child refused 3 "), refused  # both log() paths and the save
    assert "forked child" in refused and "log there" in refused
    data = store.bytes(tag, "Training loss.csv")
    assert [int(r["step"]) for r in store.parse(data)] == list(range(2_000))  # nothing of the child's
    assert "child.json" not in store.record(tag)["artifacts"]
    assert store.record(tag)["status"] == "finished"
