"""Runs as Lightning and Hugging Face leave them (made with the writer): parameters from their own files,
a run page in labelled sections, and the diff box taking tags as the CLI does (issue 25)."""

from __future__ import annotations

import re

from dashboard_http import get_json
from playwright.sync_api import expect


def test_parameters_of_lightning_and_hugging_face_runs_fill_the_table_with_their_source(run_store, serve, frameworks):
    url = serve(run_store.prefix)
    table = get_json(url, "/api/runs")
    rows = {row[0]: dict(zip(table["columns"], row, strict=True)) for row in table["rows"]}
    lightning, hf = rows[frameworks["lightning"]], rows[frameworks["hf"]]
    assert lightning["params.lr"] == 0.02 and lightning["params.model.hidden"] == 64
    assert lightning["params from"] == "hparams.json" and lightning["params.learning_rate"] is None
    assert hf["params.learning_rate"] == 5e-5 and hf["params from"] == "training_args.json"


def test_a_json_named_with_params_is_read_first(run_store, serve):
    tag = run_store.run(0, points=0, extra={"config.json": '{"lr": 0.5, "extra": 1}'})
    url = serve(run_store.prefix, params="config.json")
    row = dict(zip(*(lambda t: (t["columns"], t["rows"][0]))(get_json(url, "/api/runs")), strict=True))
    assert row["tag"] == tag and row["params.lr"] == 0.5 and row["params.model.name"] == "resnet"
    assert row["params from"] == "config.json, parameters.json"


def test_the_table_shows_framework_parameters_and_the_run_page_reads_as_sections(run_store, serve, page, frameworks):
    url = serve(run_store.prefix)
    page.goto(url)
    row = page.locator(f'#runs tbody tr[data-tag="{frameworks["hf"]}"]')
    expect(row.locator('td[data-column="params.learning_rate"]')).to_have_text("0.00005")
    expect(row.locator('td[data-column="params from"]')).to_have_text("training_args.json")
    lightning = page.locator(f'#runs tbody tr[data-tag="{frameworks["lightning"]}"]')
    expect(lightning.locator('td[data-column="params.batch_size"]')).to_have_text("32")

    lightning.locator("a").click()
    expect(page.locator("#run-tag")).to_have_text(frameworks["lightning"])
    what = page.locator("#run-what").inner_text()
    assert "command" in what and "host" in what and "Python" in what
    expect(page.locator("#run-end")).to_contain_text("finished")
    assert page.locator("#run-error").is_hidden()
    params = page.locator("#params")
    expect(params).to_contain_text("hparams.json")
    assert params.locator('tr[data-source="hparams.json"]').count() == 3
    assert page.locator("#run-summary tr").count() > 3  # the summary as rows, not one line of JSON
    total = page.locator("#run-env tr:not([hidden])").count()
    assert total > 5
    page.fill("#env-filter", "python")
    shown = page.locator("#run-env tr:not([hidden])")
    assert 0 < shown.count() < total
    assert all("python" in t.lower() for t in shown.all_inner_texts())
    assert "env=python" in page.url
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1400, f"the run page is {width} px wide"
    assert not page.errors


def test_the_diff_box_takes_a_tag_prefix_and_shows_the_environment_line(run_store, serve, page, frameworks):
    url = serve(run_store.prefix)
    lightning, hf = frameworks["lightning"], frameworks["hf"]
    page.goto(f"{url}#/run/{lightning}")
    expect(page.locator("#run-tag")).to_have_text(lightning)
    page.fill("#diff-with", hf[:-3])  # a unique prefix, as `lab-workbook diff` takes
    page.click("#diff-go")
    expect(page.locator("#diff-output .diff-environment")).to_contain_text("environment: identical")
    expect(page.locator("#diff-output h4").first).to_contain_text("hparams.json")
    assert not page.errors


