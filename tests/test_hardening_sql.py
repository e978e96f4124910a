"""SQL injection (issue 8): no delivered value or setting ever becomes SQL text.

Two checks. Statically, every f-string (and ``str.format``) that builds SQL in
``pipelines/ingest`` may interpolate only the reviewed expressions listed here:
identifiers and fragments built from constants of the contract, never an input value.
Dynamically, a delivery full of injection strings is loaded through a connection that
records every statement, and no statement contains any delivered value.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import duckdb
from hostile_inputs import (
    INJECTIONS,
    SECRET_IDS,
    RecordingConnection,
    csv_bytes,
    scalar,
    write_file,
)
from ingest_helpers import KEY, RUN_TIME

from pipelines.ingest import load_delivery
from schemas.config import Config

INGEST = Path(__file__).resolve().parent.parent / "pipelines" / "ingest"
SQL_WORDS = re.compile(
    r"\b(SELECT|INSERT|DELETE|UPDATE|CREATE|DROP|ALTER|COMMENT ON|WHERE|FROM|JOIN|"
    r"PARTITION BY|ORDER BY|SET|CASE WHEN|VALUES)\b"
)

#: The reviewed interpolations, per module. Each is an identifier or a SQL fragment built
#: only from constants (table and column names of the contract, this package's own
#: temporary-table names). A new entry needs the same review; a value goes in as a
#: bound parameter ($name or ?), never here.
ALLOWED: dict[str, set[str]] = {
    "staged.py": {"cols", "name", "ORDER[name]"},
    "store.py": {"NEW", "SKIP", "cols", "table"},
    "finish.py": {
        "NEW", "RANKED", "GROUPS", "LOCAL_DATE", "cols", "table", "target", "ranked", "unknown",
        "roster", "partition", "key_cols", "record", "kind", "join", "on", "same_row", "c",
        "new", "new_first", "new_last", "listed", "REJECTED_ROWS.qualified",
        "flag", "hashed",  # the roster-check flag (a constant) and the hashes' query
        "', '.join(REJECTED_ROWS.column_names)", "first.format(a='s.')",
        "last.format(a='s.')", "', '.join(DELIVERED_ROW_KEY)",
        # fragments of the new rows: contract column lists, parameters by placeholder only
        "accepted.sql(STAGING[kind].column_names)", "accepted.sql(['event_id'])",
        "accepted.sql(['user_id'])", "accepted.sql(cols)", "accepted.sql(list(KINDS[kind].key))",
        "accepted.sql(list(cols))", "rows.sql(_new_row_names('providers'))",
        "rows.sql(cols)", "rows.sql(needed, True)", "self.rows.sql(inner)",
    },
    "newrows.py": {"NEW", "table"},
    # the caller's constant table name and hashes' query, constant fragments
    "repeats.py": {"_FRAME", "flag", "hashed", "kept", "table"},
    # The SQL path: contract column names, the part's index (an int naming its parameters),
    # and fragments built from those and from contract constants (enum spellings).
    "sqlpath.py": {
        "', '.join(exprs)", "HOURS", "RECORD", "SKIP", "_HMAC_MAP.format(i=self.i)", "col",
        "first", "part.joins(list(classes))", "part.source()", "self.i", "record",
        "term", "' AND '.join(joined)", "' UNION '.join(scans)", "self.joins(list(self.classes))",
        "self.joins(joined)", "self.source()",
    },
    # staging kinds of the layout, the old table's suffix (a constant), their columns
    "upgrade.py": {"_OLD", "kind", "listed"},
    "tables.py": {"schema", "t.qualified", "cols", "c", "_literal(t.comment)",
                  "_literal(comment)", "col", "typ", "compression",
                  "name", "definition"},  # a layout column added to an older table
}
ALLOWED_FORMAT_CALLS = {
    "finish.py": {"_LOGIN_CONFLICTS.format(ranked=RANKED, source=ranked)",
                  "first.format(a='')", "last.format(a='')", "first.format(a='s.')",
                  "last.format(a='s.')"},
    "sqlpath.py": {"_RANGES[col].format(v=v)", "_HMAC_MAP.format(i=self.i)",
                   "_KEPT.format(u=f'unicode({c})')", "_KEPT.format(u=f'unicode({c}[-1])')"},
}


def _sql_interpolations() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(INGEST.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.JoinedStr):
                continue
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if not SQL_WORDS.search(text):
                continue
            for v in node.values:
                if isinstance(v, ast.FormattedValue):
                    found.setdefault(path.name, set()).add(ast.unparse(v.value))
    return found


def test_sql_f_strings_interpolate_only_reviewed_identifiers() -> None:
    found = _sql_interpolations()
    assert found, "the scan found no SQL at all: is SQL_WORDS still right?"
    unreviewed = {f: sorted(e - ALLOWED.get(f, set())) for f, e in found.items()}
    assert not {f: e for f, e in unreviewed.items() if e}, unreviewed


def test_no_percent_or_unreviewed_format_on_sql() -> None:
    problems = []
    for path in sorted(INGEST.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod)
                    and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str)
                    and SQL_WORDS.search(node.left.value)):
                problems.append(f"{path.name}:{node.lineno}: % formatting of SQL")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "format"
                    and ast.unparse(node) not in ALLOWED_FORMAT_CALLS.get(path.name, set())):
                problems.append(f"{path.name}:{node.lineno}: {ast.unparse(node)[:60]}")
    assert problems == []


def test_no_delivered_value_reaches_the_sql_text(tmp_path: Path) -> None:
    i0, i1, i2, i3 = INJECTIONS
    folder = tmp_path / "d"
    roster = csv_bytes(("provider_id", "user_id", "department", "specialty", "role",
                        "clinical_fte", "display_name"),
                       [("P1", "u1", "M", "IM", "physician", "1", "A"),
                        (i0, i1, i2, i3, "app", "1", i0), ("P3", i1, "M", "IM", "app", "1", "x"),
                        ("P4", "u4", "M", "IM", i2, "1", "x")])
    write_file(folder, "providers.csv", roster)
    write_file(folder, "action_map.csv", csv_bytes(("action", "category"), [(i0, "orders")]))
    write_file(folder, f"events_{i0}.csv", csv_bytes(
        ("event_id", "user_id", "event_time", "action", "patient_id", "workstation_id", i3),
        [(i0, i1, "2026-03-02 09:00", i2, SECRET_IDS[0], i3, i1),
         (None, i1, "2026-03-02 09:01", i2, i3, i3, i0),
         (None, i1, i0, i2, SECRET_IDS[1], i3, i0),
         (i0, i1, "2026-03-02 09:00", i2, SECRET_IDS[0], i3, i1)]))
    write_file(folder, "schedule.csv", csv_bytes(
        ("appointment_id", "provider_id", "start_time", "duration_minutes", "status",
         "visit_type"),
        [(i0, i0, "2026-03-02 09:00", "30", "completed", i1),
         (i1, i3, "2026-03-02 09:00", "30", "completed", i1),
         (i2, "P1", "2026-03-02 09:00", i2, i3, i1)]))
    write_file(folder, "time_off.csv", csv_bytes(
        ("provider_id", "start_date", "end_date", "type"),
        [(i0, "2026-03-09", "2026-03-10", "pto"), (i1, "2026-03-09", "2026-03-10", "pto")]))
    write_file(folder, "inbox.csv", csv_bytes(
        ("message_id", "provider_id", "received_time", "message_type", "completed_by"),
        [(i0, i0, "2026-03-02 10:00", "result", i1), (i1, "P1", "2026-03-02 10:00", i2, i3)]))
    con = duckdb.connect()
    recording = RecordingConnection(con)
    cfg = Config(keep_extra_columns=(i3,))
    summary = load_delivery(recording, folder, cfg, run_time=RUN_TIME,  # type: ignore[arg-type]
                            delivery_id=i1, hash_key=KEY, archive_dir=tmp_path / "archive")
    assert len(recording.statements) > 20
    leaked = [s for s in recording.statements
              if any(v in s for v in (*INJECTIONS, *SECRET_IDS))]
    assert leaked == []
    # The values went in as data: stored verbatim or quarantined, and every table is there.
    assert summary.rows_staged == 2 + 1 + 2 + 1 + 1 + 1
    assert scalar(con, "SELECT count(*) FROM staging.providers WHERE provider_id = ?", [i0]) == 1
    assert scalar(con, "SELECT count(*) FROM staging.events WHERE event_id = ? AND action = ?",
                  [i0, i2]) == 1
    assert scalar(con, "SELECT count(*) FROM quarantine.rows WHERE delivery_id = ?", [i1]) == (
        summary.rows_quarantined) == 8
    tables = {t for (t,) in con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables()").fetchall()}
    assert {"staging.events", "staging.providers", "raw.files", "quarantine.rows"} <= tables
    con.close()
