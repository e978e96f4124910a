"""The column names and types of every marts table match a committed snapshot.

Analysts' queries, notebooks and dashboards depend on the marts by name and type, so a
change there must be deliberate. When it is: regenerate the snapshot with

    EHRLOG_UPDATE_SNAPSHOT=1 pytest tests/test_marts_schema_snapshot.py

then regenerate docs/data-dictionary.md (tests/test_dictionary.py says how), check
queries/ and notebooks/, and say what changed in the commit message.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests" / "snapshots" / "marts_schema.json"
UPDATE_ENV = "EHRLOG_UPDATE_SNAPSHOT"
HOW_TO_UPDATE = (
    f"If the change is deliberate, update the snapshot with `{UPDATE_ENV}=1 pytest "
    "tests/test_marts_schema_snapshot.py`, regenerate docs/data-dictionary.md, check "
    "queries/ and notebooks/, and tell analysts in the commit message."
)


Schema = dict[str, dict[str, str]]


def marts_schema(warehouse: Path) -> Schema:
    """``{"marts.table": {column: type, ...}}`` in table-name and ordinal order."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = 'marts' AND database_name = current_database() "
            "ORDER BY table_name, column_index"
        ).fetchall()
    finally:
        con.close()
    out: Schema = {}
    for table, column, dtype in rows:
        out.setdefault(f"marts.{table}", {})[column] = dtype
    return out


def describe_changes(expected: Schema, actual: Schema) -> list[str]:
    """One line per added, removed or changed table or column, or a changed order."""
    lines = [f"table added: {t}" for t in sorted(set(actual) - set(expected))]
    lines += [f"table removed: {t}" for t in sorted(set(expected) - set(actual))]
    for table in sorted(set(expected) & set(actual)):
        exp, act = expected[table], actual[table]
        changed = [f"{table}: column added: {c} {act[c]}" for c in act if c not in exp]
        changed += [f"{table}: column removed: {c} {exp[c]}" for c in exp if c not in act]
        changed += [f"{table}: type of {c} changed: {exp[c]} -> {act[c]}"
                    for c in exp if c in act and exp[c] != act[c]]
        if not changed and list(exp) != list(act):
            changed.append(f"{table}: column order changed: {list(exp)} -> {list(act)}")
        lines += changed
    return lines


def test_marts_schema_matches_snapshot(sample_warehouse: Path) -> None:
    actual = marts_schema(sample_warehouse)
    assert actual, "the sample warehouse has no marts tables"
    if os.environ.get(UPDATE_ENV) == "1":
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(actual, indent=2) + "\n", encoding="utf-8")
        pytest.skip(f"{UPDATE_ENV}=1: wrote {SNAPSHOT.relative_to(ROOT)}")
    assert SNAPSHOT.is_file(), f"no snapshot at {SNAPSHOT}. {HOW_TO_UPDATE}"
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    changes = describe_changes(expected, actual)
    if changes:
        pytest.fail("The marts schema differs from tests/snapshots/marts_schema.json:\n  "
                    + "\n  ".join(changes) + "\n" + HOW_TO_UPDATE, pytrace=False)


def test_describe_changes_names_each_difference() -> None:
    old = {"marts.a": {"x": "BIGINT", "y": "DOUBLE"}, "marts.gone": {"z": "DATE"}}
    new = {"marts.a": {"x": "DOUBLE", "w": "VARCHAR"}, "marts.new": {"z": "DATE"}}
    assert describe_changes(old, new) == [
        "table added: marts.new",
        "table removed: marts.gone",
        "marts.a: column added: w VARCHAR",
        "marts.a: column removed: y DOUBLE",
        "marts.a: type of x changed: BIGINT -> DOUBLE",
    ]
    assert describe_changes(old, old) == []
    swapped = {"marts.a": {"y": "DOUBLE", "x": "BIGINT"}, "marts.gone": {"z": "DATE"}}
    assert describe_changes(old, swapped) == [
        "marts.a: column order changed: ['x', 'y'] -> ['y', 'x']"]
