"""Scheduled time and the scheduled window (CONTRACT.md section 4).

Counted appointments (status in ``schedule.counted_statuses``) are intervals
[start, start + duration) on instants, cut at local midnight into per-date pieces. A
date's slots are its pieces; ``scheduled_minutes`` is the length of their union (a
double-booked slot counts once). The scheduled window of a date comes from that date's
pieces: with ``wow.window = span`` [earliest start - buffer, latest end + buffer), with
``slots`` the union of [start - buffer, end + buffer); it is empty on an unscheduled day
and applies only to that date's active minutes.
"""

from __future__ import annotations

import polars as pl

from metrics.intervals import union
from metrics.timeutil import local_date, local_instant, minutes, span_us
from schemas.config import Config

KEYS = ["provider_id", "date"]


def counted(schedule: pl.LazyFrame, cfg: Config) -> pl.LazyFrame:
    """Counted appointments with ``start`` and ``end`` instants; one row per appointment."""
    return schedule.filter(pl.col("status").is_in(list(cfg.schedule.counted_statuses))).select(
        "provider_id",
        pl.col("start_time").alias("start"),
        (
            pl.col("start_time")
            + pl.duration(microseconds=(pl.col("duration_minutes") * 60_000_000).round())
        ).alias("end"),
    )


def slot_pieces(appointments: pl.LazyFrame, cfg: Config) -> pl.LazyFrame:
    """Counted appointments cut at local midnight: one row per appointment per date."""
    tz = cfg.timezone
    a = appointments.with_columns(local_date(pl.col("start"), tz).alias("date")).with_columns(
        local_instant(pl.col("date").dt.offset_by("1d"), tz).alias("_midnight")
    )
    # A slot lasts at most 720 minutes, so it crosses at most one midnight.
    first = a.select(
        "provider_id", "date", "start", pl.min_horizontal("end", "_midnight").alias("end")
    )
    second = a.filter(pl.col("end") > pl.col("_midnight")).select(
        "provider_id", pl.col("date").dt.offset_by("1d").alias("date"),
        pl.col("_midnight").alias("start"), "end",
    )
    return pl.concat([first, second]).filter(pl.col("end") > pl.col("start"))


def slot_union(pieces: pl.LazyFrame) -> pl.LazyFrame:
    """Disjoint slot intervals per provider and date."""
    return union(pieces, KEYS)


def window_union(pieces: pl.LazyFrame, cfg: Config) -> pl.LazyFrame:
    """Disjoint scheduled-window intervals per provider and date."""
    buf = pl.duration(microseconds=round(cfg.wow.buffer_minutes * 60_000_000))
    if cfg.wow.window == "span":
        return pieces.group_by(KEYS).agg(
            (pl.col("start").min() - buf).alias("start"), (pl.col("end").max() + buf).alias("end")
        )
    return union(
        pieces.with_columns(pl.col("start") - buf, pl.col("end") + buf), KEYS
    )


def scheduled_day(appointments: pl.LazyFrame, slots: pl.LazyFrame, cfg: Config) -> pl.LazyFrame:
    """Per provider and date: ``scheduled_minutes`` (union length) and ``appointments``
    (counted appointments starting that date)."""
    minutes_by_day = slots.group_by(KEYS).agg(
        minutes(span_us(pl.col("start"), pl.col("end")).sum()).alias("scheduled_minutes")
    )
    starts = (
        appointments.with_columns(local_date(pl.col("start"), cfg.timezone).alias("date"))
        .group_by(KEYS)
        .agg(pl.len().cast(pl.Int64).alias("appointments"))
    )
    return minutes_by_day.join(starts, on=KEYS, how="full", coalesce=True)
