"""Burnout-risk flags and the provider risk summary on hand-built frames."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from metrics.flags import FLAGS_SCHEMA, SUMMARY_SCHEMA, burnout_risk_flags, provider_risk_summary
from metrics.thresholds import load_profile

MAR1, MAR31 = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
FEB1, FEB28 = dt.date(2026, 2, 1), dt.date(2026, 2, 28)
Y0, Y1 = dt.date(2025, 4, 1), dt.date(2026, 3, 31)

SEED_PERIOD = [
    "wow_minutes_per_clinic_day",
    "inbox_messages_per_week",
    "vacation_ehr_minutes_per_day",
    "pto_inbox_self_completed_share",
]


def providers() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "provider_id": ["p1", "p2", "r1", "o1"],
            "department": ["Cardiology", "Family Medicine", "Family Medicine", "Cardiology"],
            "specialty": ["Cardiology", "Family Medicine", "Family Medicine", "Cardiology"],
            "role": ["physician", "app", "resident", "other"],
            "clinical_fte": [1.0, 0.5, 1.0, 1.0],
        }
    )


def provider_period() -> pl.DataFrame:
    rows = [
        # provider, start, end, complete, wow/clinic day, inbox/week, vac min/day, share
        ("p1", MAR1, MAR31, False, 200.0, 120.0, None, None),
        ("p1", FEB1, FEB28, True, 29.999, 150.0, 31.0, 0.0),
        ("p2", MAR1, MAR31, False, None, 301.0, 30.0, 0.25),
        ("r1", MAR1, MAR31, False, 500.0, 500.0, 90.0, 1.0),
        ("o1", MAR1, MAR31, False, 500.0, 500.0, 90.0, 1.0),
    ]
    df = pl.DataFrame(
        rows,
        schema={
            "provider_id": pl.String,
            "period_start": pl.Date,
            "period_end": pl.Date,
            "complete": pl.Boolean,
            **{m: pl.Float64 for m in SEED_PERIOD},
        },
        orient="row",
    )
    return df.with_columns(
        period_type=pl.lit("month"),
        days_in_range=pl.lit(28.0),
        inbox_messages_per_week_per_cfte=pl.col("inbox_messages_per_week") * 2,
        wow_minutes_per_week_per_cfte=pl.lit(68.0),
    )


def provider_year() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "provider_id": ["p1", "p2", "r1"],
            "period_start": [Y0, Y0, Y0],
            "period_end": [Y1, Y1, Y1],
            "pto_weekdays_taken": [15.0, 16.0, 0.0],
            "pto_weeks_taken": [3.0, 3.2, 0.0],
        }
    )


@pytest.fixture
def flags() -> pl.DataFrame:
    return burnout_risk_flags(
        provider_period(), provider_year(), providers(), load_profile("seed-documents")
    )


def _row(flags: pl.DataFrame, provider: str, start: dt.date, measure: str) -> dict:
    sel = flags.filter(
        (pl.col("provider_id") == provider)
        & (pl.col("period_start") == start)
        & (pl.col("measure") == measure)
    )
    assert sel.height == 1, (provider, start, measure)
    return sel.row(0, named=True)


def test_schema_is_exact(flags: pl.DataFrame) -> None:
    assert flags.schema == pl.Schema(FLAGS_SCHEMA)
    assert flags.columns == [
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
    ]


def test_roles_filtered(flags: pl.DataFrame) -> None:
    assert set(flags["provider_id"]) == {"p1", "p2"}  # resident r1 and other o1 excluded


def test_custom_roles_include_resident(tmp_path: Path) -> None:
    text = (
        Path(__file__).resolve().parent.parent / "metrics" / "profiles" / "seed-documents.yaml"
    ).read_text()
    f = tmp_path / "with-residents.yaml"
    f.write_text(text.replace("roles: [physician, app]", "roles: [physician, app, resident]"))
    out = burnout_risk_flags(provider_period(), provider_year(), providers(), load_profile(str(f)))
    assert set(out["provider_id"]) == {"p1", "p2", "r1"}


def test_null_values_produce_no_row(flags: pl.DataFrame) -> None:
    p1_mar = flags.filter((pl.col("provider_id") == "p1") & (pl.col("period_start") == MAR1))
    assert sorted(p1_mar["measure"]) == ["inbox_messages_per_week", "wow_minutes_per_clinic_day"]
    p2_mar = flags.filter((pl.col("provider_id") == "p2") & (pl.col("period_start") == MAR1))
    assert "wow_minutes_per_clinic_day" not in set(p2_mar["measure"])
    # 2 + 4 (p1 Feb) + 3 (p2 Mar) period rows, 2 trailing-year rows
    assert flags.height == 11


def test_nan_and_infinite_values_produce_no_row() -> None:
    pp = provider_period().with_columns(
        wow_minutes_per_clinic_day=pl.when(pl.col("period_start") == FEB1)
        .then(float("nan"))
        .otherwise(float("inf"))
    )
    out = burnout_risk_flags(pp, provider_year(), providers(), load_profile("seed-documents"))
    assert "wow_minutes_per_clinic_day" not in set(out["measure"])


def test_levels_thresholds_and_sources(flags: pl.DataFrame) -> None:
    r = _row(flags, "p1", MAR1, "wow_minutes_per_clinic_day")
    assert (r["period_type"], r["period_end"], r["complete"]) == ("month", MAR31, False)
    assert (r["value"], r["level"], r["threshold"]) == (200.0, "high", "> 180")
    assert r["source"].startswith("NAM Perspectives 2020")
    assert _row(flags, "p1", FEB1, "wow_minutes_per_clinic_day")["level"] == "low"
    r = _row(flags, "p1", FEB1, "inbox_messages_per_week")
    assert (r["level"], r["threshold"]) == ("elevated", ">= 150 and <= 300")
    r = _row(flags, "p1", FEB1, "vacation_ehr_minutes_per_day")
    assert (r["level"], r["threshold"]) == ("high", "> 30")
    assert r["source"].startswith("Value of Feeling Valued playbook")
    assert _row(flags, "p1", FEB1, "pto_inbox_self_completed_share")["threshold"] == "= 0"
    assert _row(flags, "p2", MAR1, "inbox_messages_per_week")["level"] == "high"
    assert _row(flags, "p2", MAR1, "vacation_ehr_minutes_per_day")["level"] == "low"
    assert _row(flags, "p2", MAR1, "pto_inbox_self_completed_share")["level"] == "elevated"


def test_trailing_year_rows(flags: pl.DataFrame) -> None:
    year = flags.filter(pl.col("period_type") == "trailing_year")
    assert year["measure"].to_list() == ["pto_weeks_taken", "pto_weeks_taken"]
    assert year["complete"].to_list() == [True, True]
    assert year["period_start"].to_list() == [Y0, Y0]
    assert year["period_end"].to_list() == [Y1, Y1]
    r = _row(flags, "p1", Y0, "pto_weeks_taken")
    assert (r["value"], r["level"], r["threshold"]) == (3.0, "elevated", "<= 3")
    assert "more than 3 weeks of vacation" in r["source"]
    r = _row(flags, "p2", Y0, "pto_weeks_taken")
    assert (r["level"], r["threshold"]) == ("low", "> 3")


def test_adler_milstein_profile_flags() -> None:
    out = burnout_risk_flags(
        provider_period(),
        provider_year(),
        providers(),
        load_profile("adler-milstein-2020-per-cfte"),
    )
    assert set(out["measure"]) == {
        "inbox_messages_per_week_per_cfte",
        "wow_minutes_per_week_per_cfte",
    }
    assert "trailing_year" not in set(out["period_type"])
    r = _row(out, "p1", MAR1, "inbox_messages_per_week_per_cfte")  # 240
    assert (r["level"], r["threshold"]) == ("low", "<= 307")
    r = _row(out, "p1", FEB1, "inbox_messages_per_week_per_cfte")  # 300
    assert r["level"] == "low"
    r = _row(out, "p2", MAR1, "inbox_messages_per_week_per_cfte")  # 602
    assert (r["level"], r["threshold"]) == ("high", "> 307")
    assert _row(out, "p2", MAR1, "wow_minutes_per_week_per_cfte")["level"] == "low"  # 68


def test_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match="provider_period lacks column 'inbox_messages_per_week'"):
        burnout_risk_flags(
            provider_period().drop("inbox_messages_per_week"),
            provider_year(),
            providers(),
            load_profile("seed-documents"),
        )


def test_empty_inputs_give_empty_frame_with_schema() -> None:
    out = burnout_risk_flags(
        provider_period().clear(),
        provider_year().clear(),
        providers(),
        load_profile("seed-documents"),
    )
    assert out.height == 0
    assert out.schema == pl.Schema(FLAGS_SCHEMA)


def test_login_rows_do_not_duplicate_flags(flags: pl.DataFrame) -> None:
    two_logins = pl.concat([providers(), providers().filter(pl.col("provider_id") == "p1")])
    out = burnout_risk_flags(
        provider_period(), provider_year(), two_logins, load_profile("seed-documents")
    )
    assert out.equals(flags)


def test_summary(flags: pl.DataFrame) -> None:
    s = provider_risk_summary(flags)
    assert s.schema == pl.Schema(SUMMARY_SCHEMA)
    rows = {(r["provider_id"], r["period_start"]): r for r in s.iter_rows(named=True)}
    assert set(rows) == {("p1", MAR1), ("p1", FEB1), ("p2", MAR1), ("p1", Y0), ("p2", Y0)}
    r = rows[("p1", FEB1)]
    assert (r["n_high"], r["n_elevated"]) == (1, 1)
    assert r["high_measures"] == "vacation_ehr_minutes_per_day"
    assert r["elevated_measures"] == "inbox_messages_per_week"
    r = rows[("p2", MAR1)]
    assert (r["n_high"], r["n_elevated"]) == (1, 1)
    assert r["high_measures"] == "inbox_messages_per_week"
    assert r["elevated_measures"] == "pto_inbox_self_completed_share"
    r = rows[("p2", Y0)]  # all low: zero counts and empty strings
    assert (r["n_high"], r["n_elevated"], r["high_measures"], r["elevated_measures"]) == (
        0,
        0,
        "",
        "",
    )


def test_summary_sorts_and_joins_names() -> None:
    flags = pl.DataFrame(
        {
            "provider_id": ["a", "a", "a"],
            "period_type": ["month"] * 3,
            "period_start": [MAR1] * 3,
            "period_end": [MAR31] * 3,
            "measure": ["zeta", "alpha", "mid"],
            "level": ["high", "high", "elevated"],
        }
    )
    r = provider_risk_summary(flags).row(0, named=True)
    assert r["high_measures"] == "alpha, zeta"
    assert r["n_high"] == 2
    assert r["elevated_measures"] == "mid"


# ---- ehrlog flags, on a tiny warehouse -------------------------------------------------


def _warehouse(path: Path) -> Path:
    import duckdb

    f = burnout_risk_flags(
        provider_period(), provider_year(), providers(), load_profile("seed-documents")
    )
    con = duckdb.connect(str(path))
    con.register("flags_frame", f.to_arrow())
    con.register("roster_frame", providers().to_arrow())
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA core")
    con.execute("CREATE TABLE marts.burnout_risk_flags AS SELECT * FROM flags_frame")
    con.execute("CREATE TABLE core.providers AS SELECT * FROM roster_frame")
    con.close()
    return path


def _invoke(args: list[str]):
    from click.testing import CliRunner

    from pipelines.commands.flags import command

    return CliRunner().invoke(command, args)


def test_flags_command_latest_period(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path / "w.duckdb")
    res = _invoke(["--warehouse", str(wh)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert "2026-03" in lines[0]
    assert "not for judgment" in lines[0]
    header = lines[1].split()
    assert header == [
        "provider_id",
        "department",
        "specialty",
        "period",
        "measure",
        "value",
        "level",
        "threshold",
    ]
    body = "\n".join(lines[3:])
    # March: p1 wow high (200), p2 inbox high (301), p2 share elevated; p1 year 3.0 elevated.
    assert "wow_minutes_per_clinic_day" in body
    assert "> 180" in body
    assert "inbox_messages_per_week" in body
    assert "pto_inbox_self_completed_share" in body
    assert "year to 2026-03-31" in body
    assert "pto_weeks_taken" in body
    assert "2026-03 (partial)" in body
    assert "vacation_ehr_minutes_per_day" not in body  # p2 March is low
    assert "r1" not in body and "o1" not in body
    # columns are aligned: every "level" cell starts at the header's column
    col = lines[1].index("level")
    for ln in lines[3:-1]:
        assert ln[col:].split()[0] in {"elevated", "high"}


def test_flags_command_period_and_level(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path / "w.duckdb")
    res = _invoke(["--warehouse", str(wh), "--period", "2026-02", "--level", "high"])
    assert res.exit_code == 0, res.output
    body = res.output.splitlines()[3:]
    assert len(body) == 2  # one data row and the count line
    assert "vacation_ehr_minutes_per_day" in body[0]
    assert "Cardiology" in body[0]
    assert "2026-02" in body[0]
    res = _invoke(["--warehouse", str(wh), "--period", "2026-02-01", "--level", "low"])
    assert res.exit_code == 0, res.output
    assert "wow_minutes_per_clinic_day" in res.output
    assert "pto_inbox_self_completed_share" in res.output


def test_flags_command_department_filter(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path / "w.duckdb")
    res = _invoke(["--warehouse", str(wh), "--department", "Family Medicine"])
    assert res.exit_code == 0, res.output
    assert "p2" in res.output and "p1 " not in res.output


def test_flags_command_nothing_flagged(tmp_path: Path) -> None:
    wh = _warehouse(tmp_path / "w.duckdb")
    res = _invoke(["--warehouse", str(wh), "--department", "Nowhere"])
    assert res.exit_code == 0
    assert "No provider is flagged" in res.output


def test_flags_command_errors(tmp_path: Path) -> None:
    res = _invoke(["--warehouse", str(tmp_path / "missing.duckdb")])
    assert res.exit_code != 0
    assert "warehouse not found" in res.output
    assert "Traceback" not in res.output
    wh = _warehouse(tmp_path / "w.duckdb")
    res = _invoke(["--warehouse", str(wh), "--period", "2025-07"])
    assert res.exit_code != 0
    assert "period 2025-07 is not in the warehouse" in res.output
    assert len(res.output.strip().splitlines()) == 1
    res = _invoke(["--warehouse", str(wh), "--period", "March"])
    assert res.exit_code != 0
    assert "--period" in res.output
    # A period text that looks like SQL is only ever a bound parameter (and fails the format).
    res = _invoke(["--warehouse", str(wh), "--period", "2026-03'; DROP TABLE x; --"])
    assert res.exit_code != 0


def test_flags_command_opens_read_only(tmp_path: Path) -> None:
    import duckdb

    wh = _warehouse(tmp_path / "w.duckdb")
    reader = duckdb.connect(str(wh), read_only=True)  # another analyst has it open
    try:
        res = _invoke(["--warehouse", str(wh)])
        assert res.exit_code == 0, res.output
    finally:
        reader.close()


def test_flags_command_without_tables(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    res = _invoke(["--warehouse", str(path)])
    assert res.exit_code != 0
    assert "no table marts.burnout_risk_flags" in res.output
