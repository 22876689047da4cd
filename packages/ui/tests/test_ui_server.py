"""The dashboard's HTTP endpoints, served for real on 127.0.0.1: read-only, escaped, token-gated when exposed."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote, urlsplit

from dashboard_http import get_json, request
from lab_workbook import ExperimentRepository
from lab_workbook_core import ConfigError
from lab_workbook_ui import BackgroundServer, create_app
from lab_workbook_ui._security import check_binding
import pytest


def test_the_runs_table_has_params_and_series_columns_on_both_backends(any_run_store, serve):
    tags = [any_run_store.run(i, points=10) for i in range(3)]
    url = serve(any_run_store.prefix)
    table = get_json(url, "/api/runs?series=" + quote("Training loss.csv:loss"))
    rows = [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]
    assert [r["tag"] for r in rows] == tags
    assert rows[0]["status"] == "finished" and rows[0]["duration"] == 300.0
    assert rows[0]["started"].startswith("2026-01-05T08:00:00")
    assert rows[1]["params.lr"] == 0.01 and rows[1]["params.model.name"] == "vit"
    assert rows[2]["loss.last"] == pytest.approx(3 * 2.0 / 10) and rows[2]["loss.best"] == rows[2]["loss.last"]


def test_a_preview_of_the_newest_runs_says_it_is_incomplete(run_store, serve):
    tags = [run_store.run(i, points=0) for i in range(5)]
    url = serve(run_store.prefix)
    preview = get_json(url, "/api/runs?newest=2")
    assert [row[0] for row in preview["rows"]] == tags[-2:]
    assert (preview["complete"], preview["total"]) == (False, 5)
    whole = get_json(url, "/api/runs?newest=10")
    assert (len(whole["rows"]), whole["complete"]) == (5, True)


def test_a_bad_series_column_is_a_clear_400(run_store, serve):
    url = serve(run_store.prefix)
    response, body = request(url, "/api/runs?series=nocolon")
    assert response.status == 400 and "ARTIFACT:FIELD" in json.loads(body)["error"]


def test_a_run_page_lists_artifacts_with_sizes_and_an_unknown_run_is_404(run_store, serve):
    tag = run_store.run(0, points=3, extra={"notes/readme.md": "hello", "model.pt": b"\x00" * 10})
    url = serve(run_store.prefix)
    run = get_json(url, f"/api/run/{tag}")
    sizes = {a["name"]: (a["size"], a["text"]) for a in run["artifacts"]}
    assert sizes["notes/readme.md"] == (5, True) and sizes["model.pt"] == (10, False)
    assert run["parameters"]["model.name"] == "resnet" and run["status"] == "finished"
    response, body = request(url, "/api/run/202601050800-nosuchrunX")
    assert response.status == 404 and "no experiment" in json.loads(body)["error"]


def test_artifacts_are_served_as_text_or_as_downloads_never_as_html(run_store, serve):
    hostile = "<script>alert(1)</script>.txt"
    tag = run_store.run(0, points=0, extra={hostile: "<b>hi</b>", "page.html": "<script>x()</script>"})
    url = serve(run_store.prefix)
    response, body = request(url, f"/api/run/{tag}/artifact/{quote(hostile)}")
    assert response.status == 200 and body == b"<b>hi</b>"
    assert response.getheader("Content-Type") == "text/plain; charset=utf-8"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert "script-src 'self'" in response.getheader("Content-Security-Policy")
    response, body = request(url, f"/api/run/{tag}/artifact/page.html")
    assert response.getheader("Content-Type") == "application/octet-stream"
    assert response.getheader("Content-Disposition") == "attachment; filename*=UTF-8''page.html"
    response, _ = request(url, f"/api/run/{tag}/artifact/{quote('../../etc/passwd')}")
    assert response.status in (400, 404)


def test_the_diff_of_two_runs_has_parameters_and_patches(run_store, serve):
    a = run_store.run(0, points=0, extra={"Source.git-patch": "+x = 1\n"})
    b = run_store.run(1, points=0, extra={"Source.git-patch": "+x = 2\n"})
    url = serve(run_store.prefix)
    data = get_json(url, f"/api/diff?a={a}&b={b}")
    assert {"name": "lr", "before": 0.1, "after": 0.01} in data["parameters"]
    assert "-+x = 1" in data["patch"] and "++x = 2" in data["patch"]


def test_nothing_can_be_written_or_deleted(run_store, serve):
    tag = run_store.run(0, points=3)
    url = serve(run_store.prefix)
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        for path in ("/api/runs", f"/api/run/{tag}", f"/api/run/{tag}/artifact/parameters.json"):
            response, _ = request(url, path, method)
            assert response.status == 405, (method, path)
    assert get_json(url, f"/api/run/{tag}")["artifacts"][1]["name"] == "parameters.json"


def test_on_loopback_other_host_names_are_refused(run_store, serve):
    url = serve(run_store.prefix)
    response, _ = request(url, "/api/config", headers={"Host": "attacker.example"})
    assert response.status == 400
    response, _ = request(url, "/api/config", headers={"Host": "localhost"})
    assert response.status == 200


def test_with_a_token_every_api_request_needs_it(run_store, serve):
    url = serve(run_store.prefix, token="abc123")
    response, body = request(url, "/api/runs")
    assert response.status == 401 and json.loads(body)["token_required"] is True
    response, _ = request(url, "/api/runs", headers={"X-Lab-Workbook-Token": "wrong"})
    assert response.status == 401
    response, _ = request(url, "/api/runs", headers={"X-Lab-Workbook-Token": "abc123"})
    assert response.status == 200
    response, _ = request(url, "/")  # the page itself holds no data: it asks for the token
    assert response.status == 200


def test_binding_another_interface_needs_a_token_and_warns():
    assert check_binding("127.0.0.1", None) is None
    assert check_binding("localhost", None) is None
    with pytest.raises(ConfigError, match="--token"):
        check_binding("0.0.0.0", None)
    assert "warning" in check_binding("0.0.0.0", "secret")
    with pytest.raises(ConfigError, match="must not be empty"):
        check_binding("127.0.0.1", " ")


def test_a_port_in_use_names_the_option_to_change(run_store):
    app = create_app(run_store.prefix)
    with BackgroundServer(app) as first:
        port = urlsplit(first.url).port
        with pytest.raises(ConfigError, match="--port"):
            BackgroundServer(app, port=port).start()


def test_on_ipv6_loopback_no_token_is_needed_and_other_host_names_are_refused(run_store, serve):
    assert check_binding("::1", None) is None
    with pytest.raises(ConfigError, match="--token"):
        check_binding("::", None)  # every IPv6 interface
    run_store.run(0, points=0)
    url = serve(run_store.prefix, host="::1")
    assert url.startswith("http://[::1]:")
    assert get_json(url, "/api/runs")["total"] == 1  # http.client sends Host: [::1]:PORT
    response, _ = request(url, "/api/config", headers={"Host": "attacker.example"})
    assert response.status == 400
    response, _ = request(url, "/api/config", headers={"Host": "localhost:8765"})
    assert response.status == 200


def test_a_table_of_finished_runs_is_answered_again_without_requests_until_the_listing_changes(run_store, serve):
    from lab_workbook import ExperimentRepository

    run_store.run(0, points=3)
    wb = ExperimentRepository(run_store.prefix, cache=False, refresh_seconds=0)
    url = serve(run_store.prefix, repository=wb)
    _, first = request(url, "/api/runs")
    wb.storage.requests.clear()
    _, again = request(url, "/api/runs")
    assert again == first
    assert wb.storage.requests["get"] == 0  # the listing only
    run_store.run(1, points=3, status="running")
    rows = get_json(url, "/api/runs")["rows"]
    assert [row[1] for row in rows] == ["finished", "running"]
    run_store.record(run_store.tag_for(1), "finished", started=run_store.started(run_store.tag_for(1)))
    assert [row[1] for row in get_json(url, "/api/runs")["rows"]] == ["finished", "finished"]


def test_a_dashboard_warming_up_answers_the_table_and_a_bad_store_is_refused_at_once(run_store, serve):
    run_store.run(0, points=0)
    url = serve(run_store.prefix, warm_up=True)  # the repository opens on a thread
    assert get_json(url, "/api/runs")["total"] == 1
    with pytest.raises(ConfigError, match="bucket"):
        create_app("s3://", warm_up=True)


def test_the_status_filter_offers_exactly_the_statuses_the_reader_reports(run_store, serve):
    import re

    from lab_workbook_core.record import STATUSES

    response, body = request(serve(run_store.prefix), "/")
    select = re.search(r'<select id="status">(.*?)</select>', body.decode(), re.S)
    assert response.status == 200 and select is not None
    assert re.findall(r"<option>([^<]+)</option>", select.group(1)) == list(STATUSES)


def test_a_damaged_run_record_is_unreadable_with_its_reason_in_the_table_and_on_its_page(run_store, serve):
    from lab_workbook_core.keys import run_record_key

    healthy, damaged = run_store.run(0, points=5), run_store.run(1, points=5)
    run_store.storage.put_bytes(run_record_key(damaged), b'{"status": 5}')
    url = serve(run_store.prefix)
    table = get_json(url, "/api/runs")
    rows = {row["tag"]: row for row in (dict(zip(table["columns"], r, strict=True)) for r in table["rows"])}
    assert (rows[healthy]["status"], rows[healthy]["problem"]) == ("finished", "")
    assert rows[damaged]["status"] == "unreadable"
    assert rows[damaged]["problem"] == f"the run record of {damaged} has 'status' 5 (an integer; a string expected)"
    run = get_json(url, "/api/run/" + damaged)
    assert (run["status"], run["problems"]) == ("unreadable", [rows[damaged]["problem"]])
    assert get_json(url, "/api/run/" + healthy)["problems"] == []


class _BuggyRepository(ExperimentRepository):
    """A real repository with a bug in what the dashboard calls: a bare ``KeyError``, not our ``NotFoundError``."""

    def experiment(self, tag):
        return {}["a key the code forgot to check"]


def test_a_bug_of_the_dashboard_answers_500_and_logs_its_traceback(run_store, serve, caplog):
    tag = run_store.run(0, points=0)
    url = serve(None, repository=_BuggyRepository(run_store.prefix))
    with caplog.at_level(logging.ERROR, logger="lab_workbook_ui._app"):
        response, body = request(url, f"/api/run/{tag}")
    assert response.status == 500 and "KeyError" in json.loads(body)["error"]
    logged = [r for r in caplog.records if r.name == "lab_workbook_ui._app" and r.exc_info]
    assert logged and "a key the code forgot to check" in logged[0].exc_text


def test_a_query_parameter_that_is_not_a_number_is_a_clear_400(run_store, serve):
    url = serve(run_store.prefix)
    response, body = request(url, "/api/runs?newest=many")
    assert response.status == 400 and "newest must be a number" in json.loads(body)["error"]


def test_a_running_runs_duration_counts_to_its_newest_segment_not_its_heartbeat(run_store, serve):
    from datetime import UTC, datetime, timedelta

    tag = run_store.tag_for(0)
    started = (datetime.now(UTC) - timedelta(seconds=20)).isoformat()
    run_store.record(tag, "running", started=started, heartbeat=started)  # a heartbeat only at the start
    run_store.segment(tag, "Training loss.csv", 1, "step,loss\r\n0,1.0\r\n")
    url = serve(run_store.prefix)
    table = get_json(url, "/api/runs")
    row = dict(zip(table["columns"], table["rows"][0], strict=True))
    assert row["status"] == "running" and 19 < row["duration"] < 60


def test_a_poll_naming_the_version_it_has_gets_only_what_changed(run_store, serve):
    from urllib.request import Request, urlopen

    tags = [run_store.run(i, points=0) for i in range(3)]
    running = run_store.run(3, status="running", points=0)
    url = serve(run_store.prefix, refresh_seconds=0)

    def poll(known: str = "") -> tuple[str, dict]:
        with urlopen(Request(url.rstrip("/") + "/api/runs" + (f"?known={known}" if known else ""))) as response:
            return response.getheader("X-Table-Version"), json.loads(response.read())

    version, whole = poll()
    assert len(whole["rows"]) == 4
    same, answer = poll(version)
    assert same == version and answer == {"version": version, "unchanged": True}

    run_store.record(running, "finished", started=run_store.started(running))
    new = run_store.run(4, points=0)
    later, answer = poll(version)
    assert later != version and answer["columns"] == whole["columns"]
    assert sorted(row[0] for row in answer["changed"]) == [running, new] and answer["removed"] == []
    assert "rows" not in answer and tags[0] not in json.dumps(answer)

    _, answer = poll("not-a-version")  # a version the server does not know: the whole table
    assert len(answer["rows"]) == 5
