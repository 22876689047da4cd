"""Where runs keep their parameters, and how the dashboard merges them into one set per run.

Runs made with the writer save ``parameters.json``; a Lightning run's logger saves
``hparams.json``, a Hugging Face ``Trainer``'s run ``training_args.json``. The dashboard reads
each of these (and a JSON artifact the user names with ``--params``, read first): a parameter
comes from the first source that has it, and the table's ``params from`` column and the run
page say which file each run's parameters came from.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["DEFAULT_SOURCES", "SOURCE_COLUMN", "parameter_sources"]

#: The JSON artifacts read for parameters, in order, when the user names none.
DEFAULT_SOURCES = ("parameters.json", "hparams.json", "training_args.json")
#: The runs table's column naming the artifacts each run's parameters came from.
SOURCE_COLUMN = "params from"


def parameter_sources(params: str | Sequence[str] | None) -> tuple[str, ...]:
    """The artifacts to read, in order: the user's (``--params``) first, then the usual ones."""
    named = [params] if isinstance(params, str) else list(params or [])
    return tuple(dict.fromkeys([*named, *DEFAULT_SOURCES]))