def test_a_failed_runs_error_is_highlighted(run_store, serve, page):
    tag = run_store.run(0, status="failed", error={"type": "ValueError", "message": "loss is NaN"})
    url = serve(run_store.prefix)
    page.goto(f"{url}#/run/{tag}")
    expect(page.locator("#run-error")).to_be_visible()
    expect(page.locator("#run-error-type")).to_have_text("ValueError")
    expect(page.locator("#run-error-message")).to_have_text("loss is NaN")


# Pixels of the colour the page draws the first run with (COLOURS[0] in app.js) in a panel's canvas.
RUN_COLOUR_PIXELS = """
(panel) => {
  const canvas = panel.querySelector('canvas');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - 0x1f) < 40 && Math.abs(data[i + 1] - 0x77) < 40 && Math.abs(data[i + 2] - 0xb4) < 40) n++;
  }
  return n;
}
"""


def _panels(page, box: str = "#panels") -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator(f"{box} .panel:not([hidden])").evaluate_all(
        "ps => ps.map(p => p.dataset.artifact + ':' + p.dataset.field)"
    )


def test_selecting_a_lightning_and_a_hugging_face_run_shows_a_panel_per_field(run_store, serve, page, frameworks):
    url = serve(run_store.prefix)
    page.goto(url)
    for tag in (frameworks["lightning"], frameworks["hf"]):
        page.locator(f'#runs tbody tr[data-tag="{tag}"] input.select').check()
    expect(page.locator("#panels")).to_have_attribute("data-panels", "6")
    assert _panels(page) == [
        "metrics.csv:train_loss",
        "metrics.csv:val_loss",
        "metrics.csv:val_acc",
        "trainer_log.csv:loss",
        "trainer_log.csv:learning_rate",
        "trainer_log.csv:grad_norm",
    ]
    first = page.locator('#panels .panel[data-field="train_loss"]')
    assert first.evaluate(RUN_COLOUR_PIXELS) > 50  # the Lightning run's curve is drawn
    expect(page.locator('#panels details[data-artifact="metrics.csv"] summary')).to_contain_text("1 of 2 runs")

    page.fill("#panel-filter", "loss")
    assert _panels(page) == ["metrics.csv:train_loss", "metrics.csv:val_loss", "trainer_log.csv:loss"]
    expect(page.locator("#panel-count")).to_have_text("3 of 6 panels")
    page.locator('#panels details[data-artifact="trainer_log.csv"] summary').click()
    expect(page).to_have_url(re.compile(r"fold=trainer_log\.csv"))  # the toggle event comes after the click
    assert "pf=loss" in page.url

    # The same URL in a fresh tab: the same panels searched and folded.
    other = page.context.new_page()
    other.goto(page.url)
    expect(other.locator("#panels")).to_have_attribute("data-panels", "3")
    assert other.locator('#panels details[data-artifact="trainer_log.csv"]').get_attribute("open") is None
    assert other.input_value("#panel-filter") == "loss"

    page.locator('#panels .panel[data-field="val_loss"] button.expand').click()
    expect(page.locator("#plot")).to_have_attribute("data-fields", "val_loss")
    assert page.input_value("#series") == "metrics.csv" and page.input_value("#fields") == "val_loss"
    assert not page.errors


def test_a_run_page_charts_each_of_its_fields(run_store, serve, page, frameworks):
    url = serve(run_store.prefix)
    page.goto(f"{url}#/run/{frameworks['hf']}")
    expect(page.locator("#run-panels")).to_have_attribute("data-panels", "3")
    assert _panels(page, "#run-panels") == [
        "trainer_log.csv:loss",
        "trainer_log.csv:learning_rate",
        "trainer_log.csv:grad_norm",
    ]
    assert page.locator('#run-panels .panel[data-field="loss"]').evaluate(RUN_COLOUR_PIXELS) > 50
    page.locator('#run-panels .panel[data-field="grad_norm"] button.expand').click()
    expect(page.locator("#plot")).to_have_attribute("data-fields", "grad_norm")
    assert not page.errors
