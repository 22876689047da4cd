"""Live views that stay true (issue 25): every view a function of the URL, and nothing stale left drawn."""

from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect


def test_a_run_finishing_while_its_curves_are_shown_ends_with_every_row_drawn(run_store, serve, page):
    tag = run_store.run(0, status="running", points=20)
    url = serve(run_store.prefix, poll_seconds=0.3)
    page.goto(f"{url}#/runs?sel={tag}&series=Training+loss.csv&fields=loss")
    expect(page.locator("#reduction")).to_contain_text("every point shown (20)")
    # The rows sent at close land with the record that says "finished": the same poll sees both.
    run_store.put(tag, "Training loss.csv", run_store.series(tag, 40))
    run_store.record(tag, "finished", started=run_store.started(tag))
    row = page.locator(f'#runs tbody tr[data-tag="{tag}"]')
    expect(row.locator('td[data-column="status"]')).to_have_text("finished", timeout=10_000)
    expect(page.locator("#reduction")).to_contain_text("every point shown (40)", timeout=10_000)
    assert not page.errors


def _view(page) -> dict:  # type: ignore[no-untyped-def]
    """What the page shows: the count line, the rows' tags, the selection and the curves drawn."""
    return {
        "count": page.locator("#count").inner_text(),
        "rows": page.locator("#runs tbody tr[data-tag]").evaluate_all("rows => rows.map(r => r.dataset.tag)"),
        "selected": page.locator("#selcount").inner_text(),
        "points": page.locator("#plot").get_attribute("data-points"),
        "canvases": page.locator("#plot canvas").count(),
    }


def test_a_url_pasted_into_an_open_tab_and_back_forward_show_what_a_fresh_tab_shows(run_store, serve, page):
    tags = [run_store.run(i, points=10) for i in range(8)]
    url = serve(run_store.prefix)
    shared = f"{url}#/runs?p={quote('lr=0.1')}&sel={tags[0]},{tags[4]}&series=Training+loss.csv&fields=loss"

    fresh = page.context.new_page()
    fresh.goto(shared)
    expect(fresh.locator("#plot canvas")).to_have_count(1)
    expect(fresh.locator("#count")).to_have_text("2 of 8 runs")
    expected = _view(fresh)
    assert expected["points"] == "20" and expected["rows"] == [tags[4], tags[0]]

    page.goto(url)
    expect(page.locator("#count")).to_have_text("8 of 8 runs")
    page.goto(shared)  # the same document: only the part after # changes, as when a link is pasted
    expect(page.locator("#count")).to_have_text("2 of 8 runs")
    expect(page.locator("#plot")).to_have_attribute("data-points", "20")
    assert _view(page) == expected

    page.go_back()
    expect(page.locator("#count")).to_have_text("8 of 8 runs")
    expect(page.locator("#plot canvas")).to_have_count(0)
    assert page.input_value("#pfilter") == ""
    page.go_forward()
    expect(page.locator("#count")).to_have_text("2 of 8 runs")
    expect(page.locator("#plot")).to_have_attribute("data-points", "20")
    assert _view(page) == expected
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert not page.errors


def test_selecting_pushes_a_history_entry_and_back_unselects(run_store, serve, page):
    tags = [run_store.run(i, points=10) for i in range(3)]
    url = serve(run_store.prefix)
    page.goto(f"{url}#/runs?series=Training+loss.csv&fields=loss")
    page.locator(f'#runs tbody tr[data-tag="{tags[1]}"] input.select').check()
    expect(page.locator("#plot")).to_have_attribute("data-points", "10")
    page.go_back()
    expect(page.locator("#selcount")).to_have_text("(select runs in the table)")
    expect(page.locator("#plot canvas")).to_have_count(0)
    assert not page.locator(f'#runs tbody tr[data-tag="{tags[1]}"] input.select').is_checked()


def test_clear_selection_clears_the_curves(run_store, serve, page):
    tags = [run_store.run(i, points=10) for i in range(2)]
    url = serve(run_store.prefix)
    page.goto(f"{url}#/runs?sel={tags[0]},{tags[1]}&series=Training+loss.csv&fields=loss")
    expect(page.locator("#plot canvas")).to_have_count(1)
    page.click("#clear")
    expect(page.locator("#plot canvas")).to_have_count(0)
    expect(page.locator("#selcount")).to_have_text("(select runs in the table)")
    assert "sel=" not in page.url


def test_a_slow_answer_for_an_earlier_choice_never_replaces_the_current_one(run_store, serve, page):
    tag = run_store.run(0, points=10)
    url = serve(run_store.prefix)
    held = []  # the answer for fields=loss, held back until the later choice is drawn

    def hold_loss(route):  # type: ignore[no-untyped-def]
        if "fields=loss" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/curves?*", hold_loss)
    page.goto(f"{url}#/runs?sel={tag}&series=Training+loss.csv")
    page.wait_for_selector("#runs tbody tr[data-tag]")
    page.fill("#fields", "loss")
    page.dispatch_event("#fields", "change")
    page.fill("#fields", "accuracy")
    page.dispatch_event("#fields", "change")
    expect(page.locator("#plot")).to_have_attribute("data-fields", "accuracy")
    assert held, "the answer for the earlier choice was asked for"
    for route in held:
        try:
            route.continue_()
        except PlaywrightError:  # the page aborted it already: what this test wants
            pass
    page.wait_for_timeout(500)
    expect(page.locator("#plot")).to_have_attribute("data-fields", "accuracy")
    assert "fields=accuracy" in page.url
    assert not page.errors
