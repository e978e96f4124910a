"""Active EHR time (CONTRACT.md section 3).

Events of one provider (all of their user ids) are ordered by instant; events sharing an
instant count as one, with the category first in the order notes, orders, prescriptions,
inbox, chart_review, other. The gap g to the next event makes [t(i), t(i+1)) active
when 0 < g <= ``idle_timeout_seconds``, in the category of e(i); the last event counts
nothing. Active intervals are cut at local midnight here; their overlap with the window,
slots and pajama hours is computed per piece in :mod:`metrics.day`.
"""

from __future__ import annotations

import polars as pl

from metrics.categories import categorize, category_rank
from metrics.timeutil import local_date, local_instant
from schemas.config import Config
from schemas.contract import CATEGORIES


def provider_events(events: pl.LazyFrame, providers: pl.LazyFrame, action_map: pl.LazyFrame
                    ) -> pl.LazyFrame:
    """Events of rostered users, one row per provider and distinct instant.

    Grain: one row per provider per instant, with the winning ``category``.
    """
    logins = providers.select("user_id", "provider_id").unique()
    cat = categorize(events.select("user_id", "event_time", "action"), action_map)
    return (
        cat.join(logins, on="user_id", how="inner")
        # Grouping on the categorical code of provider_id is about twice as fast as on
        # the string; the output column is a string again.
        .group_by(pl.col("provider_id").cast(pl.Categorical), "event_time")
        .agg(category_rank(pl.col("category")).min().alias("_rank"))
        .with_columns(
            pl.col("provider_id").cast(pl.String),
            pl.col("_rank")
            .replace_strict(list(range(len(CATEGORIES))), list(CATEGORIES), return_dtype=pl.String)
            .alias("category")
        )
        .drop("_rank")
    )


def active_pieces(instants: pl.LazyFrame, cfg: Config) -> pl.LazyFrame:
    """Active intervals cut at local midnight.

    Input: the output of :func:`provider_events`. Grain out: one row per active interval
    per local date it touches: ``provider_id``, ``date``, ``start``, ``end``, ``category``.
    """
    timeout_us = int(round(cfg.idle_timeout_seconds * 1_000_000))
    tz = cfg.timezone
    intervals = (
        # Sorting by instant alone and shifting within each provider is several times
        # faster than sorting by (provider_id, event_time): no multi-column string sort.
        instants.sort("event_time")
        .with_columns(pl.col("event_time").shift(-1).over("provider_id").alias("end"))
        .rename({"event_time": "start"})
        .with_columns((pl.col("end") - pl.col("start")).dt.total_microseconds().alias("_gap"))
        .filter((pl.col("_gap") > 0) & (pl.col("_gap") <= timeout_us))
        .with_columns(local_date(pl.col("start"), tz).alias("date"))
        .with_columns(
            local_instant(pl.col("date").dt.offset_by("1d"), tz).alias("_midnight")
        )
    )
    # idle_timeout_seconds is at most an hour, so an interval crosses at most one midnight.
    first = intervals.select(
        "provider_id", "date", "start",
        pl.min_horizontal("end", "_midnight").alias("end"), "category",
    )
    second = intervals.filter(pl.col("end") > pl.col("_midnight")).select(
        "provider_id", pl.col("date").dt.offset_by("1d").alias("date"),
        pl.col("_midnight").alias("start"), "end", "category",
    )
    return pl.concat([first, second])
