"""``python -m lab_workbook_writer --version``: the versions on a GPU box, where the CLI is not installed.

A training machine often has only core and the writer (``pip install lab-workbook-writer``), so the
``lab-workbook`` command is not there; this prints what ``lab-workbook --version`` prints.
"""

from __future__ import annotations

import argparse

from lab_workbook_core.versions import versions_report


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``; print the versions for ``--version``, the usage otherwise (exit 2, as argparse does)."""
    parser = argparse.ArgumentParser(
        prog="python -m lab_workbook_writer",
        description="The training side of lab-workbook. Record runs from Python: see docs/writer.md.",
    )
    parser.add_argument(
        "--version",
        action="store_true",
        help="show every installed lab-workbook package, the formats they write and read, and exit",
    )
    args = parser.parse_args(argv)
    if not args.version:
        parser.print_usage()
        return 2
    print(versions_report())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
