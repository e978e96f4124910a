"""``ehrlog report``: leader charts (HTML + PNG + index) or one clinician's own page.

Reads the published warehouse read-only. Without ``--provider`` it writes a leader
folder of department and specialty aggregates (no group smaller than ``min_cell_size``,
no provider id, no name); with ``--provider`` it writes that clinician's page, for them
and their direct leader. The cost-of-burnout figures use :mod:`metrics.cost` with the
organization's own inputs (defaults: the playbook's example). See docs/reports.md.
"""

from __future__ import annotations

from pathlib import Path

import click

from metrics.cost import CostInputs
from schemas.config import ConfigError, load_config


@click.command(name="report")
@click.option("--warehouse", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The published DuckDB warehouse (opened read-only).")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write into (created, mode 0750).")
@click.option("--period", "period_text", metavar="YYYY-MM|YYYY-MM-DD",
              help="The month starting there (YYYY-MM) or the period starting on that date; "
              "default: the latest period that ends inside the loaded data.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="Config YAML (default: $EHRLOG_CONFIG or the defaults); "
              "min_cell_size comes from here (the run's, if stricter).")
@click.option("--provider", "provider_id",
              help="Write this provider's own page instead of the leader folder.")
@click.option("--physicians", type=float, default=500, show_default=True,
              help="Cost calculator: number of physicians in the organization.")
@click.option("--burnout-rate", type=float, default=63, show_default=True,
              help="Cost calculator: share of physicians with burnout, in percent.")
@click.option("--turnover-rate", type=float, default=7, show_default=True,
              help="Cost calculator: overall yearly physician turnover, in percent.")
@click.option("--cost-per-turnover", type=float, default=800_000, show_default=True,
              help="Cost calculator: cost of replacing one physician, in dollars.")
@click.option("--intervention-cost", type=float, default=1_000_000, show_default=True,
              help="Cost calculator: yearly cost of the intervention, in dollars.")
@click.option("--burnout-reduction", type=float, default=20, show_default=True,
              help="Cost calculator: relative reduction in burnout, in percent.")
def command(
    warehouse: Path,
    out_dir: Path,
    period_text: str | None,
    config_path: Path | None,
    provider_id: str | None,
    physicians: float,
    burnout_rate: float,
    turnover_rate: float,
    cost_per_turnover: float,
    intervention_cost: float,
    burnout_reduction: float,
) -> None:
    """Export leader charts (self-contained HTML and PNG, with an index page).

    Department and specialty aggregates only, with the cited thresholds drawn and
    labelled: measure for learning, not for judgment (NAM Perspectives 2020). With
    --provider, writes that clinician's own weekly page instead.
    """
    try:
        config = load_config(config_path)
        inputs = CostInputs.from_percentages(
            physicians=physicians,
            burnout_rate=burnout_rate,
            turnover_rate=turnover_rate,
            cost_per_turnover=cost_per_turnover,
            intervention_cost=intervention_cost,
            burnout_reduction=burnout_reduction,
        )
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    # Imported here: Altair takes about 0.2 s to import, which every other ehrlog command
    # (run, backfill, ...) would pay at start otherwise.
    from pipelines.report import ReportError, build_leader_report, build_provider_page

    try:
        if provider_id is not None:
            path = build_provider_page(warehouse, out_dir, provider_id, config=config,
                                       period_text=period_text)
            click.echo(f"wrote {path}")
            return
        written = build_leader_report(warehouse, out_dir, config=config, cost_inputs=inputs,
                                      period_text=period_text)
    except ReportError as e:
        raise click.ClickException(str(e)) from None
    charts = sum(1 for p in written if p.suffix == ".html" and p.name != "index.html")
    click.echo(f"wrote {charts} charts (HTML and PNG) and index.html to {out_dir}")
