"""Hostile and messy files (issue 8): each one loads, or stops with one line naming it.

CSV: byte-order marks, CRLF, quoted commas and line breaks, Latin-1 bytes, blank and
trailing lines, extra and unnamed columns, broken quoting, bare-CR line ends. Gzip:
truncated or with trailing garbage. Parquet: every column type a contract column might
arrive in. No error message may quote a delivered value (it could be a patient id).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hostile_inputs import SECRET_IDS, csv_bytes, roster_csv, scalar, write_file
from ingest_helpers import load, quarantined

from pipelines.ingest import ExtractError
from schemas.config import Config

EVENT_HEADER = ("user_id", "event_time", "action", "patient_id")
SCHEDULE_HEADER = ("appointment_id", "provider_id", "start_time", "duration_minutes", "status")


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


def _delivery(tmp_path: Path, files: dict[str, bytes | str]) -> Path:
    folder = tmp_path / "d"
    write_file(folder, "providers.csv", roster_csv())
    for name, content in files.items():
        write_file(folder, name, content)
    return folder


def _error(con: duckdb.DuckDBPyConnection, folder: Path) -> str:
    with pytest.raises(ExtractError) as exc:
        load(con, folder)
    message = str(exc.value)
    assert "\n" not in message and "\r" not in message
    assert not [s for s in SECRET_IDS if s in message], message
    assert scalar(con, "SELECT count(*) FROM raw.files") == 0  # nothing of it was kept
    return message


def _actions(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    return con.execute(
        "SELECT source_record, action FROM staging.events ORDER BY source_record"
    ).fetchall()


# --- CSV text --------------------------------------------------------------------------


def test_bom_crlf_and_quoted_fields_with_commas_and_line_breaks(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    rows = [
        ("u1", "2026-03-02 09:00:00", "Order signed", "M1"),
        ("u1", "2026-03-02 09:01:00", "Order, with comma", "M2"),
        ("u1", "2026-03-02 09:02:00", 'Note "quoted"\r\nsecond line', "M3"),
        ("u1", "not a time", "Order signed", "M4"),
    ]
    body = csv_bytes(EVENT_HEADER, rows, bom=True, crlf=True)
    summary = load(con, _delivery(tmp_path, {"events.csv": body}))
    # Record numbers are data records, not lines: record 3 spans two lines.
    assert _actions(con) == [
        (1, "Order signed"), (2, "Order, with comma"), (3, 'Note "quoted"\r\nsecond line'),
    ]
    assert quarantined(con) == [("events.csv", 4, "event_time", "bad_time")]
    assert summary.counts["events"].rows_read == 4


def test_latin1_bytes_name_the_file_and_the_record(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    text = (
        "message_id,provider_id,received_time,message_type\n"
        "M1,P1,2026-03-02 10:00:00,result\n"
        '"M2","P1","2026-03-02 10:01:00","multi\nline"\n'  # one record over two lines
        "M3,P1,2026-03-02 10:02:00,r\u00e9sult\n"
    )
    message = _error(con, _delivery(tmp_path, {"inbox.csv": text.encode("latin-1")}))
    assert message.startswith("inbox.csv: cannot be decoded as UTF-8 (")
    assert "byte 0xe9" in message and message.endswith(", record 3)")


def test_latin1_in_the_header(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    header = "user_id,event_time,action,d\u00e9partement\n".encode("latin-1")
    message = _error(con, _delivery(tmp_path, {"events.csv": header}))
    assert message.startswith("events.csv: cannot be decoded as UTF-8 (")
    assert message.endswith(", in the header)")


def test_blank_and_trailing_lines_are_not_records(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    body = (
        "user_id,event_time,action\r\n"
        "u1,2026-03-02 09:00:00,Order signed\r\n"
        "\r\n"
        ",,\r\n"
        "u1,later,Order signed\r\n"
        "   \r\n\r\n\n"
    )
    summary = load(con, _delivery(tmp_path, {"events.csv": body}))
    counts = summary.counts["events"]
    # Blank records keep their place in the numbering but are skipped and counted.
    assert (counts.rows_read, counts.rows_staged, counts.rows_quarantined) == (2, 1, 1)
    assert counts.blank_records == 5
    assert quarantined(con) == [("events.csv", 4, "event_time", "bad_time")]
    assert [(f.name, f.rows, f.blank_records) for f in summary.files
            if f.kind == "events"] == [("events.csv", 2, 5)]


def test_extra_and_unnamed_columns_are_dropped_unless_kept(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    body = (
        "user_id,event_time,action,Room ,mrn,source_record,,\n"
        "u1,2026-03-02 09:00:00,Order signed,R7,SSN-1,99,x,y\n"
    )
    folder = _delivery(tmp_path, {"events.csv": body})
    # "room" is kept (names compare trimmed and lower-cased); "source_record" names the
    # loader's own column, so it is never kept; unnamed columns are never used.
    cfg = Config(keep_extra_columns=("ROOM", "source_record"))
    load(con, folder, cfg=cfg)
    assert con.execute("SELECT source_record, extra FROM staging.events").fetchall() == [
        (1, '{"room":"R7"}')
    ]
    other = duckdb.connect()
    load(other, folder)
    assert other.execute("SELECT extra FROM staging.events").fetchall() == [(None,)]
    assert "SSN-1" not in json.dumps(other.execute("SELECT * FROM staging.events").fetchall(),
                                     default=str)


def test_duplicate_named_columns_stop_the_file(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    body = "user_id,event_time,action,User_ID\nu1,2026-03-02 09:00:00,Order signed,u2\n"
    message = _error(con, _delivery(tmp_path, {"events.csv": body}))
    assert message == "events.csv: duplicate column 'user_id'"


@pytest.mark.parametrize(("row", "expected"), [
    (f"u1,2026-03-02 09:00:00,Order signed,{SECRET_IDS[0]},surplus\n",
     "record 2 has 5 fields but the header has 4"),
    (f'u1,2026-03-02 09:00:00,"Order"x,{SECRET_IDS[0]}\n', "malformed quoting near record 2"),
    (f'u1,2026-03-02 09:00:00,Ord"er,{SECRET_IDS[0]}\n',
     "malformed quoting near record 2, field 3"),
    (f'u1,2026-03-02 09:00:00,"Order,{SECRET_IDS[0]}\nu2,a,b,c\n',
     "a quoted field near record 2 is not closed before the end of the file"),
])
def test_broken_csv_names_the_record_and_never_quotes_data(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, row: str, expected: str
) -> None:
    body = "user_id,event_time,action,patient_id\nu1,2026-03-02 08:00:00,Order signed,M1\n"
    message = _error(con, _delivery(tmp_path, {"events.csv": body + row}))
    assert message.startswith(f"events.csv: cannot be parsed as CSV ({expected}")


def test_bare_cr_line_ends(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    body = "user_id,event_time,action\ru1,2026-03-02 09:00:00,Order signed\r"
    message = _error(con, _delivery(tmp_path, {"events.csv": body}))
    assert message.startswith("events.csv: line ends are bare carriage returns")


def test_empty_files_are_valid_empty_extracts(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = _delivery(tmp_path, {
        "events.csv": b"",
        "schedule.csv": ",".join(SCHEDULE_HEADER),  # header only, no line end
        "inbox.csv.gz": gzip.compress(b"message_id,provider_id,received_time,message_type\r\n"),
        "time_off.csv": "\n\n  \n",
    })
    summary = load(con, folder)
    assert summary.rows_quarantined == 0
    assert {f.name: f.rows for f in summary.files} == {
        "providers.csv": 2, "events.csv": 0, "schedule.csv": 0, "inbox.csv.gz": 0,
        "time_off.csv": 0,
    }


# --- gzip --------------------------------------------------------------------------------


def test_truncated_gzip(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    body = gzip.compress(csv_bytes(EVENT_HEADER, [("u1", "2026-03-02 09:00:00", "x", "M1")]))
    message = _error(con, _delivery(tmp_path, {"events.csv.gz": body[:-12]}))
    assert message == ("events.csv.gz: corrupt gzip file (truncated: the compressed data ends "
                       "before its end marker)")


def test_damaged_gzip_says_which_check_failed(con: duckdb.DuckDBPyConnection,
                                              tmp_path: Path) -> None:
    body = gzip.compress(csv_bytes(EVENT_HEADER, [("u1", "2026-03-02 09:00:00", "x", "M1")]))
    for at, problem in ((-8, "its CRC check failed: the data is damaged"),
                        (-2, "its stored length does not match the data: the data is damaged")):
        damaged = bytearray(body)
        damaged[at] ^= 0xFF  # the trailer: CRC-32 (8 to 5 bytes from the end), then length
        message = _error(con, _delivery(tmp_path / str(at), {"events.csv.gz": bytes(damaged)}))
        assert message == f"events.csv.gz: corrupt gzip file ({problem})"


def test_gzip_with_trailing_garbage(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    body = gzip.compress(csv_bytes(EVENT_HEADER, [("u1", "2026-03-02 09:00:00", "x", "M1")]))
    message = _error(con, _delivery(tmp_path, {"events.csv.gz": body + SECRET_IDS[0].encode()}))
    assert message.startswith("events.csv.gz: corrupt gzip file (")


# --- Parquet types -------------------------------------------------------------------


def _schedule_parquet(folder: Path, **columns: object) -> None:
    data: dict[str, object] = {
        "appointment_id": ["A1", "A2"], "provider_id": ["P1", "P1"],
        "start_time": ["2026-03-02 09:00", "2026-03-02 10:00"],
        "duration_minutes": [20, 30], "status": ["completed", "completed"],
    }
    data.update(columns)
    write_file(folder, "providers.csv", roster_csv())
    pl.DataFrame(data).write_parquet(folder / "schedule.parquet")


@pytest.mark.parametrize(("columns", "reasons"), [
    ({"duration_minutes": ["20", "abc"]}, [(2, "duration_minutes", "bad_number")]),
    ({"duration_minutes": [float("nan"), 1e9]},
     [(1, "duration_minutes", "bad_number"), (2, "duration_minutes", "duration_out_of_range")]),
    ({"duration_minutes": pl.Series([dt.timedelta(minutes=20), dt.timedelta(hours=13)])},
     [(2, "duration_minutes", "duration_out_of_range")]),
    ({"duration_minutes": pl.Series(["20.5", "-3"]).cast(pl.Decimal(10, 2))},
     [(2, "duration_minutes", "duration_out_of_range")]),
    ({"start_time": [dt.datetime(2026, 3, 2, 9), dt.datetime(3026, 3, 2, 9)]},
     [(2, "start_time", "time_out_of_range")]),
    ({"start_time": pl.Series([dt.datetime(2026, 3, 2, 14), dt.datetime(1, 1, 1)])
      .dt.replace_time_zone("UTC")}, [(2, "start_time", "time_out_of_range")]),
    ({"start_time": [dt.date(2026, 3, 2), dt.date(2026, 3, 3)]}, []),
    ({"status": pl.Series(["completed", "weird"]).cast(pl.Categorical)},
     [(2, "status", "bad_enum")]),
    ({"appointment_id": [1, 2], "status": [1, 2]}, [(1, "status", "bad_enum"),
                                                   (2, "status", "bad_enum")]),
    ({"appointment_id": pl.Series([None, None], dtype=pl.Null)},
     [(1, "appointment_id", "missing_value"), (2, "appointment_id", "missing_value")]),
    ({"appointment_id": [b"A1", b"A2"]}, []),
])
def test_parquet_values_of_a_readable_type_are_checked_row_by_row(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, columns: dict[str, object],
    reasons: list[tuple[int, str, str]],
) -> None:
    folder = tmp_path / "d"
    _schedule_parquet(folder, **columns)
    summary = load(con, folder)
    got = [(n, c, r) for _, n, c, r in quarantined(con)]
    assert got == reasons
    assert summary.counts["schedule"].rows_staged == 2 - len(reasons)


@pytest.mark.parametrize(("columns", "column", "dtype"), [
    ({"duration_minutes": [True, False]}, "duration_minutes", "Boolean"),
    ({"duration_minutes": [[1], [2]]}, "duration_minutes", "List(Int64)"),
    ({"duration_minutes": [{"a": 1}, {"a": 2}]}, "duration_minutes", "Struct"),
    ({"start_time": [1772460000, 1772460060]}, "start_time", "Int64"),
    ({"start_time": [1.5, 2.5]}, "start_time", "Float64"),
    ({"start_time": [dt.time(9), dt.time(10)]}, "start_time", "Time"),
    ({"appointment_id": [1.0, 2.0]}, "appointment_id", "Float64"),
    ({"provider_id": [True, False]}, "provider_id", "Boolean"),
    ({"status": [dt.date(2026, 1, 1)] * 2}, "status", "Date"),
])
def test_parquet_column_of_an_unreadable_type_stops_the_file(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, columns: dict[str, object], column: str,
    dtype: str,
) -> None:
    folder = tmp_path / "d"
    _schedule_parquet(folder, **columns)
    message = _error(con, folder)
    assert message.startswith(f"schedule.parquet: column '{column}' has Parquet type {dtype}")
    assert "cannot be read as" in message


def test_parquet_fte_and_dates_of_the_roster(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    pl.DataFrame({
        "provider_id": ["P1", "P2", "P3"], "user_id": [101, 102, 103],
        "department": ["M", "M", "M"], "specialty": ["IM", "IM", "IM"],
        "role": ["Physician", "app", "app"], "clinical_fte": ["abc", "0.5", "1.5"],
        "start_date": [dt.datetime(2026, 1, 1, 23, 30, tzinfo=dt.UTC), None, None],
        "end_date": [None, "2025-13-01", None],
    }).write_parquet(folder / "providers.parquet")
    load(con, folder)
    assert [(n, c, r) for _, n, c, r in quarantined(con)] == [
        (1, "clinical_fte", "bad_number"), (2, "end_date", "bad_time"),
        (3, "clinical_fte", "fte_out_of_range"),
    ]


def test_parquet_binary_that_is_not_utf8(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    pl.DataFrame({
        "user_id": ["u1", "u1"], "event_time": ["2026-03-02 09:00"] * 2,
        "action": ["a", "b"], "patient_id": [b"M1", b"\xff" + SECRET_IDS[0].encode()],
    }).write_parquet(folder / "events.parquet")
    message = _error(con, folder)
    assert message == ("events.parquet: column 'patient_id' holds bytes that cannot be "
                       "decoded as UTF-8")



def test_a_byte_order_mark_alone_is_an_empty_file(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = _delivery(tmp_path, {"events.csv": "\ufeff", "inbox.csv.gz": gzip.compress(
        "\ufeff\r\n".encode())})
    summary = load(con, folder)
    assert {f.name: f.rows for f in summary.files if f.kind != "providers"} == {
        "events.csv": 0, "inbox.csv.gz": 0}


def test_an_empty_parquet_file_of_odd_types_is_an_empty_extract(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    pl.DataFrame(schema={"user_id": pl.Null, "event_time": pl.Int64, "action": pl.Binary}
                 ).write_parquet(folder / "events.parquet")
    assert load(con, folder).counts["events"].files == 1


def test_a_header_longer_than_the_first_read(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    wide = "\u00e9" * 700_000  # 1.4 MB of two-byte characters in one column name
    body = f"user_id,event_time,{wide},action\nu1,2026-03-02 09:00:00,x,Order signed\n"
    summary = load(con, _delivery(tmp_path, {"events.csv": body}))
    assert summary.counts["events"].rows_staged == 1


def test_unreadable_files_stop_the_delivery(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    folder = _delivery(tmp_path, {})
    (folder / "events.csv").symlink_to(tmp_path / "gone.csv")
    assert _error(con, folder) == "events.csv: cannot be read (No such file or directory)"
    (folder / "events.csv").unlink()
    write_file(folder, "schedule.csv", ",".join(SCHEDULE_HEADER) + "\n")
    (folder / "schedule.csv").chmod(0o000)
    try:
        readable = os.access(folder / "schedule.csv", os.R_OK)  # root reads anything
        if not readable:
            assert _error(con, folder) == "schedule.csv: cannot be read (Permission denied)"
    finally:
        (folder / "schedule.csv").chmod(0o600)


def test_enum_values_are_trimmed_and_lower_cased_before_they_are_checked(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # README, "Enumerated values": a case or padding variant of a contract value is that
    # value; anything else is bad_enum (csv and parquet alike)
    rows = [("P1", "2026-03-02", "2026-03-03", " Vacation "), ("P1", "2026-03-09",
            "2026-03-09", "PTO"), ("P1", "2026-03-16", "2026-03-16", "vacations")]
    folder = _delivery(tmp_path, {"time_off.csv": csv_bytes(
        ("provider_id", "start_date", "end_date", "type"), rows)})
    april = [(p, s.replace("-03-", "-04-"), e.replace("-03-", "-04-"), t)
             for p, s, e, t in rows]  # other keys: the same ones would be duplicate_key
    names = ("provider_id", "start_date", "end_date", "type")
    pl.DataFrame(april, schema=names, orient="row").write_parquet(folder / "time_off_2.parquet")
    load(con, folder)
    assert con.execute("SELECT type, count(*) FROM staging.time_off GROUP BY ALL ORDER BY ALL"
                       ).fetchall() == [("pto", 2), ("vacation", 2)]
    assert [(f, n, c, r) for f, n, c, r in quarantined(con)] == [
        ("time_off.csv", 3, "type", "bad_enum"), ("time_off_2.parquet", 3, "type", "bad_enum")]
