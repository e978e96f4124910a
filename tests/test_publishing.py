"""Safe publishing: analysts' readers never block a run nor see a half-finished one, and
a failed run leaves the last good warehouse in place."""

from __future__ import annotations

import hashlib
import shutil
import threading
from pathlib import Path

import duckdb
import pytest

from pipelines.runner import RunFailed, run_pipeline


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _runs(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.sql("SELECT count(*) FROM marts.methods").fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture()
def warehouse(sample_warehouse: Path, tmp_path: Path) -> Path:
    wh = tmp_path / "wh" / "ehrlog.duckdb"
    wh.parent.mkdir()
    shutil.copyfile(sample_warehouse, wh)
    return wh


def test_run_succeeds_while_an_analyst_holds_a_read_only_connection(warehouse: Path) -> None:
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        before = reader.sql("SELECT count(*) FROM marts.methods").fetchall()[0][0]
        run_pipeline(None, warehouse, None, demo=True)
        # The open connection keeps reading the snapshot it opened ...
        assert reader.sql("SELECT count(*) FROM marts.methods").fetchall()[0][0] == before
        assert reader.sql("SELECT count(*) FROM marts.provider_day").fetchall()[0][0] > 0
    finally:
        reader.close()
    # ... and a new connection sees the new run.
    assert _runs(warehouse) == before + 1


def test_a_reader_polling_during_a_run_sees_the_old_or_the_new_warehouse(warehouse: Path
                                                                         ) -> None:
    before = _runs(warehouse)
    seen: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            try:
                con = duckdb.connect(str(warehouse), read_only=True)
                n = con.sql("SELECT count(*) FROM marts.methods").fetchall()[0][0]
                days = con.sql("SELECT count(*) FROM marts.provider_day").fetchall()[0][0]
                con.close()
                assert days > 0
                seen.append(n)
            except BaseException as e:  # noqa: BLE001 - collected and asserted below
                errors.append(e)

    t = threading.Thread(target=poll)
    t.start()
    try:
        run_pipeline(None, warehouse, None, demo=True)
    finally:
        done.set()
        t.join()
    assert errors == []
    assert seen and set(seen) <= {before, before + 1}
    assert _runs(warehouse) == before + 1


def test_a_run_failing_midway_leaves_the_last_good_warehouse(warehouse: Path,
                                                             tmp_path: Path) -> None:
    digest = _digest(warehouse)
    config = tmp_path / "bad.yaml"
    # The thresholds file is read by the flags asset, after the day, week and period marts
    # have been written to the run's working copy.
    config.write_text(f"thresholds: {tmp_path / 'missing-profile.yaml'}\n")
    with pytest.raises(RunFailed) as err:
        run_pipeline(None, warehouse, config, demo=True)
    assert "missing-profile.yaml" in str(err.value)
    assert "\n" not in str(err.value)
    assert _digest(warehouse) == digest
    assert list((warehouse.parent / ".ehrlog-work").glob("*.duckdb*")) == []
