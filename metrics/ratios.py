"""Ratios of sums shared by the week and period marts (CONTRACT.md section 4).

Every figure is a ratio of sums over the dates of the week or period inside the
provider's range, never a mean of daily ratios. Schedule-based ratios are null when
``scheduled_hours`` is below ``min_scheduled_hours_per_week`` x (days in range / 7), or
zero; that test is exact (integer microseconds against the setting read as the decimal
written in the configuration), so a week exactly at the threshold is never nulled by a
rounding error.

Every figure is computed alike whatever the engine and batch sizes, so that two runs on
the same delivery give the same bits: sums of minutes are integer sums of microseconds
(:func:`minutes_sum`), no quotient divides by a literal except through
:func:`metrics.timeutil.per_constant`, and the other quotients divide one column by
another.
"""

from __future__ import annotations

from fractions import Fraction

import polars as pl

from metrics.timeutil import US_PER_HOUR, US_PER_MINUTE, per_constant
from schemas.config import Config

SUMMED = [
    "ehr_minutes", "wow_minutes", "inbox_minutes", "notes_minutes", "orders_minutes",
    "prescriptions_minutes", "outside_slot_minutes", "inbox_messages",
]

#: Columns shared by provider_week and provider_period, in order.
RATIO_COLUMNS = [
    "scheduled_hours", "clinic_days", "ehr_time8", "wow8", "ib_time8", "note_time8",
    "order_time8", "rx_time8", "wow_minutes_per_clinic_day", "ehr_minutes_per_scheduled_hour",
    "psh40", "inbox_messages", "inbox_messages_per_cfte", "wow_minutes_per_cfte",
]


def minutes_sum(minutes: pl.Expr) -> pl.Expr:
    """The sum of a group's minutes, exactly: each day's minutes are whole microseconds
    (``metrics.timeutil.minutes``), summed as integers, so the result does not depend on
    the order in which the engine adds the days up (a float sum does, in its last bits)."""
    return per_constant(_us_sum(minutes), US_PER_MINUTE)


def _us_sum(minutes: pl.Expr) -> pl.Expr:
    return (minutes * US_PER_MINUTE).round().cast(pl.Int64).sum()


#: Aggregated column: the group's scheduled time in whole microseconds (dropped by the
#: marts; :func:`ratios` tests the scheduled-hours threshold on it).
SCHEDULED_US = "_scheduled_us"


def sums(keys: list[str]) -> list[pl.Expr]:
    """Aggregations over provider_day rows of one group."""
    return [
        pl.len().cast(pl.Int64).alias("days_in_range"),
        per_constant(minutes_sum(pl.col("scheduled_minutes")), 60).alias("scheduled_hours"),
        _us_sum(pl.col("scheduled_minutes")).alias(SCHEDULED_US),
        (pl.col("scheduled_minutes") > 0).sum().cast(pl.Int64).alias("clinic_days"),
        *[(minutes_sum(pl.col(c)) if c.endswith("_minutes") else pl.col(c).sum()).alias(c)
          for c in SUMMED],
    ]


def ratios(cfg: Config) -> list[pl.Expr]:
    """Ratio columns computed from the sums (and ``clinical_fte``)."""
    hours = pl.col("scheduled_hours")
    enough = enough_scheduled(cfg.min_scheduled_hours_per_week)

    def per8(col: str) -> pl.Expr:
        return pl.when(enough).then(per_constant(pl.col(col), 60) / hours * 8)

    return [
        per8("ehr_minutes").alias("ehr_time8"),
        per8("wow_minutes").alias("wow8"),
        per8("inbox_minutes").alias("ib_time8"),
        per8("notes_minutes").alias("note_time8"),
        per8("orders_minutes").alias("order_time8"),
        per8("prescriptions_minutes").alias("rx_time8"),
        pl.when(enough & (pl.col("clinic_days") > 0))
        .then(pl.col("wow_minutes") / pl.col("clinic_days"))
        .alias("wow_minutes_per_clinic_day"),
        pl.when(enough).then(pl.col("ehr_minutes") / hours).alias("ehr_minutes_per_scheduled_hour"),
        pl.when(enough)
        .then(40 * hours / (hours + per_constant(pl.col("outside_slot_minutes"), 60)))
        .alias("psh40"),
        (pl.col("inbox_messages") / pl.col("clinical_fte")).alias("inbox_messages_per_cfte"),
        (pl.col("wow_minutes") / pl.col("clinical_fte")).alias("wow_minutes_per_cfte"),
    ]


def enough_scheduled(min_hours_per_week: float) -> pl.Expr:
    """True where the group's scheduled time is above zero and at least
    ``min_hours_per_week`` x (``days_in_range`` / 7) hours, tested exactly: the scheduled
    microseconds x 7 x q against p x microseconds per hour x days, where p / q is the
    setting as the decimal it is written as (4.2 is 21/5), in 128-bit integers."""
    limit = Fraction(str(min_hours_per_week))
    us = pl.col(SCHEDULED_US).cast(pl.Int128)
    days = pl.col("days_in_range").cast(pl.Int128)
    return (us > 0) & (us * (7 * limit.denominator)
                       >= days * (limit.numerator * US_PER_HOUR))


def week_start_expr(date: pl.Expr, cfg: Config) -> pl.Expr:
    """The first date of the week (starting on ``week_start``) that holds ``date``."""
    back = (date.dt.weekday() - cfg.week_start_weekday) % 7
    return date - pl.duration(days=back)
