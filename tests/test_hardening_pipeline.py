"""Whole runs on hostile deliveries (issue 8): privacy, permissions, SQL injection, late data.

One full run (``pipelines.runner.run_pipeline``) loads a delivery holding distinctive
patient ids and SQL-injection strings in every extract kind and in the configuration;
several tests then inspect it. Two more runs show late events updating days, weeks and
periods, and two failing runs (a broken file, a missing key) go through the CLI.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import stat
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner
from hostile_inputs import (
    INJECTIONS,
    SECRET_IDS,
    capture_output,
    csv_bytes,
    files_holding,
    scalar,
    text_cells,
    write_file,
)
from ingest_helpers import lineage

from pipelines.cli import cli
from pipelines.ingest import normalize_action
from pipelines.runner import run_pipeline
from pipelines.warehouse import WarehouseResource

ROOT = Path(__file__).resolve().parent.parent
INJ0, INJ1, INJ2, INJ3 = INJECTIONS
KEY_ENV = "EHRLOG_KEY_'); DROP TABLE raw.files; --"
KEY = "hardening-test-key"
NOTE = "note'); DROP TABLE staging.events; --"
ROSTER_HEADER = ("provider_id", "user_id", "department", "specialty", "role", "clinical_fte",
                 "display_name")
EVENT_HEADER = ("event_id", "user_id", "event_time", "action", "patient_id", "workstation_id")
SCHEDULE_HEADER = ("appointment_id", "provider_id", "start_time", "duration_minutes", "status",
                   "visit_type", "patient_id")
TIME_OFF_HEADER = ("provider_id", "start_date", "end_date", "type")
INBOX_HEADER = ("message_id", "provider_id", "received_time", "message_type", "completed_by",
                NOTE)
EXPECTED_TABLES = {
    "raw.files", "quarantine.rows", "staging.providers", "staging.action_map",
    "staging.events", "staging.schedule", "staging.time_off", "staging.inbox",
    "marts.provider_day", "marts.provider_week", "marts.provider_period",
    "marts.provider_year", "marts.burnout_risk_flags", "marts.methods",
}


def _hash(value: str) -> str:
    return hmac.new(KEY.encode(), value.strip().encode(), hashlib.sha256).hexdigest()


def _hostile_delivery(folder: Path) -> None:
    s0, s1, s2 = SECRET_IDS
    write_file(folder, "providers.csv", csv_bytes(ROSTER_HEADER, [
        ("P1", "u1", "Medicine", "Internal Medicine", "physician", "1.0", "Dr. One"),
        ("P2", "u2", "Medicine", "Internal Medicine", "app", "0.5", "Dr. Two"),
        (INJ0, INJ1, INJ2, INJ3, "physician", "1", INJ0),
        ("P3", "u3", "Medicine", "IM", INJ0, "1", "Dr. Three"),  # bad_enum
    ]))
    write_file(folder, "action_map.csv", csv_bytes(("action", "category"), [
        (INJ0, "orders"), ("Fax read", INJ1),  # the second: bad_enum
    ]))
    write_file(folder, f"events_{INJ0}.csv", csv_bytes(EVENT_HEADER, [
        (None, "u1", "2026-03-02 09:00:00", "Order signed", s0, "WS1"),
        (None, "u1", "2026-03-02 09:02:00", "Order signed", s1, "WS1"),
        (None, "u1", "2026-03-02 09:04:00", "Clinical Note Signed", s2, "WS1"),
        ("E-" + INJ1, INJ1, "2026-03-02 10:00:00", INJ0, INJ3, INJ2),
        (None, INJ1, "2026-03-02 10:03:00", INJ0, s0, INJ2),
        (None, "u1", "not a time", "Order signed", s0, "WS1"),  # bad_time
        (None, "u1", "2026-03-02 09:00:00", "Order signed", s0, "WS1"),  # duplicate_key
        (None, "", "2026-03-02 09:05:00", "Order signed", s1, "WS1"),  # missing_value
        (None, "u1", "2999-01-01 00:00:00", "Order signed", s2, "WS1"),  # time_out_of_range
    ]))
    write_file(folder, "schedule.csv", csv_bytes(SCHEDULE_HEADER, [
        ("A1", "P1", "2026-03-02 08:00", "60", "completed", "new", s0),
        (INJ0, INJ0, "2026-03-02 08:00", "60", "completed", INJ2, s1),
        ("A3", "P1", "2026-03-02 13:00", "30", INJ1, "new", s2),  # bad_enum
        ("A4", INJ3, "2026-03-02 13:00", "30", "completed", "new", s2),  # unknown_provider
        ("A5", "P1", "2026-03-02 13:00", "-30", "completed", "new", s0),  # duration
    ]))
    write_file(folder, "time_off.csv", csv_bytes(TIME_OFF_HEADER, [
        ("P1", "2026-03-20", "2026-03-20", "cme"), (INJ0, "2026-03-23", "2026-03-27", "pto"),
        ("P1", "2026-03-30", "2026-03-30", INJ0),  # bad_enum
    ]))
    write_file(folder, "inbox.csv", csv_bytes(INBOX_HEADER, [
        ("M1", "P1", "2026-03-02 10:00:00", "result", INJ1, INJ2),
        (INJ0, INJ0, "2026-03-02 10:05:00", "patient_message", "u1", INJ3),
        ("M3", "P1", "2026-03-02 10:10:00", INJ1, "u1", "x"),  # bad_enum
    ]))


def _config(folder: Path, **extra: object) -> Path:
    cfg: dict[str, object] = {
        "min_scheduled_hours_per_week": 0,
        "min_cell_size": 1,
        "quality": {"max_quarantine_share": 1.0, "max_unmapped_share": 1.0},
    }
    cfg.update(extra)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    return path


@dataclass(frozen=True)
class HostileRun:
    warehouse: Path
    cwd: Path
    tmp: Path
    output: str
    thresholds: Path


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileRun]:
    """One published run of the hostile delivery; stdout, stderr and every log captured."""
    base = tmp_path_factory.mktemp("hostile")
    delivery, cwd, tmp = base / "delivery", base / "cwd", base / "tmp"
    for d in (delivery, cwd, tmp):
        d.mkdir()
    _hostile_delivery(delivery)
    thresholds = base / "th'); DROP TABLE marts.provider_day; --.yaml"
    shutil.copyfile(ROOT / "metrics" / "profiles" / "seed-documents.yaml", thresholds)
    config = _config(base, thresholds=str(thresholds), privacy={"hash_key_env": KEY_ENV},
                     keep_extra_columns=["patient_id", NOTE])
    warehouse = base / "published" / "ehrlog.duckdb"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(KEY_ENV, KEY)
        mp.chdir(cwd)
        mp.setenv("TMPDIR", str(tmp))
        mp.setattr(tempfile, "tempdir", str(tmp))
        with capture_output(base / "output.txt") as read:
            run_pipeline(delivery, warehouse, config, demo=False, log_level="DEBUG")
        output = read()
    yield HostileRun(warehouse, cwd, tmp, output, thresholds)


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


# --- privacy -----------------------------------------------------------------------------


def test_no_clear_patient_id_in_any_table(hostile_run: HostileRun) -> None:
    con = _connect(hostile_run.warehouse)
    try:
        cells = text_cells(con)  # every schema: raw, staging, quarantine, core, marts
        assert not [c for c in cells if any(s in c for s in SECRET_IDS)]
        # The quarantined rows are there, with hashes in their records.
        reasons = dict(con.execute(
            "SELECT reason, count(*) FROM quarantine.rows GROUP BY 1").fetchall())
        assert {"bad_time", "duplicate_key", "missing_value", "time_out_of_range", "bad_enum",
                "unknown_provider", "duration_out_of_range"} <= set(reasons)
        records = " ".join(r[0] for r in con.execute(
            "SELECT record || coalesce(detail, '') FROM quarantine.rows").fetchall())
        assert _hash(SECRET_IDS[0]) in records and _hash(SECRET_IDS[2]) in records
        assert sorted(r[0] for r in con.execute(
            "SELECT patient_hash FROM staging.events WHERE user_id = 'u1'").fetchall()
        ) == sorted(_hash(s) for s in SECRET_IDS)
        extra = scalar(con, "SELECT extra FROM staging.schedule WHERE appointment_id = 'A1'")
        assert extra == '{"patient_hash":"' + _hash(SECRET_IDS[0]) + '"}'
    finally:
        con.close()


def test_no_clear_patient_id_in_any_file(hostile_run: HostileRun) -> None:
    published = hostile_run.warehouse
    folder = published.parent
    assert published.is_file() and (folder / ".ehrlog-work").is_dir()
    archive = folder / "raw-archive"
    archived = sorted(p.name for p in archive.rglob("*") if p.is_file())
    # Files holding a patient_id column are not archived (keep_raw_patient_ids is false).
    assert archived == ["action_map.csv", "inbox.csv", "providers.csv", "time_off.csv"]
    for root in (folder, hostile_run.cwd, hostile_run.tmp):
        assert files_holding(root, SECRET_IDS) == [], root


def test_no_clear_patient_id_in_logs_or_output(hostile_run: HostileRun) -> None:
    assert "load_delivery_asset" in hostile_run.output  # the DEBUG step logs were captured
    assert not [s for s in SECRET_IDS if s in hostile_run.output]


def test_keep_raw_patient_ids_archives_the_clear_files(tmp_path: Path) -> None:
    # Loader level: the published run above covers the default (false).
    from ingest_helpers import load

    from schemas.config import Config, PrivacyConfig

    delivery = tmp_path / "d"
    _hostile_delivery(delivery)
    con = duckdb.connect()
    keep = Config(privacy=PrivacyConfig(keep_raw_patient_ids=True), keep_extra_columns=("x",))
    summary = load(con, delivery, cfg=keep, archive_dir=tmp_path / "archive")
    assert all(f.archived_path for f in summary.files)
    assert files_holding(tmp_path / "archive", SECRET_IDS)  # the raw layer keeps them
    assert not [c for c in text_cells(con) if any(s in c for s in SECRET_IDS)]
    con.close()


# --- permissions -------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_permissions_of_published_working_and_archived_files(hostile_run: HostileRun) -> None:
    published = hostile_run.warehouse
    assert _mode(published) == 0o640
    assert _mode(published.parent) & 0o007 == 0, "the published folder is world-accessible"
    work = published.parent / ".ehrlog-work"
    assert _mode(work) == 0o700
    assert all(_mode(p) == 0o600 for p in work.iterdir() if p.is_file())
    archive = published.parent / "raw-archive"
    tree = [archive, *archive.rglob("*")]
    assert all(_mode(p) == 0o700 for p in tree if p.is_dir())
    assert all(_mode(p) == 0o400 for p in tree if p.is_file())
    # A run's working copy (made from the published file, or created new) is owner-only.
    wh = WarehouseResource(path=str(published))
    run_id = f"perm-{uuid.uuid4()}"
    try:
        copy = wh.begin(run_id)
        assert copy.is_file() and _mode(copy) == 0o600
        wh.connect(run_id).close()
        assert all(_mode(p) == 0o600 for p in work.iterdir() if p.is_file())
    finally:
        wh.discard(run_id)
    fresh = WarehouseResource(path=str(hostile_run.tmp / "new" / "w.duckdb"))
    fresh.begin(run_id)
    fresh.connect(run_id).close()
    assert _mode(fresh.working(run_id)) == 0o600
    assert _mode(fresh.published.parent) & 0o007 == 0
    fresh.discard(run_id)


def test_an_existing_world_readable_folder_is_not_left_world_readable(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    wh = WarehouseResource(path=str(folder / "w.duckdb"))
    wh.begin("r1")
    wh.connect("r1").close()
    wh.publish("r1")
    assert _mode(folder) & 0o007 == 0


# --- SQL injection -----------------------------------------------------------------------


def test_every_table_survives_the_injection_strings(hostile_run: HostileRun) -> None:
    con = _connect(hostile_run.warehouse)
    try:
        tables = {f"{s}.{t}" for s, t in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables()").fetchall()}
        assert tables >= EXPECTED_TABLES
        for table in EXPECTED_TABLES - {"marts.provider_year", "marts.burnout_risk_flags"}:
            assert scalar(con, f"SELECT count(*) FROM {table}") > 0, table  # a trailing
            # year needs a year of data; flags need a value in a band: both may be empty
    finally:
        con.close()


def test_injection_strings_are_stored_verbatim_or_quarantined(hostile_run: HostileRun) -> None:
    con = _connect(hostile_run.warehouse)
    try:
        def one(sql: str, *params: object) -> tuple[object, ...]:
            rows = con.execute(sql, list(params)).fetchall()
            assert len(rows) == 1, (sql, rows)
            return rows[0]

        assert one("SELECT user_id, department, specialty, display_name FROM staging.providers "
                   "WHERE provider_id = ?", INJ0) == (INJ1, INJ2, INJ3, INJ0)
        assert one("SELECT category FROM staging.action_map WHERE action = ?",
                   normalize_action(INJ0)) == ("orders",)
        assert one("SELECT user_id, action, patient_hash, workstation_id, source_file "
                   f"FROM {lineage('events')} WHERE event_id = ?", "E-" + INJ1) == (
            INJ1, INJ0, _hash(INJ3), INJ2, f"events_{INJ0}.csv")
        assert one("SELECT provider_id, visit_type FROM staging.schedule "
                   "WHERE appointment_id = ?", INJ0) == (INJ0, INJ2)
        assert one("SELECT type FROM staging.time_off WHERE provider_id = ?", INJ0) == ("pto",)
        assert one("SELECT completed_by, extra FROM staging.inbox WHERE message_id = 'M1'") == (
            INJ1, '{"' + NOTE.lower() + '":"' + INJ2 + '"}')  # column names are lower-cased
        # The injection provider is measured like any other: its login's events count.
        assert one("SELECT ehr_minutes FROM marts.provider_day WHERE provider_id = ? "
                   "AND date = DATE '2026-03-02'", INJ0) == (3.0,)
        assert one("SELECT count(*) > 0 FROM marts.department_period WHERE department = ?",
                   INJ2) == (True,)
        assert one("SELECT thresholds_profile FROM marts.methods") == (
            str(hostile_run.thresholds),)
        # Values that break the contract are quarantined with the value verbatim.
        bad = con.execute("SELECT column_name, record FROM quarantine.rows "
                          "WHERE reason IN ('bad_enum', 'unknown_provider') "
                          "ORDER BY ALL").fetchall()
        assert [c for c, _ in bad] == ["category", "message_type", "provider_id", "role",
                                       "status", "type"]
        assert all(any(i in r or i.replace('"', '\\"') in r for i in INJECTIONS)
                   for _, r in bad)
    finally:
        con.close()


# --- late data ---------------------------------------------------------------------------


def _late_first(folder: Path) -> None:
    write_file(folder, "providers.csv", csv_bytes(ROSTER_HEADER[:-1], [
        ("P1", "u1", "Medicine", "IM", "physician", "1.0")]))
    write_file(folder, "schedule.csv", csv_bytes(SCHEDULE_HEADER[:5], [
        ("A1", "P1", "2026-03-02 08:00", "60", "completed"),
        ("A2", "P1", "2026-03-04 08:00", "60", "completed"),
    ]))
    write_file(folder, "time_off.csv", csv_bytes(TIME_OFF_HEADER, [
        ("P1", "2026-03-20", "2026-03-20", "cme")]))
    write_file(folder, "inbox.csv", csv_bytes(INBOX_HEADER[:4], [
        ("M1", "P1", "2026-03-02 10:00:00", "result")]))
    write_file(folder, "events.csv", csv_bytes(EVENT_HEADER[1:4], [
        ("u1", "2026-03-02 09:00:00", "Order signed"),
        ("u1", "2026-03-02 09:01:00", "Order signed"),
        ("u1", "2026-03-04 10:00:00", "Order signed"),
        ("u1", "2026-03-04 10:02:00", "Order signed"),
    ]))


def _late_numbers(warehouse: Path) -> tuple[object, ...]:
    con = _connect(warehouse)
    try:
        day = con.execute("SELECT ehr_minutes, wow_minutes FROM marts.provider_day "
                          "WHERE provider_id = 'P1' AND date = DATE '2026-03-02'").fetchall()
        week = con.execute("SELECT ehr_minutes_per_scheduled_hour, ehr_time8 "
                           "FROM marts.provider_week WHERE provider_id = 'P1' "
                           "AND week_start = DATE '2026-03-02'").fetchall()
        period = con.execute("SELECT ehr_minutes_per_scheduled_hour, days_in_range "
                             "FROM marts.provider_period WHERE provider_id = 'P1' "
                             "AND period_start = DATE '2026-03-01'").fetchall()
        return day[0], week[0], period[0]
    finally:
        con.close()


def test_late_events_update_their_day_week_and_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EHRLOG_HASH_KEY", KEY)
    first, second = tmp_path / "d1", tmp_path / "d2"
    _late_first(first)
    # Days later, events of 2 March arrive (inside the 08:00-09:00 appointment).
    write_file(second, "events_late.csv", csv_bytes(EVENT_HEADER[1:4], [
        ("u1", "2026-03-02 08:10:00", "Order signed"),
        ("u1", "2026-03-02 08:13:00", "Order signed"),
    ]))
    config, warehouse = _config(tmp_path), tmp_path / "wh" / "ehrlog.duckdb"
    run_pipeline(first, warehouse, config)
    # 2 March: 1 active minute (09:00-09:01, after the slot: outside work). Week and March:
    # 3 minutes over 2 scheduled hours.
    assert _late_numbers(warehouse) == ((1.0, 1.0), (1.5, 0.2), (1.5, 3))
    run_pipeline(second, warehouse, config)
    # 2 March now has 1 + 3 minutes, the new ones inside the slot; 6 minutes over 2 hours.
    assert _late_numbers(warehouse) == ((4.0, 1.0), (3.0, 0.4), (3.0, 3))
    con = _connect(warehouse)
    assert scalar(con, "SELECT count(*) FROM staging.events") == 6
    assert scalar(con, "SELECT count(*) FROM marts.methods") == 2
    con.close()


# --- failing runs through the CLI ----------------------------------------------------------


def test_a_broken_file_fails_in_one_line_without_patient_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EHRLOG_HASH_KEY", KEY)
    delivery = tmp_path / "d"
    _late_first(delivery)
    write_file(delivery, "events_broken.csv", "user_id,event_time,action,patient_id\n"
               f"u1,2026-03-02 09:00:00,Order signed,{SECRET_IDS[0]}\n"
               f'u1,2026-03-02 09:01:00,"Order signed"x,{SECRET_IDS[1]}\n')
    wh = tmp_path / "wh" / "ehrlog.duckdb"
    with capture_output(tmp_path / "out.txt") as read:
        result = CliRunner().invoke(cli, ["run", "--input", str(delivery), "--warehouse",
                                          str(wh), "--verbose"])
    output = read() + result.output
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: events_broken.csv: cannot be parsed as CSV (malformed quoting near record 2 "
        "(a quote inside a field must be doubled and the field quoted as a whole, RFC 4180))")
    assert not [s for s in SECRET_IDS if s in output]
    assert not wh.exists()


def test_missing_hash_key_is_one_line_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EHRLOG_DEMO", raising=False)
    monkeypatch.delenv("SITE_PATIENT_KEY", raising=False)
    delivery = tmp_path / "d"
    _late_first(delivery)
    config = _config(tmp_path, privacy={"hash_key_env": "SITE_PATIENT_KEY"})
    wh = tmp_path / "wh" / "ehrlog.duckdb"
    result = CliRunner().invoke(cli, ["run", "--input", str(delivery), "--warehouse", str(wh),
                                      "--config", str(config)])
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: environment variable SITE_PATIENT_KEY is not set: ")
    assert "Traceback" not in result.output
    assert not wh.exists()
