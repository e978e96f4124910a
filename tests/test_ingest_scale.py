"""Larger deliveries: batches keep record numbers; more than one DuckDB row group stages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from ingest_helpers import EVENTS_HEADER, delivery, load, quarantined

import pipelines.ingest.read as read_module


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


def test_record_numbers_continue_across_batches(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read_module, "BATCH_ROWS", 2)
    rows = [f"u1,2026-03-02 09:0{i}:00,Order signed,,\n" for i in range(7)]
    rows[4] = "u1,2026-03-02 09:99:00,Order signed,,\n"
    folder = delivery(tmp_path / "d", {"events.csv": EVENTS_HEADER + "".join(rows)})
    summary = load(con, folder)
    assert quarantined(con) == [("events.csv", 5, "event_time", "bad_time")]
    assert summary.counts["events"].rows_read == 7
    staged = con.execute("SELECT source_record FROM staging.events ORDER BY 1").fetchall()
    assert [r[0] for r in staged] == [1, 2, 3, 4, 6, 7]


def test_more_than_one_row_group_is_staged(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    # DuckDB 2.0.0 loses rows bulk-inserted into a table created by CREATE TABLE AS inside
    # the same transaction once they fill a row group (122,880 rows); see store.start_kind.
    n = 130_000
    folder = tmp_path / "d"
    folder.mkdir()
    pl.select(
        event_id=pl.int_range(n).cast(pl.String),
        user_id=pl.lit("u1"),
        event_time=pl.lit("2026-03-02 09:00:00"),
        action=pl.lit("Order signed"),
    ).write_csv(folder / "events.csv")
    summary = load(con, folder)
    assert summary.counts["events"].rows_staged == n
    assert con.execute("SELECT count(*), count(DISTINCT event_id) FROM staging.events"
                       ).fetchone() == (n, n)
