"""save_image and save_figure: what the store holds, decoded with Pillow, pixel by pixel."""

from __future__ import annotations

import io
import json
import re
import threading

from lab_workbook_core import ExperimentClosedError, InvalidNameError, InvalidValueError, load_config, open_storage
from lab_workbook_core.keys import run_record_key
from lab_workbook_writer import new_experiment
import pytest

Image = pytest.importorskip("PIL.Image")
np = pytest.importorskip("numpy")


def png(store, tag: str, name: str):
    data = store.bytes(tag, name)
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), f"{name} is not a PNG"
    return Image.open(io.BytesIO(data))


def as_array(image) -> np.ndarray:
    return np.asarray(image)


def test_numpy_images_saved_at_several_steps_are_pngs_with_the_same_pixels(store):
    frames = {step: np.random.default_rng(step).integers(0, 256, (6, 5, 3), dtype=np.uint8) for step in (0, 7, 1200)}
    with new_experiment(store.prefix) as wb:
        for step, frame in frames.items():
            wb.save_image("samples", frame, step=step)
    assert [k for k in store.keys(wb.tag) if k.startswith("samples/")] == [
        "samples/step-00000000.png",
        "samples/step-00000007.png",
        "samples/step-00001200.png",
    ]
    for step, frame in frames.items():
        image = png(store, wb.tag, f"samples/step-{step:08d}.png")
        assert image.mode == "RGB"
        assert np.array_equal(as_array(image), frame)


def test_without_a_step_the_picture_is_name_dot_png_and_saving_it_again_replaces_it(store):
    with new_experiment(store.prefix) as wb:
        wb.save_image("attention/layer 1", np.zeros((4, 4), dtype=np.uint8))
        wb.save_image("attention/layer 1", np.full((4, 4), 9, dtype=np.uint8))
    image = png(store, wb.tag, "attention/layer 1.png")
    assert image.mode == "L" and np.array_equal(as_array(image), np.full((4, 4), 9, dtype=np.uint8))


def test_float_pixels_are_rounded_from_0_1_to_0_255_clipped_and_nan_is_0(local_prefix):
    values = np.array([[0.0, 0.5, 1.0, 0.2], [-0.3, 1.7, np.nan, 0.999]], dtype=np.float32)
    with new_experiment(local_prefix) as wb:
        wb.save_image("f", values)
    got = as_array(png(_view(local_prefix), wb.tag, "f.png"))
    assert got.tolist() == [[0, 128, 255, 51], [0, 255, 0, 255]]
    assert np.array_equal(got, expected_uint8(values))


def expected_uint8(values: np.ndarray) -> np.ndarray:
    """docs/writer.md: floor(x * 255 + 0.5), clipped to 0..255, NaN as 0."""
    return np.clip(np.floor(np.nan_to_num(values, nan=0.0) * 255 + 0.5), 0, 255).astype(np.uint8)


def test_torch_chw_float_and_hwc_uint8_tensors_become_the_same_pixels(store, torch):
    chw = torch.rand(3, 8, 6, generator=torch.Generator().manual_seed(1))
    hwc = torch.randint(0, 256, (8, 6, 4), dtype=torch.uint8, generator=torch.Generator().manual_seed(2))
    with new_experiment(store.prefix) as wb:
        wb.save_image("chw", chw, step=1)
        wb.save_image("hwc", hwc, step=torch.tensor(2))
    image = png(store, wb.tag, "chw/step-00000001.png")
    assert image.mode == "RGB"
    assert np.array_equal(as_array(image), expected_uint8(chw.permute(1, 2, 0).numpy()))
    image = png(store, wb.tag, "hwc/step-00000002.png")
    assert image.mode == "RGBA" and np.array_equal(as_array(image), hwc.numpy())


def test_a_pil_image_or_array_changed_after_the_call_is_saved_as_it_was(local_prefix):
    picture = Image.new("RGB", (3, 2), (10, 20, 30))
    array = np.zeros((2, 3), dtype=np.uint8)
    with new_experiment(local_prefix) as wb:
        wb.save_image("pil", picture)
        wb.save_image("array", array)
        picture.paste((255, 0, 0), (0, 0, 3, 2))
        array[:] = 255
    view = _view(local_prefix)
    assert png(view, wb.tag, "pil.png").getpixel((0, 0)) == (10, 20, 30)
    assert as_array(png(view, wb.tag, "array.png")).max() == 0


