"""Which lab-workbook packages are installed, at which versions, and which formats they write and read.

The five packages are released separately: a GPU box may run a writer of one release and a laptop a
reader of another. ``lab-workbook --version``, ``lab_workbook.show_versions()`` and ``python -m
lab_workbook_writer --version`` all print :func:`versions_report`, so a bug report says the same thing
whichever of them the user has. A package's version is read from its ``__about__.py`` without
importing the package (the dashboard's would import its web stack), so it is the code that runs,
even in an editable install whose metadata an older install wrote.
"""

from __future__ import annotations

from importlib import metadata
import importlib.util
from pathlib import Path
import platform

from .environment import ENVIRONMENT_FORMAT_VERSION
from .record import RECORD_FORMAT_VERSION
from .runs_index import INDEX_FORMAT_VERSION

__all__ = ["FORMAT_VERSIONS", "PACKAGES", "installed_versions", "versions_report"]

#: Every lab-workbook package: (distribution name, import name), in the order of the README.
PACKAGES: tuple[tuple[str, str], ...] = (
    ("lab-workbook-core", "lab_workbook_core"),
    ("lab-workbook-writer", "lab_workbook_writer"),
    ("lab-workbook", "lab_workbook"),
    ("lab-workbook-cli", "lab_workbook_cli"),
    ("lab-workbook-ui", "lab_workbook_ui"),
)

#: The format versions this core writes and reads (docs/format.md). Every package uses core's rules,
#: so these are the installed writer's and reader's too; each is bumped on incompatible changes only.
FORMAT_VERSIONS: dict[str, int] = {
    "run record": RECORD_FORMAT_VERSION,
    "runs index": INDEX_FORMAT_VERSION,
    "environment": ENVIRONMENT_FORMAT_VERSION,
}


def _about_version(module: str) -> str | None:
    """``module.__about__.__version__`` without importing ``module``; ``None`` when it is not installed."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):  # a parent package that fails, or a module without a spec
        return None
    if spec is None:
        return None
    for folder in spec.submodule_search_locations or ():
        about = Path(folder) / "__about__.py"
        about_spec = importlib.util.spec_from_file_location(f"{module}.__about__", about)
        if about.is_file() and about_spec is not None and about_spec.loader is not None:
            loaded = importlib.util.module_from_spec(about_spec)  # not put in sys.modules: nothing else sees it
            about_spec.loader.exec_module(loaded)
            version = getattr(loaded, "__version__", None)
            return version if isinstance(version, str) else None
    return None


def installed_versions(packages: tuple[tuple[str, str], ...] = PACKAGES) -> dict[str, str | None]:
    """``{distribution: version}`` of each package, ``None`` for one that is not installed.

    The version is the one in the importable source; a package installed without an ``__about__.py``
    (none of ours) falls back to its distribution metadata.
    """
    found: dict[str, str | None] = {}
    for distribution, module in packages:
        version = _about_version(module)
        if version is None and importlib.util.find_spec(module) is not None:
            try:
                version = metadata.version(distribution)
            except metadata.PackageNotFoundError:
                version = None
        found[distribution] = version
    return found


def versions_report(packages: tuple[tuple[str, str], ...] = PACKAGES) -> str:
    """The text the version commands print: one line per package, then the formats and Python."""
    versions = installed_versions(packages)
    width = max(len(name) for name in versions) + 2
    lines = [f"{name:<{width}}{version or 'not installed'}" for name, version in versions.items()]
    formats = ", ".join(f"{name} {number}" for name, number in FORMAT_VERSIONS.items())
    lines.append(f"{'formats':<{width}}{formats} (written and read; docs/format.md)")
    lines.append(
        f"{'python':<{width}}{platform.python_version()} ({platform.python_implementation()}, {platform.platform()})"
    )
    return "\n".join(lines)
