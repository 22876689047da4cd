"""torch is optional: without it everything but save_torch works, and save_torch says what to install."""

from missing_dependency import record_without


def test_save_torch_without_torch_raises_a_clear_missing_dependency_error(tmp_path):
    refusals, stored = record_without("torch", tmp_path / "store", 'wb.save_torch("model", {})')
    assert len(refusals) == 1
    assert refusals[0].startswith("refused: save_torch needs PyTorch, which is not installed: pip install torch")
    assert stored == [".lab-workbook", "Environment.txt", "loss.csv", "parameters.json"]
