"""Notebook display, diffs between experiments, and coloured patches."""

import io

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


def test_print_patch_colours_added_and_removed_lines():
    from lab_workbook import print_patch

    out = io.StringIO()
    print_patch(PATCH_A, file=out)
    assert "\x1b[" in out.getvalue() and "lr = 0.05" in out.getvalue()


def test_highlight_patch_as_html():
    from lab_workbook import highlight_patch

    assert "<span" in highlight_patch(PATCH_A, html=True)


def test_print_patch_says_when_the_patch_is_empty():
    from lab_workbook import print_patch

    out = io.StringIO()
    print_patch("", file=out)
    assert "empty" in out.getvalue()
