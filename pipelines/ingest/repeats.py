"""The 64-bit hashes that occur more than once in a relation: DuckDB hashes, Polars sorts.

Finding repeated keys (the load's ``duplicate_key`` candidates, the GX check's duplicated
keys) starts from one hash per row. DuckDB computes the hashes in one scan and hands them
over as Arrow; Polars sorts them on both cores and keeps each value equal to its
successor. On 30 million events that took 1.4–1.5 s in a fresh process where DuckDB's own
sort with ``lead(h) OVER (ORDER BY h)`` took 2.0–2.1 s (docs/performance.md, "Loading").

The hashes and their sorted copy take 16 bytes a row in Python, 0.5 GB for 30 million
rows. Above :data:`MAX_ROWS` rows DuckDB sorts them instead, as before, since its sort
spills to disk past its memory limit: memory stays bounded at any delivery size.
"""

from __future__ import annotations

import duckdb
import polars as pl

#: Rows up to which Polars sorts the hashes (0.8 GB of hashes at most); above, DuckDB.
MAX_ROWS = 50_000_000
_FRAME = "_ingest_repeats_frame"


def create_repeated(cur: duckdb.DuckDBPyConnection, table: str, hashed: str,
                    params: dict[str, object], rows: int, flagged: bool = False) -> int:
    """Create temporary table ``table`` (one column ``_h``, UBIGINT) holding each distinct
    ``_h`` of the relation ``hashed`` that occurs in two rows or more, or, with
    ``flagged``, in a row whose BOOLEAN column ``_u`` is true.

    ``hashed`` is SQL selecting ``_h`` (and ``_u``); ``rows`` bounds its row count and
    picks the sorter (:data:`MAX_ROWS`). ``table`` is a constant of the caller. Returns
    how many hashes ``table`` holds.
    """
    flag = ", _u" if flagged else ""
    if rows > MAX_ROWS:
        kept = " OR _u" if flagged else ""
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT DISTINCT _h FROM (SELECT _h{flag}, "
            f"lead(_h) OVER (ORDER BY _h) AS _next FROM ({hashed})) WHERE _h = _next{kept}",
            params)
        return int(cur.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    found = repeated(cur.sql(f"SELECT _h{flag} FROM ({hashed})", params=params).pl(), flagged)
    cur.register(_FRAME, found)
    try:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT _h FROM {_FRAME}")
    finally:
        cur.unregister(_FRAME)
    return found.height


def repeated(frame: pl.DataFrame, flagged: bool = False) -> pl.DataFrame:
    """The distinct ``_h`` of ``frame`` that occur twice or more (or, with ``flagged``,
    in a row where ``_u`` is true), as a one-column frame."""
    h = pl.col("_h")
    keep = h == h.shift(-1)
    if flagged:
        keep = keep | pl.col("_u")
    return (frame.lazy().sort("_h").filter(keep.fill_null(False)).select("_h").unique()
            .collect(engine="in-memory"))
