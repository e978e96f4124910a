"""``ehrlog backfill``: recompute a range of daily partitions from staging."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from pipelines.commands.options import run_options
from pipelines.commands.run import summarize
from pipelines.runner import RunFailed, backfill_pipeline
from schemas.config import ConfigError


@click.command(name="backfill")
@click.option("--start", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="First local date to recompute (YYYY-MM-DD).")
@click.option("--end", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Last local date to recompute (YYYY-MM-DD), inclusive.")
@run_options
def command(start: dt.datetime, end: dt.datetime, warehouse: Path, config_path: Path | None,
            demo: bool, verbose: bool) -> None:
    """Recompute the day grid for local dates START..END from staging, rebuild every table
    above it, and publish atomically (one Dagster run over those daily partitions).

    Re-running a range is idempotent. When the metric settings, roster or action map
    changed since the grid was built, every date is rebuilt instead.
    """
    try:
        outcome = backfill_pipeline(start.date(), end.date(), warehouse, config_path,
                                    demo=demo, log_level="INFO" if verbose else "CRITICAL")
    except (ConfigError, RunFailed) as e:
        raise click.ClickException(str(e)) from None
    if outcome.days:
        click.echo(f"recomputed daily partitions {outcome.days[0]} .. {outcome.days[1]}")
    click.echo(summarize(outcome.warehouse, outcome.run_id))
    for check in outcome.failed_checks:
        click.echo(check.line(), err=True)
