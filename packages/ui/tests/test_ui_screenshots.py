"""The screenshots in README.md and docs/ui.md, taken from real runs made with the writer, so they cannot go stale.

A sweep of eight runs (two models, four learning rates) logs a training and an evaluation series;
the dashboard then shows their panels and the sweep view, and the pictures are saved to docs/images/.
"""

from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import expect
import pytest

IMAGES = Path(__file__).resolve().parents[3] / "docs" / "images"


@pytest.fixture
def swept(run_store):  # type: ignore[no-untyped-def]
    from lab_workbook_writer import new_experiment

    tags = []
    for i, (model, lr) in enumerate((m, lr) for m in ("mlp", "cnn") for lr in (0.3, 0.1, 0.03, 0.01)):
        rate = lr * (2 if model == "cnn" else 1)
        # fixed tags (they are in the pictures): a rerun redraws the same pictures instead of new ones
        tag = f"202612070900-{model}{i}lr{lr:g}".replace(".", "")
        with new_experiment(run_store.prefix, tag=tag, description=f"{model} lr={lr}") as wb:
            wb.save_json("parameters", {"lr": lr, "model": model, "batch_size": [32, 64][i % 2]})
            train = wb.new_time_series_log("train", ["step", "loss", "accuracy", "grad_norm"], save_every=50)
            evaluation = wb.new_time_series_log("eval", ["epoch", "val_loss", "val_accuracy"])
            for step in range(400):
                loss = 0.2 + 2 * math.exp(-step * rate / 12) + 0.05 * math.sin(step * (i + 3))
                train(
                    step=step, loss=loss, accuracy=1 - loss / 2.3, grad_norm=1 + math.exp(-step / 80) + 0.1 * (step % 7)
                )
                if step % 40 == 39:
                    evaluation(
                        epoch=step // 40 + 1, val_loss=loss * 1.1 + 0.05 * (lr > 0.1), val_accuracy=1 - loss / 2.1
                    )
            tags.append(wb.tag)
    return tags


def test_screenshots_of_the_panels_and_the_sweep_view(run_store, serve, page, swept):
    url = serve(run_store.prefix)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{url}#/runs?sel={','.join(swept)}")
    expect(page.locator("#panels")).to_have_attribute("data-panels", "5")
    IMAGES.mkdir(exist_ok=True)
    page.locator("#panels-section").screenshot(path=str(IMAGES / "ui-panels.png"))

    page.goto(f"{url}#/runs?sweep=1&cols={quote('eval.csv:val_loss')}&metric=val_loss.best&sx=params.lr")
    expect(page.locator('#parallel g.axis[data-column="val_loss.best"]')).to_have_count(1)
    expect(page.locator("#parallel polyline")).to_have_count(8)
    box = page.locator('#parallel rect.brush-area[data-column="params.lr"]').bounding_box()
    page.mouse.move(box["x"] + 12, box["y"] + box["height"] * 0.72)
    page.mouse.down()
    page.mouse.move(box["x"] + 12, box["y"] + box["height"] * 0.98, steps=4)
    page.mouse.up()
    expect(page.locator("#count")).to_have_text("4 of 8 runs")  # lr 0.03 and 0.01 of both models
    page.locator("#sweep-section").screenshot(path=str(IMAGES / "ui-sweep.png"))
    assert (IMAGES / "ui-panels.png").stat().st_size > 10_000 and (IMAGES / "ui-sweep.png").stat().st_size > 10_000
    assert not page.errors
