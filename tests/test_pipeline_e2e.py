"""End to end: ``ehrlog run`` on sample_logs/, re-loads, and a failing delivery."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli import cli

SAMPLE = Path(__file__).resolve().parent.parent / "sample_logs"


def _snapshot(path: Path) -> dict[str, str]:
    """Row count and content hash of every table except the run log."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for schema, table in con.sql(
            "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL"
        ).fetchall():
            if (schema, table) == ("marts", "methods"):
                continue
            rows = sorted(repr(r) for r in con.sql(f"SELECT * FROM {schema}.{table}").fetchall())
            out[f"{schema}.{table}"] = f"{len(rows)}:" + hashlib.sha256(
                "\n".join(rows).encode()).hexdigest()
        return out
    finally:
        con.close()


def test_run_on_sample_prints_summary_and_publishes(tmp_path: Path) -> None:
    wh = tmp_path / "wh" / "ehrlog.duckdb"
    result = CliRunner().invoke(
        cli, ["run", "--input", str(SAMPLE), "--warehouse", str(wh), "--demo"]
    )
    assert result.exit_code == 0, result.output
    assert f"warehouse: {wh.resolve()}" in result.output
    events_line = next(line for line in result.output.splitlines() if line.startswith("events"))
    assert events_line.split()[1].replace(",", "") != "0"
    assert wh.stat().st_mode & 0o007 == 0, "published warehouse must not be world-readable"
    # the sample ends in 2026-01: the non-blocking freshness check fails, and its line
    # says that the warehouse was published all the same
    fresh = [line for line in result.output.splitlines() if "check events_fresh" in line]
    assert len(fresh) == 1
    assert "FAILED (warning only: the warehouse was published): newest accepted event" in fresh[0]


def test_a_failed_check_line_says_whether_it_blocked() -> None:
    from pipelines.runner import CheckOutcome

    def line(passed: bool, blocking: bool) -> str:
        return CheckOutcome("staging/events", "x", passed, blocking, "why").line()

    assert line(True, True) == "check x on staging/events passed: why"
    assert line(False, True) == ("check x on staging/events FAILED (blocking: nothing "
                                 "published): why")
    assert line(False, False) == ("check x on staging/events FAILED (warning only: the "
                                  "warehouse was published): why")


def test_every_flag_level_fires_on_the_sample(sample_warehouse: Path) -> None:
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    got = set(con.sql(
        "SELECT DISTINCT measure, level FROM marts.burnout_risk_flags").fetchall())
    con.close()
    expected = {
        ("wow_minutes_per_clinic_day", "low"), ("wow_minutes_per_clinic_day", "elevated"),
        ("wow_minutes_per_clinic_day", "high"), ("inbox_messages_per_week", "low"),
        ("inbox_messages_per_week", "elevated"), ("inbox_messages_per_week", "high"),
        ("vacation_ehr_minutes_per_day", "low"), ("vacation_ehr_minutes_per_day", "high"),
        ("pto_inbox_self_completed_share", "low"),
        ("pto_inbox_self_completed_share", "elevated"),
        ("pto_weeks_taken", "low"), ("pto_weeks_taken", "elevated"),
    }
    assert expected <= got


def test_every_mart_and_core_column_has_a_comment(sample_warehouse: Path) -> None:
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    missing = con.sql(
        "SELECT schema_name || '.' || table_name || '.' || column_name FROM duckdb_columns() "
        "WHERE schema_name IN ('marts', 'core', 'staging', 'quarantine', 'raw') "
        "AND (comment IS NULL OR comment = '')"
    ).fetchall()
    tables = con.sql(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE schema_name IN ('marts', 'core', 'staging', 'quarantine', 'raw') "
        "AND (comment IS NULL OR comment = '')"
    ).fetchall()
    con.close()
    assert missing == [] and tables == []


def test_reloading_the_same_delivery_changes_only_the_run_log(
        sample_warehouse: Path, tmp_path: Path) -> None:
    from pipelines.runner import run_pipeline

    wh = tmp_path / "ehrlog.duckdb"
    shutil.copyfile(sample_warehouse, wh)
    before = _snapshot(wh)
    run_pipeline(SAMPLE, wh, None, demo=True)
    assert _snapshot(wh) == before
    con = duckdb.connect(str(wh), read_only=True)
    assert con.sql("SELECT count(*) FROM marts.methods").fetchall()[0][0] == 2
    con.close()


def test_missing_column_stops_the_run_and_publishes_nothing(
        sample_warehouse: Path, tmp_path: Path) -> None:
    wh = tmp_path / "ehrlog.duckdb"
    shutil.copyfile(sample_warehouse, wh)
    before = _snapshot(wh)
    bad = tmp_path / "delivery"
    bad.mkdir()
    (bad / "schedule.csv").write_text(
        "appointment_id,provider_id,start_time,status\nA1,PRV001,2026-01-05 09:00:00,completed\n"
    )
    result = CliRunner().invoke(cli, ["run", "--input", str(bad), "--warehouse", str(wh),
                                      "--demo"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: schedule.csv: missing required column 'duration_minutes'"
    )
    assert _snapshot(wh) == before
    assert list((tmp_path / ".ehrlog-work").glob("*.duckdb")) == []


def test_run_needs_a_hash_key_outside_demo_mode(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EHRLOG_HASH_KEY", raising=False)
    monkeypatch.delenv("EHRLOG_DEMO", raising=False)
    result = CliRunner().invoke(cli, ["run", "--input", str(SAMPLE), "--warehouse",
                                      str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1
    assert "EHRLOG_HASH_KEY" in result.output.strip().splitlines()[-1]
    assert not (tmp_path / "w.duckdb").exists()


def test_entry_point_freezes_the_collector_and_returns_the_status(
        capsys: pytest.CaptureFixture[str]) -> None:
    """``run_command`` freezes what is imported out of the garbage collector
    (docs/performance.md) and returns the command's exit status."""
    import gc

    from pipelines.cli import run_command

    gc.unfreeze()
    try:
        assert run_command(["--version"]) == 0
        assert gc.get_freeze_count() > 0
        assert "ehrlog" in capsys.readouterr().out
        assert run_command(["no-such-command"]) == 2
    finally:
        gc.unfreeze()


def test_ehrlog_exits_quickly_and_cleanly(tmp_path: Path) -> None:
    """The ``ehrlog`` program ends the process without the interpreter's teardown: the
    run's output, exit status and temporary-folder cleanup are kept, and no teardown
    message (such as nanobind's leak report on frozen objects) reaches stderr."""
    import os
    import subprocess
    import sys

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    warehouse = tmp_path / "w" / "ehrlog.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--input", str(SAMPLE), "--warehouse",
         str(warehouse), "--demo"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"warehouse: {warehouse}" in done.stdout
    assert "leaked" not in done.stderr and "Traceback" not in done.stderr
    assert warehouse.exists()
    assert list(tmp.iterdir()) == []  # temporary folders removed at exit
    bad = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--input",
                          str(tmp_path / "missing"), "--warehouse", str(warehouse)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "does not exist" in bad.stderr
