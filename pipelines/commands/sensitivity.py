"""``ehrlog sensitivity``: how total EHR time changes with the idle timeout."""

from __future__ import annotations

from pathlib import Path

import click
import duckdb

from metrics.ranges import loaded_range
from metrics.sensitivity import ehr_time_by_timeout
from pipelines.ingest import read_staged
from schemas.config import ConfigError, load_config


@click.command(name="sensitivity")
@click.option("--warehouse", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), envvar="EHRLOG_CONFIG")
@click.option("--timeouts", default="5,60,300,900", show_default=True,
              help="Comma-separated idle timeouts in seconds.")
def command(warehouse: Path, config_path: Path | None, timeouts: str) -> None:
    """Total active EHR time on the staged events under several idle timeouts.

    Reads the published warehouse read-only; changes nothing.
    """
    try:
        cfg = load_config(config_path)
        values = [float(x) for x in timeouts.split(",") if x.strip()]
    except (ConfigError, ValueError) as e:
        raise click.ClickException(f"--timeouts or --config: {e}") from None
    if not values or any(v <= 0 or v > 3600 for v in values):
        raise click.BadParameter("each timeout must be in (0, 3600] seconds",
                                 param_hint="--timeouts")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        st = read_staged(con, kinds=("events", "providers", "action_map"))
    finally:
        con.close()
    loaded = loaded_range(st["events"], cfg)
    if loaded is None:
        raise click.ClickException(f"{warehouse}: no staged events")
    table = ehr_time_by_timeout(st["events"], st["providers"], st["action_map"], cfg, loaded,
                                values)
    click.echo(f"loaded range {loaded[0]} .. {loaded[1]}; configured timeout "
               f"{cfg.idle_timeout_seconds:g} s")
    click.echo(f"{'timeout_s':>10}{'ehr_hours_total':>17}{'min_per_provider_day':>22}"
               f"{'vs_configured':>15}")
    for r in table.iter_rows(named=True):
        ratio = r["ratio_to_configured"]
        click.echo(f"{r['idle_timeout_seconds']:>10g}{r['ehr_minutes_total'] / 60:>17,.1f}"
                   f"{r['ehr_minutes_per_day']:>22.1f}"
                   f"{(f'{ratio:.2f}x' if ratio is not None else 'n/a'):>15}")
