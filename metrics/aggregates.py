"""Department and specialty aggregates of the burnout-risk flags (CONTRACT.md section 6).

``group_period(flags, providers, "department" | "specialty", min_cell_size)``: one row
per group, period (``period_type``, ``period_start``, ``period_end``; trailing-year rows
included) and measure with at least one provider value. ``n_providers`` counts providers
with a value for the measure; ``median``, ``p25`` and ``p75`` use linear interpolation
between order statistics (numpy's default, DuckDB ``quantile_cont``); ``n_low``,
``n_elevated`` and ``n_high`` count providers at each level.

Small-cell rules, all applied per row:

1. ``n_providers < min_cell_size``: ``suppressed = true`` and the statistics (median,
   p25, p75 and the level counts) are null; ``n_providers`` stays shown, as the contract
   lists it beside the statistics, not among them.
2. A level count between 1 and ``min_cell_size - 1`` is null; 0 stays 0.

This is CONTRACT.md section 6 to the letter. It does not stop a reader from recovering a
single hidden count as ``n_providers`` minus the shown counts; docs/flags.md says so and
names complementary suppression as the stricter option a site may want.

Source: the flags table; the aggregation and suppression rules are CONTRACT.md section 6.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

LEVEL_COUNTS = ("n_low", "n_elevated", "n_high")
GROUP_COLUMNS = ("department", "specialty")


def group_schema(group_col: str) -> dict[str, pl.DataType]:
    """Column names and types of ``marts.department_period`` / ``marts.specialty_period``."""
    return {
        group_col: pl.String(),
        "period_type": pl.String(),
        "period_start": pl.Date(),
        "period_end": pl.Date(),
        "measure": pl.String(),
        "n_providers": pl.Int64(),
        "median": pl.Float64(),
        "p25": pl.Float64(),
        "p75": pl.Float64(),
        "n_low": pl.Int64(),
        "n_elevated": pl.Int64(),
        "n_high": pl.Int64(),
        "suppressed": pl.Boolean(),
    }


def group_period(
    flags: pl.DataFrame,
    providers: pl.DataFrame,
    group_col: Literal["department", "specialty"],
    min_cell_size: int,
) -> pl.DataFrame:
    """Per-group distribution and level counts of every flagged measure, with suppression.

    Grain: one row per group, period and measure. Source: ``burnout_risk_flags``.

    >>> # department_period = group_period(flags, providers, "department", 5)
    """
    if group_col not in GROUP_COLUMNS:
        raise ValueError(f"group_col must be department or specialty, got {group_col!r}")
    if min_cell_size < 1:
        raise ValueError(f"min_cell_size must be at least 1, got {min_cell_size}")
    schema = group_schema(group_col)
    # One group per provider, even when the roster has one row per login.
    groups = (
        providers.select(pl.col("provider_id").cast(pl.String), pl.col(group_col).cast(pl.String))
        .sort("provider_id", group_col, nulls_last=True)
        .unique(subset="provider_id", keep="first", maintain_order=True)
    )
    keys = [group_col, "period_type", "period_start", "period_end", "measure"]
    value, level = pl.col("value"), pl.col("level")
    stats = (
        flags.filter(value.is_not_null())
        .join(groups, on="provider_id", how="inner")
        .group_by(keys)
        .agg(
            n_providers=pl.col("provider_id").n_unique().cast(pl.Int64),
            median=value.quantile(0.5, interpolation="linear"),
            p25=value.quantile(0.25, interpolation="linear"),
            p75=value.quantile(0.75, interpolation="linear"),
            n_low=(level == "low").sum().cast(pl.Int64),
            n_elevated=(level == "elevated").sum().cast(pl.Int64),
            n_high=(level == "high").sum().cast(pl.Int64),
        )
    )
    return (
        suppress(stats, min_cell_size)
        .select(list(schema))
        .cast(schema)  # type: ignore[arg-type]
        .sort(keys, nulls_last=True)
    )


def suppress(stats: pl.DataFrame, min_cell_size: int) -> pl.DataFrame:
    """Apply the small-cell rules of this module's docstring to unsuppressed statistics.

    ``stats`` has ``n_providers``, ``median``, ``p25``, ``p75`` and the level counts;
    the result adds ``suppressed``.
    """
    m = min_cell_size
    hidden = {c: f"_hide_{c}" for c in LEVEL_COUNTS}
    out = stats.with_columns(
        suppressed=pl.col("n_providers") < m,
        **{hidden[c]: pl.col(c).is_between(1, m - 1) for c in LEVEL_COUNTS},
    )
    sup = pl.col("suppressed")
    null_i = pl.lit(None, dtype=pl.Int64)
    null_f = pl.lit(None, dtype=pl.Float64)
    return out.with_columns(
        median=pl.when(sup).then(null_f).otherwise(pl.col("median")),
        p25=pl.when(sup).then(null_f).otherwise(pl.col("p25")),
        p75=pl.when(sup).then(null_f).otherwise(pl.col("p75")),
        **{
            c: pl.when(sup | pl.col(hidden[c])).then(null_i).otherwise(pl.col(c))
            for c in LEVEL_COUNTS
        },
    ).drop(list(hidden.values()))
