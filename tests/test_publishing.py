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


def test_a_run_does_not_publish_over_a_warehouse_another_run_published_meanwhile(
        warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command-line backfill and a daemon load on one warehouse: the run that publishes
    second would drop the first one's work, so it stops instead."""
    from pipelines.warehouse import WarehouseResource

    begin = WarehouseResource.begin

    def begin_then_another_run_publishes(self: WarehouseResource, run_id: str) -> Path:
        work = begin(self, run_id)
        other = tmp_path / "other.duckdb"  # what the other run published: a new file
        shutil.copyfile(self.published, other)
        con = duckdb.connect(str(other))
        con.execute("CREATE TABLE marts.other_run AS SELECT 1 AS x")
        con.close()
        other.replace(self.published)
        return work

    monkeypatch.setattr(WarehouseResource, "begin", begin_then_another_run_publishes)
    with pytest.raises(RunFailed, match=(
            "was published by another run after this run began, so publishing this one "
            "would undo that run's work; nothing of this run was published: run it again")):
        run_pipeline(None, warehouse, None, demo=True)  # a backfill of every date
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.sql("SELECT x FROM marts.other_run").fetchall() == [(1,)]  # kept
    finally:
        con.close()
    assert list((warehouse.parent / ".ehrlog-work").glob("*.duckdb*")) == []


def test_publish_checks_the_file_the_working_copy_was_made_from(tmp_path: Path) -> None:
    from pipelines.warehouse import WarehouseChanged, WarehouseResource

    wh = WarehouseResource(path=str(tmp_path / "wh" / "ehrlog.duckdb"))
    con = wh.connect("a")  # no published file yet
    con.execute("CREATE TABLE t AS SELECT 'a' AS run")
    con.close()
    con = wh.connect("b")
    con.execute("CREATE TABLE t AS SELECT 'b' AS run")
    con.close()
    wh.publish("a")
    with pytest.raises(WarehouseChanged):
        wh.publish("b")  # made when nothing was published; "a" has been since
    con = wh.connect("c")  # a copy of "a"'s file
    con.execute("INSERT INTO t VALUES ('c')")
    con.close()
    wh.publish("c")
    con = duckdb.connect(str(wh.published), read_only=True)
    try:
        assert con.sql("SELECT run FROM t ORDER BY run").fetchall() == [("a",), ("c",)]
    finally:
        con.close()
    assert sorted(p.name for p in wh.work_dir.iterdir()) == [
        "b.duckdb", "b.duckdb.base", "publish.lock"]  # the refused run's, for its cleanup
