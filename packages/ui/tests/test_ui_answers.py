"""Answers about ended runs are made once per dashboard, and made afresh when a record changes."""

from __future__ import annotations

from urllib.parse import quote

from dashboard_http import get_json
from lab_workbook import ExperimentRepository
from lab_workbook_ui._answers import FinishedAnswers


def counted(made: list[str], answer: str):  # type: ignore[no-untyped-def]
    def make() -> str:
        made.append(answer)
        return answer

    return make


def test_an_answer_about_ended_runs_is_made_once(run_store):
    tags = [run_store.run(0), run_store.run(1, status="failed"), run_store.run(2, status="interrupted")]
    wb = ExperimentRepository(run_store.prefix)
    answers, made = FinishedAnswers(), []
    first = answers.get(wb, tags, "q", counted(made, "one"))
    again = answers.get(wb, tags, "q", counted(made, "two"))
    assert (first, again, made) == ("one", "one", ["one"])


def test_an_answer_involving_a_running_run_is_made_each_time(run_store):
    tags = [run_store.run(0), run_store.run(1, status="running")]
    wb = ExperimentRepository(run_store.prefix)
    answers, made = FinishedAnswers(), []
    answers.get(wb, tags, "q", counted(made, "one"))
    assert answers.get(wb, tags, "q", counted(made, "two")) == "two"
    assert made == ["one", "two"]


def test_kept_answers_stay_within_their_limit_the_least_recently_used_dropped_first(run_store):
    tags = [run_store.run(0)]
    wb = ExperimentRepository(run_store.prefix)
    answers, made = FinishedAnswers(limit=10), []
    answers.get(wb, tags, "a", counted(made, "aaaa"))
    answers.get(wb, tags, "b", counted(made, "bbbb"))
    answers.get(wb, tags, "a", counted(made, "AAAA"))  # kept: now the most recently used
    answers.get(wb, tags, "c", counted(made, "cccc"))  # 12 characters: "b" is dropped
    assert answers.get(wb, tags, "a", counted(made, "AAAA")) == "aaaa"
    assert answers.get(wb, tags, "b", counted(made, "BBBB")) == "BBBB"
    assert answers.get(wb, tags, "x", counted(made, "x" * 11)) == "x" * 11  # larger than the limit: not kept
    assert made == ["aaaa", "bbbb", "cccc", "BBBB", "x" * 11]


def test_a_failed_run_resumed_while_the_dashboard_runs_has_its_new_rows_drawn(run_store, serve):
    tag = run_store.run(0, status="failed", points=40)
    url = serve(run_store.prefix, refresh_seconds=0)
    query = f"/api/curves?tags={tag}&series={quote('Training loss.csv')}&fields=loss&width=full"
    assert get_json(url, query)["curves"][0]["points"] == 40
    assert get_json(url, "/api/fields?tags=" + tag)["series"][0]["fields"] == ["loss", "accuracy"]
    run_store.put(tag, "Training loss.csv", run_store.series(tag, 90))
    run_store.record(tag, "running", started=run_store.started(tag))
    assert get_json(url, query)["curves"][0]["points"] == 90
    run_store.record(tag, "finished", started=run_store.started(tag), minutes=9)
    assert get_json(url, query)["curves"][0]["points"] == 90