def test_a_batch_is_tiled_row_by_row_with_2_black_pixels_around_each_tile(local_prefix):
    batch = np.stack([np.full((4, 3, 3), 10 * (i + 1), dtype=np.uint8) for i in range(5)])  # NHWC, 4 high, 3 wide
    with new_experiment(local_prefix) as wb:
        wb.save_image("grid", batch, grid=2)  # 5 tiles -> 3 rows of 2
        wb.save_image("square", batch, grid=True)
    grid = as_array(png(_view(local_prefix), wb.tag, "grid.png"))
    assert grid.shape == (3 * (4 + 2) + 2, 2 * (3 + 2) + 2, 3)
    for i in range(5):
        row, column = divmod(i, 2)
        top, left = 2 + row * 6, 2 + column * 5
        assert (grid[top : top + 4, left : left + 3] == 10 * (i + 1)).all()
    assert grid[:2].max() == 0 and grid[:, :2].max() == 0  # padding
    assert (grid[2 + 2 * 6 :, 2 + 5 :] == 0).all()  # the missing sixth tile
    square = png(_view(local_prefix), wb.tag, "square.png")
    assert square.size == (3 * (3 + 2) + 2, 2 * (4 + 2) + 2)  # 5 tiles -> 3 columns, 2 rows


def test_a_list_of_pil_images_and_a_torch_nchw_batch_are_tiled_too(local_prefix, torch):
    tiles = [Image.new("L", (2, 2), 50 * (i + 1)) for i in range(3)]
    with new_experiment(local_prefix) as wb:
        wb.save_image("pils", tiles, grid=3)
        wb.save_image("nchw", torch.ones(4, 1, 2, 2), grid=True)
    view = _view(local_prefix)
    row = as_array(png(view, wb.tag, "pils.png"))
    assert row.shape == (6, 14) and [row[2, 2], row[2, 6], row[2, 10]] == [50, 100, 150]
    assert as_array(png(view, wb.tag, "nchw.png"))[2:4, 2:4].tolist() == [[255, 255], [255, 255]]


@pytest.mark.parametrize(
    ("image", "grid", "message"),
    [
        (np.zeros((2, 4, 4, 3), dtype=np.uint8), False, "pass grid=True"),
        (np.zeros((4, 4), dtype=np.int64), False, "must be uint8 (0-255), float (0-1) or bool"),
        (np.zeros((5, 5, 2), dtype=np.uint8), False, "channels (1, 3 or 4)"),
        (np.zeros((4,), dtype=np.uint8), False, "must be HW, HWC or CHW"),
        ("picture.png", False, "takes a PIL image, a numpy array or a torch tensor"),
        ([np.zeros((2, 2), dtype=np.uint8)], False, "needs grid=True"),
        (np.zeros((2, 4, 4), dtype=np.uint8), 0, "grid must be False, True or a number of columns"),
    ],
)
def test_what_is_not_a_picture_is_refused_at_the_call(local_prefix, image, grid, message):
    with new_experiment(local_prefix) as wb, pytest.raises(InvalidValueError, match=re.escape(message)):
        wb.save_image("bad", image, grid=grid)
    assert not any(k.startswith("bad") for k in _view(local_prefix).keys(wb.tag))


@pytest.mark.parametrize("step", [-1, 1.5, "3", True])
def test_a_step_must_be_a_non_negative_integer(local_prefix, step):
    with new_experiment(local_prefix) as wb, pytest.raises(InvalidValueError, match="non-negative integer"):
        wb.save_image("samples", np.zeros((2, 2), dtype=np.uint8), step=step)


def test_names_are_validated_like_every_artifact_name(local_prefix):
    with new_experiment(local_prefix) as wb:
        for name in ("../escape", ".lab-workbook/x", ""):
            with pytest.raises(InvalidNameError):
                wb.save_image(name, np.zeros((2, 2), dtype=np.uint8), step=1)
    with pytest.raises(ExperimentClosedError):
        wb.save_image("late", np.zeros((2, 2), dtype=np.uint8))


def test_flush_returns_once_the_pictures_are_encoded_and_in_the_store(store):
    wb = new_experiment(store.prefix)
    for step in range(5):
        wb.save_image("samples", np.full((64, 64, 3), step, dtype=np.uint8), step=step)
    assert wb.flush(timeout=30)
    assert sum(k.startswith("samples/step-") for k in store.keys(wb.tag)) == 5
    wb.close()
    record = store.record(wb.tag)["artifacts"]  # complete at close, like every save
    assert record["samples/step-00000004.png"]["size"] == len(store.bytes(wb.tag, "samples/step-00000004.png"))


def test_pictures_saved_just_before_the_script_ends_reach_the_store(run_script, local_prefix):
    process = run_script(f"""
        import numpy as np
        from lab_workbook_writer import new_experiment
        wb = new_experiment({local_prefix!r})
        for step in range(20):
            wb.save_image("samples", np.full((128, 128, 3), step, dtype=np.uint8), step=step)
        print("TAG", wb.tag)
    """)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    tag = out.split("TAG ")[1].split()[0]
    view = _view(local_prefix)
    assert sum(k.startswith("samples/step-") for k in view.keys(tag)) == 20
    assert as_array(png(view, tag, "samples/step-00000019.png")).max() == 19
    assert view.record(tag)["status"] == "finished"


