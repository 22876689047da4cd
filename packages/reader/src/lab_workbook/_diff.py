"""Comparing two experiments: what changed in the parameters and in the code.

``exp_a.diff(exp_b)`` answers "what did I change between these two runs?": the
parameters that differ, side by side, and a unified diff of the two code patches
(both relative to their own commits, so the diff shows what moved between runs).
"""

from __future__ import annotations

from dataclasses import dataclass
import difflib
from html import escape
from typing import TYPE_CHECKING, Any, NamedTuple

from lab_workbook_core import ArtifactNotFound

from ._parameters import flatten_parameters
from ._patches import highlight_patch

if TYPE_CHECKING:  # pandas is imported when a diff is made: `import lab_workbook` stays quick
    from lab_workbook_core.attempts import Parent
    from lab_workbook_core.environment import Environment
    import pandas as pd

    from ._experiment import Experiment

__all__ = ["ExperimentDiff", "ParameterValues"]

_MISSING = "(absent)"
_ABSENT = object()


def _or_none(value: Any) -> Any:
    return None if value is _ABSENT else value


def _load(exp: Experiment, name: str, default: Any) -> Any:
    try:
        return exp.load(name)
    except ArtifactNotFound:
        return default


def _environment_line(a: Experiment, b: Experiment) -> str | None:
    """How the two runs' environments differ, in one line; ``None`` when neither recorded one."""
    found: list[Environment | None] = []
    for exp in (a, b):
        try:
            found.append(exp.environment())
        except ArtifactNotFound:
            found.append(None)
    before, after = found
    if before is None and after is None:
        return None
    if before is None or after is None:
        return f"recorded only for {b.tag if before is None else a.tag}"
    summary = before.diff(after).summary()
    return summary if summary == "identical" else f"{summary} (lab-workbook env {a.tag} --diff {b.tag})"


def _forked(tag: str, parent: Parent) -> str:
    return f"{tag} was forked from {parent.tag}" + (f" at step {parent.step}" if parent.step is not None else "")


class ParameterValues(NamedTuple):
    """One flattened parameter of either run: its two values and whether they differ.

    ``before``/``after`` are ``None`` where a run lacks the parameter (``differs`` still
    tells a parameter set to ``null`` in one run from one the other run lacks).
    """

    name: str
    before: Any
    after: Any
    differs: bool


@dataclass(frozen=True)
class ExperimentDiff:
    """What changed between two experiments.

    Attributes:
        before, after: the two tags.
        params: the flattened parameters that differ, one row each, a column per experiment
            (``(absent)`` where one run lacks the parameter).
        patch: a unified diff from the first run's code patch to the second's (``""`` if equal).
        commits: the two ``git_commit`` values from the run records (``None`` if unknown).
        parameters: every flattened parameter of either run, sorted by name, whether it
            differs or not (what ``lab-workbook diff --all`` shows).
        parents: the run each was forked from (``new_experiment(fork=TAG, step=N)``), or ``None``.
        environment: one line on how the recorded environments differ (``"identical"``, what
            changed with the command that shows it in full, or which run alone recorded one);
            ``None`` when neither run recorded its environment. The CLI and the dashboard print it.
    """

    before: str
    after: str
    params: pd.DataFrame
    patch: str
    commits: tuple[str | None, str | None]
    parameters: tuple[ParameterValues, ...] = ()
    parents: tuple[Parent | None, Parent | None] = (None, None)
    environment: str | None = None

    def lineage(self) -> list[str]:
        """How the two runs descend from others, one sentence each: ``B was forked from A at step 20000``.

        When one run is the other's parent, that is the one sentence; else each forked run names
        its parent. ``[]`` when neither run is a fork.
        """
        pairs = ((self.after, self.before, self.parents[1]), (self.before, self.after, self.parents[0]))
        for child, other, parent in pairs:
            if parent is not None and parent.tag == other:
                return [_forked(child, parent)]
        return [
            _forked(tag, parent) for tag, parent in zip((self.before, self.after), self.parents, strict=True) if parent
        ]

    @classmethod
    def between(cls, a: Experiment, b: Experiment, *, params: str, patch: str) -> ExperimentDiff:
        """Load both experiments' parameters and patches and compare them."""
        flat_a = flatten_parameters(_load(a, params, {})) if params else {}
        flat_b = flatten_parameters(_load(b, params, {})) if params else {}
        values: list[ParameterValues] = []
        rows: dict[str, list[Any]] = {}
        for key in sorted(set(flat_a) | set(flat_b)):
            left, right = flat_a.get(key, _ABSENT), flat_b.get(key, _ABSENT)
            values.append(ParameterValues(key, _or_none(left), _or_none(right), left != right))
            if left != right:
                rows[key] = [_MISSING if left is _ABSENT else left, _MISSING if right is _ABSENT else right]
        import pandas as pd

        table = pd.DataFrame.from_dict(rows, orient="index", columns=[a.tag, b.tag], dtype=object)
        table.index.name = "parameter"
        patch_a, patch_b = _load(a, patch, ""), _load(b, patch, "")
        unified = "".join(
            difflib.unified_diff(
                patch_a.splitlines(keepends=True),
                patch_b.splitlines(keepends=True),
                fromfile=f"{a.tag}/{patch}",
                tofile=f"{b.tag}/{patch}",
            )
        )
        record_a, record_b = a.record, b.record
        commits = (
            record_a.git_commit if record_a is not None else None,
            record_b.git_commit if record_b is not None else None,
        )
        parents = (a.parent, b.parent)
        return cls(a.tag, b.tag, table, unified, commits, tuple(values), parents, _environment_line(a, b))

    def __str__(self) -> str:
        lines = self.lineage()
        lines.append(f"Parameters that differ ({self.before} -> {self.after}):")
        lines.append(self.params.to_string() if len(self.params) else "  (none)")
        if self.commits[0] != self.commits[1]:
            lines.append(f"Commits: {self.commits[0]} -> {self.commits[1]}")
        if self.environment is not None:
            lines.append(f"Environment: {self.environment}")
        lines.append("Code patches compared:")
        lines.append(highlight_patch(self.patch).rstrip("\n") if self.patch else "  (identical)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<ExperimentDiff: {self.before} -> {self.after}, {len(self.params)} parameters differ>"

    def _repr_html_(self) -> str:
        params = self.params.to_html() if len(self.params) else "<p>(no parameter differs)</p>"
        code = highlight_patch(self.patch, html=True) if self.patch else "<p>(the code patches are identical)</p>"
        title = f"<p><b>{escape(self.before)}</b> → <b>{escape(self.after)}</b></p>"
        title += "".join(f"<p>{escape(line)}</p>" for line in self.lineage())
        if self.environment is not None:
            title += f"<p>Environment: {escape(self.environment)}</p>"
        return title + "<h4>Parameters</h4>" + params + "<h4>Code patches compared</h4>" + code
