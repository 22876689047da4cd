"""Check what `hatch build --all` put in dist/: every package has a wheel and an sdist, each carries
the LICENSE, classifiers and project URLs, and no README shipped to the package index links into
the repository (`../`)."""

from __future__ import annotations

from pathlib import Path
import sys
import tarfile
import tomllib
import zipfile


def package_names() -> list[str]:
    """The file-name form of every package's distribution name (``lab-workbook-core`` -> ``lab_workbook_core``)."""
    projects = sorted(Path("packages").glob("*/pyproject.toml"))
    return [tomllib.loads(p.read_text())["project"]["name"].replace("-", "_") for p in projects]


def main() -> int:
    dist = Path("dist")
    packages = package_names()
    problems: list[str] = []
    for name in packages:
        wheels = sorted(dist.glob(f"{name}-*.whl"))
        sdists = sorted(dist.glob(f"{name}-*.tar.gz"))
        if not wheels or not sdists:
            problems.append(f"{name}: missing a wheel or an sdist in dist/")
            continue
        with zipfile.ZipFile(wheels[-1]) as wheel:
            names = wheel.namelist()
            metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
        if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
            problems.append(f"{wheels[-1].name}: no LICENSE")
        if "](../" in metadata:
            problems.append(f"{wheels[-1].name}: the README links outside the package (../)")
        if "Classifier: Programming Language :: Python :: 3.11" not in metadata:
            problems.append(f"{wheels[-1].name}: no Python version classifiers")
        for label in ("Homepage", "Documentation", "Issues"):
            if f"Project-URL: {label}, https://" not in metadata:
                problems.append(f"{wheels[-1].name}: no {label} project URL ([project.urls])")
        with tarfile.open(sdists[-1]) as sdist:
            if not any(m.name.endswith("/LICENSE") for m in sdist.getmembers()):
                problems.append(f"{sdists[-1].name}: no LICENSE")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"dist/: {len(packages)} packages checked, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
