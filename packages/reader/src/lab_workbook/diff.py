"""Comparing two experiments: what changed in the parameters and in the code.

``exp_a.diff(exp_b)`` answers "what did I change between these two runs?": the
parameters that differ, side by side, and a unified diff of the two code patches
(both relative to their own commits, so the diff shows what moved between runs).
"""

from __future__ import annotations

from dataclasses import dataclass
import difflib
from html import escape
from typing import TYPE_CHECKING, Any

from lab_workbook_core import ArtifactNotFound
import pandas as pd

from .patches import highlight_patch
from .runs import flatten

if TYPE_CHECKING:
    from .experiment import Experiment

__all__ = ["ExperimentDiff"]

_MISSING = "(absent)"


def _load(exp: Experiment, name: str, default: Any) -> Any:
    try:
        return exp.load(name)
    except ArtifactNotFound:
        return default


@dataclass(frozen=True)
class ExperimentDiff:
    """What changed between two experiments.

    Attributes:
        before, after: the two tags.
        params: the flattened parameters that differ, one row each, a column per experiment
            (``(absent)`` where one run lacks the parameter).
        patch: a unified diff from the first run's code patch to the second's (``""`` if equal).
        commits: the two ``git_commit`` values from the run records (``None`` if unknown).
    """

    before: str
    after: str
    params: pd.DataFrame
    patch: str
    commits: tuple[str | None, str | None]

    @classmethod
    def between(cls, a: Experiment, b: Experiment, *, params: str, patch: str) -> ExperimentDiff:
        """Load both experiments' parameters and patches and compare them."""
        flat_a = flatten(_load(a, params, {}), "params") if params else {}
        flat_b = flatten(_load(b, params, {}), "params") if params else {}
        rows = {}
        for key in sorted(set(flat_a) | set(flat_b)):
            left, right = flat_a.get(key, _MISSING), flat_b.get(key, _MISSING)
            if left != right:
                rows[key.removeprefix("params.")] = [left, right]
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
        commits = (a.info.get("git_commit"), b.info.get("git_commit"))
        return cls(a.tag, b.tag, table, unified, commits)

    def __str__(self) -> str:
        lines = [f"Parameters that differ ({self.before} -> {self.after}):"]
        lines.append(self.params.to_string() if len(self.params) else "  (none)")
        if self.commits[0] != self.commits[1]:
            lines.append(f"Commits: {self.commits[0]} -> {self.commits[1]}")
        lines.append("Code patches compared:")
        lines.append(highlight_patch(self.patch).rstrip("\n") if self.patch else "  (identical)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<ExperimentDiff: {self.before} -> {self.after}, {len(self.params)} parameters differ>"

    def _repr_html_(self) -> str:
        params = self.params.to_html() if len(self.params) else "<p>(no parameter differs)</p>"
        code = highlight_patch(self.patch, html=True) if self.patch else "<p>(the code patches are identical)</p>"
        title = f"<p><b>{escape(self.before)}</b> → <b>{escape(self.after)}</b></p>"
        return title + "<h4>Parameters</h4>" + params + "<h4>Code patches compared</h4>" + code


