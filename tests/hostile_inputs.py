"""Helpers of the hardening tests (issue 8): hostile files, counting, scanning, SQL capture.

Nothing here is a test; ``tests/test_hardening_*.py`` use it.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from ingest_helpers import lineage

from schemas.contract import KINDS, REASONS

#: Distinctive clear patient ids; none may appear anywhere outside the raw archive.
SECRET_IDS = ("PATIENT-SECRET-123", "PATIENT-SECRET-456", "PATIENT-SECRET-789")

#: Values that would do damage if any of them were ever formatted into SQL.
INJECTIONS = (
    "'); DROP TABLE staging.events; --",
    '"; DROP SCHEMA staging CASCADE; --',
    "x' OR '1'='1",
    "Robert'); DELETE FROM quarantine.rows; --",
)

ROSTER_HEADER = ("provider_id", "user_id", "department", "specialty", "role", "clinical_fte")
ROSTER = (
    ("P1", "u1", "Medicine", "Internal Medicine", "physician", "1.0"),
    ("P2", "u2", "Pediatrics", "Pediatrics", "app", "0.5"),
)


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = False,
              crlf: bool = False) -> bytes:
    """RFC 4180 CSV text (quoted where needed) as UTF-8 bytes; None cells are empty."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return (("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8")


def write_file(folder: Path, name: str, content: bytes | str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def write_table(folder: Path, name: str, header: Sequence[str], rows: Sequence[Sequence[Any]],
                fmt: str = "csv", *, crlf: bool = False) -> Path:
    """One extract file of text cells as ``csv``, ``csv.gz`` or ``parquet`` (all strings)."""
    if fmt == "parquet":
        data = {h: [None if r[i] is None else str(r[i]) for r in rows]
                for i, h in enumerate(header)}
        path = folder / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pl.DataFrame(data, schema={h: pl.String for h in header}).write_parquet(path)
        return path
    body = csv_bytes(header, rows, crlf=crlf)
    if fmt == "csv.gz":
        return write_file(folder, f"{name}.csv.gz", gzip.compress(body))
    return write_file(folder, f"{name}.csv", body)


def roster_csv(rows: Sequence[Sequence[str]] = ROSTER) -> bytes:
    return csv_bytes(ROSTER_HEADER, rows)


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    return con.execute(sql, params).fetchall()[0][0]


def per_file_counts(con: duckdb.DuckDBPyConnection, kind: str, delivery_id: str,
                    file_name: str) -> tuple[int, int]:
    """(rows staged, rows quarantined) of one delivered file in one delivery."""
    staged = scalar(con, f"SELECT count(*) FROM {lineage(kind)} "  # kind: a contract name
                    "WHERE delivery_id = ? AND source_file = ?", [delivery_id, file_name])
    quarantined = scalar(con, "SELECT count(*) FROM quarantine.rows "
                         "WHERE delivery_id = ? AND source_file = ?", [delivery_id, file_name])
    return int(staged), int(quarantined)


def assert_quarantine_well_formed(con: duckdb.DuckDBPyConnection) -> None:
    """Every quarantine row has a known reason, a column, a record number and JSON."""
    rows = con.execute(
        "SELECT kind, source_file, record_number, column_name, reason, detail, record "
        "FROM quarantine.rows"
    ).fetchall()
    for kind, source_file, number, column, reason, detail, record in rows:
        assert kind in KINDS, kind
        assert reason in REASONS, reason
        assert source_file and number is not None and number >= 1, (source_file, number)
        assert column, (source_file, number, reason)
        assert detail, (source_file, number, reason)
        assert isinstance(json.loads(record), dict)


def text_cells(con: duckdb.DuckDBPyConnection, schemas: Sequence[str] | None = None
               ) -> list[str]:
    """Every value of every table (cast to text), optionally only of ``schemas``."""
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL"
    ).fetchall()
    cells: list[str] = []
    for schema, table in tables:
        if schemas is not None and schema not in schemas:
            continue
        cols = [r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ?",
            [schema, table]).fetchall()]
        if not cols:
            continue
        select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols)  # names from the catalog
        for row in con.execute(f'SELECT {select} FROM "{schema}"."{table}"').fetchall():
            cells.extend(v for v in row if v is not None)
    return cells


def files_holding(root: Path, needles: Sequence[str]) -> list[str]:
    """Files under ``root`` (or ``root`` itself) whose bytes contain any needle (UTF-8)."""
    encoded = [n.encode("utf-8") for n in needles]
    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    hits = []
    for path in paths:
        data = path.read_bytes()
        if any(n in data for n in encoded):
            hits.append(str(path))
    return hits


class RecordingConnection:
    """A DuckDB connection that records the text of every SQL statement it is given."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.statements: list[str] = []

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self.statements.append(sql)
        return self._con.execute(sql, *args, **kwargs)

    def sql(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        self.statements.append(sql)
        return self._con.sql(sql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


@contextmanager
def capture_output(path: Path) -> Iterator[Callable[[], str]]:
    """Send file descriptors 1 and 2, ``sys.stdout``, ``sys.stderr`` and every log record
    (DEBUG and up, through a root handler) to ``path``; yields a reader of what was sent."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2))
    old_streams = (sys.stdout, sys.stderr)
    root = logging.getLogger()
    old_level = root.level
    with path.open("wb") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        stream = open(os.dup(sink.fileno()), "w", encoding="utf-8", errors="replace",  # noqa: SIM115
                      buffering=1)
        handler = logging.StreamHandler(stream)
        handler.setLevel(logging.DEBUG)
        sys.stdout = sys.stderr = stream
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        try:
            yield lambda: path.read_text(encoding="utf-8", errors="replace")
        finally:
            stream.flush()
            root.removeHandler(handler)
            root.setLevel(old_level)
            sys.stdout, sys.stderr = old_streams
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)
            stream.close()
