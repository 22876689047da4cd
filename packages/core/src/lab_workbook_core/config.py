"""Configuration: where the store is, and where each value came from.

Highest first: an explicit argument, the environment variable
``LAB_WORKBOOK_PREFIX``, the file ``~/.lab-workbook-config`` (path overridable by
``LAB_WORKBOOK_CONFIG``), and last a built-in local store so that everything works
with no cloud account. Configuration is read when an object is made
(``new_experiment()``, ``ExperimentRepository()``), never at import time.

The file keeps the original tool's format byte for byte::

    # comments start with '#' or ';'
    bucketPrefix = s3://your-bucket/experiments/
    endpointUrl: https://minio.example.com:9000
    region = eu-central-1
    addressingStyle = path
    checksumMode = when_required
    indexWrites = off
    listingMaxAge = 60

``region``, ``addressingStyle`` and ``checksumMode`` are for S3-compatible stores
(MinIO, Ceph RGW, B2, R2): see docs/reliability.md, "Stores". With a custom endpoint
the checksum mode defaults to ``when_required``, because many of those stores reject
the flexible-checksum headers boto3 >= 1.36 sends by default. ``indexWrites`` and
``listingMaxAge`` are the reader's (:class:`Config`'s ``index_writes`` and ``listing_max_age``);
the environment variables ``LAB_WORKBOOK_INDEX_WRITES`` and ``LAB_WORKBOOK_LISTING_MAX_AGE`` win
over them.

Keys are case-insensitive, ``=`` or ``:`` separate key and value, and whitespace
around them is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import math
import os
from pathlib import Path

import platformdirs

from .errors import ConfigError
from .files import write_atomic
from .location import Location, parse_prefix

__all__ = [
    "CONFIG_KEYS",
    "INDEX_WRITES_VARIABLE",
    "LISTING_MAX_AGE_VARIABLE",
    "Config",
    "cache_dir",
    "config_file_path",
    "default_prefix",
    "load_config",
    "read_config_file",
    "spool_dir",
    "write_config_file",
]

#: Keys the config file accepts (lower-cased) and what they mean.
CONFIG_KEYS = {
    "bucketprefix": "where experiments are stored: s3://bucket/path/ or a directory",
    "endpointurl": "an S3-compatible endpoint (MinIO, Ceph, R2), when AWS_ENDPOINT_URL(_S3) is unset",
    "region": "the S3 region, when AWS_REGION / AWS_DEFAULT_REGION are unset",
    "addressingstyle": "S3 addressing: auto, path or virtual",
    "checksummode": "when_supported or when_required (flexible checksums; default when_required on custom endpoints)",
    "indexwrites": "on or off: whether readers write runs index objects (off: only `lab-workbook index` writes)",
    "listingmaxage": "seconds: readers take the listing of run folders kept on this machine if at most this old",
}
_KEY_NAMES = (
    "bucketPrefix",
    "endpointUrl",
    "region",
    "addressingStyle",
    "checksumMode",
    "indexWrites",
    "listingMaxAge",
)
_CHOICES = {
    "addressingstyle": ("auto", "path", "virtual"),
    "checksummode": ("when_supported", "when_required"),
    "indexwrites": ("on", "off"),
}
#: The environment variable that turns readers' index writes on or off (wins over ``indexWrites``).
INDEX_WRITES_VARIABLE = "LAB_WORKBOOK_INDEX_WRITES"
#: The environment variable that sets readers' accepted age of a kept listing (wins over ``listingMaxAge``).
LISTING_MAX_AGE_VARIABLE = "LAB_WORKBOOK_LISTING_MAX_AGE"
_APP = "lab-workbook"


def _not_a_choice(key: str, value: str) -> str | None:
    """Why ``value`` cannot be ``key``'s setting (a key with a fixed set of choices, or a number of
    seconds), or None if it can."""
    choices = _CHOICES.get(key.lower())
    if choices and value.lower() not in choices:
        return f"{key} must be one of {', '.join(choices)}, got {value!r}"
    if key.lower() == "listingmaxage" and _seconds(value) is None:
        return f"{key} must be a number of seconds, 0 or more (e.g. 60), got {value!r}"
    return None


def _seconds(value: str) -> float | None:
    """``value`` as a finite number of seconds, 0 or more, or None if it is not one."""
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


@dataclass(frozen=True)
class Config:
    """The effective configuration.

    Attributes:
        prefix: the store prefix as given (``s3://bucket/experiments/`` ...).
        endpoint_url: an S3 endpoint from the config file, or ``None``.
        sources: for each setting, where it came from ("argument", "environment variable
            LAB_WORKBOOK_PREFIX", "/home/me/.lab-workbook-config line 3", "built-in default").
        config_file: the config file consulted (it may not exist).
        region: the S3 region from the environment or the config file, or ``None`` (boto3 decides).
        addressing_style: ``auto``, ``path`` or ``virtual``, or ``None`` (boto3 decides).
        checksum_mode: ``when_supported`` or ``when_required`` for boto3's flexible
            checksums, or ``None`` (boto3's default, ``when_supported``).
        user_retries: the environment sets ``AWS_MAX_ATTEMPTS`` / ``AWS_RETRY_MODE``, which
            then win over lab-workbook's own retry settings.
        index_writes: readers may write runs index objects (``docs/format.md``, "The runs
            index"); ``False`` (``indexWrites = off``, ``LAB_WORKBOOK_INDEX_WRITES=off``) leaves
            that to ``lab-workbook index``.
        listing_max_age: seconds (``listingMaxAge = 60``, ``LAB_WORKBOOK_LISTING_MAX_AGE=60``):
            a reader takes the listing of run folders the last reader of this store on this
            machine kept, if it is at most this old, instead of listing the store (runs added or
            deleted since are not seen until then); ``None``: every reader lists the store.
    """

    prefix: str
    endpoint_url: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)
    config_file: Path | None = None
    region: str | None = None
    addressing_style: str | None = None
    checksum_mode: str | None = None
    user_retries: bool = False
    index_writes: bool = True
    listing_max_age: float | None = None

    @property
    def location(self) -> Location:
        """The parsed prefix."""
        return parse_prefix(self.prefix)


def config_file_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$LAB_WORKBOOK_CONFIG`` or ``~/.lab-workbook-config``."""
    env = os.environ if environ is None else environ
    return Path(env.get("LAB_WORKBOOK_CONFIG") or Path.home() / ".lab-workbook-config").expanduser()


def default_prefix() -> str:
    """The built-in local store: ``<user data dir>/lab-workbook/experiments/``.

    On Linux that is ``~/.local/share/lab-workbook/experiments/``; on macOS
    ``~/Library/Application Support/lab-workbook/experiments/``.
    """
    return str(platformdirs.user_data_path(_APP) / "experiments") + "/"


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the reader caches finished artifacts: ``$LAB_WORKBOOK_CACHE_DIR`` or the platform cache dir."""
    env = os.environ if environ is None else environ
    return Path(env.get("LAB_WORKBOOK_CACHE_DIR") or platformdirs.user_cache_path(_APP)).expanduser()


def spool_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the writer keeps data not yet sent: ``$LAB_WORKBOOK_SPOOL_DIR`` or ``<user data dir>/lab-workbook/spool``."""
    env = os.environ if environ is None else environ
    return Path(env.get("LAB_WORKBOOK_SPOOL_DIR") or platformdirs.user_data_path(_APP) / "spool").expanduser()


def read_config_file(path: Path) -> dict[str, tuple[str, int]]:
    """Parse a config file into ``{lower-cased key: (value, line number)}``.

    Raises:
        ConfigError: naming the file and line of anything it cannot read.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text ({err}); rewrite it as plain text") from err
    values: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        separator = min((i for i in (line.find("="), line.find(":")) if i > 0), default=-1)
        if separator < 0 or len(line[:separator].split()) != 1:
            raise ConfigError(
                f"{path}, line {number}: expected 'key = value', got {raw.strip()!r}; "
                "for example: bucketPrefix = s3://your-bucket/experiments/"
            )
        key, value = line[:separator].strip(), line[separator + 1 :].strip()
        if key.lower() not in CONFIG_KEYS:
            known = ", ".join(_KEY_NAMES)
            raise ConfigError(f"{path}, line {number}: unknown key {key!r}; known keys: {known}")
        if not value:
            raise ConfigError(f"{path}, line {number}: {key} has no value")
        problem = _not_a_choice(key, value)
        if problem:
            raise ConfigError(f"{path}, line {number}: {problem}")
        values[key.lower()] = (value, number)
    return values


def load_config(prefix: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """The effective configuration, by the precedence in this module's docstring.

    Args:
        prefix: an explicit store prefix; wins over everything else.
        environ: the environment to read (default ``os.environ``).

    Raises:
        ConfigError: for a malformed config file or an unusable prefix.
    """
    env = os.environ if environ is None else environ
    path = config_file_path(env)
    file_values = read_config_file(path) if path.is_file() else {}
    sources: dict[str, str] = {}
    if prefix is not None:
        chosen, sources["prefix"] = os.fspath(prefix), "argument"
    elif env.get("LAB_WORKBOOK_PREFIX"):
        chosen, sources["prefix"] = env["LAB_WORKBOOK_PREFIX"], "environment variable LAB_WORKBOOK_PREFIX"
    elif "bucketprefix" in file_values:
        value, line = file_values["bucketprefix"]
        chosen, sources["prefix"] = value, f"{path} line {line}"
    else:
        chosen, sources["prefix"] = default_prefix(), "built-in default"
    endpoint = None
    for variable in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        if env.get(variable):
            endpoint, sources["endpoint_url"] = env[variable], f"environment variable {variable}"
            break
    else:
        if "endpointurl" in file_values:
            endpoint, line = file_values["endpointurl"]
            sources["endpoint_url"] = f"{path} line {line}"
    try:  # fail now, naming the source, rather than at first use
        parse_prefix(chosen, warn=False)
    except ConfigError as err:
        raise ConfigError(f"{err} (prefix from {sources['prefix']})") from err
    region = _first(env, file_values, sources, "region", ("AWS_REGION", "AWS_DEFAULT_REGION"), "region", path)
    style = _first(env, file_values, sources, "addressing_style", (), "addressingstyle", path)
    checksum = _first(
        env, file_values, sources, "checksum_mode", ("AWS_REQUEST_CHECKSUM_CALCULATION",), "checksummode", path
    )
    if checksum is None and endpoint:
        checksum, sources["checksum_mode"] = "when_required", "default for a custom endpoint"
    writes = _first(env, file_values, sources, "index_writes", (INDEX_WRITES_VARIABLE,), "indexwrites", path)
    if writes is not None and writes.lower() not in _CHOICES["indexwrites"]:
        raise ConfigError(f"{INDEX_WRITES_VARIABLE} must be on or off, got {writes!r}")
    age = _first(env, file_values, sources, "listing_max_age", (LISTING_MAX_AGE_VARIABLE,), "listingmaxage", path)
    max_age = _seconds(age) if age is not None else None
    if age is not None and max_age is None:  # the file's value was checked with its line: the variable's
        raise ConfigError(
            f"{LISTING_MAX_AGE_VARIABLE} must be a number of seconds, 0 or more (e.g. 60), got {age!r}; "
            "unset it to list the store on every new reader"
        )
    return Config(
        prefix=chosen,
        endpoint_url=endpoint,
        sources=sources,
        config_file=path,
        region=region,
        addressing_style=style and style.lower(),
        checksum_mode=checksum and checksum.lower(),
        user_retries=bool(env.get("AWS_MAX_ATTEMPTS") or env.get("AWS_RETRY_MODE")),
        index_writes=writes is None or writes.lower() == "on",
        listing_max_age=max_age,
    )


def _first(
    env: Mapping[str, str],
    file_values: dict[str, tuple[str, int]],
    sources: dict[str, str],
    name: str,
    variables: tuple[str, ...],
    key: str,
    path: Path,
) -> str | None:
    """A setting from the first environment variable set, else the config file; records its source."""
    for variable in variables:
        if env.get(variable):
            sources[name] = f"environment variable {variable}"
            return env[variable]
    if key in file_values:
        value, line = file_values[key]
        sources[name] = f"{path} line {line}"
        return value
    return None


def write_config_file(
    prefix: str,
    path: Path | None = None,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    addressing_style: str | None = None,
    checksum_mode: str | None = None,
) -> Path:
    """Write a config file in the original's format (used by ``lab-workbook config --init``).

    Only ``bucketPrefix`` (and ``endpointUrl``) are keys the original knew; the S3-compatibility keys are
    written only when given, so a file made for AWS stays readable by the original tool.

    Raises:
        ConfigError: the prefix is not one we can store to, or a setting is not one of its choices
            (checked before anything is written, so a bad call leaves an existing file alone).
    """
    parse_prefix(prefix, warn=False)
    settings = {
        "endpointUrl": endpoint_url,
        "region": region,
        "addressingStyle": addressing_style,
        "checksumMode": checksum_mode,
    }
    for key, value in settings.items():
        problem = None if value is None else _not_a_choice(key, value)
        if problem:
            raise ConfigError(problem)
    target = path or config_file_path()
    lines = ["# lab-workbook configuration (same format as the original lab-workbook)", f"bucketPrefix = {prefix}"]
    lines += [f"{key} = {value}" for key, value in settings.items() if value]
    write_atomic(target, ("\n".join(lines) + "\n").encode("utf-8"))  # never a half-written config
    return target
