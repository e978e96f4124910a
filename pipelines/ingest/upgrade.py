"""Bring a warehouse staged by an earlier version to the current layout of ``staging``.

Earlier versions stored the lineage of every staged row as two text columns,
``delivery_id`` and ``source_file``, the same value on every row of a file. Staging now
stores the file's number instead (``file_id``, a new column of ``raw.files``), which
costs less to write (docs/performance.md, "Loading"): the delivery and the file name are
a join away (``JOIN raw.files USING (file_id)``).

:func:`upgrade_lineage` numbers the files of ``raw.files`` in loading order (``loaded_at``,
then the order the rows were written in, as the loader numbers them) and rebuilds each
staging table of the old layout in the new one (its comments and compression as
:func:`pipelines.ingest.tables.create_staging` gives them), every row kept, each given
the number of its file. A row whose file is not in ``raw.files`` (the loader never
wrote one) keeps a NULL ``file_id``. Nothing is done on a warehouse in the current
layout, so it runs on every ``ensure_schema``. The upgrade is one transaction: should it
fail, the warehouse is left as it was. Identifiers are constants of the layout; no value
is written into the SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

import duckdb

log = logging.getLogger(__name__)
OLD_LINEAGE = ("delivery_id", "source_file")
_OLD = "_before_file_id"


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = $schema AND table_name = $table ORDER BY column_index",
        {"schema": schema, "table": table}).fetchall()
    return [r[0] for r in rows]


def upgrade_lineage(con: duckdb.DuckDBPyConnection, columns: Mapping[str, Sequence[str]],
                    create: Callable[[duckdb.DuckDBPyConnection, str], None]) -> list[str]:
    """Upgrade the staging tables of the kinds of ``columns`` (kind: the current table's
    columns) from the old lineage layout, if any; return the kinds whose table was rebuilt.

    ``create(con, kind)`` creates the current staging table of ``kind``
    (:func:`pipelines.ingest.tables.create_staging`). The rows are copied by the current
    columns' names, constants of the layout, never names read from the warehouse.
    """
    files = _columns(con, "raw", "files")
    old = {k: cols for k, cols in columns.items()
           if set(OLD_LINEAGE) <= set(_columns(con, "staging", k))}
    if not old and (not files or "file_id" in files):
        return []
    try:
        con.begin()
    except duckdb.TransactionException:  # the caller's transaction holds the upgrade
        _upgrade(con, files, old, create)
        return list(old)
    try:
        _upgrade(con, files, old, create)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return list(old)


def _upgrade(con: duckdb.DuckDBPyConnection, files: list[str],
             old: Mapping[str, Sequence[str]],
             create: Callable[[duckdb.DuckDBPyConnection, str], None]) -> None:
    """Number the files, then rebuild the staging tables of ``old`` (kind: the current
    table's columns), in the transaction :func:`upgrade_lineage` holds."""
    if files and "file_id" not in files:
        con.execute("ALTER TABLE raw.files ADD COLUMN file_id INTEGER")
        con.execute(
            "UPDATE raw.files SET file_id = n.file_id FROM (SELECT rowid AS r, "
            "row_number() OVER (ORDER BY loaded_at, rowid)::INTEGER "
            "AS file_id FROM raw.files) n WHERE raw.files.rowid = n.r")
    for kind, current in old.items():
        kept = [c for c in current if c != "file_id"]
        con.execute(f"ALTER TABLE staging.{kind} RENAME TO {kind}{_OLD}")
        create(con, kind)
        listed = ", ".join(f"o.{c}" for c in kept)
        con.execute(
            f"INSERT INTO staging.{kind} BY NAME SELECT {listed}, f.file_id "
            f"FROM staging.{kind}{_OLD} o LEFT JOIN (SELECT delivery_id, kind, file_name, "
            "min(file_id) AS file_id FROM raw.files GROUP BY ALL) f "
            "ON f.delivery_id = o.delivery_id AND f.file_name = o.source_file "
            "AND f.kind = $kind", {"kind": kind})
        con.execute(f"DROP TABLE staging.{kind}{_OLD}")
        log.info("staging.%s: lineage upgraded to file_id (raw.files)", kind)
