"""Dagster definitions, ingestion and the ehrlog command line."""

import metrics  # noqa: F401  (first: sets Polars' allocator options before Polars loads)

__version__ = "0.1.0"
