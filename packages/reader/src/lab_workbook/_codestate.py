"""Reading back what ``save_git_status`` recorded: the commit, the patch, the untracked files.

The three artifacts are described in ``docs/format.md``: ``<name>.git-current-commit``
is ``git log -n 1``, ``<name>.git-patch`` is ``git diff HEAD``, ``<name>.git-untracked``
is every untracked text file as a patch against ``/dev/null`` followed by a comment
block listing the files that were only named (binaries, files past the size cap).
This module turns them into what :mod:`lab_workbook._checkout` needs, with no git.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re

__all__ = ["UntrackedFiles", "binary_sections", "commit_of", "parse_untracked", "split_patch"]

_COMMIT_LINE = re.compile(r"^commit ([0-9a-f]{40}|[0-9a-f]{64})\b", re.MULTILINE)
_SKIPPED_HEADER = "# lab-workbook: untracked files not included above:"
_HUNK = re.compile(r"^@@ -0,0 \+1(?:,(\d+))? @@")


def commit_of(log_text: str) -> str | None:
    """The commit hash in ``git log -n 1`` output (its first ``commit <hash>`` line)."""
    match = _COMMIT_LINE.search(log_text)
    return match[1] if match else None


def split_patch(patch: str) -> list[str]:
    """A multi-file patch cut into one section per file (each starting ``diff --git``)."""
    return [s for s in re.split(r"(?m)^(?=diff --git )", patch) if s.startswith("diff --git ")]


def section_path(section: str) -> str:
    """The file a patch section is about, as its ``diff --git a/X b/X`` line names it."""
    first = section.split("\n", 1)[0].removeprefix("diff --git ")
    if first.startswith("a/") and len(first) % 2 == 1:  # "a/X b/X": both halves are the same name
        half = (len(first) - 1) // 2
        if first[half : half + 3] == " b/" and first[2:half] == first[half + 3 :]:
            return first[2:half]
    return first


def binary_sections(patch: str) -> tuple[str, list[str]]:
    """The patch without the sections git could not write as text, and those sections' files.

    ``git diff`` without ``--binary`` says only ``Binary files a/x and b/x differ``:
    the change cannot be re-applied, and the checkout must say so.
    """
    kept, binary = [], []
    for section in split_patch(patch):
        if re.search(r"^Binary files .* differ$", section, re.MULTILINE):
            binary.append(section_path(section))
        else:
            kept.append(section)
    return "".join(kept), binary


@dataclass
class UntrackedFiles:
    """The untracked files a run recorded.

    Attributes:
        files: ``{relative path: content}`` of every text file recorded in full.
        skipped: the lines naming files that were only listed (``x.bin (binary, 120 bytes)``).
        unreadable: sections that could not be parsed (the artifact was edited or cut short).
    """

    files: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def parse_untracked(text: str) -> UntrackedFiles:
    """The files in a ``<name>.git-untracked`` artifact (the writer's own simple patch form)."""
    result = UntrackedFiles()
    body, _, skipped = text.partition(_SKIPPED_HEADER)
    result.skipped = [line.removeprefix("#").strip() for line in skipped.split("\n") if line.startswith("#   ")]
    for section in _sections(body):
        path = section_path(section[0])
        content = _new_file_content(section)
        if content is None:
            result.unreadable.append(path)
        else:
            result.files[path] = content
    return result


def _sections(body: str) -> list[list[str]]:
    """``body`` split on ``\\n`` only: a file's ``\\r`` must survive to be byte-identical."""
    sections: list[list[str]] = []
    for line in body.split("\n"):
        if line.startswith("diff --git "):
            sections.append([line])
        elif sections:
            sections[-1].append(line)
    return sections


def _new_file_content(lines: list[str]) -> str | None:
    hunk_at = next((i for i, line in enumerate(lines) if line.startswith("@@ ")), None)
    if hunk_at is None:  # an empty file: only the two header lines
        return "" if all(not line or line.startswith(("diff --git", "new file mode")) for line in lines) else None
    match = _HUNK.match(lines[hunk_at])
    if match is None:
        return None
    count = int(match[1]) if match[1] is not None else 1
    added = lines[hunk_at + 1 : hunk_at + 1 + count]
    if len(added) != count or not all(line.startswith("+") for line in added):
        return None
    rest = lines[hunk_at + 1 + count :]
    no_newline = bool(rest) and rest[0].startswith("\\ No newline at end of file")
    return "\n".join(line[1:] for line in added) + ("" if no_newline else "\n")
