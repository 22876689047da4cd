"""The page in a real browser (headless Debian chromium): table, filters, comparison, run page, live runs, escaping."""

from __future__ import annotations

from playwright.sync_api import expect
import pytest

HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
PATCH = (
    "diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n@@ -1,2 +1,2 @@\n"
    f"-lr = 0.1\n+lr = 0.01  # {HOSTILE}\n"
)

# The curve colours the page draws with (COLOURS in static/app.js), as RGB.
CURVE_RGB = [(0x1F, 0x77, 0xB4), (0xD6, 0x27, 0x28), (0x2C, 0xA0, 0x2C)]

COUNT_CURVE_PIXELS = """
([colours]) => {
  const canvas = document.querySelector('#plot canvas');
  if (!canvas) return null;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  const counts = colours.map(() => 0);
  for (let i = 0; i < data.length; i += 4) {
    colours.forEach(([r, g, b], k) => {
      if (Math.abs(data[i] - r) < 40 && Math.abs(data[i + 1] - g) < 40 && Math.abs(data[i + 2] - b) < 40 && data[i + 3] > 128) counts[k]++;
    });
  }
  return counts;
}
"""


@pytest.fixture
def store_200(run_store):  # type: ignore[no-untyped-def]
    run_store.many(200)
    return run_store


def rows_shown(page) -> int:  # type: ignore[no-untyped-def]
    return page.locator("#runs tbody tr[data-tag]").count()


def test_table_filter_select_compare_and_open_a_run(store_200, serve, page):
    url = serve(store_200.prefix, poll_seconds=1.0)
    page.goto(url)
    page.wait_for_selector("#runs tbody tr[data-tag]")
    expect(page.locator("#count")).to_have_text("200 of 200 runs")  # after a preview of the newest
    expect(page.locator("#page")).to_have_text("page 1 of 2")  # 100 rows a page
    assert 10 < rows_shown(page) < 60  # only those on screen (and a few more) are in the page
    page.locator("#table-wrap").evaluate("wrap => wrap.scrollTo(0, wrap.scrollHeight)")
    expect(page.locator(f'#runs tbody tr[data-tag="{store_200.tag_for(100)}"]')).to_have_count(1)  # the page's last
    page.locator("#table-wrap").evaluate("wrap => wrap.scrollTo(0, 0)")
    # The window of rows is drawn again on the next scroll event: wait for it, newest first.
    expect(page.locator("#runs tbody tr[data-tag]").first).to_have_attribute("data-tag", store_200.tag_for(199))

    page.fill("#pfilter", "lr=0.01, model.name=vit")
    expect(page.locator("#count")).to_have_text("50 of 200 runs")
    shown = page.locator("#runs tbody tr[data-tag]").evaluate_all("rows => rows.map(r => r.dataset.tag)")
    assert all(int(tag[-7:]) % 4 == 1 for tag in shown)  # lr=0.01 and vit: i % 4 == 1
    assert "p=lr%3D0.01" in page.url  # the filter is in the URL

    for row in range(3):
        page.locator("#runs tbody tr[data-tag]").nth(row).locator("input.select").check()
    assert page.locator("#selcount").inner_text() == "(3 selected)"
    expect(page.locator("#series")).to_have_value("Training loss.csv")
    page.fill("#fields", "loss")
    page.fill("#legend", "model.depth")
    page.click("#draw")
    # Each tick drew the series' every field already: wait for the drawing of this choice.
    expect(page.locator("#reduction")).to_contain_text("every point shown (150)")
    expect(page.locator("#plot .u-legend")).to_contain_text("depth=")
    counts = page.evaluate(COUNT_CURVE_PIXELS, [CURVE_RGB])
    assert all(n > 50 for n in counts), counts  # each of the three curves is drawn
    legend = page.locator("#plot .u-legend").inner_text()
    assert "depth=" in legend and store_200.tag_for(197) in legend
    assert "every point shown (150)" in page.locator("#reduction").inner_text()
    assert not page.errors

    # The view is in the URL: opening it in a new tab draws the same comparison.
    shared = page.url
    second = page.context.new_page()
    second.goto(shared)
    second.wait_for_selector("#plot canvas")
    assert second.locator("#selcount").inner_text() == "(3 selected)"
    assert second.input_value("#pfilter") == "lr=0.01, model.name=vit"

    page.locator("#runs tbody tr[data-tag]").first.locator("a").click()
    page.wait_for_selector("#artifacts tr")
    assert page.locator("#run-tag").inner_text() == store_200.tag_for(197)
    assert page.locator("#run-status").inner_text() == "finished"
    names = page.locator("#artifacts tr").evaluate_all("rows => rows.map(r => r.dataset.name)")
    assert names == ["Training loss.csv", "parameters.json"]
    assert "model.name" in page.locator("#params").inner_text()


