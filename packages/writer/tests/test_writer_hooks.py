"""The hooks integrations use (docs/integrations.md, "Writing an integration"): on_close, note_outcome, note_exception."""

from __future__ import annotations

import logging

from lab_workbook_core import ExperimentClosedError, InvalidValueError
from lab_workbook_core.environment import ENVIRONMENT_ARTIFACT
from lab_workbook_writer import new_experiment
from lab_workbook_writer._environment import EnvironmentCapture
import pytest

UNFINISHED = {"type": "TrainingNotFinished", "message": "training did not reach its end"}


def test_an_on_close_callback_runs_once_and_its_note_decides_the_status(store):
    wb = new_experiment(store.prefix, capture_environment=False)
    calls = []
    wb.on_close(lambda: calls.append("stop"))
    wb.on_close(lambda: wb.note_outcome("failed", UNFINISHED))
    wb.close()
    wb.close()
    record = store.record(wb.tag)
    assert calls == ["stop"]
    assert (record["status"], record["error"]) == ("failed", UNFINISHED)


def test_the_first_outcome_noted_is_the_one_recorded(store):
    wb = new_experiment(store.prefix, capture_environment=False)
    wb.note_outcome("failed", UNFINISHED)
    wb.note_exception(KeyboardInterrupt())
    wb.close()
    record = store.record(wb.tag)
    assert (record["status"], record["error"]) == ("failed", UNFINISHED)


def test_a_noted_ctrl_c_is_recorded_interrupted(store):
    wb = new_experiment(store.prefix, capture_environment=False)
    wb.note_exception(KeyboardInterrupt())
    wb.close()
    assert store.record(wb.tag)["status"] == "interrupted"


def test_a_noted_exception_is_recorded_failed_with_its_type_and_message(store):
    with new_experiment(store.prefix, capture_environment=False) as wb:
        wb.note_exception(ValueError("loss is nan"))
    record = store.record(wb.tag)
    assert (record["status"], record["error"]) == ("failed", {"type": "ValueError", "message": "loss is nan"})


def test_an_on_close_callback_that_raises_is_reported_and_the_run_still_closes(store):
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler = Collect()
    logging.getLogger("lab_workbook_writer").addHandler(handler)
    try:
        wb = new_experiment(store.prefix, capture_environment=False)
        wb.on_close(lambda: 1 / 0)
        assert wb.close() is True
    finally:
        logging.getLogger("lab_workbook_writer").removeHandler(handler)
    assert store.record(wb.tag)["status"] == "finished"
    assert any("ZeroDivisionError" in message for message in seen), seen


def test_on_close_on_a_closed_run_raises_at_the_call(store):
    wb = new_experiment(store.prefix, capture_environment=False)
    wb.close()
    with pytest.raises(ExperimentClosedError, match="is closed"):
        wb.on_close(lambda: None)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("finished", UNFINISHED),
        ("crashed", UNFINISHED),
        ("failed", {"type": "X"}),
        ("failed", {"type": "X", "message": 3}),
    ],
)
def test_note_outcome_refuses_a_status_or_reason_the_record_cannot_hold(store, status, reason):
    wb = new_experiment(store.prefix, capture_environment=False)
    with pytest.raises(InvalidValueError, match="note_outcome"):
        wb.note_outcome(status, reason)
    wb.close()
    assert store.record(wb.tag)["status"] == "finished"


def test_the_environment_capture_hands_its_text_and_summary_to_its_callback():
    delivered: list[tuple[str, dict[str, object]]] = []
    EnvironmentCapture("t", lambda text, summary: delivered.append((text, summary))).finish(60.0)
    [(text, summary)] = delivered
    assert "pytest" in text and summary["artifact"] == ENVIRONMENT_ARTIFACT and summary["packages"] > 1
