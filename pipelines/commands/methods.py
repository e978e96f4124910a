"""``ehrlog methods``: print the methods card (one row per run) of a warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import click
import duckdb


def _fmt_json_list(text: str, keys: list[str]) -> list[str]:
    return ["  " + "  ".join(str(item.get(k)) for k in keys) for item in json.loads(text)]


@click.command(name="methods")
@click.option("--warehouse", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--all", "show_all", is_flag=True,
              help="Every run, newest first (default: the latest).")
def command(warehouse: Path, show_all: bool) -> None:
    """Print the methods card: software version, settings and their hash, input files with
    row counts and checksums, quarantine counts, unmapped-action share, range, run time."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.sql("SELECT * FROM marts.methods ORDER BY run_at DESC").pl()
    except duckdb.Error:
        raise click.ClickException(f"{warehouse}: no marts.methods table") from None
    finally:
        con.close()
    if rows.height == 0:
        raise click.ClickException(f"{warehouse}: the methods card is empty")
    for r in (rows if show_all else rows.head(1)).to_dicts():
        click.echo(f"run {r['run_id']} at {r['run_at']:%Y-%m-%d %H:%M:%S} UTC, "
                   f"ehrlog {r['software_version']}")
        click.echo(f"delivery: {r['delivery'] or '(none: recomputed from staging)'}")
        click.echo(f"loaded range: {r['range_start']} .. {r['range_end']}")
        share = r["unmapped_share"]
        click.echo("unmapped-action share: " + ("n/a" if share is None else f"{share:.4%}")
                   + f"; events of users not in the roster: {r['unrostered_events']:,}")
        click.echo(f"thresholds profile: {r['thresholds_profile']} "
                   f"(sha256 {r.get('thresholds_sha256') or 'not recorded'})")
        click.echo(f"metric settings (hash {r['settings_hash']}): {r['settings_json']}")
        click.echo("input files (name, kind, sha256, rows, bytes):")
        for line in _fmt_json_list(r["input_files_json"],
                                   ["file_name", "kind", "sha256", "rows", "bytes"]):
            click.echo(line)
        click.echo("quarantined rows (kind, reason, n):")
        for line in _fmt_json_list(r["quarantine_counts_json"], ["kind", "reason", "n"]) or [
                "  none"]:
            click.echo(line)
        click.echo("methods choices where the contract is silent:")
        choices = json.loads(r.get("methods_choices_json") or "{}")
        for title, rule in choices.items() or [("none recorded", "an earlier version")]:
            click.echo(f"  {title}: {rule}")
        click.echo("")
