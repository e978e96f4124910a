"""Dagster definitions, ingestion and the ehrlog command line."""

__version__ = "0.1.0"
