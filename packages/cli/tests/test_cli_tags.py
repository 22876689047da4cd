"""Tag arguments: a full tag, a unique prefix, ``latest`` and ``-N``; ambiguity is an error."""

from lab_workbook_cli import app
from lab_workbook_cli._tags import resolve_tag
from lab_workbook_core import ExperimentNotFound
import pytest

TAGS = ["202401011000-aaaaaaaaaa", "202401021000-bbbbbbbbbb", "202401021000-bccccccccc"]


def test_a_full_tag_resolves_to_itself():
    assert resolve_tag("202401011000-aaaaaaaaaa", TAGS) == "202401011000-aaaaaaaaaa"


def test_a_unique_prefix_resolves_to_its_tag():
    assert resolve_tag("20240101", TAGS) == "202401011000-aaaaaaaaaa"


def test_latest_is_the_newest_tag():
    assert resolve_tag("latest", TAGS) == "202401021000-bccccccccc"


def test_minus_two_is_the_run_before_the_newest():
    assert resolve_tag("-2", TAGS) == "202401021000-bbbbbbbbbb"


def test_an_ambiguous_prefix_lists_the_candidates():
    with pytest.raises(ExperimentNotFound) as info:
        resolve_tag("202401021000-b", TAGS)
    assert "ambiguous" in str(info.value)
    assert "202401021000-bbbbbbbbbb" in str(info.value) and "202401021000-bccccccccc" in str(info.value)


def test_an_unknown_tag_suggests_close_ones():
    with pytest.raises(ExperimentNotFound, match="did you mean 202401011000-aaaaaaaaaa"):
        resolve_tag("202401011000-aaaaaaaaab", TAGS)


def test_minus_n_beyond_the_store_is_not_found():
    with pytest.raises(ExperimentNotFound, match="holds only 3"):
        resolve_tag("-4", TAGS)


def test_minus_one_on_the_command_line_is_a_tag_not_an_option(runner, local_prefix, make_run, tmp_path):
    make_run(local_prefix, "202401011000-aaaaaaaaaa", {"a.txt": "old"})
    make_run(local_prefix, "202401021000-bbbbbbbbbb", {"b.txt": "new"})
    result = runner.invoke(app, ["get", "-1", "--prefix", local_prefix, "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["b.txt"]


def test_an_ambiguous_prefix_exits_1_listing_candidates(runner, local_prefix, make_run, tmp_path):
    for tag in TAGS:
        make_run(local_prefix, tag, {"a.txt": "x"})
    result = runner.invoke(app, ["get", "202401021000", "--prefix", local_prefix, "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "202401021000-bbbbbbbbbb" in result.stderr and "202401021000-bccccccccc" in result.stderr
    assert not (tmp_path / "out").exists()


def test_loose_objects_beside_experiments_are_not_tags(runner, local_prefix, make_run, tmp_path):
    make_run(local_prefix, "202401011000-aaaaaaaaaa", {"a.txt": "x"})
    (tmp_path / "store" / "README").write_text("not an experiment")
    result = runner.invoke(app, ["get", "latest", "--prefix", local_prefix, "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "a.txt").read_text() == "x"


def _sweep(prefix, count=5):
    """``count`` runs started in one minute by the writer, in start order (a sweep)."""
    from lab_workbook_writer import new_experiment

    tags = []
    for i in range(count):
        with new_experiment(prefix=prefix, description=f"run {i}") as wb:
            tags.append(wb.tag)
    return tags


def test_runs_of_one_minute_order_alike_in_the_reader_list_and_latest(runner, local_prefix, tmp_path):
    import json

    import lab_workbook

    started = _sweep(local_prefix)
    assert [e.tag for e in lab_workbook.ExperimentRepository(local_prefix)[:]] == started
    rows = json.loads(runner.invoke(app, ["list", "--json", "--prefix", local_prefix]).stdout)
    assert [r["tag"] for r in rows] == started[::-1]
    for back in (1, 2, 5):
        shown = json.loads(runner.invoke(app, ["show", f"-{back}", "--json", "--prefix", local_prefix]).stdout)
        assert shown["tag"] == started[-back]
    latest = json.loads(runner.invoke(app, ["show", "latest", "--json", "--prefix", local_prefix]).stdout)
    assert latest["tag"] == started[-1]


def test_old_random_tags_of_one_minute_are_in_tag_order(runner, local_prefix, make_run):
    import json

    for tag in ["202401011000-zzzzzzzzzz", "202401011000-aaaaaaaaaa", "202312311000-oooooooooo"]:
        make_run(local_prefix, tag, {"a.txt": tag})
    rows = json.loads(runner.invoke(app, ["list", "--json", "--prefix", local_prefix]).stdout)
    assert [r["tag"] for r in rows] == ["202401011000-zzzzzzzzzz", "202401011000-aaaaaaaaaa", "202312311000-oooooooooo"]
    shown = json.loads(runner.invoke(app, ["show", "-2", "--json", "--prefix", local_prefix]).stdout)
    assert shown["tag"] == "202401011000-aaaaaaaaaa"
