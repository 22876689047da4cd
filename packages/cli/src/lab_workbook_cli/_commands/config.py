"""``lab-workbook config``: the effective store and where each value came from; ``--init``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from lab_workbook_core import Config, config_file_path, load_config, write_config_file
import typer

from .._errors import CliError
from .._options import JsonOption, PrefixOption, unset_option
from .._output import make_table, print_json, print_table, stdout_console

__all__ = ["config"]


def config(
    prefix: PrefixOption = None,
    json: JsonOption = False,
    init: Annotated[
        str | None,
        unset_option(
            "--init",
            metavar="PREFIX",
            help="Write ~/.lab-workbook-config (or $LAB_WORKBOOK_CONFIG) with this store prefix.",
        ),
    ] = None,
    endpoint_url: Annotated[
        str | None,
        unset_option("--endpoint-url", help="With --init: an S3-compatible endpoint to record."),
    ] = None,
    region: Annotated[str | None, unset_option("--region", help="With --init: the S3 region to record.")] = None,
    addressing_style: Annotated[
        str | None,
        unset_option("--addressing-style", help="With --init: auto, path or virtual."),
    ] = None,
    checksum_mode: Annotated[
        str | None,
        unset_option("--checksum-mode", help="With --init: when_supported or when_required."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="With --init: replace an existing config file.")] = False,
) -> None:
    """Show the effective store and where each value came from, or write a config file with --init."""
    init_only = {
        "--endpoint-url": endpoint_url,
        "--region": region,
        "--addressing-style": addressing_style,
        "--checksum-mode": checksum_mode,
        "--force": force,
    }
    given = [option for option, value in init_only.items() if value]
    if init is None and given:
        raise typer.BadParameter(f"{', '.join(given)} only apply with --init", param_hint="--init")
    if init is not None:
        path = config_file_path()
        if path.exists() and not force:
            raise CliError(f"{path} already exists; pass --force to replace it (its content is lost)")
        write_config_file(
            init,
            endpoint_url=endpoint_url,
            region=region,
            addressing_style=addressing_style,
            checksum_mode=checksum_mode,
        )
        typer.echo(f"wrote {path}", err=True)
    effective = load_config(prefix)
    if json:
        print_json(_as_dict(effective))
        return
    _print(effective)
    if init is not None and effective.sources.get("prefix", "").startswith("environment"):
        typer.echo("note: LAB_WORKBOOK_PREFIX is set and wins over the file; unset it to use the file", err=True)


def _as_dict(cfg: Config) -> dict[str, object]:
    path = cfg.config_file
    return {
        "prefix": cfg.prefix,
        "location": cfg.location.url,
        "endpoint_url": cfg.endpoint_url,
        "region": cfg.region,
        "addressing_style": cfg.addressing_style,
        "checksum_mode": cfg.checksum_mode,
        "index_writes": cfg.index_writes,
        "listing_max_age": cfg.listing_max_age,
        "sources": dict(cfg.sources),
        "config_file": str(path) if path else None,
        "config_file_exists": bool(path and Path(path).is_file()),
    }


def _print(cfg: Config) -> None:
    table = make_table("setting", "value", "from")
    table.add_row("prefix", cfg.prefix, cfg.sources.get("prefix", "-"))
    if cfg.location.url != cfg.prefix:
        table.add_row("location", cfg.location.url, "the prefix, resolved")
    endpoint = cfg.endpoint_url or ("AWS default" if cfg.location.scheme == "s3" else "-")
    table.add_row("endpoint_url", endpoint, cfg.sources.get("endpoint_url", "-"))
    if cfg.location.scheme == "s3":
        for name in ("region", "addressing_style", "checksum_mode"):
            value = getattr(cfg, name)
            table.add_row(name, value or "boto3 default", cfg.sources.get(name, "-"))
    writes = "on" if cfg.index_writes else "off"
    table.add_row("index_writes", writes, cfg.sources.get("index_writes", "built-in default"))
    age = f"{cfg.listing_max_age:g} s" if cfg.listing_max_age else "none"
    table.add_row("listing_max_age", age, cfg.sources.get("listing_max_age", "built-in default"))
    path = cfg.config_file
    state = "exists" if path and Path(path).is_file() else "not found"
    table.add_row("config file", str(path), state)
    print_table(table, stdout_console())
