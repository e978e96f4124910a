"""Polars schemas of the staged frames that the metric functions take.

Instants are UTC (``Datetime("us", "UTC")``); calendar attribution converts them to
the configured time zone. Enum values are lower case, actions are as delivered.
"""

from __future__ import annotations

import polars as pl

INSTANT = pl.Datetime("us", "UTC")

EVENTS = {
    "user_id": pl.String,
    "event_time": INSTANT,
    "action": pl.String,
}

PROVIDERS = {
    "provider_id": pl.String,
    "user_id": pl.String,
    "department": pl.String,
    "specialty": pl.String,
    "role": pl.String,
    "clinical_fte": pl.Float64,
    "start_date": pl.Date,
    "end_date": pl.Date,
}

SCHEDULE = {
    "appointment_id": pl.String,
    "provider_id": pl.String,
    "start_time": INSTANT,
    "duration_minutes": pl.Float64,
    "status": pl.String,
}

TIME_OFF = {
    "provider_id": pl.String,
    "start_date": pl.Date,
    "end_date": pl.Date,
    "type": pl.String,
}

INBOX = {
    "message_id": pl.String,
    "provider_id": pl.String,
    "received_time": INSTANT,
    "message_type": pl.String,
    "completed_by": pl.String,
}

ACTION_MAP = {"action": pl.String, "category": pl.String}


def empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """An empty frame with the given schema."""
    return pl.DataFrame(schema=schema)
