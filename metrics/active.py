"""Active EHR time (CONTRACT.md section 3).

Events of one provider (all of their user ids) are ordered by instant; events sharing an
instant count as one, with the category first in the order notes, orders, prescriptions,
inbox, chart_review, other. The gap g to the next event makes [t(i), t(i+1)) active
when 0 < g <= ``idle_timeout_seconds``, in the category of e(i); the last event counts
nothing. Active intervals are cut at local midnight here (:func:`active_pieces`, which
carry the categories); so are the maximal runs of touching intervals
(:func:`active_sessions`), on which :mod:`metrics.day` computes the overlap with the
window, slots and pajama hours.
"""

from __future__ import annotations

import polars as pl

from metrics.categories import categorize
from metrics.timeutil import local_date, local_instant
from schemas.config import Config
from schemas.contract import CATEGORIES


def provider_events(events: pl.LazyFrame, providers: pl.LazyFrame, action_map: pl.LazyFrame
                    ) -> pl.LazyFrame:
    """Events of rostered users, one row per provider and distinct instant.

    Grain: one row per provider per instant: ``provider_id`` (Categorical),
    ``event_time`` and the winning ``category`` (:data:`metrics.categories.CATEGORY`).
    Rows come grouped by provider and, within a provider, in instant order (what
    :func:`active_pieces` and :func:`active_sessions` rely on).
    """
    # The provider id becomes Categorical on the few roster rows, not on every event.
    logins = providers.select("user_id", pl.col("provider_id").cast(pl.Categorical)).unique()
    cat = categorize(events.select("user_id", "event_time", "action"), action_map)
    return provider_instants(cat.join(logins, on="user_id", how="inner"))


def provider_instants(events: pl.LazyFrame) -> pl.LazyFrame:
    """:func:`provider_events` of events already joined to their provider and category.

    Input: one row per event per provider of its login: ``provider_id`` (Categorical or
    Enum), ``event_time`` and ``category`` (:data:`metrics.categories.CATEGORY`), in any
    order (:class:`pipelines.day_inputs.EventReader` reads them so from the warehouse).
    Grain out: one row per provider per instant, as :func:`provider_events`. The input is
    collected here (its value ranges choose the sort key, :func:`_sort_key`).
    """
    frame = events.select("provider_id", "event_time", "category").collect(engine="in-memory")
    # One sort puts each instant's winning category first (the category's code is its
    # rank); keeping the first row of each (provider, instant) then needs no hash
    # grouping. Only the grouping of providers matters, not their order.
    pid = pl.col("provider_id").to_physical()
    first = (pid != pid.shift(1)) | (pl.col("event_time") != pl.col("event_time").shift(1))
    return frame.lazy().sort(_sort_key(frame)).filter(first.fill_null(True))


def _sort_key(frame: pl.DataFrame) -> pl.Expr:
    """One integer ordering the rows by (provider code, instant, category code), exactly.

    The key is mixed radix: (provider code * span + microseconds since the batch's first
    instant) * categories + category code. It is an unsigned 64-bit integer when that
    fits (a batch of a few providers over years does), else a 128-bit one, which fits any
    instant: sorting one integer is about twice as fast as sorting the three columns, and
    the 64-bit one about 1.7 times as fast as the 128-bit one (docs/performance.md).
    """
    pid = pl.col("provider_id").to_physical()
    us = pl.col("event_time").dt.epoch("us")
    cat = pl.col("category").to_physical()
    n_cat = len(CATEGORIES)
    stats = frame.select(pid.max().alias("p"), us.min().alias("lo"), us.max().alias("hi"))
    p, lo, hi = stats.row(0)
    if p is not None and lo is not None:
        span = (hi - lo + 1) * n_cat  # distinct (instant, category) values of a provider
        if (int(p) + 1) * span <= 1 << 64:
            return (pid.cast(pl.UInt64) * pl.lit(span, dtype=pl.UInt64)
                    + (us - lo).cast(pl.UInt64) * n_cat + cat.cast(pl.UInt64))
    return (pid.cast(pl.Int128) * (1 << 64) + us.cast(pl.Int128) * n_cat
            + cat.cast(pl.Int128))


def _gaps(instants: pl.LazyFrame, cfg: Config) -> pl.LazyFrame:
    """Add ``end`` (the provider's next instant, null for the last) and ``_active``
    (0 < gap <= ``idle_timeout_seconds``) to the output of :func:`provider_events`."""
    timeout_us = int(round(cfg.idle_timeout_seconds * 1_000_000))
    same = pl.col("provider_id") == pl.col("provider_id").shift(-1)
    gap = (pl.col("end") - pl.col("event_time")).dt.total_microseconds()
    return instants.with_columns(
        pl.when(same).then(pl.col("event_time").shift(-1)).alias("end")
    ).with_columns(((gap > 0) & (gap <= timeout_us)).fill_null(False).alias("_active"))


def active_pieces(instants: pl.LazyFrame, cfg: Config) -> pl.LazyFrame:
    """Active intervals cut at local midnight.

    Input: the output of :func:`provider_events` (grouped by provider, in instant order),
    optionally with the local ``date`` of each instant already computed (the day grid
    computes it once for this and for the login days). Grain out: one row per active
    interval per local date it touches: ``provider_id`` (Categorical), ``date``,
    ``start``, ``end``, ``category``.
    """
    tz = cfg.timezone
    if "date" not in instants.collect_schema():
        instants = instants.with_columns(local_date(pl.col("event_time"), tz).alias("date"))
    intervals = (
        _gaps(instants, cfg)
        .filter(pl.col("_active"))
        .rename({"event_time": "start"})
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


def active_sessions(instants: pl.LazyFrame, cfg: Config) -> pl.LazyFrame:
    """Active time as maximal runs of touching active intervals, cut at local midnight.

    Consecutive active intervals of a provider touch (one ends at the instant the next
    starts), so the active time of a provider is a few long runs. Their union is exactly
    the union of the pieces of :func:`active_pieces` on each date, so any length, overlap
    or clipping summed over these rows equals the sum over the pieces: the day grid
    computes the window, slot and pajama overlaps on these far fewer rows.

    Input: the output of :func:`provider_events`. Grain out: one row per run per local
    date it touches: ``provider_id``, ``date``, ``start``, ``end``.
    """
    tz = cfg.timezone
    g = _gaps(instants, cfg)
    same_prev = pl.col("provider_id") == pl.col("provider_id").shift(1)
    prev_active = (same_prev & pl.col("_active").shift(1)).fill_null(False)
    next_active = pl.col("_active").shift(-1).fill_null(False) & pl.col("end").is_not_null()
    starts = g.filter(pl.col("_active") & ~prev_active).select(
        "provider_id", pl.col("event_time").alias("start"))
    ends = g.filter(pl.col("_active") & ~next_active).select("end")
    runs = pl.concat([starts, ends], how="horizontal")
    return (
        runs.with_columns(
            pl.date_ranges(local_date(pl.col("start"), tz),
                           local_date(pl.col("end") - pl.duration(microseconds=1), tz))
            .alias("date")
        )
        .explode("date")
        .with_columns(
            local_instant(pl.col("date"), tz).alias("_day_start"),
            local_instant(pl.col("date").dt.offset_by("1d"), tz).alias("_day_end"),
        )
        .select(
            pl.col("provider_id").cast(pl.String), "date",
            pl.max_horizontal("start", "_day_start").alias("start"),
            pl.min_horizontal("end", "_day_end").alias("end"),
        )
        .filter(pl.col("end") > pl.col("start"))
    )
