"""Notebook display, diffs between experiments, and coloured patches."""

import io
import os

import pytest

TAG_A, TAG_B = "202601010000-showAAAAAA", "202601010001-showBBBBBB"
PATCH_A = "diff --git a/train.py b/train.py\n-lr = 0.1\n+lr = 0.05\n"
PATCH_B = "diff --git a/train.py b/train.py\n-lr = 0.1\n+lr = 0.01\n"


def _two(store):
    store.finished(
        TAG_A,
        {
            "parameters.json": '{"learningRate": 0.05, "momentum": 0.9, "opt": {"nesterov": true}}',
            "Source.git-patch": PATCH_A,
        },
        git_commit="abc123",
    )
    store.finished(
        TAG_B,
        {"parameters.json": '{"learningRate": 0.01, "momentum": 0.9, "batch": 64}', "Source.git-patch": PATCH_B},
        git_commit="abc123",
    )


def test_experiment_html_shows_tag_status_started_and_artifacts(store):
    _two(store)
    html = store.repository()[TAG_A]._repr_html_()
    for text in (TAG_A, "finished", "started", "Source.git-patch", "parameters.json"):
        assert text in html


def test_a_list_of_experiments_shows_as_one_table(store):
    _two(store)
    html = store.repository()[:]._repr_html_()
    assert html.count("<tr>") == 3 and TAG_A in html and TAG_B in html and "2 experiments" in html


def test_a_long_list_shows_its_first_and_last_rows(local_store):
    for i in range(25):
        local_store.finished(f"2026010100{i:02d}-longAAAAAA", {})
    html = local_store.repository()[:]._repr_html_()
    assert "2026010100" + "00" in html and "202601010024" in html and "202601010012" not in html
    assert "…" in html and "25 experiments" in html


def test_html_escapes_descriptions(store):
    store.finished(TAG_A, {}, description="<script>alert(1)</script>")
    assert "<script>" not in store.repository()[TAG_A]._repr_html_()


def test_diff_shows_only_parameters_that_differ_side_by_side(store):
    _two(store)
    wb = store.repository()
    diff = wb[TAG_A].diff(wb[TAG_B])
    assert list(diff.params.columns) == [TAG_A, TAG_B]
    assert diff.params.loc["learningRate"].tolist() == [0.05, 0.01]
    assert diff.params.loc["batch"].tolist() == ["(absent)", 64]
    assert "momentum" not in diff.params.index


def test_diff_compares_the_code_patches(store):
    _two(store)
    wb = store.repository()
    patch = wb[TAG_A].diff(wb[TAG_B]).patch
    assert "-+lr = 0.05" in patch and "++lr = 0.01" in patch


def test_diff_prints_and_renders(store):
    _two(store)
    wb = store.repository()
    diff = wb[TAG_A].diff(wb[TAG_B])
    assert "learningRate" in str(diff) and "learningRate" in diff._repr_html_()


