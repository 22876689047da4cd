"""Sweep views from the runs table the page has: parallel coordinates whose brushes filter the table, a scatter
of a parameter against a metric, and curves grouped by a parameter (issue 25)."""

from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import expect
import pytest


@pytest.fixture
def sweep(run_store):  # type: ignore[no-untyped-def]
    """16 runs: lr cycles through 0.1, 0.01, 0.001, 0.0001; model.name resnet/vit; depth 10-14."""
    return [run_store.run(i, points=20) for i in range(16)]


def _drag(page, selector: str, top: float, bottom: float) -> None:  # type: ignore[no-untyped-def]
    """Drag along an axis from `top` to `bottom` (fractions of its height from its top)."""
    box = page.locator(selector).bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + box["height"] * top)
    page.mouse.down()
    page.mouse.move(x, box["y"] + box["height"] * (top + bottom) / 2, steps=3)
    page.mouse.move(x, box["y"] + box["height"] * bottom, steps=3)
    page.mouse.up()


def test_a_parallel_coordinates_brush_filters_the_table_and_back_removes_it(run_store, serve, page, sweep):
    url = serve(run_store.prefix)
    page.goto(f"{url}#/runs?sweep=1&cols={quote('Training loss.csv:loss')}")
    expect(page.locator("#count")).to_have_text("16 of 16 runs")
    expect(page.locator("#parallel polyline")).to_have_count(16)
    axes = page.locator("#parallel g.axis").evaluate_all("gs => gs.map(g => g.dataset.column)")
    assert axes == ["params.lr", "params.model.name", "params.model.depth", "loss.last"]
    assert page.input_value("#metric") == "loss.last"

    # The top of the lr axis (0.1 ... 0.05): only the runs with lr=0.1.
    _drag(page, '#parallel rect.brush-area[data-column="params.lr"]', 0.02, 0.45)
    expect(page.locator("#count")).to_have_text("4 of 16 runs")
    shown = page.locator("#runs tbody tr[data-tag]").evaluate_all("rows => rows.map(r => r.dataset.tag)")
    assert sorted(shown) == sorted(sweep[0::4])
    assert "brush=params.lr" in page.url
    expect(page.locator("#sweep-count")).to_have_text("(4 of 16 runs inside the brushes)")

    # A second brush on a category axis (resnet at the bottom, vit at the top): vit with lr=0.1, none.
    _drag(page, '#parallel rect.brush-area[data-column="params.model.name"]', 0.0, 0.3)
    expect(page.locator("#count")).to_have_text("0 of 16 runs")
    assert "params.model.name~=vit" in page.url.replace("%7E", "~").replace("%3D", "=")

    page.go_back()
    expect(page.locator("#count")).to_have_text("4 of 16 runs")
    page.go_back()
    expect(page.locator("#count")).to_have_text("16 of 16 runs")
    expect(page.locator("#parallel polyline[stroke='#ddd']")).to_have_count(0)

    # A fresh tab with the brush in its URL shows the same filtered table.
    page.go_forward()
    expect(page.locator("#count")).to_have_text("4 of 16 runs")
    other = page.context.new_page()
    other.goto(page.url)
    expect(other.locator("#count")).to_have_text("4 of 16 runs")
    assert not page.errors


def test_a_scatter_shows_a_parameter_against_the_metric(run_store, serve, page, sweep):
    url = serve(run_store.prefix)
    page.goto(f"{url}#/runs?sweep=1&cols={quote('Training loss.csv:loss')}&sx=params.model.depth")
    expect(page.locator("#scatter circle")).to_have_count(16)
    assert page.input_value("#sx") == "params.model.depth"
    page.locator("#scatter circle").first.click()  # a point selects its run
    expect(page.locator("#selcount")).to_have_text("(1 selected)")
    assert not page.errors


def test_grouping_the_compare_view_by_a_parameter_draws_a_mean_and_band_per_group(run_store, serve, page, sweep):
    url = serve(run_store.prefix)
    tags = ",".join(sweep[:4])  # lr 0.1, 0.01, 0.001, 0.0001; model resnet, vit, resnet, vit
    page.goto(f"{url}#/runs?sel={tags}&series=Training+loss.csv&fields=loss&group=model.name")
    expect(page.locator("#plot")).to_have_attribute("data-groups", "2")
    groups = page.locator("#groups li").all_inner_texts()
    assert groups == [f"model.name=resnet: {sweep[0]}, {sweep[2]}", f"model.name=vit: {sweep[1]}, {sweep[3]}"]
    legend = page.locator("#plot .u-legend").inner_text()
    assert "model.name=resnet (2 runs)" in legend
    page.fill("#group", "")
    page.dispatch_event("#group", "change")
    expect(page.locator("#groups")).to_be_hidden()
    assert not page.errors


def test_a_metric_is_chosen_from_the_selected_runs_fields_without_typing(run_store, serve, page, sweep):
    url = serve(run_store.prefix)
    page.goto(f"{url}#/runs?sweep=1&sel={sweep[0]},{sweep[1]}")
    expect(page.locator('#metric option[value="+Training loss.csv:loss"]')).to_have_count(1)
    page.select_option("#metric", "+Training loss.csv:loss")
    expect(page.locator('#parallel g.axis[data-column="loss.last"]')).to_have_count(1)
    assert page.input_value("#metric") == "loss.last"
    assert page.input_value("#cols") == "Training loss.csv:loss"
    assert not page.errors
