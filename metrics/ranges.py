"""Date ranges (CONTRACT.md section 4, first paragraph) and the one-row-per-provider roster."""

from __future__ import annotations

import datetime as dt

import polars as pl

from metrics.timeutil import local_date
from schemas.config import Config


def loaded_range(events: pl.DataFrame, cfg: Config) -> tuple[dt.date, dt.date] | None:
    """First local date with an accepted event .. ``data_through`` or the last such date.

    ``events`` are all staged events, of rostered users or not. None when there are none.
    """
    if events.height == 0:
        return None
    dates = events.select(local_date(pl.col("event_time"), cfg.timezone).alias("d"))
    first, last = dates.select(pl.col("d").min().alias("lo"), pl.col("d").max().alias("hi")).row(0)
    return bounded_range(first, last, cfg)


def bounded_range(first: dt.date, last: dt.date, cfg: Config
                  ) -> tuple[dt.date, dt.date] | None:
    """The loaded range from the first and last local dates with an accepted event:
    ``first`` .. ``data_through`` (or ``last``); None when that is empty."""
    end = cfg.data_through or last
    return (first, end) if first <= end else None


def provider_dim(providers: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """One row per provider from the roster (one row per login).

    The contract says a provider's logins carry the same attributes; the first row's are
    taken, with the earliest ``start_date`` and the latest ``end_date`` given.
    """
    return (
        providers.lazy()
        .sort("provider_id", "user_id")
        .group_by("provider_id", maintain_order=True)
        .agg(
            pl.col("department").first(),
            pl.col("specialty").first(),
            pl.col("role").first(),
            pl.col("clinical_fte").first(),
            pl.col("start_date").min(),
            pl.col("end_date").max(),
        )
    )


def provider_ranges(
    providers: pl.DataFrame | pl.LazyFrame, loaded: tuple[dt.date, dt.date]
) -> pl.LazyFrame:
    """Per provider: ``range_start`` and ``range_end``, the loaded range cut to the
    provider's ``start_date`` and ``end_date``; providers whose range is empty are dropped."""
    lo, hi = loaded
    return (
        provider_dim(providers)
        .with_columns(
            pl.max_horizontal(pl.lit(lo), pl.col("start_date")).alias("range_start"),
            pl.min_horizontal(pl.lit(hi), pl.col("end_date")).alias("range_end"),
        )
        .filter(pl.col("range_start") <= pl.col("range_end"))
    )


def provider_grid(ranges: pl.LazyFrame) -> pl.LazyFrame:
    """One row per provider per date of their range (``provider_id``, ``date``)."""
    return (
        ranges.select(
            "provider_id",
            pl.date_ranges("range_start", "range_end", interval="1d").alias("date"),
        )
        .explode("date")
    )
