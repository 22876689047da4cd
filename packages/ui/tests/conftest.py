"""Stores for the dashboard's tests, written directly in the on-store format (``docs/format.md``).

Runs are folders of plain objects, so a store of hundreds of runs is written in well
under a second with the shared builder (``tests/builders.py``), without the writer's
threads. ``serve`` serves the real application from a thread on a free loopback port.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
import json

from builders import StoreBuilder, iso, tag_minute
from headless_chromium import CHROMIUM, launch_chromium
from lab_workbook_ui import BackgroundServer, create_app
import pytest
from store_fixtures import builder_fixtures

BASE = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def tag_for(i: int) -> str:
    """A generated-looking tag whose minute is ``BASE + i`` minutes (so tags sort as runs started)."""
    return (BASE + timedelta(minutes=i)).strftime("%Y%m%d%H%M") + f"-run{i:07d}"


def series_csv(points: int, scale: float = 1.0, start: datetime = BASE) -> str:
    lines = ["step,loss,accuracy,Date"]
    for step in range(points):
        when = iso(start + timedelta(seconds=step))
        lines.append(f"{step},{scale * 2.0 / (1 + step)!r},{step / max(points, 1)!r},{when}")
    return "\r\n".join(lines) + "\r\n"


class RunStore(StoreBuilder):
    """The shared builder (``tests/builders.py``), plus sweeps of numbered runs with parameters and a series."""

    def run(
        self,
        i: int,
        *,
        status: str = "finished",
        points: int = 50,
        params: dict | None = None,
        extra: dict[str, bytes | str] | None = None,
        **record: object,
    ) -> str:
        tag = tag_for(i)
        started = BASE + timedelta(minutes=i)
        self.put(tag, "parameters.json", json.dumps(params if params is not None else default_params(i)))
        if points:
            self.put(tag, "Training loss.csv", series_csv(points, scale=1 + i % 7, start=started))
        for name, data in (extra or {}).items():
            self.put(tag, name, data)
        self.record(tag, status, started=started, **record)
        return tag

    tag_for = staticmethod(tag_for)
    started = staticmethod(tag_minute)  # when a run made by :meth:`run` started

    def series(self, tag: str, points: int) -> str:
        return series_csv(points, start=self.started(tag))

    def many(self, count: int, *, points: int = 50) -> list[str]:
        return [self.run(i, points=points, description=f"sweep run {i}") for i in range(count)]


def default_params(i: int) -> dict:
    return {"lr": [0.1, 0.01, 0.001, 0.0001][i % 4], "model": {"name": ["resnet", "vit"][i % 2], "depth": 10 + i % 5}}


# On a local folder; and once on a local folder, once on the S3 endpoint.
run_store, any_run_store = builder_fixtures(RunStore, "local", "both")


@pytest.fixture
def serve() -> Iterator:
    """``serve(prefix, **create_app options)`` -> the base URL of a running dashboard (stopped after the test)."""
    servers: list[BackgroundServer] = []

    def start(prefix: str, host: str = "127.0.0.1", **options: object) -> str:
        server = BackgroundServer(create_app(prefix, host=host, **options), host=host)  # type: ignore[arg-type]
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


def chromium_missing_reason() -> str | None:
    if CHROMIUM.exists():
        return None
    return "Debian's chromium is not installed (apt-get install -y chromium; .ci/run installs it)"


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Headless Debian chromium driven by playwright (never `playwright install`)."""
    reason = chromium_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda err: errors.append(str(err)))
    tab.errors = errors  # type: ignore[attr-defined]
    yield tab
    context.close()


@pytest.fixture
def frameworks(run_store: RunStore) -> dict[str, str]:
    """A Lightning-like and a Hugging Face-like run made with the writer: their parameters saved as
    those frameworks save them (``hparams.json``, ``training_args.json``), and a series of several
    fields each, so the dashboard shows them as it shows a real one (``{"lightning": tag, "hf": tag}``)."""
    from lab_workbook_writer import new_experiment

    tags = {}
    prefix = run_store.prefix
    with new_experiment(prefix, description="lightning-like: MLP") as wb:
        wb.save_json("hparams", {"lr": 0.02, "batch_size": 32, "model": {"hidden": 64}})
        log = wb.new_time_series_log("metrics", ["step", "train_loss", "val_loss", "val_acc"])
        for step in range(60):
            log(step=step, train_loss=1 / (1 + step), val_loss=1.2 / (1 + step), val_acc=step / 60)
        tags["lightning"] = wb.tag
    with new_experiment(prefix, description="hf-like: bert") as wb:
        wb.save_json("training_args", {"learning_rate": 5e-5, "per_device_train_batch_size": 16, "num_train_epochs": 3})
        log = wb.new_time_series_log("trainer_log", ["step", "loss", "learning_rate", "grad_norm"])
        for step in range(40):
            log(step=step, loss=2 / (1 + step), learning_rate=5e-5 * (1 - step / 40), grad_norm=1 + step % 3)
        tags["hf"] = wb.tag
    return tags
