"""The SQL path for well-typed Parquet files stages and quarantines exactly what the Polars
path does: same staged rows, same quarantine rows (reasons, details, record JSON), same
manifest and summary, on files full of bad rows, across deliveries and time zones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from hostile_inputs import INJECTIONS, SECRET_IDS, RecordingConnection, text_cells
from ingest_helpers import KEY, RUN_TIME, snapshot

import pipelines.ingest.sqlpath as sqlpath
from pipelines.ingest import ExtractError, load_delivery
from pipelines.ingest.discover import DeliveryFile
from pipelines.ingest.hours import HourOffsets
from pipelines.ingest.read import open_extract
from schemas.config import Config
from schemas.contract import KINDS

NBSP, EM_SPACE = "\u00a0", "\u2003"
T = dt.datetime


def _write(folder: Path, name: str, frame: pl.DataFrame) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path, row_group_size=7)


def _roster(folder: Path) -> None:
    _write(folder, "providers.parquet", pl.DataFrame({
        "provider_id": ["P1", "P2", "P3", "P4", "P5", " P6", "P7"],
        "user_id": ["u1", "u2", "u3", "u1", "u5", "u6", "u7"],
        "department": ["M", "M", "Ped", "M", "M", "M", ""],
        "specialty": ["IM", "IM", "Ped", "IM", "IM", "IM", "IM"],
        "role": ["physician", "app", "Resident", "physician", "other", "app", "app"],
        "clinical_fte": [1.0, 0.5, 0.8, 1.0, 0.0, float("nan"), 0.2],
        "display_name": ["A", None, "", " C", "D", "E", "F"],
        "start_date": [dt.date(2020, 1, 1), None, None, None, None, None, None],
        "end_date": [dt.date(2019, 1, 1), None, dt.date(2030, 1, 1), None, None, None, None],
    }))


def _messy_delivery(folder: Path) -> Path:
    """Every kind as typed Parquet, with good rows and bad rows of every sort."""
    _roster(folder)
    times = [T(2026, 3, 2, 9, m) for m in range(12)] + [
        T(2026, 3, 8, 2, 30),  # spring-forward gap in America/New_York
        T(2025, 11, 2, 1, 30),  # repeated fall-back hour: the earlier instant
        T(2009, 12, 31, 23, 0),  # before data_start
        T(2026, 3, 12),  # more than a day after the run
        None,
        T(2026, 3, 2, 10, 0),
    ]
    n = len(times)
    events = pl.DataFrame({
        "event_id": ["E1", "E2", "E3", None, None, "", "E1", "E7", "E8", "E9", "E10", "E11",
                     "E12", "E13", "E14", "E15", "E16", " E17"],
        "user_id": ["u1", "u2", "u1", "u1", "u1", "u2", "u2", " u1", "u1" + NBSP, "", None,
                    "u9", "u1", "u1", "u1", "u1", "u1", "u1"],
        "event_time": pl.Series(times, dtype=pl.Datetime("ms")),
        "action": ["Order signed", "  Note signed", "Chart viewed" + EM_SPACE, "x", "x",
                   "Order signed", "Note", "A", "A", "A", "A", "A", "A", "A", "A", "A", "A",
                   "\tA"],
        "patient_id": [SECRET_IDS[0], " " + SECRET_IDS[1], "", "\t", None, SECRET_IDS[2],
                       *[SECRET_IDS[0]] * (n - 6)],
        "workstation_id": ["W1", "", None, "W1", "W1", "W2 ", *["W1"] * (n - 6)],
    })
    _write(folder, "events/part-1.parquet", events)
    blank = pl.DataFrame({c: [None] for c in events.columns}, schema=events.schema)
    _write(folder, "events/part-2.parquet", pl.concat([events.slice(3, 4), blank,
                                                       events.head(2)]))
    aware = pl.Series([T(2026, 3, 2, 15, 0), T(2026, 3, 2, 16, 0), None, T(2026, 3, 3, 1)],
                      dtype=pl.Datetime("us", "Europe/Paris"))
    _write(folder, "inbox.parquet", pl.DataFrame({
        "message_id": ["M1", "M2", "M3", "M1"],
        "provider_id": ["P1", "P9", "P2", "P1"],
        "received_time": aware,
        "message_type": ["result", "result", "Result", "staff"],
        "completed_time": [T(2026, 3, 2, 11), None, None, T(2026, 3, 8, 2, 15)],
        "completed_by": ["u1", None, "", "u2"],
    }))
    _write(folder, "schedule.parquet", pl.DataFrame({
        "appointment_id": ["A1", "A2", "A3", "A4", "A5", "A1", "A6"],
        "provider_id": ["P1", "P1", "P2", "NOPE", "P1", "P2", "P1"],
        "start_time": [T(2026, 3, 2, 9), T(2026, 3, 2, 10), T(2026, 3, 8, 2, 30),
                       T(2026, 3, 2, 11), T(2026, 3, 2, 12), T(2026, 3, 2, 13),
                       T(2026, 3, 2, 23, 50)],
        "duration_minutes": pl.Series([30, 0, 20, 20, 721, 15, 30], dtype=pl.Int32),
        "status": ["completed", "scheduled", "arrived", "bogus", "no_show", "Bumped",
                   "completed"],
    }))
    _write(folder, "time_off.parquet", pl.DataFrame({
        "provider_id": ["P1", "P2", "NOPE", "P1", "P1"],
        "start_date": [dt.date(2026, 3, 9), dt.date(2026, 3, 9), dt.date(2026, 3, 9),
                       dt.date(2026, 3, 9), None],
        "end_date": [dt.date(2026, 3, 10), dt.date(2026, 3, 1), dt.date(2026, 3, 10),
                     dt.date(2026, 3, 11), dt.date(2026, 3, 1)],
        "type": ["pto", "pto", "pto", "pto", "sick"],
    }))
    return folder


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the files that took the SQL path."""
    names: list[str] = []
    original = sqlpath.open_part

    def spy(*args: Any, **kwargs: Any) -> Any:
        opened = original(*args, **kwargs)
        if opened is not None:
            names.append(opened[0].name)
        return opened

    monkeypatch.setattr(sqlpath, "open_part", spy)
    yield names


