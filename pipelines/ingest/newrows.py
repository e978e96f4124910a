"""The delivery's new rows of one kind, as one SQL relation over where they are.

Rows that took the Polars path are in the temporary table ``_ingest_new``; the clean
rows of each Parquet file on the SQL path are read from the file itself
(:class:`pipelines.ingest.sqlpath.ParquetPart`). :meth:`NewRows.sql` is the UNION ALL of
both, with only the columns a statement needs, and :meth:`NewRows.bind` the parameters
that statement uses (file paths, names, the HMAC pads, the delivery id).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.ingest.sqlpath import LOCAL_DATE, ParquetPart, used

NEW = "_ingest_new"


@dataclass
class NewRows:
    """The new rows of one kind: the Polars path's table and the SQL path's files."""

    parts: list[ParquetPart] = field(default_factory=list)
    params: dict[str, object] = field(default_factory=dict)

    def sql(self, cols: list[str], keys_only: bool = False) -> str:
        """SQL of the new rows with the staged columns ``cols`` (and ``_local_date``).

        ``keys_only``: the statement only computes keys (see :meth:`ParquetPart.select`).
        """
        table = ", ".join("NULL::DATE AS _local_date" if c == LOCAL_DATE else c for c in cols)
        selects = [f"SELECT {table} FROM {NEW}"]
        selects += [p.select(cols, keys_only) for p in self.parts if p.rows > p.skipped]
        return " UNION ALL ".join(selects)

    def bind(self, sql: str, extra: dict[str, object] | None = None) -> dict[str, object]:
        """The parameters ``sql`` uses, from the parts', the shared ones and ``extra``."""
        params = dict(self.params)
        for p in self.parts:
            params.update(p.params)
        params.update(extra or {})
        return used(sql, params)
