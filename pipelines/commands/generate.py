"""``ehrlog generate``: write a synthetic delivery folder (see ``pipelines/generator``)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import click

from pipelines.generator import generate_extract, write_extract


@click.command(name="generate")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Delivery folder to write (created if missing).")
@click.option("--providers", default=14, show_default=True, type=click.IntRange(1, 9999),
              help="Number of clinicians (the first one has two logins).")
@click.option("--days", default=396, show_default=True, type=click.IntRange(1, 3660),
              help="Number of calendar days.")
@click.option("--start", default="2025-01-01", show_default=True,
              type=click.DateTime(formats=["%Y-%m-%d"]), help="First date, YYYY-MM-DD.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Random seed; the same arguments give byte-identical files.")
@click.option("--format", "fmt", default="csv", show_default=True,
              type=click.Choice(["csv", "parquet"]), help="File format of the extracts.")
@click.option("--events-per-workday", default=1500.0, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="Mean audit events per clinic day; at least one event per 200 s of "
                   "session is always kept, so low values are exceeded.")
@click.option("--gzip/--no-gzip", "gzip", default=True, show_default=True,
              help="CSV only: gzip the schedule, inbox and events files (*.csv.gz).")
def command(out: Path, providers: int, days: int, start: dt.datetime, seed: int, fmt: str,
            events_per_workday: float, gzip: bool) -> None:
    """Write a synthetic EHR audit-log delivery (providers, schedule, time off, inbox, events).

    Timestamps are naive local wall-clock time in America/New_York. Personas, calibration
    and file layout are documented in pipelines/generator and sample_logs/README.md.
    """
    t0 = time.perf_counter()
    extract = generate_extract(
        providers=providers,
        days=days,
        start=start.date(),
        seed=seed,
        events_per_workday=events_per_workday,
    )
    t1 = time.perf_counter()
    write_extract(extract, out, fmt=fmt, gzip=gzip)
    t2 = time.perf_counter()
    counts = " ".join(f"{kind}={n}" for kind, n in extract.row_counts().items())
    click.echo(f"wrote {out}: {counts} rows (generated in {t1 - t0:.1f} s, "
               f"written in {t2 - t1:.1f} s)")
