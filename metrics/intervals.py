"""Interval algebra on UTC instants: union of intervals and overlap with a union.

Used for the scheduled window, the appointment slots and their overlap with active time.
All work is vectorized; ``overlap_with_union`` uses two as-of joins against the
cumulative covered length, so its cost does not grow with the number of slots a day.
"""

from __future__ import annotations

import polars as pl

from metrics.timeutil import span_us


def union(intervals: pl.LazyFrame, by: list[str], start: str = "start", end: str = "end"
          ) -> pl.LazyFrame:
    """Merge overlapping or touching [start, end) intervals within each ``by`` group.

    Grain out: one row per disjoint interval per group, columns ``by + [start, end]``.
    """
    s, e = pl.col(start), pl.col(end)
    return (
        intervals.filter(e > s)
        .sort([*by, start])
        .with_columns(e.cum_max().shift(1).over(by).alias("_prev_end"))
        .with_columns(
            (pl.col("_prev_end").is_null() | (s > pl.col("_prev_end")))
            .cum_sum()
            .over(by)
            .alias("_grp")
        )
        .group_by([*by, "_grp"])
        .agg(s.min(), e.max())
        .drop("_grp")
    )


def _coverage_at(points: pl.LazyFrame, cover: pl.LazyFrame, by: list[str], at: str,
                 name: str) -> pl.LazyFrame:
    """Add ``name``: the covered length (µs) of the union before instant ``at``."""
    joined = points.sort(at).join_asof(
        cover.sort("_ws"), left_on=at, right_on="_ws", by=by, strategy="backward",
        check_sortedness=False,
    )
    covered = pl.col("_cum") + span_us(pl.col("_ws"), pl.min_horizontal(pl.col(at), pl.col("_we")))
    return joined.with_columns(covered.fill_null(0).alias(name)).drop("_ws", "_we", "_cum")


def overlap_with_union(pieces: pl.LazyFrame, disjoint: pl.LazyFrame, by: list[str],
                       name: str) -> pl.LazyFrame:
    """Add column ``name``: µs of each [start, end) piece inside the disjoint intervals.

    ``disjoint`` holds ``by + [start, end]`` with intervals that do not overlap within a
    group (the output of :func:`union`). Grain of ``pieces`` unchanged.
    """
    cover = (
        disjoint.select(*by, pl.col("start").alias("_ws"), pl.col("end").alias("_we"))
        .sort([*by, "_ws"])
        .with_columns(
            span_us(pl.col("_ws"), pl.col("_we")).cum_sum().shift(1, fill_value=0).over(by)
            .alias("_cum")
        )
    )
    out = _coverage_at(pieces, cover, by, "start", "_c0")
    out = _coverage_at(out, cover, by, "end", "_c1")
    return out.with_columns((pl.col("_c1") - pl.col("_c0")).alias(name)).drop("_c0", "_c1")


def overlap_with_interval(pieces: pl.LazyFrame, single: pl.LazyFrame, by: list[str],
                          name: str) -> pl.LazyFrame:
    """Add column ``name``: µs of each [start, end) piece inside the one interval of its
    group in ``single`` (``by + [start, end]``, at most one row per group; 0 when the
    group has none).

    Same result as :func:`overlap_with_union` for such inputs (the scheduled window with
    ``wow.window = span``), with one equi-join instead of two sorted as-of joins.
    """
    window = single.select(*by, pl.col("start").alias("_ws"), pl.col("end").alias("_we"))
    inside = span_us(pl.max_horizontal("start", "_ws"), pl.min_horizontal("end", "_we"))
    return (
        pieces.join(window, on=by, how="left")
        .with_columns(pl.when(pl.col("_ws").is_null()).then(pl.lit(0, pl.Int64))
                      .otherwise(inside).alias(name))
        .drop("_ws", "_we")
    )
