"""lab-workbook-core: where experiments are stored and how.

Shared by the writer (training side), the reader (notebook side) and the CLI:
configuration, tags, the key layout and the storage backends. Nothing here is
read at import time; boto3 is imported only when an S3 store is opened.
"""

from . import errors
from .__about__ import __version__
from .concurrency import concurrent_map
from .config import Config, cache_dir, config_file_path, default_prefix, load_config, spool_dir, write_config_file
from .errors import *  # noqa: F403 - every error, as errors.__all__ lists them
from .files import atomic_file, atomic_path, write_atomic
from .hints import closest
from .location import GluedPrefixWarning, Location, parse_prefix
from .names import safe_relative_path, validate_name
from .storage import Listing, LocalStorage, ObjectInfo, Storage, open_storage
from .tags import (
    Claim,
    NoConditionalWritesWarning,
    claim_lost,
    claim_run,
    claim_tag,
    is_generated_tag,
    new_tag,
    validate_tag,
)

__all__ = [
    "Claim",
    "Config",
    "GluedPrefixWarning",
    "Listing",
    "LocalStorage",
    "Location",
    "NoConditionalWritesWarning",
    "ObjectInfo",
    "Storage",
    "__version__",
    "atomic_file",
    "atomic_path",
    "cache_dir",
    "claim_lost",
    "claim_run",
    "claim_tag",
    "closest",
    "concurrent_map",
    "config_file_path",
    "default_prefix",
    "is_generated_tag",
    "load_config",
    "new_tag",
    "open_storage",
    "parse_prefix",
    "safe_relative_path",
    "spool_dir",
    "validate_name",
    "validate_tag",
    "write_atomic",
    "write_config_file",
]
__all__ += errors.__all__  # and every error, drawn as a tree in errors.py
