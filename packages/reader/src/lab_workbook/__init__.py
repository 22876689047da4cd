"""lab-workbook: load experiments into pandas from a notebook.

::

    import lab_workbook
    wb = lab_workbook.ExperimentRepository()        # the store the writer uses
    exp = wb["201602142341-mn5SvgNxHY"]
    exp["Training loss.csv"].loss.plot()
    exp.images("samples")                            # steps of save_image("samples", ..., step=...)
    wb.meld_csv({"tagA": "lr=0.1", "tagB": "lr=0.01"}, "Training loss.csv", "loss")

Importing this package is cheap: configuration is read when a repository is made,
and torch only when a ``.pt`` artifact is loaded.
"""

import logging as _logging

from lab_workbook_core.attempts import Attempt, Parent
from lab_workbook_core.environment import Environment, EnvironmentDiff, Package
from lab_workbook_core.errors import (
    ArtifactNotFound,
    CorruptArtifactError,
    CredentialsError,
    ExperimentNotFound,
    LabWorkbookError,
    MissingDependencyError,
    NotFoundError,
    StorageError,
)

from .__about__ import __version__
from ._artifacts import ArtifactInfo
from ._cache import clear_cache
from ._checkout import CheckoutError, CheckoutIncomplete, CheckoutResult
from ._collection import ExperimentList, ExperimentTuple
from ._diff import ExperimentDiff
from ._experiment import Experiment
from ._images import LazyImage
from ._kinds import artifact_kind
from ._parameters import flatten_parameters
from ._patches import highlight_patch, print_patch
from ._problems import RunsIndexWarning, UnreadableRunsWarning
from ._querying import duckdb
from ._repository import ExperimentRepository
from ._run_rows import RunRows
from ._store_index import IndexWritten
from ._versions import show_versions

__all__ = [
    "ArtifactInfo",
    "ArtifactNotFound",
    "Attempt",
    "CheckoutError",
    "CheckoutIncomplete",
    "CheckoutResult",
    "CorruptArtifactError",
    "CredentialsError",
    "Environment",
    "EnvironmentDiff",
    "Experiment",
    "ExperimentDiff",
    "ExperimentList",
    "ExperimentNotFound",
    "ExperimentRepository",
    "ExperimentTuple",
    "IndexWritten",
    "LabWorkbookError",
    "LazyImage",
    "MissingDependencyError",
    "NotFoundError",
    "Package",
    "Parent",
    "RunRows",
    "RunsIndexWarning",
    "StorageError",
    "UnreadableRunsWarning",
    "__version__",
    "artifact_kind",
    "clear_cache",
    "duckdb",
    "flatten_parameters",
    "highlight_patch",
    "print_patch",
    "show_versions",
]

_logging.getLogger(__name__).addHandler(_logging.NullHandler())
