"""Ingestion: load delivery folders of EHR extracts into raw, staging and quarantine.

>>> from pipelines.ingest import load_delivery, read_staged, resolve_hash_key  # doctest: +SKIP
>>> summary = load_delivery(con, Path("drop/2026-03-02"), cfg, run_time=now,
...                         delivery_id="2026-03-02", hash_key=key, archive_dir=None)

Modules: ``discover`` (which files), ``read`` (bytes to a frame), ``hashing`` (patient
ids), ``parse`` and ``validate`` (row checks), ``sqlpath`` and ``hours`` (clean rows of
well-typed Parquet files, staged straight from DuckDB), ``store`` (temporary tables),
``newrows`` (a kind's new rows as one relation), ``finish`` (cross-row checks and SQL
upsert), ``archive`` (raw files), ``tables`` (DDL with comments), ``load`` (one
delivery), ``staged`` (read back).
"""

from pipelines.ingest.actions import default_action_map, normalize_action, normalize_actions
from pipelines.ingest.errors import ExtractError, HashKeyError, IngestError
from pipelines.ingest.hashing import DEMO_HASH_KEY, resolve_hash_key
from pipelines.ingest.load import load_delivery
from pipelines.ingest.staged import read_staged
from pipelines.ingest.summary import DeliverySummary, KindCounts, LoadedFile
from pipelines.ingest.tables import TABLES, ensure_schema

__all__ = [
    "DEMO_HASH_KEY",
    "TABLES",
    "DeliverySummary",
    "ExtractError",
    "HashKeyError",
    "IngestError",
    "KindCounts",
    "LoadedFile",
    "default_action_map",
    "ensure_schema",
    "load_delivery",
    "normalize_action",
    "normalize_actions",
    "read_staged",
    "resolve_hash_key",
]
