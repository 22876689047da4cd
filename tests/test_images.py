"""Pictures end to end: saved by the writer from PIL, numpy and torch, read back by the reader pixel for pixel."""

from __future__ import annotations

from lab_workbook import ExperimentRepository, LazyImage
from lab_workbook_writer import new_experiment
import numpy as np
import pytest

Image = pytest.importorskip("PIL.Image")

STEPS = (0, 100, 1200)


def to_uint8(values: np.ndarray) -> np.ndarray:
    """The documented conversion of float pixels: floor(x * 255 + 0.5), clipped."""
    return np.clip(np.floor(values * 255 + 0.5), 0, 255).astype(np.uint8)


def pictures(step: int, torch=None) -> dict[str, tuple[object, np.ndarray]]:
    """What is saved at a step, by series name, with the HWC uint8 pixels expected back."""
    rng = np.random.default_rng(step)
    hwc = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    gray = rng.integers(0, 256, (7, 9), dtype=np.uint8)
    if torch is None:
        return {
            "pil": (Image.fromarray(hwc), hwc),
            "numpy gray": (gray, gray),
            "numpy float": (hwc / 255.0, hwc),
        }
    chw = torch.rand(3, 8, 11, generator=torch.Generator().manual_seed(step))
    rgba = torch.randint(0, 256, (5, 6, 4), dtype=torch.uint8, generator=torch.Generator().manual_seed(step))
    return {
        "torch chw float": (chw, to_uint8(chw.permute(1, 2, 0).numpy())),
        "torch hwc uint8": (rgba, rgba.numpy()),
    }


def save_and_read_back(store_prefix: str, torch=None) -> None:
    with new_experiment(store_prefix) as wb:
        for step in STEPS:
            for name, (picture, _) in pictures(step, torch).items():
                wb.save_image(name, picture, step=step)
    exp = ExperimentRepository(store_prefix)[wb.tag]
    for step in STEPS:
        for name, (_, expected) in pictures(step, torch).items():
            image = exp[f"{name}/step-{step:08d}.png"]
            assert isinstance(image, Image.Image)
            assert np.array_equal(np.asarray(image), expected), (name, step)


def test_pictures_from_pil_and_numpy_read_back_pixel_equal_at_every_step(store_prefix):
    save_and_read_back(store_prefix)


def test_torch_chw_float_and_hwc_uint8_tensors_read_back_pixel_equal_at_every_step(store_prefix, torch):
    save_and_read_back(store_prefix, torch)


def test_exp_images_lists_the_steps_in_order_and_loads_each_lazily(store_prefix):
    with new_experiment(store_prefix) as wb:
        for step in (1200, 5, 100_000_000):  # 9 digits sorts by number, not by text
            wb.save_image("samples", np.full((2, 2), step % 251, dtype=np.uint8), step=step)
        wb.save_image("samples", np.zeros((2, 2), dtype=np.uint8))  # samples.png: not a step
        wb.save_json("samples/notes", {})  # not a step either
    wb_reader = ExperimentRepository(store_prefix)
    exp = wb_reader[wb.tag]
    frame = exp.images("samples")
    assert list(frame.columns) == ["step", "name", "image"]
    assert frame.step.tolist() == [5, 1200, 100_000_000]
    assert frame.name.tolist() == [
        "samples/step-00000005.png",
        "samples/step-00001200.png",
        "samples/step-100000000.png",
    ]
    assert all(isinstance(cell, LazyImage) for cell in frame.image)
    assert np.asarray(frame.image[1].load()).tolist() == [[1200 % 251] * 2] * 2
    assert frame.image[0]._repr_png_().startswith(b"\x89PNG")


def test_a_matplotlib_figure_reads_back_as_an_image_of_its_size(store_prefix):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(3, 2), dpi=40)
    figure.add_subplot().imshow(np.eye(4))
    with new_experiment(store_prefix) as wb:
        wb.save_figure("confusion", figure, step=10)
    image = ExperimentRepository(store_prefix)[wb.tag]["confusion/step-00000010.png"]
    assert image.size == (120, 80)


def test_the_grid_of_steps_by_runs_shows_each_runs_picture_at_each_step(local_prefix):
    tags = []
    for shade in (40, 200):
        with new_experiment(local_prefix) as wb:
            for step in (0, 10, 20):
                if not (shade == 200 and step == 10):  # the second run skipped a step
                    wb.save_image("samples", np.full((4, 4), shade + step, dtype=np.uint8), step=step)
        tags.append(wb.tag)
    repo = ExperimentRepository(local_prefix)
    figure = repo.image_grid({tags[0]: "lr=0.1", tags[1]: "lr=0.01"}, "samples")
    axes = figure.axes
    assert len(axes) == 6
    assert [ax.get_title() for ax in axes[:3]] == ["step 0", "step 10", "step 20"]
    assert [axes[0].get_ylabel(), axes[3].get_ylabel()] == ["lr=0.1", "lr=0.01"]
    shown = [ax.images[0].get_array()[0, 0] if ax.images else None for ax in axes]
    assert shown == [40, 50, 60, 200, None, 220]
    assert axes[4].texts[0].get_text() == "no image"
    assert len(repo.image_grid(tags, "samples", max_steps=2).axes) == 4  # first and last step
