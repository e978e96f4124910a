"""``marts.provider_year``: one row per provider for the trailing year E-364..E, where E
is the last date of the loaded range, only where that window lies inside the provider's
range. ``pto_weekdays_taken`` counts distinct Monday-to-Friday dates inside vacation
blocks; ``pto_weeks_taken`` is that / 5 (Value of Feeling Valued playbook: "taking more
than 3 weeks of vacation per year"; CONTRACT.md section 4)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from metrics.timeutil import per_constant
from schemas.config import Config

YEAR_COLUMNS = ["provider_id", "period_start", "period_end", "pto_weekdays_taken",
                "pto_weeks_taken"]
YEAR_DAYS = 365


def provider_year(day: pl.DataFrame, cfg: Config, loaded: tuple[dt.date, dt.date]
                  ) -> pl.DataFrame:
    """Trailing-year PTO from ``marts.provider_day`` (whose grid is each provider's range).

    A provider with all 365 dates of the window in the grid has the window inside their
    range (``cfg`` is accepted for a uniform signature).
    """
    end = loaded[1]
    start = end - dt.timedelta(days=YEAR_DAYS - 1)
    return (
        day.lazy()
        .filter(pl.col("date").is_between(start, end))
        .group_by("provider_id")
        .agg(
            pl.len().alias("_days"),
            (pl.col("vacation_day") & (pl.col("date").dt.weekday() <= 5))
            .sum().cast(pl.Int64).alias("pto_weekdays_taken"),
        )
        .filter(pl.col("_days") == YEAR_DAYS)
        .with_columns(
            pl.lit(start).alias("period_start"),
            pl.lit(end).alias("period_end"),
            per_constant(pl.col("pto_weekdays_taken"), 5).alias("pto_weeks_taken"),
        )
        .select(YEAR_COLUMNS)
        .sort("provider_id")
        .collect()
    )
