"""Pictures in the reader: PNG artifacts as PIL images, image series by step, the steps x runs grid.

The PNGs are made here with Pillow and written with core storage, as ``docs/format.md`` lays them out.
"""

from __future__ import annotations

import io

from lab_workbook import CorruptArtifactError, LazyImage
import pytest

Image = pytest.importorskip("PIL.Image")

TAG = "202601010000-imagesAAAA"


def png(color: int | tuple[int, ...], mode: str = "L", size: tuple[int, int] = (3, 2)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format="PNG")
    return out.getvalue()


def test_a_png_artifact_loads_as_a_pil_image_and_jpeg_too(store):
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 128, 255)).save(out, format="JPEG")
    store.finished(TAG, {"confusion.png": png((1, 2, 3), "RGB"), "photo.JPG": out.getvalue()})
    exp = store.repository()[TAG]
    image = exp["confusion.png"]
    assert isinstance(image, Image.Image) and image.size == (3, 2) and image.getpixel((0, 0)) == (1, 2, 3)
    assert exp["photo.JPG"].size == (4, 4)
    assert exp.read_bytes("confusion.png").startswith(b"\x89PNG")  # the bytes stay reachable


def test_a_png_that_is_not_an_image_is_a_corrupt_artifact_naming_read_bytes(local_store):
    local_store.finished(TAG, {"broken.png": b"not a png"})
    with pytest.raises(CorruptArtifactError, match=r"broken.png is not a readable image.*exp.read_bytes"):
        local_store.repository()[TAG]["broken.png"]


def test_images_lists_only_the_steps_of_the_series_in_numeric_order(store):
    store.finished(
        TAG,
        {
            "samples/step-00001200.png": png(12),
            "samples/step-00000003.png": png(3),
            "samples/step-123456789.png": png(99),
            "samples/step-00000004.png.tmp": b"",  # not a step
            "samples/notes.txt": "x",  # not a step
            "samples/deeper/step-00000001.png": png(1),  # another series: samples/deeper
            "samples.png": png(0),  # the picture "samples" without a step
            "samples2/step-00000001.png": png(2),  # another series that shares the prefix text
        },
    )
    frame = store.repository()[TAG].images("samples")
    assert frame.step.tolist() == [3, 1200, 123456789]
    assert frame.name.tolist() == [
        "samples/step-00000003.png",
        "samples/step-00001200.png",
        "samples/step-123456789.png",
    ]
    assert str(frame.step.dtype) == "int64"
    assert store.repository()[TAG].images("samples/deeper").step.tolist() == [1]


def test_an_image_series_that_does_not_exist_is_an_empty_frame_with_the_columns(local_store):
    local_store.finished(TAG, {"parameters.json": "{}"})
    frame = local_store.repository()[TAG].images("samples")
    assert frame.empty and list(frame.columns) == ["step", "name", "image"]


def test_images_are_downloaded_only_when_loaded_and_then_once(local_store):
    local_store.finished(TAG, {f"samples/step-{s:08d}.png": png(s) for s in range(5)})
    repo = local_store.repository(cache=False)
    exp = repo[TAG]
    assert exp.status == "finished"  # the run record is read (once: the run is over)
    frame = exp.images("samples")
    gets = repo.storage.requests.get("get", 0)
    cell = frame.image[2]
    assert isinstance(cell, LazyImage) and repr(cell) == f"<LazyImage {TAG}/samples/step-00000002.png>"
    assert repo.storage.requests.get("get", 0) == gets
    assert cell.load().getpixel((0, 0)) == 2
    cell.load()
    assert repo.storage.requests.get("get", 0) == gets + 1


def test_the_grid_has_a_row_per_run_a_column_per_step_and_blank_cells_for_missing_steps(local_store):
    for tag, shade in (("202601010000-gridAAAAAA", 10), ("202601010001-gridBBBBBB", 100)):
        local_store.finished(tag, {f"samples/step-{s:08d}.png": png(shade + s) for s in range(0, 100, 10) if s != 50})
    repo = local_store.repository()
    figure = repo.image_grid(["202601010000-gridAAAAAA", "202601010001-gridBBBBBB"], "samples", steps=[0, 50, 90])
    assert [ax.get_title() for ax in figure.axes[:3]] == ["step 0", "step 50", "step 90"]
    assert figure.axes[0].get_ylabel() == "202601010000-gridAAAAAA"
    assert [ax.images[0].get_array()[0, 0] if ax.images else None for ax in figure.axes] == [
        10,
        None,
        100,
        100,
        None,
        190,
    ]
    spread = repo.image_grid(["202601010000-gridAAAAAA"], "samples", max_steps=4)
    assert [ax.get_title() for ax in spread.axes] == ["step 0", "step 30", "step 60", "step 90"]


def test_the_grid_of_a_series_no_run_has_says_so(local_store):
    local_store.finished(TAG, {"parameters.json": "{}"})
    with pytest.raises(ValueError, match="has an image series 'samples'"):
        local_store.repository().image_grid([TAG], "samples")