def _load_both(monkeypatch: pytest.MonkeyPatch, folders: list[Path], cfg: Config | None = None
               ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load ``folders`` one after the other with and without the SQL path."""
    out = []
    for enabled in (True, False):
        monkeypatch.setattr(sqlpath, "ENABLED", enabled)
        con = duckdb.connect()
        summaries = [
            load_delivery(con, f, cfg or Config(), run_time=RUN_TIME, delivery_id=f"d{i}",
                          hash_key=KEY, archive_dir=None).to_dict()
            for i, f in enumerate(folders)
        ]
        out.append({"tables": snapshot(con), "summaries": summaries})
        con.close()
    return out[0], out[1]


def test_sql_path_stages_and_quarantines_like_the_polars_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, taken: list[str]
) -> None:
    folder = _messy_delivery(tmp_path / "d")
    sql, polars_path = _load_both(monkeypatch, [folder])
    assert sorted(taken) == sorted(["providers.parquet", "events/part-1.parquet",
                                    "events/part-2.parquet", "inbox.parquet",
                                    "schedule.parquet", "time_off.parquet"])
    assert sql == polars_path
    summary = sql["summaries"][0]
    assert summary["rows_quarantined"] > 20 and summary["rows_staged"] > 10
    assert {"duplicate_key", "unknown_provider", "missing_value", "bad_enum",
            "nonexistent_local_time", "time_out_of_range", "bad_date_range", "bad_number",
            "fte_out_of_range", "duration_out_of_range"} <= set(summary["quarantined_by_reason"])
    assert summary["counts"]["events"]["blank_records"] == 1


def test_sql_path_redelivery_like_the_polars_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, taken: list[str]
) -> None:
    first = _messy_delivery(tmp_path / "d1")
    second = tmp_path / "d2"
    events = pl.read_parquet(first / "events/part-1.parquet")
    _write(second, "events.parquet", events.with_columns(action=pl.lit("Order signed")))
    _write(second, "schedule.parquet", pl.read_parquet(first / "schedule.parquet").head(3))
    sql, polars_path = _load_both(monkeypatch, [first, second])
    assert "events.parquet" in taken
    assert sql == polars_path
    assert sql["summaries"][1]["dates_touched"] is not None


@pytest.mark.parametrize("tz", ["Europe/Dublin", "Australia/Lord_Howe", "America/Havana",
                                "Africa/Casablanca", "Asia/Kathmandu"])
@pytest.mark.parametrize("stats_hours", [sqlpath.MAX_STATS_HOURS, 10**6],
                         ids=["hours-scanned", "hours-from-statistics"])
def test_sql_path_reads_local_times_like_the_polars_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, taken: list[str], tz: str,
    stats_hours: int,
) -> None:
    # The file spans 26,000 hours: past MAX_STATS_HOURS its hours are scanned, below it
    # every hour of the span comes from its statistics.
    monkeypatch.setattr(sqlpath, "MAX_STATS_HOURS", stats_hours)
    times = pl.datetime_range(T(2024, 1, 1), T(2026, 3, 9), interval="37m", eager=True)
    n = times.len()
    folder = tmp_path / "d"
    _roster(folder)
    _write(folder, "events.parquet", pl.DataFrame({
        "event_id": [f"E{i}" for i in range(n)], "user_id": ["u1"] * n, "event_time": times,
        "action": ["Order signed"] * n,
    }))
    sql, polars_path = _load_both(monkeypatch, [folder], Config(timezone=tz))
    assert "events.parquet" in taken
    assert sql == polars_path


def test_more_than_one_row_group_with_rows_of_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, taken: list[str]
) -> None:
    # See tests/test_ingest_scale.py: rows go to temporary tables in the transaction.
    n = 130_000
    folder = tmp_path / "d"
    bad = pl.int_range(n) % 1000 == 7
    pl.select(
        event_id=pl.int_range(n).cast(pl.String),
        user_id=pl.when(pl.int_range(n) < 125_000).then(pl.lit("u1")).otherwise(pl.lit(" u1")),
        event_time=pl.lit(T(2026, 3, 2, 9)),
        action=pl.when(bad).then(pl.lit("")).otherwise(pl.lit("Order signed")),
    ).write_parquet(folder / "events.parquet", mkdir=True)
    con = duckdb.connect()
    summary = load_delivery(con, folder, Config(), run_time=RUN_TIME, delivery_id="d",
                            hash_key=KEY, archive_dir=None)
    assert taken == ["events.parquet"]
    assert summary.counts["events"].rows_staged == n - 130
    assert summary.counts["events"].rows_quarantined == 130
    assert con.execute("SELECT count(*), count(DISTINCT event_id) FROM staging.events"
                       ).fetchall() == [(n - 130, n - 130)]


@pytest.mark.parametrize("frame", [
    pl.DataFrame({"User_ID": ["u1"], "event_time": [T(2026, 3, 2)], "action": ["a"]}),
    pl.DataFrame({"user_id": ["u1"], "event_time": [T(2026, 3, 2)], "action": ["a"],
                  "note": ["x"]}),
    pl.DataFrame({"user_id": ["u1"], "event_time": ["2026-03-02 09:00"], "action": ["a"]}),
    pl.DataFrame({"user_id": ["u1"], "action": ["a"],
                  "event_time": pl.Series([T(2026, 3, 2)], dtype=pl.Datetime("ns"))}),
    pl.DataFrame({"user_id": pl.Series(["u1"], dtype=pl.Categorical),
                  "event_time": [T(2026, 3, 2)], "action": ["a"]}),
])
def test_files_of_other_shapes_take_the_polars_path(tmp_path: Path, frame: pl.DataFrame
                                                    ) -> None:
    path = tmp_path / "events.parquet"
    frame.write_parquet(path)
    extract = open_extract(DeliveryFile(path, "events.parquet", "events"), KINDS["events"], ())
    assert sqlpath.plan(extract, KINDS["events"]) is None


def test_sql_path_statements_hold_no_delivered_value(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     taken: list[str]) -> None:
    folder = tmp_path / "d"
    _roster(folder)
    i0, i1, i2, i3 = INJECTIONS
    _write(folder, f"events/{i0}.parquet", pl.DataFrame({
        "event_id": [i0, i1, i1], "user_id": [i1, "u1", "u2"],
        "event_time": [T(2026, 3, 2, 9), T(2026, 3, 2, 10), T(2026, 3, 8, 2, 30)],
        "action": [i2, i3, i2], "patient_id": [SECRET_IDS[0], SECRET_IDS[1], i3],
        "workstation_id": [i3, None, ""],
    }))
    recording = RecordingConnection(duckdb.connect())
    cursors: list[RecordingConnection] = []

    def cursor() -> RecordingConnection:
        cursors.append(RecordingConnection(recording._con.cursor()))
        return cursors[-1]

    monkeypatch.setattr(recording, "cursor", cursor, raising=False)
    summary = load_delivery(recording, folder, Config(), run_time=RUN_TIME,  # type: ignore[arg-type]
                            delivery_id="d", hash_key=KEY, archive_dir=None)
    assert f"events/{i0}.parquet" in taken and cursors
    statements = recording.statements + [s for c in cursors for s in c.statements]
    assert [s for s in statements if any(v in s for v in (*INJECTIONS, *SECRET_IDS))] == []
    assert summary.counts["events"].rows_staged == 2
    cells = text_cells(recording._con)
    assert not [c for c in cells if any(s in c for s in SECRET_IDS)]
    assert i2 in cells and i0 in cells


@pytest.mark.parametrize("tz", ["Africa/Monrovia", "Asia/Kathmandu", "America/Detroit",
                                "Europe/Amsterdam", "Australia/Lord_Howe"])
def test_hour_offsets_agree_with_polars_at_every_time(tz: str) -> None:
    # years of clock changes by odd amounts or at odd times (LMT, +05:45, half hours)
    times = pl.concat([
        pl.datetime_range(T(y, 1, 1), T(y + 1, 1, 1), interval="11m7s", eager=True)
        for y in (1904, 1937, 1940, 1967, 1972, 1981, 1986)
    ])
    hours = HourOffsets(tz)
    con = duckdb.connect()
    hours.add(con, times.dt.truncate("1h"), T(1800, 1, 1), T(2100, 1, 1))
    polars_instant = (pl.col("t").dt.replace_time_zone(tz, ambiguous="earliest",
                                                       non_existent="null")
                      .dt.convert_time_zone("UTC").dt.replace_time_zone(None))
    frame = (pl.DataFrame({"t": times}).with_columns(hour=pl.col("t").dt.truncate("1h"))
             .join(hours.frame, on="hour", how="inner")
             .with_columns(expected=polars_instant,
                           got=pl.col("t") - pl.duration(microseconds=pl.col("offset_us"))))
    assert frame.height > 0.99 * times.len()
    assert frame.filter(pl.col("expected").is_null() | (pl.col("expected") != pl.col("got"))
                        ).height == 0


def test_a_failed_file_keeps_nothing_of_the_sql_path(tmp_path: Path, taken: list[str]) -> None:
    folder = _messy_delivery(tmp_path / "d")
    (folder / "inbox.parquet").unlink()
    (folder / "inbox.csv").write_text("message_id,provider_id\nM1,P1\n", encoding="utf-8")
    con = duckdb.connect()
    with pytest.raises(ExtractError, match="inbox.csv: missing required column"):
        load_delivery(con, folder, Config(), run_time=RUN_TIME, delivery_id="d", hash_key=KEY,
                      archive_dir=None)
    assert "events/part-1.parquet" in taken
    counts = con.execute(
        "SELECT (SELECT count(*) FROM staging.events), (SELECT count(*) FROM staging.providers), "
        "(SELECT count(*) FROM quarantine.rows), (SELECT count(*) FROM raw.files)").fetchall()
    assert counts == [(0, 0, 0, 0)]


def test_no_character_polars_trims_counts_as_kept_by_the_sql_path() -> None:
    codes = [c for c in range(1, 0x3100) if not 0xD800 <= c <= 0xDFFF]
    padded = pl.Series([chr(c) + "a" + chr(c) for c in codes])
    trimmed = {c for c, a, b in zip(codes, padded.to_list(), padded.str.strip_chars().to_list(),
                                    strict=True) if a != b}
    assert {32, 160, 8195, 12288} <= trimmed
    con = duckdb.connect()
    kept = {r[0] for r in con.execute(
        f"SELECT u FROM range(1, 12544) t(u) WHERE {sqlpath._KEPT.format(u='u')}").fetchall()}
    assert not trimmed & kept


def test_hours_of_a_file_come_from_its_statistics_or_a_scan(tmp_path: Path) -> None:
    """With statistics, every hour from the first time to the last (clipped to [lo, hi]):
    a superset of the hours present; without, exactly the hours present."""
    times = [dt.datetime(2026, 3, 8, 1, 30), dt.datetime(2026, 3, 8, 3, 10),
             dt.datetime(2026, 3, 9, 10, 0), dt.datetime(2026, 3, 9, 10, 59, 59)]
    frame = pl.DataFrame({"event_time": times})
    with_stats, without = tmp_path / "with.parquet", tmp_path / "without.parquet"
    frame.write_parquet(with_stats)
    frame.write_parquet(without, statistics=False)
    con = duckdb.connect()
    try:
        lo, hi = dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1)
        hours = sqlpath._hours_of(con, with_stats, "event_time", lo, hi).to_list()
        assert len(hours) == 34  # 01:00 on the 8th .. 10:00 on the 9th
        assert hours[0] == dt.datetime(2026, 3, 8, 1) and hours[-1] == dt.datetime(2026, 3, 9, 10)
        assert {t.replace(minute=0, second=0) for t in times} <= set(hours)
        scanned = sqlpath._hours_of(con, without, "event_time", lo, hi).sort().to_list()
        assert scanned == [dt.datetime(2026, 3, 8, 1), dt.datetime(2026, 3, 8, 3),
                           dt.datetime(2026, 3, 9, 10)]
        clipped = sqlpath._hours_of(con, with_stats, "event_time",
                                    dt.datetime(2026, 3, 9, 9, 15), hi).to_list()
        assert clipped == [dt.datetime(2026, 3, 9, 9), dt.datetime(2026, 3, 9, 10)]
        assert sqlpath._hours_of(con, with_stats, "event_time", lo,
                                 dt.datetime(2026, 3, 1)).to_list() == []
    finally:
        con.close()


def test_column_terms_are_never_null_and_their_scans_find_every_unclean_row(
        tmp_path: Path) -> None:
    # ``unclean`` selects a column term's rejected rows by ``NOT term``, which would take
    # a NULL term for clean: every column term must be TRUE or FALSE on every row of
    # every messy file, and the scans together must find the rows the single predicate
    # over all terms rejects.
    from pipelines.ingest.discover import discover
    from pipelines.ingest.validate import Rules

    folder = _messy_delivery(tmp_path / "d")
    rules = Rules.from_config(Config(), RUN_TIME)
    params = {"earliest": rules.earliest, "latest_activity": rules.latest_activity,
              "latest_appointment": rules.latest_appointment}
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    hours = HourOffsets(Config().timezone)
    checked = 0
    for i, f in enumerate(discover(folder)[0]):
        extract = open_extract(f, KINDS[f.kind], ())
        classes = sqlpath.plan(extract, KINDS[f.kind])
        assert classes is not None, f.name
        part = sqlpath.ParquetPart(i, KINDS[f.kind], f.path, f.name, classes, 0, 0, i + 1)
        lo, hi = T(1900, 1, 1), T(2100, 1, 1)
        for col, cls in classes.items():
            if cls == sqlpath.NAIVE:
                hours.add(con, sqlpath._hours_of(con, f.path, col, lo, hi), lo, hi)
        hours.register(con)
        alone, joined = part.terms()
        for term in alone:
            sql = f"SELECT count(*) FROM {part.source()} WHERE ({term}) IS NULL"
            nulls = con.execute(sql, sqlpath.used(sql, {**part.params, **params})).fetchall()
            assert nulls == [(0,)], (f.name, term[:60])
            checked += 1
        everything = " AND ".join([*alone, *joined])
        sql = (f"SELECT src.file_row_number + 1 AS r FROM {part.source()}"
               f"{part.joins(list(classes))} "
               f"WHERE CASE WHEN {everything} THEN FALSE ELSE TRUE END ORDER BY r")
        expected = [r[0] for r in con.execute(sql, sqlpath.used(sql, {**part.params, **params})
                                              ).fetchall()]
        sql = part.unclean()
        got = [r[0] for r in con.execute(sql, sqlpath.used(sql, {**part.params, **params})
                                         ).fetchall()]
        assert got == expected, f.name
        assert expected, f.name  # every messy file has rows to reject
    assert checked > 25
