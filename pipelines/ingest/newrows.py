"""The delivery's new rows of one kind, as one SQL relation over where they are.

Rows that took the Polars path (read, hashed and checked) are spooled batch by batch to
Parquet files in a private temporary folder (:meth:`NewRows.spool`): kept in the
transaction's memory instead, as a temporary table, they grew the process by about 160 MB
per 500,000 rows whatever DuckDB's memory limit (docs/performance.md). The clean rows of
each Parquet file on the SQL path are read from the file itself
(:class:`pipelines.ingest.sqlpath.ParquetPart`). :meth:`NewRows.sql` is the UNION ALL of
the temporary table ``_ingest_new`` (empty: it gives the relation its types), the
spooled files and the SQL-path files, with only the columns a statement needs, and
:meth:`NewRows.bind` the parameters that statement uses (file paths, names and numbers,
the HMAC pads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.ingest.sqlpath import LOCAL_DATE, ParquetPart, used

NEW = "_ingest_new"
#: Polars types of the staging tables' SQL types (the spooled files hold exactly these).
POLARS_TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(), "TIMESTAMPTZ": pl.Datetime("us", "UTC"), "DATE": pl.Date(),
    "DOUBLE": pl.Float64(), "BIGINT": pl.Int64(), "INTEGER": pl.Int32(),
}


@dataclass
class NewRows:
    """The new rows of one kind: the Polars path's table and the SQL path's files."""

    parts: list[ParquetPart] = field(default_factory=list)
    params: dict[str, object] = field(default_factory=dict)
    #: Folder of the spooled files (None: nothing can be spooled) and the new rows'
    #: columns with their SQL types (``pipelines.ingest.tables.new_row_columns``).
    spool_dir: Path | None = None
    columns: tuple[tuple[str, str], ...] = ()
    spooled: list[str] = field(default_factory=list)
    spooled_rows: int = 0

    def spool(self, frame: pl.DataFrame) -> None:
        """Add checked rows (columns of the new rows, any subset) to the spool."""
        if frame.height == 0:
            return
        if self.spool_dir is None:
            raise ValueError("NewRows.spool: no spool folder")
        conformed = frame.select(
            (pl.col(c) if c in frame.columns else pl.lit(None)).cast(POLARS_TYPES[t]).alias(c)
            for c, t in self.columns
        )
        path = self.spool_dir / f"part-{len(self.spooled):06d}.parquet"
        conformed.write_parquet(path, compression="lz4", statistics=False)
        self.spooled.append(str(path))
        self.spooled_rows += frame.height

    @property
    def count(self) -> int:
        """How many new rows there are: the spooled ones and the SQL path's clean ones."""
        return self.spooled_rows + sum(p.rows - p.skipped for p in self.parts)

    def sql(self, cols: list[str], keys_only: bool = False) -> str:
        """SQL of the new rows with the staged columns ``cols`` (and ``_local_date``).

        ``keys_only``: the statement only computes keys (see :meth:`ParquetPart.select`).
        """
        table = ", ".join("NULL::DATE AS _local_date" if c == LOCAL_DATE else c for c in cols)
        selects = [f"SELECT {table} FROM {NEW}"]
        if self.spooled:
            selects.append(f"SELECT {table} FROM read_parquet($spooled)")
        selects += [p.select(cols, keys_only) for p in self.parts if p.rows > p.skipped]
        return " UNION ALL ".join(selects)

    def bind(self, sql: str, extra: dict[str, object] | None = None) -> dict[str, object]:
        """The parameters ``sql`` uses, from the parts', the shared ones and ``extra``."""
        params = dict(self.params)
        params["spooled"] = self.spooled
        for p in self.parts:
            params.update(p.params)
        params.update(extra or {})
        return used(sql, params)
