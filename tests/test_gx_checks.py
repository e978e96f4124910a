"""The GX asset checks validate a delivery in bounded chunks with the same verdict as one
GX batch of the whole delivery (``pipelines.checks.validate_staged``,
``schemas.expectations.DeliveryValidation``).

Hand-built staged tables of a few rows, validated with chunks of two or three rows so
that every path through the chunking is taken: row expectations per chunk, the key's
uniqueness across the whole delivery, the row count of the whole delivery.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import lineage

from pipelines.checks import validate_staged
from pipelines.ingest.store import next_file_id
from pipelines.ingest.tables import STAGING, ensure_schema
from schemas import expectations

DELIVERY = "delivery-2"
EARLIER = "delivery-1"
T0 = dt.datetime(2026, 1, 5, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def con(tmp_path: Path):
    c = duckdb.connect(str(tmp_path / "wh.duckdb"))
    ensure_schema(c)
    yield c
    c.close()


def _insert(con, kind: str, rows: list[dict], delivery: str = DELIVERY) -> None:
    """Stage ``rows`` as the file ``<kind>.csv`` of ``delivery`` (a new row of raw.files)."""
    file_id = next_file_id(con)
    con.execute("INSERT INTO raw.files (delivery_id, kind, file_name, rows, file_id) "
                "VALUES (?, ?, ?, ?, ?)", [delivery, kind, f"{kind}.csv", len(rows), file_id])
    cols = STAGING[kind].column_names
    marks = ", ".join("?" for _ in cols)
    for i, row in enumerate(rows):
        values = {"file_id": file_id, "source_record": i + 1, **row}
        con.execute(f"INSERT INTO staging.{kind} VALUES ({marks})",
                    [values.get(c) for c in cols])


def _event(i: int, **changes) -> dict:
    row = {"user_id": f"U{i % 3}", "event_time": T0 + dt.timedelta(minutes=i),
           "action": "Chart Review", "event_id": f"E{i:04d}"}
    return {**row, **changes}


def _reference(con, kind: str) -> tuple[bool, list[str]]:
    """The whole suite on the whole delivery in one GX batch (GX orders the failures its
    own way; the chunked validation lists them in suite order: compared as sets)."""
    frame = con.sql(f"SELECT * FROM {lineage(kind)} WHERE delivery_id = ?",
                    params=[DELIVERY]).to_arrow_table().to_pandas()
    ok, failed = expectations.validate(kind, frame)
    return ok, sorted(failed)


def _sorted(result: tuple[bool, list[str]]) -> tuple[bool, list[str]]:
    return result[0], sorted(result[1])


def _outcome(validation, type_: str, target: str) -> expectations.Outcome:
    return next(o for o in validation.outcomes() if o.type == type_ and o.target == target)


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 1000])
def test_chunks_give_the_verdict_and_counts_of_one_batch(con, chunk_rows: int) -> None:
    rows = [_event(i) for i in range(9)]
    rows[1]["user_id"] = None
    rows[6]["action"] = None
    rows[7]["action"] = None
    rows[8]["event_id"] = "E0002"  # a duplicate, chunks apart
    _insert(con, "events", rows)
    validation = validate_staged(con, "events", DELIVERY, chunk_rows=chunk_rows)
    ok, failed = validation.result()
    assert (ok, sorted(failed)) == _reference(con, "events")
    assert failed == [
        "expect_column_values_to_not_be_null on user_id: 1 unexpected values",
        "expect_column_values_to_not_be_null on action: 2 unexpected values",
        "expect_column_values_to_be_unique on event_id: 2 unexpected values",
    ]
    assert validation.rows_validated == 9
    assert _outcome(validation, "expect_column_values_to_not_be_null", "action").batches == (
        -(-9 // chunk_rows))


def test_a_null_in_a_later_chunk_is_caught(con) -> None:
    rows = [_event(i) for i in range(6)]
    rows[4]["action"] = None  # third chunk of two rows
    _insert(con, "events", rows)
    ok, failed = validate_staged(con, "events", DELIVERY, chunk_rows=2).result()
    assert not ok
    assert failed == ["expect_column_values_to_not_be_null on action: 1 unexpected values"]


def test_a_duplicate_key_split_across_chunks_is_caught(con) -> None:
    rows = [_event(i) for i in range(6)]
    rows[5]["event_id"] = rows[0]["event_id"]  # first and third chunk: each alone unique
    _insert(con, "events", rows)
    validation = validate_staged(con, "events", DELIVERY, chunk_rows=2)
    ok, failed = validation.result()
    assert not ok
    assert failed == ["expect_column_values_to_be_unique on event_id: 2 unexpected values"]
    assert validation.duplicated_key_rows == 2
    for start in range(0, 6, 2):  # no chunk of rows holds the duplicate on its own
        ids = [r["event_id"] for r in rows[start:start + 2]]
        assert len(set(ids)) == len(ids)


def test_many_duplicated_keys_in_small_batches_are_all_counted(con) -> None:
    rows = [_event(i) for i in range(12)]
    for i, dup_of in ((3, 0), (4, 0), (7, 1), (9, 2), (10, 2), (11, 2)):
        rows[i]["event_id"] = rows[dup_of]["event_id"]  # E0000 x3, E0001 x2, E0002 x4
    rows[5]["event_id"] = rows[6]["event_id"] = None  # missing ids are not compared
    _insert(con, "events", rows)
    validation = validate_staged(con, "events", DELIVERY, chunk_rows=2)
    ok, failed = validation.result()
    assert (ok, sorted(failed)) == _reference(con, "events")
    assert failed == ["expect_column_values_to_be_unique on event_id: 9 unexpected values"]
    key = _outcome(validation, "expect_column_values_to_be_unique", "event_id")
    assert key.batches >= 2  # the duplicated keys came in several batches


def test_missing_event_ids_are_not_compared(con) -> None:
    _insert(con, "events", [_event(i, event_id=None) for i in range(5)])
    assert validate_staged(con, "events", DELIVERY, chunk_rows=2).result() == (True, [])
    assert _reference(con, "events") == (True, [])


def test_only_the_delivery_s_rows_are_validated(con) -> None:
    _insert(con, "events", [_event(i) for i in range(5)])
    _insert(con, "events", [_event(i + 100, action=None) for i in range(4)], delivery=EARLIER)
    validation = validate_staged(con, "events", DELIVERY, chunk_rows=2)
    assert validation.result() == (True, [])  # the earlier delivery's missing actions
    assert validation.rows_validated == 5


def test_an_extract_never_delivered_is_not_validated(con) -> None:
    """CONTRACT.md section 1: an empty extract is valid and a delivery may hold any
    subset of the kinds, so an empty staged table is no failure of the suite (the
    non-blocking ``providers_present`` and ``schedule_present`` checks report it)."""
    for kind in ("providers", "events", "schedule"):
        assert validate_staged(con, kind, DELIVERY, chunk_rows=2) is None


def test_a_delivery_without_new_rows_is_not_validated(con) -> None:
    _insert(con, "events", [_event(i) for i in range(3)], delivery=EARLIER)
    assert validate_staged(con, "events", DELIVERY, chunk_rows=2) is None


def test_enums_ranges_and_compound_keys_in_chunks(con) -> None:
    def slot(i: int, **changes) -> dict:
        return {"appointment_id": f"A{i}", "provider_id": "P1",
                "start_time": T0 + dt.timedelta(hours=i), "duration_minutes": 20.0,
                "status": "completed", "visit_type": "follow-up", **changes}

    slots = [slot(i) for i in range(7)]
    slots[2]["status"] = "teleported"
    slots[5]["duration_minutes"] = 0.0
    slots[6]["duration_minutes"] = 721.0
    _insert(con, "schedule", slots)
    validation = validate_staged(con, "schedule", DELIVERY, chunk_rows=3)
    assert _sorted(validation.result()) == _reference(con, "schedule")
    assert validation.result()[1] == [
        "expect_column_values_to_be_in_set on status: 1 unexpected values",
        "expect_column_values_to_be_between on duration_minutes: 2 unexpected values",
    ]

    def message(i: int, **changes) -> dict:
        return {"message_id": f"M{i}", "provider_id": "P1", "received_time": T0,
                "message_type": "result", **changes}

    messages = [message(i) for i in range(6)]
    messages[4] = message(0)  # (M0, P1) twice, chunks apart
    messages[5] = message(0, provider_id="P2")  # same message to another provider: fine
    _insert(con, "inbox", messages)
    validation = validate_staged(con, "inbox", DELIVERY, chunk_rows=2)
    assert _sorted(validation.result()) == _reference(con, "inbox")
    assert validation.result()[1] == [
        "expect_compound_columns_to_be_unique on ['message_id', 'provider_id']: "
        "2 unexpected values"]


def test_only_the_columns_the_suite_names_are_read() -> None:
    import great_expectations as gx

    gx.get_context(mode="ephemeral")
    plan = expectations.plan_for("events")
    assert plan.columns == ("user_id", "event_time", "action")
    assert plan.key_columns == ("event_id",)
    providers = expectations.plan_for("providers")
    assert providers.key_columns == ("provider_id", "user_id")
    assert "display_name" not in providers.columns


def test_expand_groups_keeps_each_key_whole() -> None:
    import pyarrow as pa

    groups = pa.RecordBatch.from_pydict({"k": ["a", "b", "c", "d"], "n": [2, 3, 5, 2]})
    batches = list(expectations.expand_groups(groups, "n", 4))
    assert [b.column("k").to_pylist() for b in batches] == [
        ["a", "a", "b", "b", "b"], ["c"] * 5, ["d", "d"]]
    assert list(expectations.expand_groups(groups.slice(0, 0), "n", 4)) == []


def test_the_fingerprint_switch_changes_nothing_but_speed(con) -> None:
    from great_expectations.execution_engine import pandas_execution_engine as engine

    rows = [_event(i) for i in range(5)]
    rows[3]["user_id"] = None
    _insert(con, "events", rows)
    shipped = engine.HASH_THRESHOLD
    results = {fp: validate_staged(con, "events", DELIVERY, chunk_rows=2,
                                   fingerprint=fp).result() for fp in (False, True)}
    assert results[False] == results[True] == (
        False, ["expect_column_values_to_not_be_null on user_id: 1 unexpected values"])
    assert shipped == engine.HASH_THRESHOLD  # restored after the validation
