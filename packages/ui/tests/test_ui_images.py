"""Images on a run's page: each image series with a step slider (latest first), served as pictures, names as text."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import quote

from dashboard_http import get_json, request
from PIL import Image
from playwright.sync_api import expect
import pytest

HOSTILE = '<img src=x onerror="window.__pwned = 3">'
COLOURS = {0: (255, 0, 0), 10: (0, 255, 0), 20: (0, 0, 255)}

PIXEL = """
(img) => {
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  return Array.from(context.getImageData(1, 1, 1, 1).data.slice(0, 3));
}
"""


def png(colour: tuple[int, int, int], size: tuple[int, int] = (8, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def pictured(run_store):  # type: ignore[no-untyped-def]
    """A run with an image series of three steps (red, green, blue), a hostile-named series and a figure."""
    extra = {f"samples/step-{step:08d}.png": png(colour) for step, colour in COLOURS.items()}
    extra[f"{HOSTILE}/step-00000005.png"] = png((255, 255, 0))
    extra["loss.png"] = png((0, 0, 0), (10, 10))
    return run_store.run(0, points=0, extra=extra)


def test_a_run_lists_its_image_series_by_step_and_serves_them_as_pictures(run_store, serve, pictured):
    url = serve(run_store.prefix)
    images = get_json(url, f"/api/run/{pictured}")["images"]
    assert images == [
        {"name": HOSTILE, "steps": [5], "artifacts": [f"{HOSTILE}/step-00000005.png"]},
        {"name": "samples", "steps": [0, 10, 20], "artifacts": [f"samples/step-{s:08d}.png" for s in (0, 10, 20)]},
        {"name": "loss.png", "steps": [], "artifacts": ["loss.png"]},
    ]
    response, body = request(url, f"/api/run/{pictured}/artifact/samples/step-00000010.png")
    assert response.status == 200 and body == png(COLOURS[10])
    assert response.getheader("Content-Type") == "image/png"
    assert response.getheader("Content-Disposition") is None  # shown, not saved
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    response, _ = request(url, f"/api/run/{pictured}/artifact/samples/step-00000010.png?download=1")
    assert response.getheader("Content-Disposition") == "attachment; filename*=UTF-8''step-00000010.png"
    response, body = request(url, f"/api/run/{pictured}/artifact/{quote('samples/step-00000099.png')}")
    assert response.status == 404 and "no artifact" in json.loads(body)["error"]


def test_the_run_page_shows_the_latest_step_and_the_slider_moves_through_the_steps(run_store, serve, page, pictured):
    url = serve(run_store.prefix)
    page.goto(f"{url}#/run/{pictured}")
    samples = page.locator("#images figure[data-name='samples']")
    expect(samples.locator("figcaption")).to_have_text("step 20 (3 of 3)")
    image = samples.locator("img")
    expect(image).to_have_attribute("data-loaded", "samples/step-00000020.png")
    assert image.evaluate(PIXEL) == list(COLOURS[20])
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [8, 6]

    samples.locator("input.step").fill("0")  # the slider, to the first step
    expect(samples.locator("figcaption")).to_have_text("step 0 (1 of 3)")
    expect(image).to_have_attribute("data-loaded", "samples/step-00000000.png")
    assert image.evaluate(PIXEL) == list(COLOURS[0])

    figure = page.locator("#images figure[data-name='loss.png']")
    expect(figure.locator("figcaption")).to_have_text("loss.png")
    assert figure.locator("input.step").count() == 0  # one picture: no slider
    expect(figure.locator("img")).to_have_attribute("data-loaded", "loss.png")

    hostile = page.locator("#images figure").first
    assert hostile.locator("h4").inner_text() == HOSTILE  # the name, as text
    expect(hostile.locator("img")).to_have_attribute("data-loaded", f"{HOSTILE}/step-00000005.png")
    assert page.locator("#images img").count() == 3  # nothing injected
    assert page.evaluate("window.__pwned") is None
    assert not page.errors


def test_the_chosen_step_is_in_the_url_and_a_pasted_url_shows_it(run_store, serve, page, browser, pictured):
    url = serve(run_store.prefix)
    page.goto(f"{url}#/run/{pictured}")
    samples = page.locator("#images figure[data-name='samples']")
    expect(samples.locator("figcaption")).to_have_text("step 20 (3 of 3)")
    assert "step." not in page.url  # the latest step: nothing chosen, the page follows it

    samples.locator("input.step").fill("1")
    expect(samples.locator("figcaption")).to_have_text("step 10 (2 of 3)")
    assert page.url.endswith(f"#/run/{pictured}?step.samples=10")

    other = browser.new_page()  # the URL pasted elsewhere
    try:
        other.goto(page.url)
        shown = other.locator("#images figure[data-name='samples']")
        expect(shown.locator("figcaption")).to_have_text("step 10 (2 of 3)")
        expect(shown.locator("img")).to_have_attribute("data-loaded", "samples/step-00000010.png")
        assert shown.locator("img").evaluate(PIXEL) == list(COLOURS[10])
        expect(shown.locator("input.step")).to_have_value("1")
    finally:
        other.close()

    samples.locator("input.step").fill("2")  # back to the latest: follow it again
    expect(samples.locator("figcaption")).to_have_text("step 20 (3 of 3)")
    assert "step." not in page.url

    page.goto(f"{url}#/run/{pictured}?step.samples=999")  # a step the run does not have: the latest
    page.reload()
    expect(page.locator("#images figure[data-name='samples'] figcaption")).to_have_text("step 20 (3 of 3)")
    assert not page.errors


def test_a_run_without_pictures_has_no_images_section(run_store, serve, page):
    tag = run_store.run(0, points=3)
    url = serve(run_store.prefix)
    page.goto(f"{url}#/run/{tag}")
    expect(page.locator("#run-tag")).to_have_text(tag)
    expect(page.locator("#artifacts tr").first).to_be_visible()
    assert page.locator("#images-section").is_hidden()


def test_the_images_of_the_selected_runs_are_shown_side_by_side_at_one_step(run_store, serve, page):
    a = run_store.run(0, points=0, extra={f"samples/step-{s:08d}.png": png(c) for s, c in COLOURS.items()})
    later = {0: (255, 255, 0), 20: (0, 255, 255)}
    b = run_store.run(1, points=0, extra={f"samples/step-{s:08d}.png": png(c) for s, c in later.items()})
    url = serve(run_store.prefix)
    page.goto(f"{url}#/runs?sel={a},{b}")
    expect(page.locator("#across-label")).to_have_text("step 20 (3 of 3)")  # the latest step first
    for tag, colour in ((a, COLOURS[20]), (b, later[20])):
        img = page.locator(f'#across figure[data-tag="{tag}"] img')
        expect(img).to_have_attribute("alt", f"samples of {tag}")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
        assert img.evaluate(PIXEL) == list(colour)

    page.locator("#across-step").fill("1")  # step 10: run b has none, so its step 0 is shown, labelled
    expect(page.locator("#across-label")).to_have_text("step 10 (2 of 3)")
    assert "istep=10" in page.url
    expect(page.locator(f'#across figure[data-tag="{b}"]')).to_have_attribute("data-step", "0")
    expect(page.locator(f'#across figure[data-tag="{b}"] .note')).to_have_text("step 0")
    for tag, colour in ((a, COLOURS[10]), (b, later[0])):
        img = page.locator(f'#across figure[data-tag="{tag}"] img')
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:')", arg=img.element_handle()
        )
        expect(img).to_have_attribute("data-loaded", re.compile(r"samples/step-"))
        assert img.evaluate(PIXEL) == list(colour), tag
    assert not page.errors
