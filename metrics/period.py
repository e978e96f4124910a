"""``marts.provider_period``: one row per provider per reporting period (calendar week,
month or quarter per ``reporting_period``) with dates in the provider's range.

Sources: the week measures (see :mod:`metrics.week`); inbox volume per week (NAM 2020,
after Adler-Milstein et al. 2020); vacation EHR time (Sinsky et al. JAMA Netw Open 2024,
cited in the Value of Feeling Valued playbook); inbox coverage on vacation ("Real PTO"
toolkit, Table 3 of that playbook); CONTRACT.md section 4.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from metrics.ranges import provider_dim, provider_ranges
from metrics.ratios import RATIO_COLUMNS, minutes_sum, ratios, sums, week_start_expr
from metrics.timeutil import local_date
from schemas.config import Config

KEYS = ["provider_id", "period_type", "period_start"]
PERIOD_COLUMNS = [
    "provider_id", "period_type", "period_start", "period_end", "complete", "days_in_range",
    *RATIO_COLUMNS,
    "inbox_messages_per_week", "inbox_messages_per_week_per_cfte",
    "wow_minutes_per_week_per_cfte", "vacation_days", "vacation_days_with_login",
    "vacation_days_with_ehr", "vacation_days_over_30_min", "vacation_ehr_minutes_per_day",
    "pto_inbox_messages", "pto_inbox_self_completed_share",
]


def period_bounds(date: pl.Expr, cfg: Config) -> tuple[pl.Expr, pl.Expr]:
    """(first date, last date) of the calendar period that holds ``date``."""
    if cfg.reporting_period == "week":
        start = week_start_expr(date, cfg)
        return start, start + pl.duration(days=6)
    every = "1mo" if cfg.reporting_period == "month" else "1q"
    start = date.dt.truncate(every)
    return start, start.dt.offset_by(every).dt.offset_by("-1d")


def pto_inbox_share(day: pl.LazyFrame, inbox: pl.LazyFrame, providers: pl.LazyFrame,
                    cfg: Config) -> pl.LazyFrame:
    """Per provider and period: of the messages received on vacation days whose
    ``completed_by`` is known, the share completed by one of the provider's own logins."""
    vacation = day.filter(pl.col("vacation_day")).select("provider_id", "date", "period_start")
    own = providers.select(
        "provider_id", pl.col("user_id").alias("completed_by"), pl.lit(True).alias("_own")
    ).unique()
    return (
        inbox.filter(pl.col("completed_by").is_not_null())
        .select(
            "provider_id", "completed_by",
            local_date(pl.col("received_time"), cfg.timezone).alias("date"),
        )
        .join(vacation, on=["provider_id", "date"], how="inner")
        .join(own, on=["provider_id", "completed_by"], how="left")
        .group_by("provider_id", "period_start")
        .agg(pl.col("_own").fill_null(False).mean().alias("pto_inbox_self_completed_share"))
    )


def per_week(total: pl.Expr) -> pl.Expr:
    """A period's total per week, total / (``days_in_range`` / 7), computed as total x 7 /
    ``days_in_range``: one rounding, and a quotient of two columns, which Polars computes
    alike in every batch (see :func:`metrics.timeutil.per_constant`)."""
    return total * 7 / pl.col("days_in_range")


def provider_period(day: pl.DataFrame, providers: pl.DataFrame, inbox: pl.DataFrame,
                    cfg: Config, loaded: tuple[dt.date, dt.date]) -> pl.DataFrame:
    """Aggregate ``marts.provider_day`` to reporting periods as ratios of sums."""
    start, end = period_bounds(pl.col("date"), cfg)
    d = day.lazy().with_columns(start.alias("period_start"), end.alias("period_end"))
    ehr, vac = pl.col("ehr_minutes"), pl.col("vacation_day")
    agg = d.group_by("provider_id", "period_start").agg(
        pl.col("period_end").first(),
        *sums(KEYS),
        vac.sum().cast(pl.Int64).alias("vacation_days"),
        pl.col("vacation_login").sum().cast(pl.Int64).alias("vacation_days_with_login"),
        (vac & (ehr > 0)).sum().cast(pl.Int64).alias("vacation_days_with_ehr"),
        (vac & (ehr > 30)).sum().cast(pl.Int64).alias("vacation_days_over_30_min"),
        minutes_sum(ehr.filter(vac)).alias("_vacation_ehr"),
        pl.col("inbox_messages").filter(vac).sum().cast(pl.Int64).alias("pto_inbox_messages"),
    )
    ranges = provider_ranges(providers, loaded).select("provider_id", "range_start", "range_end")
    fte = provider_dim(providers).select("provider_id", "clinical_fte")
    share = pto_inbox_share(d, inbox.lazy(), providers.lazy(), cfg)
    return (
        agg.join(fte, on="provider_id", how="left")
        .join(ranges, on="provider_id", how="left")
        .join(share, on=["provider_id", "period_start"], how="left")
        .with_columns(
            pl.lit(cfg.reporting_period).alias("period_type"),
            ((pl.col("period_start") >= pl.col("range_start"))
             & (pl.col("period_end") <= pl.col("range_end"))).alias("complete"),
            *ratios(cfg),
            per_week(pl.col("inbox_messages")).alias("inbox_messages_per_week"),
            (per_week(pl.col("inbox_messages")) / pl.col("clinical_fte"))
            .alias("inbox_messages_per_week_per_cfte"),
            (per_week(pl.col("wow_minutes")) / pl.col("clinical_fte"))
            .alias("wow_minutes_per_week_per_cfte"),
            pl.when(pl.col("vacation_days") > 0)
            .then(pl.col("_vacation_ehr") / pl.col("vacation_days"))
            .alias("vacation_ehr_minutes_per_day"),
        )
        .select(PERIOD_COLUMNS)
        .sort(KEYS)
        .collect()
    )
