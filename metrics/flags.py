"""Burnout-risk flags (CONTRACT.md section 5) and a per-provider summary of them.

``burnout_risk_flags``: one row per provider (of a role the profile lists), period and
measure of the profile where the value is defined. Period measures come from
``provider_period`` (its ``period_type``, ``period_start``, ``period_end``, ``complete``);
trailing-year measures from ``provider_year`` with ``period_type = 'trailing_year'`` and
``complete = true`` (the engine writes a year row only when the window lies inside the
provider's range). ``level`` is the band the value falls in, ``threshold`` that band's
rule exactly as written in the profile, ``source`` the profile's citation.

Null, NaN and infinite values are undefined and produce no row. A value no band covers
(only possible below 0, since profiles must cover every value from 0 up) keeps its row
with ``level`` and ``threshold`` null, so an upstream error shows instead of vanishing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from metrics.thresholds import MeasureBands, Profile, level_expr, rule_expr

TRAILING_YEAR = "trailing_year"

FLAGS_SCHEMA: dict[str, pl.DataType] = {
    "provider_id": pl.String(),
    "period_type": pl.String(),
    "period_start": pl.Date(),
    "period_end": pl.Date(),
    "complete": pl.Boolean(),
    "measure": pl.String(),
    "value": pl.Float64(),
    "level": pl.String(),
    "threshold": pl.String(),
    "source": pl.String(),
}

SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "provider_id": pl.String(),
    "period_type": pl.String(),
    "period_start": pl.Date(),
    "period_end": pl.Date(),
    "n_high": pl.Int64(),
    "n_elevated": pl.Int64(),
    "high_measures": pl.String(),
    "elevated_measures": pl.String(),
}

PERIOD_KEYS = ["provider_id", "period_type", "period_start", "period_end"]


def burnout_risk_flags(
    provider_period: pl.DataFrame,
    provider_year: pl.DataFrame,
    providers: pl.DataFrame,
    profile: Profile,
) -> pl.DataFrame:
    """Band every flagged measure of every eligible provider and period.

    Grain: one row per provider, period and measure with a defined value.
    Source: the profile's citations (CONTRACT.md section 5).

    >>> # flags = burnout_risk_flags(pp, py, providers, load_profile("seed-documents"))
    """
    eligible = (
        providers.filter(pl.col("role").is_in(list(profile.roles)))
        .select(pl.col("provider_id").cast(pl.String))
        .unique()
    )
    parts = [
        _long(provider_period, profile.by_grain("period"), eligible, "provider_period", None),
        _long(provider_year, profile.by_grain(TRAILING_YEAR), eligible, "provider_year", True),
    ]
    frames = [p for p in parts if p is not None]
    if not frames:
        return pl.DataFrame(schema=FLAGS_SCHEMA)
    long = pl.concat(frames, how="vertical")
    level = _by_measure(profile, level_expr)
    rule = _by_measure(profile, rule_expr)
    source = pl.col("measure").replace_strict(
        {m.measure: m.citation for m in profile.measures}, return_dtype=pl.String
    )
    return (
        long.with_columns(level=level, threshold=rule, source=source)
        .select(list(FLAGS_SCHEMA))
        .cast(FLAGS_SCHEMA)  # type: ignore[arg-type]
        .sort(["provider_id", "period_type", "period_start", "measure"])
    )


def _long(
    frame: pl.DataFrame,
    measures: tuple[MeasureBands, ...],
    eligible: pl.DataFrame,
    frame_name: str,
    complete: bool | None,
) -> pl.DataFrame | None:
    """Unpivot the profile's measures of one frame to (keys, measure, value)."""
    if not measures:
        return None
    names = [m.measure for m in measures]
    needed = ["provider_id", "period_start", "period_end", *names]
    if complete is None:
        needed += ["period_type", "complete"]
    missing = [c for c in needed if c not in frame.columns]
    if missing and frame.height == 0:
        return None  # an empty frame without columns: nothing to flag
    if missing:
        raise ValueError(f"{frame_name} lacks column {missing[0]!r} needed by the profile")
    keyed = frame.with_columns(pl.col("provider_id").cast(pl.String)).join(
        eligible, on="provider_id", how="semi"
    )
    if complete is not None:
        keyed = keyed.with_columns(period_type=pl.lit(TRAILING_YEAR), complete=pl.lit(complete))
    value = pl.col("value")
    return (
        keyed.select(
            "provider_id",
            "period_type",
            "period_start",
            "period_end",
            "complete",
            *[pl.col(n).cast(pl.Float64) for n in names],
        )
        .unpivot(
            index=["provider_id", "period_type", "period_start", "period_end", "complete"],
            on=names,
            variable_name="measure",
            value_name="value",
        )
        .filter(value.is_not_null() & value.is_finite())
    )


def _by_measure(
    profile: Profile, per_measure: Callable[[MeasureBands, pl.Expr], pl.Expr]
) -> pl.Expr:
    """One when/then chain over measures, each branch the measure's band chain."""
    first, *rest = profile.measures
    value = pl.col("value")
    chain: Any = pl.when(pl.col("measure") == first.measure).then(per_measure(first, value))
    for m in rest:
        chain = chain.when(pl.col("measure") == m.measure).then(per_measure(m, value))
    return chain.otherwise(pl.lit(None, dtype=pl.String))


def provider_risk_summary(flags: pl.DataFrame) -> pl.DataFrame:
    """Count and name each provider's high and elevated measures per period.

    Grain: one row per provider and period present in ``flags`` (all-low periods
    included, with zero counts and empty strings). Source: ``burnout_risk_flags`` only;
    no weights and no score. Measure names are sorted and joined with ", ".
    """
    level = pl.col("level")
    measure = pl.col("measure")
    return (
        flags.group_by(PERIOD_KEYS)
        .agg(
            n_high=(level == "high").sum().cast(pl.Int64),
            n_elevated=(level == "elevated").sum().cast(pl.Int64),
            high_measures=measure.filter(level == "high").sort().str.join(", "),
            elevated_measures=measure.filter(level == "elevated").sort().str.join(", "),
        )
        .select(list(SUMMARY_SCHEMA))
        .cast(SUMMARY_SCHEMA)  # type: ignore[arg-type]
        .sort(PERIOD_KEYS)
    )
