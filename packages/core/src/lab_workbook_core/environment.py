"""The ``Environment.txt`` artifact: the interpreter and packages a run used, as text.

The writer renders it when a run starts; the reader and the CLI parse and compare it,
so the format lives here, in one place both sides import. It is a pip requirements
file: one ``name==version`` line per installed distribution (what ``pip freeze``
says), with where an editable, VCS or URL install came from in a trailing comment,
and the interpreter, torch and GPU facts as ``# key: value`` comment lines above.
``docs/format.md`` describes it for readers without our code.

Nothing in it may be a secret: URLs are written without user, password, query or
fragment (:func:`strip_credentials`), and no environment variable is recorded here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import re

__all__ = [
    "ENVIRONMENT_ARTIFACT",
    "ENVIRONMENT_FORMAT_VERSION",
    "Environment",
    "EnvironmentDiff",
    "Package",
    "canonical_name",
    "compare_versions",
    "strip_credentials",
]

#: The artifact's name; reserved: ``save_*`` refuse it, only the environment capture writes it.
ENVIRONMENT_ARTIFACT = "Environment.txt"

#: The format number its first line names: bumped on incompatible changes only.
ENVIRONMENT_FORMAT_VERSION = 1

_HEADER = f"# lab-workbook environment, format {ENVIRONMENT_FORMAT_VERSION}"
_PREAMBLE = (
    "# The interpreter and packages this run used, recorded when it started.",
    "# The package lines are pip requirements (editable and local installs need their source too).",
)
_FACT = re.compile(r"^# ([a-z][a-z0-9-]*): (.*)$")
_LINE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)(?:\s+#\s?(?P<note>.*))?$")
_COMMIT = re.compile(r"^[0-9a-f]{7,64}$")
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def canonical_name(name: str) -> str:
    """The PEP 503 form pip compares names in: ``Foo_Bar.baz`` -> ``foo-bar-baz``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def strip_credentials(url: str) -> str:
    """``url`` without ``user:password@``, query string or fragment, where tokens hide."""
    url = _USERINFO.sub(r"\g<scheme>", url.strip())
    return re.split(r"[?#]", url, maxsplit=1)[0]


