"""Dagster assets, keyed like the tables they write (``["marts", "provider_week"]``)."""
