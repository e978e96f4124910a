"""Reading delivered files: formats, discovery, unreadable files, archive, extra columns."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from ingest_helpers import EVENTS_HEADER, PROVIDERS, SCHEDULE_HEADER, delivery, load, quarantined

from pipelines.ingest import ExtractError
from schemas.config import Config, PrivacyConfig


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def test_missing_required_column_stops_the_delivery(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "events.csv": "user_id,event_time,patient_id\nu1,2026-03-02 09:00:00,MRN-1\n",
    })
    with pytest.raises(ExtractError) as exc:
        load(con, folder)
    assert str(exc.value) == "events.csv: missing required column 'action'"
    # Nothing of the delivery is kept, not even the providers loaded before the error.
    assert _count(con, "staging.providers") == 0
    assert _count(con, "raw.files") == 0
    # Once fixed, the same providers file loads (it was not recorded as loaded).
    (folder / "events.csv").unlink()
    assert load(con, folder).counts["providers"].rows_staged == 2


def test_missing_columns_are_listed(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {"schedule/part-1.csv": "appointment_id,status\nA1,x\n"})
    with pytest.raises(ExtractError) as exc:
        load(con, folder)
    assert str(exc.value) == (
        "schedule/part-1.csv: missing required columns 'provider_id', 'start_time', "
        "'duration_minutes'"
    )


def test_corrupt_gzip(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    good = gzip.compress((EVENTS_HEADER + "u1,2026-03-02 09:00:00,Order signed,,\n").encode())
    folder = delivery(tmp_path / "d", {"events.csv.gz": good[: len(good) // 2]})
    with pytest.raises(ExtractError) as exc:
        load(con, folder)
    message = str(exc.value)
    assert message.startswith("events.csv.gz: corrupt gzip file (")
    assert "\n" not in message


def test_gz_name_without_gzip_content(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {"events.csv.gz": EVENTS_HEADER})
    with pytest.raises(ExtractError, match=r"^events\.csv\.gz: corrupt gzip file \("):
        load(con, folder)


def test_gzip_csv_with_bom_loads(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    text = "\ufeff" + EVENTS_HEADER + "u1,2026-03-02 09:00:00,Order signed,,\n"
    # gzip detected by its magic bytes, whatever the name says
    folder = delivery(tmp_path / "d", {"events_2026-03-02.csv": gzip.compress(text.encode())})
    summary = load(con, folder)
    assert summary.counts["events"].rows_staged == 1
    assert con.execute("SELECT user_id FROM staging.events").fetchall() == [("u1",)]


def test_undecodable_file(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    body = (
        "message_id,provider_id,received_time,message_type\n"
        "M1,P1,2026-03-02 10:00:00,r\u00e9sult\n"
    )
    folder = delivery(tmp_path / "d", {"inbox.csv": body.encode("latin-1")})
    with pytest.raises(ExtractError) as exc:
        load(con, folder)
    message = str(exc.value)
    assert message.startswith("inbox.csv: cannot be decoded as UTF-8 (")
    assert "0xe9" in message and "\n" not in message


def test_header_only_and_zero_byte_files_are_empty_extracts(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "events.csv": EVENTS_HEADER,
        "schedule.csv": b"",
        "inbox.csv.gz": gzip.compress(b""),
    })
    pl.DataFrame(schema={"provider_id": pl.String, "start_date": pl.Date, "end_date": pl.Date,
                         "type": pl.String}).write_parquet(folder / "time_off.parquet")
    summary = load(con, folder)
    assert summary.counts["events"].files == 1 and summary.counts["events"].rows_read == 0
    assert summary.counts["schedule"].files == 1 and summary.counts["schedule"].rows_read == 0
    assert summary.counts["inbox"].files == 1 and summary.counts["time_off"].files == 1
    assert summary.rows_quarantined == 0 and summary.dates_touched is None
    assert con.execute("SELECT file_name, rows FROM raw.files ORDER BY file_name").fetchall() == [
        ("events.csv", 0), ("inbox.csv.gz", 0), ("providers.csv", 2), ("schedule.csv", 0),
        ("time_off.parquet", 0),
    ]


def test_a_zero_byte_parquet_file_is_an_empty_extract(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """CONTRACT.md section 1: "A zero-byte or header-only file is a valid empty extract",
    whatever its format (a zero-byte file has no Parquet footer to read)."""
    folder = delivery(tmp_path / "d", {"providers.csv": PROVIDERS})
    (folder / "events").mkdir()
    (folder / "events" / "part-0001.parquet").write_bytes(b"")
    summary = load(con, folder)
    assert summary.counts["events"].files == 1 and summary.counts["events"].rows_read == 0
    assert summary.rows_quarantined == 0 and summary.dates_touched is None


def test_a_second_zero_byte_file_counts_as_already_loaded(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # Files are identified by their SHA-256: every zero-byte file is the same file.
    folder = delivery(tmp_path / "d", {"inbox.csv": b"", "schedule.csv": b""})
    summary = load(con, folder)
    assert [f.name for f in summary.files] == ["schedule.csv"]
    assert summary.skipped_files == ["inbox.csv"]


def test_parquet_in_a_kind_folder(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = tmp_path / "d"
    (folder / "events").mkdir(parents=True)
    pl.DataFrame({
        "USER_ID": [101, 102],
        "event_time": [dt.datetime(2025, 11, 2, 1, 30), dt.datetime(2026, 3, 8, 2, 30)],
        "action": ["Order signed", "Order signed"],
    }).write_parquet(folder / "events" / "part-0001.parquet")
    pl.DataFrame({
        "appointment_id": ["A1"], "provider_id": ["P1"],
        "start_time": [dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))],
        "duration_minutes": [20], "status": ["Completed"],
    }).write_parquet(folder / "schedule.parquet")
    (folder / "providers.csv").write_text(PROVIDERS)
    load(con, folder)
    assert con.execute("SELECT user_id, event_time FROM staging.events").fetchall() == [
        ("101", dt.datetime(2025, 11, 2, 5, 30, tzinfo=dt.UTC)),
    ]
    assert quarantined(con) == [
        ("events/part-0001.parquet", 2, "event_time", "nonexistent_local_time"),
    ]
    assert con.execute(
        "SELECT start_time, duration_minutes, status FROM staging.schedule"
    ).fetchall() == [(dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC), 20.0, "completed")]


def test_ragged_csv_stops_the_delivery(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    body = EVENTS_HEADER + "u1,2026-03-02 09:00:00,Order signed,,,surplus\n"
    folder = delivery(tmp_path / "d", {"events.csv": body})
    with pytest.raises(ExtractError) as exc:
        load(con, folder)
    assert str(exc.value).startswith("events.csv: cannot be parsed as CSV (")
    assert "\n" not in str(exc.value)


def test_corrupt_parquet(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    folder = delivery(tmp_path / "d", {"events.parquet": b"PAR1 this is not parquet"})
    with pytest.raises(ExtractError, match=r"^events\.parquet: corrupt Parquet file \("):
        load(con, folder)


def test_extra_columns_dropped_unless_kept(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    body = SCHEDULE_HEADER.rstrip("\n") + ",room,mrn\nA1,P1,2026-03-02 09:00,20,completed,R7,M-1\n"
    folder = delivery(tmp_path / "d", {"providers.csv": PROVIDERS, "schedule.csv": body})
    load(con, folder, cfg=Config(keep_extra_columns=("room",)))
    assert con.execute("SELECT extra FROM staging.schedule").fetchone() == ('{"room":"R7"}',)
    other = duckdb.connect()
    load(other, folder)
    assert other.execute("SELECT extra FROM staging.schedule").fetchone() == (None,)


def test_archive_is_read_only_and_skips_clear_patient_ids(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "events.csv": EVENTS_HEADER + "u1,2026-03-02 09:00:00,Order signed,MRN-1,WS1\n",
    })
    archive = tmp_path / "archive"
    summary = load(con, folder, archive_dir=archive)
    paths = {f.name: f.archived_path for f in summary.files}
    assert paths["events.csv"] is None  # holds patient ids, keep_raw_patient_ids is false
    kept = Path(str(paths["providers.csv"]))
    sha = next(f.sha256 for f in summary.files if f.name == "providers.csv")
    assert kept == archive / sha[:2] / sha / "providers.csv"
    assert kept.read_text() == PROVIDERS
    assert stat.S_IMODE(kept.stat().st_mode) == 0o400
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(archive.stat().st_mode) == 0o700
    assert con.execute(
        "SELECT file_name, archived_path IS NULL FROM raw.files ORDER BY file_name"
    ).fetchall() == [("events.csv", True), ("providers.csv", False)]

    keep = Config(privacy=PrivacyConfig(keep_raw_patient_ids=True))
    other = duckdb.connect()
    again = load(other, folder, cfg=keep, archive_dir=tmp_path / "archive2")
    assert all(f.archived_path is not None for f in again.files)


def test_a_file_with_a_dropped_extra_column_is_not_archived(tmp_path: Path) -> None:
    # Extra columns are dropped "(they may hold identifiers)", CONTRACT.md section 1: a
    # schedule with an unlisted mrn column is not archived byte for byte either, unless
    # keep_raw_patient_ids; one whose extra column is kept is.
    body = SCHEDULE_HEADER.rstrip("\n") + ",room,mrn\nA1,P1,2026-03-02 09:00,20,completed,R7,M-77\n"
    folder = delivery(tmp_path / "d", {"providers.csv": PROVIDERS, "schedule.csv": body})
    cases = [(Config(), None), (Config(keep_extra_columns=("room",)), None),
             (Config(keep_extra_columns=("room", "mrn")), "kept"),
             (Config(privacy=PrivacyConfig(keep_raw_patient_ids=True)), "kept")]
    for i, (cfg, expected) in enumerate(cases):
        archive = tmp_path / f"archive{i}"
        summary = load(duckdb.connect(), folder, cfg=cfg, archive_dir=archive)
        paths = {f.name: f.archived_path for f in summary.files}
        assert paths["providers.csv"] is not None
        assert (paths["schedule.csv"] is not None) == (expected == "kept"), cfg
        archived = b"".join(p.read_bytes() for p in archive.rglob("*") if p.is_file())
        assert (b"M-77" in archived) == (expected == "kept"), cfg


def test_ignored_files_and_discovery_by_folder(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = delivery(tmp_path / "d", {
        "README.md": "hello",
        "providers/roster_2026.csv": PROVIDERS,
        "misc/data.csv": "a,b\n1,2\n",
        "schedule.json": "{}",
    })
    summary = load(con, folder)
    assert [f.name for f in summary.files] == ["providers/roster_2026.csv"]
    assert summary.ignored_files == ["README.md", "misc/data.csv", "schedule.json"]


def test_quarantine_detail_names_the_value(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = delivery(tmp_path / "d", {"events.csv": EVENTS_HEADER + "u1,yesterday,Order,,\n"})
    load(con, folder)
    row = con.execute("SELECT detail, record FROM quarantine.rows").fetchone()
    assert row is not None
    assert row[0].startswith("'yesterday' is not a time")
    assert json.loads(row[1])["event_time"] == "yesterday"
