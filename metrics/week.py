"""``marts.provider_week``: one row per provider per week (starting on ``week_start``)
with dates in the provider's range. Sources: Sinsky et al. 2020 JAMIA (the per-8-hour
measures), Sinsky, Rotenstein, Holmgren, Apathy, JAMIA 2024 (PSH40), NAM 2020 (WOW per
clinic day); CONTRACT.md section 4."""

from __future__ import annotations

import polars as pl

from metrics.ranges import provider_dim
from metrics.ratios import RATIO_COLUMNS, ratios, sums, week_start_expr
from schemas.config import Config

WEEK_COLUMNS = ["provider_id", "week_start", "days_in_range", *RATIO_COLUMNS]


def provider_week(day: pl.DataFrame, providers: pl.DataFrame, cfg: Config) -> pl.DataFrame:
    """Aggregate ``marts.provider_day`` to weeks as ratios of sums."""
    fte = provider_dim(providers).select("provider_id", "clinical_fte")
    keys = ["provider_id", "week_start"]
    return (
        day.lazy()
        .with_columns(week_start_expr(pl.col("date"), cfg).alias("week_start"))
        .group_by(keys)
        .agg(sums(keys))
        .join(fte, on="provider_id", how="left")
        .with_columns(ratios(cfg))
        .select(WEEK_COLUMNS)
        .sort(keys)
        .collect()
    )
