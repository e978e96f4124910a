"""Department and specialty aggregates: statistics and small-cell suppression."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from metrics.aggregates import group_period, group_schema

MAR1, MAR31 = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
MEASURE = "wow_minutes_per_clinic_day"


def _flags(values_levels: dict[str, list[tuple[float, str]]], measure: str = MEASURE):
    """Flags of one month: {department: [(value, level), ...]}; one provider per pair."""
    rows = []
    for dep, pairs in values_levels.items():
        for i, (v, lv) in enumerate(pairs):
            rows.append((f"{dep}-{i}", "month", MAR1, MAR31, False, measure, v, lv, "", ""))
    flags = pl.DataFrame(
        rows,
        schema=[
            "provider_id",
            "period_type",
            "period_start",
            "period_end",
            "complete",
            "measure",
            "value",
            "level",
            "threshold",
            "source",
        ],
        orient="row",
    )
    providers = pl.DataFrame(
        {
            "provider_id": flags["provider_id"],
            "department": [p.split("-")[0] for p in flags["provider_id"]],
            "specialty": ["Internal Medicine"] * flags.height,
            "role": ["physician"] * flags.height,
            "clinical_fte": [1.0] * flags.height,
        }
    )
    return flags, providers


def _one(out: pl.DataFrame, group: str = "A", col: str = "department") -> dict:
    sel = out.filter(pl.col(col) == group)
    assert sel.height == 1
    return sel.row(0, named=True)


def test_schema_and_grain() -> None:
    flags, providers = _flags({"A": [(10.0, "low")] * 5, "B": [(10.0, "low")] * 5})
    out = group_period(flags, providers, "department", 5)
    assert out.schema == pl.Schema(group_schema("department"))
    assert out.height == 2
    spec = group_period(flags, providers, "specialty", 5)
    assert spec.columns[0] == "specialty"
    assert spec.height == 1
    assert spec["n_providers"].item() == 10


def test_median_and_quartiles_hand_computed() -> None:
    vals = [10.0, 20.0, 40.0, 100.0, 200.0, 35.0]
    lv = ["low", "low", "elevated", "elevated", "high", "elevated"]
    flags, providers = _flags({"A": list(zip(vals, lv, strict=True))})
    r = _one(group_period(flags, providers, "department", 5))
    # sorted: 10 20 35 40 100 200; linear interpolation at (n-1)p:
    # p25: position 1.25 -> 20 + 0.25*(35-20) = 23.75; median: position 2.5 -> 37.5;
    # p75: position 3.75 -> 40 + 0.75*(100-40) = 85
    assert r["p25"] == pytest.approx(23.75)
    assert r["median"] == pytest.approx(37.5)
    assert r["p75"] == pytest.approx(85.0)
    assert r["p25"] == pytest.approx(float(np.quantile(vals, 0.25)))
    assert r["n_providers"] == 6
    assert r["suppressed"] is False
    # low 2 (hidden, small), elevated 3 (hidden, small), high 1 (hidden): all hidden
    assert (r["n_low"], r["n_elevated"], r["n_high"]) == (None, None, None)


def test_suppression_at_min_cell_size_minus_one_vs_min_cell_size() -> None:
    flags, providers = _flags({"Small": [(10.0, "low")] * 4, "Exact": [(10.0, "low")] * 5})
    out = group_period(flags, providers, "department", 5)
    small = _one(out, "Small")
    assert small["suppressed"] is True
    assert small["n_providers"] == 4
    assert all(
        small[c] is None for c in ("median", "p25", "p75", "n_low", "n_elevated", "n_high")
    )
    exact = _one(out, "Exact")
    assert exact["suppressed"] is False
    assert (exact["n_providers"], exact["median"], exact["p25"], exact["p75"]) == (5, 10, 10, 10)
    assert (exact["n_low"], exact["n_elevated"], exact["n_high"]) == (5, 0, 0)


def test_small_level_counts_nulled_zero_stays_zero() -> None:
    # 10 providers: 5 low, 5 elevated, 0 high -> all shown
    flags, providers = _flags({"A": [(10.0, "low")] * 5 + [(60.0, "elevated")] * 5})
    r = _one(group_period(flags, providers, "department", 5))
    assert (r["n_low"], r["n_elevated"], r["n_high"]) == (5, 5, 0)
    # 12 providers: 6 low, 4 elevated, 2 high -> both small counts hidden (sum 6 >= 5)
    flags, providers = _flags(
        {"A": [(10.0, "low")] * 6 + [(60.0, "elevated")] * 4 + [(200.0, "high")] * 2}
    )
    r = _one(group_period(flags, providers, "department", 5))
    assert (r["n_low"], r["n_elevated"], r["n_high"]) == (6, None, None)
    assert r["n_providers"] == 12


def test_only_counts_between_one_and_min_cell_size_minus_one_are_hidden() -> None:
    # 8 low, 0 elevated, 1 high; the contract hides only the count of 1 (1..4), 0 stays 0,
    # and 8 stays shown (no complementary suppression).
    flags, providers = _flags({"A": [(10.0, "low")] * 8 + [(200.0, "high")]})
    r = _one(group_period(flags, providers, "department", 5))
    assert r["n_providers"] == 9
    assert (r["n_low"], r["n_elevated"], r["n_high"]) == (8, 0, None)


def test_two_small_counts_are_both_hidden() -> None:
    # 10 low, 1 elevated, 1 high: each count of 1 lies in 1..4 and is hidden; 10 is shown
    flags, providers = _flags(
        {"A": [(10.0, "low")] * 10 + [(60.0, "elevated")] + [(200.0, "high")]}
    )
    r = _one(group_period(flags, providers, "department", 5))
    assert (r["n_low"], r["n_elevated"], r["n_high"]) == (10, None, None)
    assert r["median"] == 10.0


def test_min_cell_size_one_hides_nothing() -> None:
    flags, providers = _flags({"A": [(10.0, "low"), (200.0, "high")]})
    r = _one(group_period(flags, providers, "department", 1))
    assert (r["n_providers"], r["n_low"], r["n_high"], r["suppressed"]) == (2, 1, 1, False)


def test_periods_and_measures_are_separate_rows() -> None:
    flags, providers = _flags({"A": [(10.0, "low")] * 5})
    other = flags.with_columns(measure=pl.lit("inbox_messages_per_week"), value=pl.lit(99.0))
    feb = flags.with_columns(
        period_start=pl.lit(dt.date(2026, 2, 1)), period_end=pl.lit(dt.date(2026, 2, 28))
    )
    out = group_period(pl.concat([flags, other, feb]), providers, "department", 5)
    assert out.height == 3
    assert out.filter(pl.col("measure") == "inbox_messages_per_week")["median"].item() == 99.0


def test_roster_with_two_logins_counts_provider_once() -> None:
    flags, providers = _flags({"A": [(10.0, "low")] * 5})
    out = group_period(flags, pl.concat([providers, providers]), "department", 5)
    assert out["n_providers"].item() == 5


def test_bad_arguments() -> None:
    flags, providers = _flags({"A": [(10.0, "low")] * 5})
    with pytest.raises(ValueError, match="group_col"):
        group_period(flags, providers, "role", 5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_cell_size"):
        group_period(flags, providers, "department", 0)
