"""Local-time helpers: instants are UTC, calendar attribution uses the configured zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

US_PER_MINUTE = 60_000_000


_HOUR = dt.timedelta(hours=1)


def local_date(instant: pl.Expr, tz: str) -> pl.Expr:
    """The local calendar date of a UTC instant.

    The zone's offset is looked up once per distinct UTC hour (a year of events spans
    under 9,000 hours), and the date of each instant is that of instant + offset. An hour
    in which the offset changes (a clock change inside it) is resolved row by row. Same
    result as ``convert_time_zone(tz).dt.date()`` on every row, several times faster.
    """
    return instant.map_batches(lambda s: _local_dates(s, tz), return_dtype=pl.Date,
                               is_elementwise=True)


US_PER_HOUR = 3_600_000_000
_US_PER_DAY = 86_400_000_000
#: Above this many keys between the smallest and the largest, :func:`_per_key` matches
#: keys by hash instead of by position.
_MAX_KEY_SPAN = 2_000_000


def _per_key(keys: pl.Series, values_of: Callable[[pl.Series], pl.Series]
             ) -> pl.Series | None:
    """``values_of`` (a function of a few distinct integer keys) mapped back onto
    ``keys``, which may run to millions of rows: computed once per key of the span from
    the smallest to the largest and picked by position, or once per distinct key and
    matched by hash when the span is huge. Null keys give null; None when all are null."""
    lo, hi = keys.min(), keys.max()
    if lo is None:
        return None
    lo, hi = int(lo), int(hi)  # type: ignore[arg-type]
    if hi - lo < _MAX_KEY_SPAN:
        span = pl.int_range(lo, hi + 1, eager=True, dtype=keys.dtype)
        return values_of(span).gather(keys - lo)
    distinct = keys.unique().drop_nulls()
    values = values_of(distinct)
    return keys.replace_strict(distinct, values, default=None, return_dtype=values.dtype)


def _local_dates(s: pl.Series, tz: str) -> pl.Series:
    us = s.dt.cast_time_unit("us").to_physical()

    def offset(at: pl.Series) -> pl.Series:
        return (at.dt.convert_time_zone(tz).dt.replace_time_zone(None).to_physical()
                - at.to_physical())

    def hour_offsets(hours: pl.Series) -> pl.Series:
        """The zone's offset (µs) in each UTC hour, null when it changes inside it."""
        start = (hours * US_PER_HOUR).cast(pl.Datetime("us", "UTC"))
        o0, o1 = offset(start), offset(start + (_HOUR - dt.timedelta(microseconds=1)))
        return pl.select(pl.when(pl.lit(o0) == pl.lit(o1)).then(pl.lit(o0))).to_series()

    off = _per_key(us // US_PER_HOUR, hour_offsets)
    if off is None:
        return s.dt.convert_time_zone(tz).dt.date()
    dates = ((us + off) // _US_PER_DAY).cast(pl.Int32).cast(pl.Date)
    unknown = off.is_null() & s.is_not_null()
    if unknown.any():  # an hour with a clock change inside: row by row
        rows = unknown.arg_true()
        dates = dates.scatter(rows, s.gather(rows).dt.convert_time_zone(tz).dt.date())
    return dates.rename(s.name)


def local_instant(date: pl.Expr, tz: str, at: dt.time = dt.time(0, 0)) -> pl.Expr:
    """The UTC instant of local wall-clock ``at`` on ``date``.

    A repeated wall time takes the earlier instant. A wall time that does not exist
    (clocks go forward across it) is moved to the first instant after the gap, which is
    what a wall clock shows at that moment.

    Time-zone resolution is computed once per date of the column's span and picked by
    position (a column of millions of pieces holds a few hundred dates), which is several
    times faster than resolving every row. Use it in a row context
    (``select``/``with_columns``), not inside ``group_by().agg``.
    """
    return _per_date(date, lambda days: _instants_of(days, tz, at))


def repeated_overlap_us(start: pl.Expr, end: pl.Expr, date: pl.Expr, tz: str,
                        at: dt.time) -> pl.Expr:
    """µs of each piece [start, end) of ``date`` during which the wall clock shows, a
    second time that day, wall times before ``at``: when clocks go back across ``at`` (it
    occurs twice), the span from the instant they went back to the later instant of
    ``at``; none otherwise. The instants of a date whose wall clock reads before ``at`` are
    [start of the date, :func:`local_instant`) and that span; those at or after it,
    [``local_instant``, end of the date) less that span.

    The spans are computed once per date of the batch's span; a batch in which clocks go
    back across ``at`` on no date (nearly all) is answered without a per-row lookup."""
    def overlap(pieces: pl.Series) -> pl.Series:
        f = pieces.struct.unnest()
        days = f.get_column("date").cast(pl.Int32)
        lo, hi = days.min(), days.max()
        if lo is None:
            return pl.zeros(len(f), pl.Int64, eager=True)
        span = pl.int_range(int(lo), int(hi) + 1, eager=True, dtype=pl.Int32)  # type: ignore[arg-type]
        passes = _second_pass_of(span.cast(pl.Date), tz, at)
        if (passes.get_column("from") == passes.get_column("to")).all():
            return pl.zeros(len(f), pl.Int64, eager=True)
        at_day = days - int(lo)  # type: ignore[arg-type]
        return f.select(span_us(
            pl.max_horizontal("start", pl.lit(passes.get_column("from").gather(at_day))),
            pl.min_horizontal("end", pl.lit(passes.get_column("to").gather(at_day))),
        )).to_series()

    pieces = pl.struct(start.alias("start"), end.alias("end"), date.alias("date"))
    return pieces.map_batches(overlap, return_dtype=pl.Int64, is_elementwise=True)


_INSTANT = pl.Datetime("us", "UTC")


def _per_date(date: pl.Expr, instants_of: Callable[[pl.Series], pl.Series]) -> pl.Expr:
    """``instants_of`` (UTC instants of a few distinct dates) mapped onto ``date``."""
    def resolve(dates: pl.Series) -> pl.Series:
        resolved = _per_key(dates.cast(pl.Int32),
                            lambda days: instants_of(days.cast(pl.Date)))
        if resolved is None:  # no rows, or only nulls
            return pl.Series(dates.name, [None] * dates.len(), _INSTANT)
        return resolved.rename(dates.name)

    return date.map_batches(resolve, return_dtype=_INSTANT, is_elementwise=True)


def _instants_of(dates: pl.Series, tz: str, at: dt.time) -> pl.Series:
    """:func:`local_instant` of each date of ``dates`` (UTC instants)."""
    naive = _naive_at(dates, at)
    exact = naive.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")
    gapped = exact.is_null() & naive.is_not_null()
    if gapped.any():  # a spring-forward gap: the instant the clock jumps past it
        rows = gapped.arg_true()
        exact = exact.scatter(rows, _after_gap(naive.gather(rows), tz))
    return exact.dt.convert_time_zone("UTC")


def _second_pass_of(dates: pl.Series, tz: str, at: dt.time) -> pl.DataFrame:
    """The span of :func:`repeated_overlap_us` on each date of ``dates`` (columns ``from``
    and ``to``; both the instant of ``at`` when clocks do not go back across it)."""
    early = _instants_of(dates, tz, at)
    late = _naive_at(dates, at).dt.replace_time_zone(
        tz, ambiguous="latest", non_existent="null").dt.convert_time_zone("UTC")
    frm, to = early.clone(), early.clone()  # scatter writes in place
    folded = (late != early).fill_null(False)
    if folded.any():  # clocks go back across ``at``: a few dates a year
        rows = folded.arg_true()
        frm = frm.scatter(rows, _fold_start(early.gather(rows), late.gather(rows), tz))
        to = to.scatter(rows, late.gather(rows))
    return pl.DataFrame({"from": frm, "to": to})


def _fold_start(early: pl.Series, late: pl.Series, tz: str) -> pl.Series:
    """For the two instants of each repeated wall time, the instant between them where
    the clocks went back: the first, to the second, whose UTC offset is the later one's
    (clock changes fall on whole seconds)."""
    def offset(at: pl.Expr) -> pl.Expr:
        return at.dt.convert_time_zone(tz).dt.replace_time_zone(None) - at.dt.replace_time_zone(
            None)

    frame = pl.DataFrame({"_from": early, "_late": late}).with_row_index("_i")
    return _first_second_where(frame, lambda t: (t <= pl.col("_late")) & (
        offset(t) == offset(pl.col("_late")))).rename(early.name)


def _naive_at(dates: pl.Series, at: dt.time) -> pl.Series:
    """Naive wall-clock ``at`` on each date of ``dates``."""
    return dates.cast(pl.Datetime("us")) + dt.timedelta(
        hours=at.hour, minutes=at.minute, seconds=at.second)


#: Longest clock gap or repeat searched for (the longest in the time-zone database is a
#: skipped calendar day).
_MAX_GAP = dt.timedelta(hours=48)


def _after_gap(walls: pl.Series, tz: str) -> pl.Series:
    """For naive wall times that do not exist in ``tz``, the instant of the first wall time
    after each that exists: the end of the gap (to the second), where clocks resume. Only
    a few dates a year need this."""
    def local(t: pl.Expr) -> pl.Expr:
        return t.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null")

    frame = walls.alias("_from").to_frame().with_row_index("_i")
    resumed = _first_second_where(frame, lambda t: local(t).is_not_null())
    return resumed.to_frame("_t").select(local(pl.col("_t"))).to_series().rename(walls.name)


def _first_second_where(frame: pl.DataFrame, holds: Callable[[pl.Expr], pl.Expr]
                        ) -> pl.Series:
    """For each row of ``frame`` (``_i``, ``_from`` and any columns ``holds`` reads), the
    first whole second after ``_from``, within :data:`_MAX_GAP`, at which ``holds`` of it
    is true (null where there is none), in ``_i`` order. The first such minute is found,
    then the first such second of the minute before it: ``holds`` must be false before
    that second and true from it up to that minute."""
    def first(rows: pl.DataFrame, step: dt.timedelta, count: int) -> pl.DataFrame:
        steps = pl.DataFrame({"_k": pl.int_range(1, count + 1, eager=True)})
        return (
            rows.join(steps, how="cross")
            .with_columns((pl.col("_from") + pl.col("_k") * step).alias("_t"))
            .filter(holds(pl.col("_t")))
            .group_by("_i").agg(pl.all().sort_by("_k").first())
        )

    minute = dt.timedelta(minutes=1)
    minutes_found = first(frame, minute, int(_MAX_GAP / minute))
    # the change falls within the minute before the first minute where ``holds``
    before = minutes_found.with_columns((pl.col("_t") - minute).alias("_from")).drop("_k", "_t")
    seconds_found = first(before, dt.timedelta(seconds=1), 60)
    out = frame.select("_i").join(seconds_found.select("_i", "_t"), on="_i", how="left")
    return out.sort("_i").get_column("_t")


def per_constant(value: pl.Expr, constant: float) -> pl.Expr:
    """``value`` divided by the constant ``constant``, computed alike in every engine and
    batch: as ``value`` times ``1 / constant``.

    Polars divides a column by a literal that way in batches of three rows or more, but
    exactly in smaller ones, so the last bit of a plain ``/ constant`` depended on how
    the streaming engine cut the rows and could differ between two runs on the same
    delivery (CONTRACT.md section 1: loading it twice leaves every table unchanged).
    The product is within one unit in the last place of the quotient.
    """
    return value.cast(pl.Float64) * (1.0 / constant)


def minutes(us: pl.Expr) -> pl.Expr:
    """Microseconds (integer) to minutes (double, unrounded)."""
    return per_constant(us, US_PER_MINUTE)


def span_us(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """Length of [start, end) in microseconds, never negative."""
    return pl.max_horizontal((end - start).dt.total_microseconds(), pl.lit(0, pl.Int64))
