"""Read the staged extracts back as the Polars frames the metric functions take."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import polars as pl

from pipelines.ingest.actions import ACTION_MAP_SCHEMA, default_action_map
from schemas import frames
from schemas.contract import KINDS

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "events": frames.EVENTS,
    "providers": frames.PROVIDERS,
    "schedule": frames.SCHEDULE,
    "time_off": frames.TIME_OFF,
    "inbox": frames.INBOX,
}
ORDER = {
    "events": "user_id, event_time, action",
    "providers": "provider_id, user_id",
    "schedule": "appointment_id",
    "time_off": "provider_id, start_date, type",
    "inbox": "message_id, provider_id",
}


def staged_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables in schema ``staging``."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'staging'"
    ).fetchall()
    return {r[0] for r in rows}


def read_staged(
    con: duckdb.DuckDBPyConnection, kinds: Iterable[str] | None = None
) -> dict[str, pl.DataFrame]:
    """The staged frames: events, providers, schedule, time_off, inbox and action_map
    (or only ``kinds``; an unknown name raises ValueError).

    Columns and types follow :mod:`schemas.frames` (instants ``Datetime("us", "UTC")``,
    enum values lower case, events with the delivered ``action``), rows ordered by key.
    ``action_map`` (one row per normalized action) is the shipped default map overridden
    and extended by staged ``action_map`` rows, actions normalized by
    :func:`pipelines.ingest.actions.normalize_action` (trim + casefold). A table that does
    not exist yet reads as an empty frame.
    """
    wanted = list(KINDS) if kinds is None else list(kinds)
    unknown = [k for k in wanted if k not in KINDS]
    if unknown:
        raise ValueError(f"read_staged: unknown kind {unknown[0]!r}")
    con.execute("SET TimeZone='UTC'")
    present = staged_tables(con)
    out: dict[str, pl.DataFrame] = {}
    for name, schema in SCHEMAS.items():
        if name not in wanted:
            continue
        if name not in present:
            out[name] = frames.empty(schema)
            continue
        cols = ", ".join(schema)
        table = con.sql(f"SELECT {cols} FROM staging.{name} ORDER BY {ORDER[name]}").pl()
        out[name] = table.cast(schema)  # type: ignore[arg-type]
    if "action_map" in wanted:
        out["action_map"] = _action_map(con, "action_map" in present)
    return out


def staged_action_counts(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per delivered action of the staged events: ``action``, ``n`` events."""
    return con.sql("SELECT action, count(*) AS n FROM staging.events GROUP BY action").pl()


def _action_map(con: duckdb.DuckDBPyConnection, staged: bool) -> pl.DataFrame:
    """The shipped default map overridden and extended by the staged rows."""
    staged_map = (
        con.sql("SELECT action, category FROM staging.action_map").pl().cast(ACTION_MAP_SCHEMA)
        if staged
        else frames.empty(ACTION_MAP_SCHEMA)  # type: ignore[arg-type]
    )
    return (
        pl.concat([default_action_map(), staged_map])
        .unique("action", keep="last", maintain_order=True)
        .sort("action")
    )
