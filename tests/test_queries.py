"""The example queries in queries/ run against the sample warehouse and answer sensibly.

Each file states its question in a header comment; each runs read-only as a whole file
(what `duckdb -readonly warehouse/ehrlog.duckdb < queries/FILE.sql` does) and must give
the columns and properties asserted here. Leader-facing queries must respect
``min_cell_size``; none may select a patient identifier. Two queries whose answer is
empty on the sample (inbox growth, quarantine) are also run on a copy of the warehouse
seeded with the rows that must make them answer.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"
FILES = sorted(QUERIES.glob("*.sql"))


def run_query(warehouse: Path, name: str) -> pl.DataFrame:
    """Run one query file read-only and return its result."""
    text = (QUERIES / name).read_text(encoding="utf-8")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.sql(text).pl()
    finally:
        con.close()


def scalar(warehouse: Path, sql: str, params: list | None = None):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def results(sample_warehouse: Path) -> dict[str, pl.DataFrame]:
    return {p.name: run_query(sample_warehouse, p.name) for p in FILES}


@pytest.fixture(scope="module")
def min_cell(sample_warehouse: Path) -> int:
    return int(scalar(sample_warehouse, "SELECT settings_json ->> '$.min_cell_size' "
                                        "FROM marts.methods ORDER BY run_at DESC LIMIT 1"))


@pytest.fixture
def scratch(sample_warehouse: Path, tmp_path: Path) -> Path:
    """A writable copy of the sample warehouse for seeding rows."""
    out = tmp_path / "scratch.duckdb"
    shutil.copyfile(sample_warehouse, out)
    out.chmod(0o600)
    return out


def _rows(df: pl.DataFrame) -> list[dict]:
    return df.to_dicts()


TOTAL = "All departments"


def _check_suppression(df: pl.DataFrame, m: int, stats: list[str],
                       total_of: str | None = None) -> None:
    """Rows below min_cell_size are flagged and carry no statistic; the others carry them.
    With ``total_of`` (the column a totals row sums departments over), a totals row is
    hidden too when a department of its ``total_of`` is: total minus the shown ones would
    be the hidden one."""
    hidden = {r[total_of] for r in _rows(df) if total_of and r["department"] != TOTAL
              and r["n_providers"] < m}
    for r in _rows(df):
        if total_of and r["department"] == TOTAL:
            assert r["suppressed"] == (r["n_providers"] < m or r[total_of] in hidden), r
            if r["suppressed"]:
                assert all(r[c] is None for c in stats), r
            continue
        assert r["suppressed"] == (r["n_providers"] < m), r
        if r["suppressed"]:
            assert all(r[c] is None for c in stats), r


# --- every query -------------------------------------------------------------------


def test_at_least_ten_queries() -> None:
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_query_has_question_header_and_no_patient_ids(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("-- Question: "), "the first line states the question"
    header = [line for line in text.splitlines() if line.startswith("--")]
    assert any(line.startswith("-- Audience: ") for line in header)
    assert any(line.startswith("-- Grain: ") for line in header)
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    assert not re.search(r"patient_(hash|id)|display_name", body, re.IGNORECASE)
    if "leaders (aggregate)" in text:
        assert "min_cell_size" in text, "leader-facing queries say how they suppress"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_query_runs_read_only(path: Path, results: dict[str, pl.DataFrame]) -> None:
    df = results[path.name]
    assert df.width > 0
    assert not {"patient_hash", "patient_id", "display_name"} & set(df.columns)


# --- one test per question ---------------------------------------------------------


def test_01_top_decile_wow_by_specialty(results, min_cell, sample_warehouse) -> None:
    df = results["01_top_decile_wow_by_specialty.sql"]
    assert df.columns[:3] == ["specialty", "n_providers", "suppressed"]
    _check_suppression(df, min_cell, ["n_top_decile", "share_top_decile",
                                      "median_wow_per_clinic_day", "p90_wow_per_clinic_day"])
    for r in _rows(df):
        assert r["n_top_decile"] is None or r["n_top_decile"] == 0 or r["n_top_decile"] >= min_cell
    total = df.filter(pl.col("specialty") == "All specialties").row(0, named=True)
    assert total["n_providers"] == df.filter(pl.col("specialty") != "All specialties")[
        "n_providers"].sum()
    assert total["p90_wow_per_clinic_day"] == total["org_p90_wow_per_clinic_day"]
    assert 0 < total["median_wow_per_clinic_day"] <= total["p90_wow_per_clinic_day"]
    # The provider values are ratios of sums over complete months, recomputed here.
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    try:
        days = con.sql("""
            SELECT d.provider_id, d.wow_minutes, d.scheduled_minutes
            FROM marts.provider_day d JOIN marts.provider_period pp
              ON pp.provider_id = d.provider_id AND pp.complete
             AND d.date BETWEEN pp.period_start AND pp.period_end
        """).pl()
    finally:
        con.close()
    per = days.group_by("provider_id").agg(
        (pl.col("wow_minutes").sum() / (pl.col("scheduled_minutes") > 0).sum()).alias("v"))
    assert total["median_wow_per_clinic_day"] == pytest.approx(per["v"].median(), abs=0.051)


def test_02_inbox_growth_on_sample(results) -> None:
    df = results["02_inbox_growth_quarter_over_quarter.sql"]
    assert df.columns == ["provider_id", "department", "specialty", "previous_quarter",
                          "quarter", "previous_messages_per_week", "messages_per_week",
                          "growth"]
    assert (df["growth"] > 0.25).all()


def test_02_inbox_growth_finds_seeded_growth_in_complete_quarters_only(scratch) -> None:
    con = duckdb.connect(str(scratch))
    try:
        # PRV001 doubles in 2025-Q3 (complete, after a complete Q2): must be found.
        con.execute("UPDATE marts.provider_day SET inbox_messages = inbox_messages * 2 "
                    "WHERE provider_id = 'PRV001' AND date BETWEEN '2025-07-01' AND '2025-09-30'")
        # PRV014 starts 2025-02-26: Q1 is partial, so a tripled Q2 has nothing to compare.
        con.execute("UPDATE marts.provider_day SET inbox_messages = inbox_messages * 3 "
                    "WHERE provider_id = 'PRV014' AND date BETWEEN '2025-04-01' AND '2025-06-30'")
        # 2026-Q1 holds only January: an incomplete quarter is never compared.
        con.execute("UPDATE marts.provider_day SET inbox_messages = inbox_messages * 3 "
                    "WHERE provider_id = 'PRV002' AND date >= '2026-01-01'")
    finally:
        con.close()
    df = run_query(scratch, "02_inbox_growth_quarter_over_quarter.sql")
    found = {(r["provider_id"], r["quarter"]) for r in _rows(df)}
    assert found == {("PRV001", "2025-Q3")}
    row = df.row(0, named=True)
    assert row["previous_quarter"] == "2025-Q2"
    assert row["growth"] == pytest.approx(1.0, abs=0.2)


def test_03_vacation_days_over_30_min(results, min_cell, sample_warehouse) -> None:
    df = results["03_vacation_days_over_30_min_by_department.sql"]
    _check_suppression(df, min_cell, ["vacation_days", "vacation_days_with_ehr",
                                      "vacation_days_over_30_min", "share_with_any_ehr",
                                      "share_over_30_min"], total_of="year")
    for r in _rows(df):
        for count, share in (("vacation_days_over_30_min", "share_over_30_min"),
                             ("vacation_days_with_ehr", "share_with_any_ehr")):
            if r[count] is not None:
                assert r[count] == 0 or r[count] >= min_cell
            assert (r[count] is None) == (r[share] is None), "a share never reveals a hidden count"
            if r[share] is not None:
                assert 0 <= r[share] <= 1
    # Pediatrics (3 providers) is hidden, so the totals are, every year of the sample
    assert df.filter(pl.col("department") == TOTAL)["vacation_days"].null_count() == 2


def test_04_psh40_by_clinical_fte(results, min_cell) -> None:
    df = results["04_psh40_by_clinical_fte.sql"]
    _check_suppression(df, min_cell, ["median_psh40", "p25_psh40", "p75_psh40",
                                      "median_scheduled_hours_per_week"])
    shown = df.filter(~pl.col("suppressed"))
    assert shown.height >= 1
    for r in _rows(shown):
        assert 0 < r["p25_psh40"] <= r["median_psh40"] <= r["p75_psh40"] <= 40
    assert df["fte_band"].to_list()[-1] == "all"


def test_05_system_message_share(results, min_cell, sample_warehouse) -> None:
    df = results["05_system_message_share_by_department.sql"]
    _check_suppression(df, min_cell, ["messages", "system_messages", "system_share"],
                       total_of="quarter")
    shares = df["system_share"].drop_nulls()
    assert shares.len() > 0 and ((shares >= 0) & (shares <= 1)).all()
    # Complete quarters of the loaded range only: 2026-Q1 holds only January.
    assert sorted(set(df["quarter"])) == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert df.filter(pl.col("department") == TOTAL)["system_share"].null_count() == 4


def test_06_pajama_share(results, min_cell, sample_warehouse) -> None:
    df = results["06_pajama_share_weekday_vs_weekend.sql"]
    _check_suppression(df, min_cell, ["ehr_hours", "pajama_hours", "pajama_share"],
                       total_of="day_type")
    weekends = scalar(sample_warehouse, "SELECT settings_json ->> '$.pajama.weekends' "
                                        "FROM marts.methods ORDER BY run_at DESC LIMIT 1")
    shown = df.filter(~pl.col("suppressed"))
    weekday = shown.filter(pl.col("day_type") == "weekday")["pajama_share"]
    assert weekday.len() > 0 and ((weekday > 0) & (weekday < 1)).all()
    if weekends == "true":
        assert (shown.filter(pl.col("day_type") == "weekend")["pajama_share"] == 1.0).all()


def test_07_monthly_department_medians(results, min_cell, sample_warehouse) -> None:
    df = results["07_monthly_department_medians.sql"]
    assert df.height > 0
    assert (df["n_providers"] >= min_cell).all()
    for r in _rows(df):
        assert r["p25"] <= r["median"] <= r["p75"]
    end = scalar(sample_warehouse, "SELECT range_end FROM marts.methods "
                                   "ORDER BY run_at DESC LIMIT 1")
    last_month = max(df["month"])
    assert dt.date.fromisoformat(f"{last_month}-01") <= end
    first = df.group_by("department", "measure").agg(pl.col("change_from_previous").first())
    assert first["change_from_previous"].null_count() == first.height


def test_08_consecutive_high_flags(results, sample_warehouse) -> None:
    df = results["08_consecutive_high_flag_months.sql"]
    assert df.height > 0
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    try:
        for r in _rows(df):
            assert r["consecutive_months"] >= 2
            first = dt.date.fromisoformat(f"{r['first_month']}-01")
            last = dt.date.fromisoformat(f"{r['last_month']}-01")
            span = (last.year - first.year) * 12 + last.month - first.month + 1
            assert span == r["consecutive_months"], "a run has no gaps"
            n = con.execute("""
                SELECT count(*) FROM marts.provider_risk_summary
                WHERE provider_id = ? AND period_type = 'month' AND n_high > 0
                  AND period_start BETWEEN ? AND ?""", [r["provider_id"], first, last]
            ).fetchall()[0][0]
            assert n == r["consecutive_months"]
    finally:
        con.close()


def test_09_ehr_time8_by_specialty(results, min_cell, sample_warehouse) -> None:
    df = results["09_ehr_time8_by_specialty.sql"]
    _check_suppression(df, min_cell, ["p25_ehr_time8", "median_ehr_time8", "p75_ehr_time8",
                                      "pooled_ehr_time8"])
    total = df.filter(pl.col("specialty") == "All specialties").row(0, named=True)
    expected = scalar(sample_warehouse, """
        SELECT sum(d.ehr_minutes) / sum(d.scheduled_minutes) * 8
        FROM marts.provider_day d JOIN marts.provider_period pp
          ON pp.provider_id = d.provider_id AND pp.complete
         AND d.date BETWEEN pp.period_start AND pp.period_end""")
    if total["n_below_min_schedule"] == 0:
        assert total["pooled_ehr_time8"] == pytest.approx(expected, abs=0.006)
    assert 0 < total["p25_ehr_time8"] <= total["median_ehr_time8"] <= total["p75_ehr_time8"]


def test_10_latest_methods_card(results, sample_warehouse) -> None:
    df = results["10_latest_methods_card.sql"]
    assert df.height == 1
    r = df.row(0, named=True)
    assert re.fullmatch(r"[0-9a-f]{16}", r["settings_hash"])
    assert r["idle_timeout_seconds"] == 300 and r["min_cell_size"] == 5
    assert r["timezone"] == "America/New_York" and r["reporting_period"] == "month"
    assert r["input_files"] == scalar(sample_warehouse, "SELECT count(*) FROM raw.files")
    assert r["rows_quarantined_this_run"] == 0
    assert (r["range_start"], r["range_end"]) == (dt.date(2025, 1, 1), dt.date(2026, 1, 31))


def test_11_quarantine_counts_empty_on_clean_sample(results) -> None:
    df = results["11_quarantine_counts_by_reason.sql"]
    assert df.height == 0
    assert df.columns[:3] == ["kind", "reason", "rows_quarantined"]


def test_11_quarantine_counts_by_reason_on_seeded_rows(scratch) -> None:
    rows = [("d1", "events", "events.csv", 7, "event_time", "bad_time"),
            ("d1", "events", "events.csv", 9, "event_time", "bad_time"),
            ("d2", "events", "events_2.csv", 3, "action", "missing_value"),
            ("d1", "inbox", "inbox.csv", 2, "provider_id", "unknown_provider")]
    con = duckdb.connect(str(scratch))
    try:
        for r in rows:
            con.execute("INSERT INTO quarantine.rows (delivery_id, kind, source_file, "
                        "record_number, column_name, reason, detail, record) "
                        "VALUES (?, ?, ?, ?, ?, ?, 'seeded', ?)", [*r, json.dumps({})])
        delivered = dict(con.execute("SELECT kind, sum(rows) FROM raw.files GROUP BY kind")
                         .fetchall())
    finally:
        con.close()
    df = run_query(scratch, "11_quarantine_counts_by_reason.sql")
    got = {(r["kind"], r["reason"]): r for r in _rows(df)}
    assert set(got) == {("events", "bad_time"), ("events", "missing_value"),
                        ("inbox", "unknown_provider")}
    bad = got[("events", "bad_time")]
    assert (bad["rows_quarantined"], bad["files"], bad["deliveries"]) == (2, 1, 1)
    assert bad["columns"] == "event_time"
    assert bad["share_of_delivered"] == pytest.approx(2 / delivered["events"], abs=1e-5)
    assert df["kind"].to_list() == ["events", "events", "inbox"]


def test_totals_rows_show_the_sums_when_no_department_is_hidden(scratch) -> None:
    con = duckdb.connect(str(scratch))
    con.execute("UPDATE marts.methods SET settings_json = json_merge_patch(settings_json, "
                "'{\"min_cell_size\": 1}')")  # every department is shown
    con.close()
    q03 = run_query(scratch, "03_vacation_days_over_30_min_by_department.sql")
    total = q03.filter((pl.col("department") == TOTAL) & (pl.col("year") == 2025))
    assert total["vacation_days"].item() == scalar(scratch, """
        SELECT sum(vacation_days) FROM marts.provider_period
        WHERE period_type = 'month' AND complete AND year(period_start) = 2025""")
    q05 = run_query(scratch, "05_system_message_share_by_department.sql")
    for quarter, rows in q05.group_by("quarter"):
        depts = rows.filter(pl.col("department") != TOTAL)
        assert rows.filter(pl.col("department") == TOTAL)["messages"].item() == (
            depts["messages"].sum()), quarter
    overall = scalar(scratch, "SELECT avg((message_type = 'system')::INT) FROM staging.inbox")
    totals = q05.filter(pl.col("department") == TOTAL)["system_share"].to_list()
    assert totals == pytest.approx([overall] * 4, abs=0.02)
    q06 = run_query(scratch, "06_pajama_share_weekday_vs_weekend.sql")
    for day_type, rows in q06.group_by("day_type"):
        depts = rows.filter(pl.col("department") != TOTAL)
        assert rows.filter(pl.col("department") == TOTAL)["ehr_hours"].item() == (
            pytest.approx(depts["ehr_hours"].sum(), abs=0.2)), day_type