def _one_line(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()


@dataclass(frozen=True)
class Package:
    """One installed distribution.

    Attributes:
        name: its name as its metadata spells it.
        version: its version.
        kind: ``"index"`` (from a package index), ``"editable"``, or the VCS (``"git"``...),
            ``"url"`` or ``"local"`` it was installed from.
        source: the editable source folder, or the URL (without credentials).
        commit: the commit of an editable source or VCS install, when known.
    """

    name: str
    version: str
    kind: str = "index"
    source: str | None = None
    commit: str | None = None

    def line(self) -> str:
        """The package's line in ``Environment.txt``."""
        text = f"{self.name}=={self.version}"
        if self.kind == "index" or not self.source:
            return text
        commit = f" @ {self.commit}" if self.commit else ""
        return f"{text}  # {self.kind}: {_one_line(self.source)}{commit}"

    def describe(self) -> str:
        """``torch 2.13.0`` or ``mylib 0.1 (editable @ 1a2b3c4d)``, for humans."""
        where = f"{self.kind} @ {self.commit[:12]}" if self.commit else self.kind
        return f"{self.name} {self.version}" + ("" if self.kind == "index" else f" ({where})")

    @classmethod
    def from_line(cls, line: str) -> Package | None:
        """The package a line describes, or ``None`` for a line that is no package line."""
        match = _LINE.match(line.strip())
        if match is None:
            return None
        kind, source, commit = "index", None, None
        note = (match["note"] or "").strip()
        if ": " in note:
            kind, _, source = note.partition(": ")
            head, sep, tail = source.rpartition(" @ ")
            if sep and _COMMIT.match(tail):
                source, commit = head, tail
        return cls(match["name"], match["version"], kind, source, commit)


def compare_versions(old: str, new: str) -> int:
    """-1, 0 or 1 as ``new`` is older, equal or newer; 0 too when they cannot be ordered.

    Uses ``packaging`` when it is installed (PEP 440 order, pre-releases included),
    else compares the numeric release parts only.
    """
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:
        return _compare_release(old, new)
    try:
        a, b = Version(old), Version(new)
    except InvalidVersion:
        return _compare_release(old, new)
    return (b > a) - (b < a)


def _compare_release(old: str, new: str) -> int:
    def release(version: str) -> tuple[int, ...] | None:
        match = re.match(r"^v?(\d+(?:\.\d+)*)", version)
        return tuple(int(p) for p in match[1].split(".")) if match else None

    a, b = release(old), release(new)
    if a is None or b is None:
        return 0
    return (b > a) - (b < a)


@dataclass(frozen=True)
class Environment:
    """A parsed ``Environment.txt``.

    Attributes:
        facts: the interpreter, platform, torch and GPU facts (``python``, ``platform``,
            ``torch``, ``torch-cuda``, ``cudnn``, ``gpus``, ``nvidia-driver``...), in file order.
        packages: every distribution, by :func:`canonical_name`, in file order.
    """

    facts: Mapping[str, str] = field(default_factory=dict)
    packages: Mapping[str, Package] = field(default_factory=dict)

    @classmethod
    def of(cls, facts: Mapping[str, str], packages: list[Package]) -> Environment:
        """An environment from facts and packages; the first of two same-named packages wins, as imports do."""
        found: dict[str, Package] = {}
        for package in packages:
            found.setdefault(canonical_name(package.name), package)
        ordered = dict(sorted(found.items()))
        return cls({key: _one_line(value) for key, value in facts.items()}, ordered)

    def render(self) -> str:
        """The text of ``Environment.txt``."""
        lines = [_HEADER, *_PREAMBLE]
        lines += [f"# {key}: {value}" for key, value in self.facts.items()]
        lines += [package.line() for package in self.packages.values()]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> Environment:
        """The environment a ``Environment.txt`` text describes; lines it does not know are skipped."""
        facts: dict[str, str] = {}
        packages: dict[str, Package] = {}
        for line in text.splitlines():
            fact = _FACT.match(line)
            if fact is not None:
                facts.setdefault(fact[1], fact[2].strip())
                continue
            package = Package.from_line(line)
            if package is not None:
                packages.setdefault(canonical_name(package.name), package)
        return cls(facts, packages)

    def diff(self, other: Environment) -> EnvironmentDiff:
        """What changed from this environment to ``other``."""
        before, after = self.packages, other.packages
        changed = [(before[n], after[n]) for n in before if n in after and before[n] != after[n]]
        facts = {
            key: (self.facts.get(key), other.facts.get(key))
            for key in [*self.facts, *(k for k in other.facts if k not in self.facts)]
            if self.facts.get(key) != other.facts.get(key)
        }
        return EnvironmentDiff(
            added=[after[n] for n in after if n not in before],
            removed=[before[n] for n in before if n not in after],
            changed=changed,
            facts=facts,
        )


@dataclass(frozen=True)
class EnvironmentDiff:
    """Packages added, removed and changed between two environments, and the facts that differ.

    Attributes:
        added: packages only the second environment has.
        removed: packages only the first has.
        changed: ``(before, after)`` pairs of a package in both with another version or source.
        facts: ``{fact: (before, after)}`` for the facts that differ (``None`` where absent).
    """

    added: list[Package]
    removed: list[Package]
    changed: list[tuple[Package, Package]]
    facts: dict[str, tuple[str | None, str | None]]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.facts)

    @staticmethod
    def change_kind(before: Package, after: Package) -> str:
        """``upgraded``, ``downgraded`` or ``changed`` (same version, another source or commit)."""
        order = compare_versions(before.version, after.version)
        return {1: "upgraded", -1: "downgraded"}.get(order, "changed")

    def summary(self) -> str:
        """One line: ``2 packages added, 1 upgraded; python differs``, or ``identical``."""
        counts: dict[str, int] = {}
        for before, after in self.changed:
            kind = self.change_kind(before, after)
            counts[kind] = counts.get(kind, 0) + 1
        parts = [f"{len(self.added)} added"] if self.added else []
        parts += [f"{len(self.removed)} removed"] if self.removed else []
        parts += [f"{counts[k]} {k}" for k in ("upgraded", "downgraded", "changed") if k in counts]
        text = ""
        if parts:
            total = len(self.added) + len(self.removed) + len(self.changed)
            text = f"{total} package{'s differ' if total != 1 else ' differs'} ({', '.join(parts)})"
        if self.facts:
            text += ("; " if text else "") + ", ".join(self.facts) + " differ" + ("s" if len(self.facts) == 1 else "")
        return text or "identical"