def test_a_run_written_while_the_page_is_open_appears_and_updates(run_store, serve, page):
    run_store.many(3)
    url = serve(run_store.prefix, poll_seconds=0.3)
    page.goto(url)
    page.wait_for_selector("#runs tbody tr[data-tag]")
    assert rows_shown(page) == 3

    tag = run_store.run(10, status="running", points=5)
    row = page.locator(f'#runs tbody tr[data-tag="{tag}"]')
    row.wait_for(timeout=10_000)
    # The row may first show while the run's folder is half written (status unknown): wait for its record.
    expect(row.locator('td[data-column="status"]')).to_have_text("running", timeout=10_000)

    run_store.record(tag, "finished", started=run_store.started(tag))
    expect(row.locator('td[data-column="status"]')).to_have_text("finished", timeout=10_000)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_a_running_curve_extends_while_the_page_is_open(run_store, serve, page):
    tag = run_store.run(0, status="running", points=20)
    url = serve(run_store.prefix, poll_seconds=0.3)
    page.goto(f"{url}#/runs?sel={tag}&series=Training+loss.csv&fields=loss")
    expect(page.locator("#reduction")).to_contain_text("every point shown (20)")
    run_store.put(tag, "Training loss.csv", run_store.series(tag, 40))
    expect(page.locator("#reduction")).to_contain_text("every point shown (40)", timeout=10_000)


def test_hostile_names_patches_and_descriptions_show_as_text(run_store, serve, page):
    tag = run_store.run(
        0,
        description=HOSTILE,
        params={"note": HOSTILE},
        extra={f"{HOSTILE}.txt": HOSTILE, "Source.git-patch": PATCH},
    )
    other = run_store.run(1, params={"note": "plain"}, extra={"Source.git-patch": "--- a\n+++ b\n"})
    url = serve(run_store.prefix)
    page.goto(url)
    page.wait_for_selector("#runs tbody tr[data-tag]")
    assert HOSTILE in page.locator("#runs").inner_text()

    page.goto(f"{url}#/run/{tag}?diff={other}")
    page.wait_for_selector("#diff-params")
    page.wait_for_selector("#viewer span.add")
    assert HOSTILE in page.locator("#run-description").inner_text()
    names = page.locator("#artifacts tr").evaluate_all("rows => rows.map(r => r.dataset.name)")
    assert f"{HOSTILE}.txt" in names
    assert HOSTILE in page.locator("#viewer").inner_text()  # the patch, coloured, as text
    assert page.locator("#viewer span.add").first.inner_text().startswith("+lr = 0.01")
    assert page.locator("#viewer span.del").first.inner_text().startswith("-lr = 0.1")
    assert HOSTILE in page.locator("#diff-params").inner_text()

    row = page.locator("#artifacts tr", has_text=".txt")
    row.locator("button.view").click()
    expect(page.locator("#viewer-title")).to_have_text(HOSTILE + ".txt")
    assert page.locator("#viewer").inner_text().strip() == HOSTILE

    assert page.evaluate("window.__pwned") is None
    # uPlot, sweep.js, table.js, panels.js, runpage.js and app.js, nothing injected
    assert page.locator("script").count() == 6
    assert page.locator("img").count() == 0
    assert not page.errors