def test_a_matplotlib_figure_is_saved_at_its_size_and_dpi(store):
    matplotlib = pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    del matplotlib
    figure = Figure(figsize=(2, 1.5), dpi=50, facecolor=(1.0, 0.0, 0.0))
    figure.add_subplot().plot([0, 1], [1, 0])
    with new_experiment(store.prefix) as wb:
        wb.save_figure("curves", figure, step=3)
        wb.save_figure("curves hi-res", figure, dpi=100)
    image = png(store, wb.tag, "curves/step-00000003.png")
    assert image.size == (100, 75) and image.mode == "RGBA"
    assert image.getpixel((0, 0)) == (255, 0, 0, 255)  # the face colour, in a corner
    assert png(store, wb.tag, "curves hi-res.png").size == (200, 150)


def test_save_figure_refuses_what_is_not_a_figure(local_prefix):
    with new_experiment(local_prefix) as wb, pytest.raises(InvalidValueError, match="matplotlib Figure"):
        wb.save_figure("curves", np.zeros((2, 2)))


def test_the_encoder_drops_a_picture_saved_again_before_it_was_encoded():
    from lab_workbook_writer._encoder import ImageEncoder
    from lab_workbook_writer._images import image_pixels

    started, release, written = threading.Event(), threading.Event(), []

    def write(artifact: str, data: bytes) -> None:
        started.set()
        release.wait(10)
        written.append((artifact, np.asarray(Image.open(io.BytesIO(data))).max()))

    encoder = ImageEncoder(write, label="test")
    encoder.submit("first.png", image_pixels(np.zeros((2, 2), dtype=np.uint8)))
    assert started.wait(10)  # the encoder is busy with "first"
    for value in (1, 2, 3):
        encoder.submit("x.png", image_pixels(np.full((2, 2), value, dtype=np.uint8)))
    assert not encoder.wait(0.05)
    release.set()
    encoder.close()
    assert written == [("first.png", 0), ("x.png", 3)]


def test_the_encoder_backlog_is_bounded_so_a_fast_loop_waits_for_it():
    from lab_workbook_writer._encoder import ImageEncoder
    from lab_workbook_writer._images import image_pixels

    release = threading.Event()
    encoder = ImageEncoder(lambda artifact, data: release.wait(10), label="test", max_bytes=100)
    encoder.submit("a.png", image_pixels(np.zeros((8, 8), dtype=np.uint8)))  # 64 bytes
    done = threading.Event()
    threading.Thread(
        target=lambda: (encoder.submit("b.png", image_pixels(np.zeros((8, 8), dtype=np.uint8))), done.set()),
        daemon=True,
    ).start()
    assert not done.wait(0.2)  # 64 + 64 > 100: waits
    release.set()
    assert done.wait(10)
    encoder.close()


class _View:
    """Read a store with core's storage (what the writer tests' ``store`` fixture does, for one prefix)."""

    def __init__(self, prefix: str) -> None:
        self.storage = open_storage(load_config(prefix))

    def keys(self, tag: str) -> list[str]:
        return sorted(o.key[len(tag) + 1 :] for o in self.storage.list(f"{tag}/", delimiter=None).objects)

    def bytes(self, tag: str, name: str) -> bytes:
        return self.storage.get_bytes(f"{tag}/{name}")

    def record(self, tag: str) -> dict:
        return json.loads(self.storage.get_bytes(run_record_key(tag)))


_view = _View


def test_a_sliced_tensor_and_a_boolean_mask_are_saved_as_they_look(local_prefix, torch):
    base = torch.rand(3, 6, 8, generator=torch.Generator().manual_seed(3))
    sliced = base[:, 1:5, ::2]  # not contiguous
    mask = torch.tensor([[True, False], [False, True]])
    with new_experiment(local_prefix) as wb:
        wb.save_image("sliced", sliced)
        wb.save_image("mask", mask)
    view = _view(local_prefix)
    assert np.array_equal(as_array(png(view, wb.tag, "sliced.png")), expected_uint8(sliced.permute(1, 2, 0).numpy()))
    assert as_array(png(view, wb.tag, "mask.png")).tolist() == [[255, 0], [0, 255]]


def test_a_picture_that_fails_to_encode_makes_the_run_failed_naming_it(store, capsys):
    wb = new_experiment(store.prefix, capture_environment=False)
    wb.save_image("fine", Image.new("RGB", (4, 4)))
    wb.save_image("premultiplied", Image.new("La", (4, 4)))  # accepted, but Pillow cannot convert "La" to RGBA
    assert wb.close() is False
    record = store.record(wb.tag)
    assert record["status"] == "failed" and record["error"]["type"] == "ValueError"
    assert "1 picture(s) could not be encoded: 'premultiplied.png' (ValueError)" in record["error"]["message"]
    assert "fine.png" in record["artifacts"] and "premultiplied.png" not in record["artifacts"]
    assert "could not save image 'premultiplied.png'" in capsys.readouterr().err
