"""Options shared by the commands that run the pipeline (``run``, ``backfill``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])


def run_options(fn: F) -> F:
    """``--warehouse``, ``--config``, ``--demo`` and ``--verbose``."""
    for option in reversed([
        click.option("--warehouse", required=True,
                     type=click.Path(dir_okay=False, path_type=Path),
                     help="Published DuckDB warehouse file (created if missing)."),
        click.option("--config", "config_path",
                     type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     envvar="EHRLOG_CONFIG", help="YAML config (CONTRACT.md section 2)."),
        click.option("--demo", is_flag=True, envvar="EHRLOG_DEMO",
                     help="Demo mode: a fixed, public patient-id hash key (never for real "
                          "data)."),
        click.option("--verbose", is_flag=True, help="Show Dagster's step logs."),
    ]):
        fn = option(fn)
    return fn
