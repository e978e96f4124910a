"""``ehrlog run``: load one delivery folder and rebuild the warehouse through Dagster."""

from __future__ import annotations

import json
from pathlib import Path

import click
import duckdb

from pipelines.commands.options import run_options
from pipelines.ingest.rejected import rejected_lines
from pipelines.runner import RunFailed, run_pipeline
from schemas.config import ConfigError, load_config

#: Quarantined rows of a delivery that the run summary names one line each; the rest are
#: counted, and all are in ``quarantine.rows``.
SHOWN_REJECTED = 10


def _rejected(con: duckdb.DuckDBPyConnection, delivery_id: str) -> list[str]:
    total, lines = rejected_lines(con, delivery_id, SHOWN_REJECTED)
    out = [f"quarantined: {line}" for line in lines]
    if total > len(lines):
        out.append(f"quarantined: {total - len(lines):,} more rows of this delivery in "
                   f"quarantine.rows (delivery_id '{delivery_id}')")
    return out


def summarize(warehouse: Path, run_id: str, delivery_id: str | None = None) -> str:
    """A short text summary of one run, read from its methods-card row, with the rows
    quarantined from ``delivery_id`` (if given) named one line each."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute(
            "SELECT rows_staged_json, quarantine_counts_json, input_files_json, "
            "unmapped_share, unrostered_events, range_start, range_end "
            "FROM marts.methods WHERE run_id = ?", [run_id]
        ).fetchall()[0]
        rejected = _rejected(con, delivery_id) if delivery_id else []
    finally:
        con.close()
    staged, quarantined, files = (json.loads(x) for x in row[:3])
    q_by_kind: dict[str, int] = {}
    for q in quarantined:
        q_by_kind[q["kind"]] = q_by_kind.get(q["kind"], 0) + q["n"]
    lines = [f"{'kind':<11}{'loaded':>10}{'quarantined':>13}"]
    for kind, n in staged.items():
        lines.append(f"{kind:<11}{n:>10,}{q_by_kind.get(kind, 0):>13,}")
    lines.append(f"files loaded: {len(files)}")
    lines += rejected
    if row[3] is not None:
        lines.append(f"unmapped actions: {row[3]:.2%} of events; "
                     f"events of users not in the roster: {row[4]:,}")
    lines.append(f"loaded range: {row[5]} .. {row[6]}")
    lines.append(f"warehouse: {warehouse}")
    return "\n".join(lines)


@click.command(name="run")
@click.option("--input", "input_dir", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Delivery folder of extracts (events, providers, schedule, time_off, inbox).")
@run_options
def command(input_dir: Path, warehouse: Path, config_path: Path | None, demo: bool,
            verbose: bool) -> None:
    """Load a delivery folder, recompute the days it touched (plus one on each side) and
    rebuild every table above them, in-process through Dagster.

    The warehouse is replaced atomically at the end of a successful run; a failed run
    leaves the last good warehouse in place.
    """
    try:
        load_config(config_path)
        outcome = run_pipeline(input_dir, warehouse, config_path, demo=demo,
                               log_level="INFO" if verbose else "CRITICAL")
    except (ConfigError, RunFailed) as e:
        raise click.ClickException(str(e)) from None
    click.echo(summarize(outcome.warehouse, outcome.run_id, outcome.delivery_id))
    for check in outcome.failed_checks:
        click.echo(check.line(), err=True)