@pytest.fixture
def no_colour_settings(monkeypatch):
    """Neither NO_COLOR nor FORCE_COLOR from the environment the tests run in."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.fixture
def terminal():
    """A text stream on a real terminal (a pseudo-terminal) and a function returning what was written."""
    leader, follower = os.openpty()
    stream = open(follower, "w", encoding="utf-8")  # noqa: SIM115  # closed below

    def written() -> str:
        stream.flush()
        return os.read(leader, 65536).decode("utf-8")

    yield stream, written
    stream.close()
    os.close(leader)


def test_print_patch_colours_added_and_removed_lines_on_a_terminal(no_colour_settings, terminal):
    from lab_workbook import print_patch

    stream, written = terminal
    print_patch(PATCH_A, file=stream)
    assert "\x1b[" in written() and "lr = 0.05" in PATCH_A


def test_print_patch_into_a_pipe_writes_the_patch_unchanged(no_colour_settings):
    from lab_workbook import print_patch

    read_end, write_end = os.pipe()
    with open(write_end, "w", encoding="utf-8") as pipe:
        print_patch(PATCH_A, file=pipe)
    with open(read_end, encoding="utf-8") as received:
        assert received.read() == PATCH_A


def test_print_patch_into_a_file_or_string_has_no_escapes(no_colour_settings):
    from lab_workbook import print_patch

    out = io.StringIO()
    print_patch(PATCH_A, file=out)
    assert out.getvalue() == PATCH_A


def test_no_color_turns_colour_off_on_a_terminal(no_colour_settings, terminal, monkeypatch):
    from lab_workbook import print_patch

    monkeypatch.setenv("NO_COLOR", "1")
    stream, written = terminal
    print_patch(PATCH_A, file=stream)
    assert "\x1b" not in written()


def test_force_color_colours_a_pipe(no_colour_settings, monkeypatch):
    from lab_workbook import print_patch

    monkeypatch.setenv("FORCE_COLOR", "1")
    out = io.StringIO()
    print_patch(PATCH_A, file=out)
    assert "\x1b[" in out.getvalue()


def test_a_diff_printed_where_colour_does_not_show_has_no_escapes(store, no_colour_settings, capsys):
    _two(store)
    wb = store.repository()
    print(wb[TAG_A].diff(wb[TAG_B]))
    out = capsys.readouterr().out
    assert "+lr = 0.01" in out and "\x1b" not in out


def test_highlight_patch_as_html(no_colour_settings):
    from lab_workbook import highlight_patch

    assert "<span" in highlight_patch(PATCH_A, html=True)


def test_no_color_makes_the_html_patch_plain_and_escaped(monkeypatch):
    from lab_workbook import highlight_patch

    monkeypatch.setenv("NO_COLOR", "1")
    assert highlight_patch("+<b>x</b>\n", html=True) == "<pre>+&lt;b&gt;x&lt;/b&gt;\n</pre>"


def test_highlight_patch_colours_when_asked_whatever_the_output(monkeypatch):
    from lab_workbook import highlight_patch

    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" in highlight_patch(PATCH_A, colour=True)
    assert highlight_patch(PATCH_A, colour=False) == PATCH_A


@pytest.mark.slow
def test_print_patch_colours_a_notebooks_output(tmp_path, no_colour_settings):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    # ipykernel 7 sets FORCE_COLOR in the kernel; older ones do not: the kernel's stream itself must be enough.
    code = f"import os, lab_workbook\nos.environ.pop('FORCE_COLOR', None)\nlab_workbook.print_patch({PATCH_A!r})"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nbclient.NotebookClient(notebook, kernel_name="python3", timeout=120).execute()
    (output,) = notebook.cells[0].outputs
    assert "\x1b[" in output["text"] and "lr = 0.05" in output["text"]


def test_print_patch_says_when_the_patch_is_empty():
    from lab_workbook import print_patch

    out = io.StringIO()
    print_patch("", file=out)
    assert "empty" in out.getvalue()


def test_diff_carries_one_environment_line_for_the_cli_and_the_dashboard(store):
    from lab_workbook_core.environment import ENVIRONMENT_ARTIFACT, Environment, Package

    def env(torch: str) -> str:
        return Environment.of({"python": "3.11.9"}, [Package("torch", torch), Package("numpy", "2.1.0")]).render()

    _two(store)
    wb = store.repository()
    assert wb[TAG_A].diff(wb[TAG_B]).environment is None  # neither run recorded one
    assert "Environment:" not in str(wb[TAG_A].diff(wb[TAG_B]))

    third, fourth = "202601010002-showCCCCCC", "202601010003-showDDDDDD"
    store.finished(third, {ENVIRONMENT_ARTIFACT: env("2.13.0")})
    assert wb[TAG_A].diff(wb[third]).environment == f"recorded only for {third}"
    store.finished(fourth, {ENVIRONMENT_ARTIFACT: env("2.12.0")})
    diff = wb[third].diff(wb[fourth])
    assert diff.environment == f"1 package differs (1 downgraded) (lab-workbook env {third} --diff {fourth})"
    assert f"Environment: {diff.environment}" in str(diff) and "Environment: 1 package differs" in diff._repr_html_()
    assert wb[third].diff(wb[third]).environment == "identical"
