"""Writing Polars frames to catalogued DuckDB tables, with their COMMENTs."""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.catalog import TABLES, comment_sql


def write_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Replace ``table`` (``schema.name`` from the catalog) with ``frame``; return rows.

    Every column must be documented in :mod:`pipelines.catalog`, so that no undocumented
    column reaches an analyst.
    """
    documented = TABLES[table][1]
    missing = [c for c in frame.columns if c not in documented]
    if missing:
        raise KeyError(f"{table}: columns without a catalog comment: {missing}")
    schema = table.split(".")[0]
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    arrow = frame.select(list(documented)).to_arrow()
    con.register("_frame", arrow)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _frame")
    finally:
        con.unregister("_frame")
    for stmt in comment_sql(table):
        con.execute(stmt)
    return frame.height


def read_table(con: duckdb.DuckDBPyConnection, table: str) -> pl.DataFrame:
    """Read a whole table into Polars."""
    return con.sql(f"SELECT * FROM {table}").pl()