def test_a_token_protected_dashboard_asks_for_its_token(run_store, serve, page):
    run_store.many(2)
    url = serve(run_store.prefix, token="s3cret-token")
    page.goto(url)
    page.wait_for_selector("#token-form:not([hidden])")
    assert rows_shown(page) == 0
    page.fill("#token", "s3cret-token")
    page.click("#token-form button")
    page.wait_for_selector("#runs tbody tr[data-tag]")
    assert rows_shown(page) == 2


def test_time_axis_log_scale_and_smoothing_from_the_url_draw(run_store, serve, page):
    tag = run_store.run(0, points=300)
    url = serve(run_store.prefix)
    page.goto(f"{url}#/runs?sel={tag}&series=Training+loss.csv&fields=loss&x=time&logy=1&smooth=0.5")
    page.wait_for_selector("#plot canvas")
    assert page.locator("#x").input_value() == "time" and page.locator("#logy").is_checked()
    assert page.evaluate(COUNT_CURVE_PIXELS, [CURVE_RGB[:1]])[0] > 50
    page.locator("#plot .u-over").hover()  # the legend then shows the x under the pointer: a date
    expect(page.locator("#plot .u-legend .u-series").first).to_contain_text("2026-01-05")
    assert not page.errors


def test_a_damaged_run_shows_unreadable_with_its_reason_and_healthy_stores_have_no_problem_column(
    run_store, serve, page
):
    from lab_workbook_core.keys import run_record_key

    healthy = run_store.run(0, points=5)
    url = serve(run_store.prefix, poll_seconds=0.3)
    page.goto(url)
    page.wait_for_selector("#runs tbody tr[data-tag]")
    assert page.locator('#runs th[data-column="problem"]').count() == 0  # nothing to say: no column

    damaged = run_store.run(1, points=5)
    run_store.storage.put_bytes(run_record_key(damaged), b"")
    row = page.locator(f'#runs tbody tr[data-tag="{damaged}"]')
    expect(row.locator('td[data-column="status"]')).to_have_text("unreadable", timeout=10_000)
    expect(row.locator('td[data-column="problem"]')).to_have_text(f"the run record of {damaged} is empty (0 bytes)")
    assert page.locator(f'#runs tbody tr[data-tag="{healthy}"] td[data-column="problem"]').inner_text() == ""

    page.fill("#q", "empty (0 bytes)")  # the text filter finds runs by their problem
    expect(page.locator("#count")).to_have_text("1 of 2 runs")

    page.goto(f"{url}#/run/{damaged}")
    expect(page.locator("#run-status")).to_have_text("unreadable")
    expect(page.locator("#run-problems")).to_have_text(f"the run record of {damaged} is empty (0 bytes)")
    assert not page.errors


def test_the_attempts_column_appears_when_a_run_was_resumed_and_a_forks_page_links_its_parent(run_store, serve, page):
    from builders import attempt_entries

    parent = run_store.run(0, points=5)
    url = serve(run_store.prefix, poll_seconds=0.3)
    page.goto(url)
    page.wait_for_selector("#runs tbody tr[data-tag]")
    assert page.locator('#runs th[data-column="attempts"]').count() == 0  # no run resumed: no column

    child = run_store.run(
        1, points=5, parent={"tag": parent, "step": 3}, attempts=attempt_entries(["crashed", "finished"])
    )
    row = page.locator(f'#runs tbody tr[data-tag="{child}"]')
    expect(row.locator('td[data-column="attempts"]')).to_have_text("2", timeout=10_000)

    page.goto(f"{url}#/run/{child}")
    expect(page.locator("#run-lineage")).to_contain_text(f"forked from {parent} at step 3")
    expect(page.locator("#run-lineage")).to_contain_text("2 attempts (1: crashed on node-1, 2: finished on node-2)")
    page.locator("#run-lineage a").click()
    expect(page.locator("#run-tag")).to_have_text(parent)
    assert not page.errors
