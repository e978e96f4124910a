"""The Polars path's checked rows are spooled to private temporary Parquet files until the
delivery commits (pipelines/ingest/newrows.py): the same staged rows and quarantine as
before, across batches and files, and no spool left behind however the load ends."""

from __future__ import annotations

import gzip
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest
from ingest_helpers import (
    EVENTS_HEADER,
    KEY,
    PROVIDERS,
    RUN_TIME,
    delivery,
    lineage,
    load,
    quarantined,
)

from pipelines.ingest import load_delivery, read
from pipelines.ingest.errors import ExtractError
from pipelines.ingest.load import SPOOL_PREFIX
from pipelines.ingest.newrows import NewRows
from pipelines.warehouse import WarehouseResource
from schemas.config import Config


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


@pytest.fixture
def spool_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files of the test go to their own folder, to see what is left there."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


def _events(rows: list[str]) -> str:
    return EVENTS_HEADER + "".join(r + "\n" for r in rows)


def test_rows_spooled_in_several_batches_and_files_stage_and_rank_as_one_delivery(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, spool_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(read, "BATCH_ROWS", 2)  # 3 batches in a.csv: 3 spooled parts
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        # no workstation_id column: staged as NULL
        "events/a.csv": "user_id,event_time,action,patient_id\n"
                        "u1,2026-03-02 09:00:00,Note signed,PAT1\n"
                        "u1,2026-03-02 09:01:00,Note signed,PAT1\n"
                        "u2,2026-03-02 09:02:00,Orders,PAT2\n"
                        "u2,2026-03-02 09:03:00,Orders,\n"
                        "u1,2026-03-02 09:04:00,Inbox,PAT3\n",
        "events/b.csv": _events(["u1,2026-03-02 09:00:00,Note signed,PAT1,WS1",
                                 "u2,2026-03-02 09:05:00,Orders,PAT2,WS2"]),
    })
    load(con, folder)
    rows = con.execute(
        "SELECT source_file, source_record, user_id, action, workstation_id, "
        f"patient_hash IS NULL FROM {lineage('events')} ORDER BY source_file, source_record"
    ).fetchall()
    assert rows == [
        ("events/a.csv", 1, "u1", "Note signed", None, False),
        ("events/a.csv", 2, "u1", "Note signed", None, False),
        ("events/a.csv", 3, "u2", "Orders", None, False),
        ("events/a.csv", 4, "u2", "Orders", None, True),
        ("events/a.csv", 5, "u1", "Inbox", None, False),
        # b.csv record 1 differs from a.csv record 1 only by its workstation; the key of
        # an event without event_id is the whole row, workstation included: not a duplicate
        ("events/b.csv", 1, "u1", "Note signed", "WS1", False),
        ("events/b.csv", 2, "u2", "Orders", "WS2", False),
    ]
    assert quarantined(con) == []
    assert list(spool_root.iterdir()) == []


def test_a_duplicate_key_across_spooled_files_keeps_the_first_by_file_and_record(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, spool_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(read, "BATCH_ROWS", 1)
    same = "u1,2026-03-02 09:00:00,Note signed,PAT1,WS1"
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "events/b.csv": _events([same, "u1,2026-03-02 09:01:00,Orders,PAT1,WS1"]),
        "events/a.csv": _events(["u2,2026-03-02 08:00:00,Orders,PAT2,WS2", same]),
    })
    load(con, folder)
    staged = con.execute(f"SELECT source_file, source_record FROM {lineage('events')} "
                         "ORDER BY source_file, source_record").fetchall()
    assert staged == [("events/a.csv", 1), ("events/a.csv", 2), ("events/b.csv", 2)]
    assert [(f, r, reason) for f, r, _, reason in quarantined(con)] == [
        ("events/b.csv", 1, "duplicate_key")]
    assert list(spool_root.iterdir()) == []


def test_a_failed_delivery_keeps_nothing_and_leaves_no_spool(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, spool_root: Path,
) -> None:
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "events/a.csv": _events(["u1,2026-03-02 09:00:00,Note signed,PAT1,WS1"]),
        # cut short: a corrupt gzip file stops the delivery after a.csv was spooled
        "events/b.csv.gz": gzip.compress(_events(["u1,2026-03-02 09:01:00,X,P,W"]).encode())[:-6],
    })
    with pytest.raises(ExtractError, match="b.csv.gz"):
        load(con, folder)
    for table in ("staging.providers", "staging.events", "quarantine.rows", "raw.files"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] == 0, table
    assert list(spool_root.iterdir()) == []


def test_the_spool_is_made_under_the_folder_given(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    spooled: list[str] = []
    original = NewRows.spool

    def spy(self: NewRows, frame: pl.DataFrame) -> None:
        original(self, frame)
        spooled.extend(self.spooled[len(spooled):])

    monkeypatch.setattr(NewRows, "spool", spy)
    folder = delivery(tmp_path / "d", {
        "providers.csv": PROVIDERS,
        "events.csv": _events(["u1,2026-03-02 09:00:00,Note signed,PAT1,WS1"]),
    })
    work = tmp_path / "work"
    work.mkdir()
    load_delivery(con, folder, Config(), run_time=RUN_TIME, delivery_id="d1", hash_key=KEY,
                  archive_dir=None, spool_dir=work)
    assert spooled and all(Path(p).is_relative_to(work) for p in spooled)
    assert all(Path(p).parent.parent.name.startswith(SPOOL_PREFIX) for p in spooled)
    assert list(work.iterdir()) == []


def test_a_killed_load_s_spool_is_removed_a_day_later(tmp_path: Path) -> None:
    warehouse = WarehouseResource(path=str(tmp_path / "wh" / "ehrlog.duckdb"))
    warehouse.begin("run-1")
    old = warehouse.work_dir / f"{SPOOL_PREFIX}abc"
    (old / "events").mkdir(parents=True)
    (old / "events" / "part-000000.parquet").write_bytes(b"x")
    recent = warehouse.work_dir / f"{SPOOL_PREFIX}def"
    recent.mkdir()
    day_and_a_bit = time.time() - 26 * 3600
    os.utime(old, (day_and_a_bit, day_and_a_bit))
    warehouse.begin("run-2")
    assert not old.exists()
    assert recent.exists()  # may belong to a load still running
