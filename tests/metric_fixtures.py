"""Builders of small staged frames for the hand-computed metric tests.

Times are written as NAIVE LOCAL wall-clock strings in America/New_York
("2026-03-02 17:25:00") and converted to UTC instants the way the contract says
staging does (a repeated hour takes the earlier instant). A string or datetime that
carries an offset ("2026-11-01 01:01:00-05:00") is taken as that exact instant, which
is how the tests reach the later copy of the repeated hour.

Every frame follows ``schemas/frames.py`` exactly. The metric engine is imported
lazily inside the ``run_*`` helpers so that this module (and every test module that
imports it) can be collected before the engine exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import polars as pl
import pytest

from schemas import frames
from schemas.config import Config, parse_config

TZ = "America/New_York"

# Delivered action names used by the tests, and their categories.
NOTE = "Clinical Note Signed"
ORDER = "Order list changed"
RX = "Prescription signed"
INBOX = "In Basket message viewed"
CHART = "Results Review accessed"
UNMAPPED = "Some Action Nobody Mapped"

CATEGORY_OF = {
    NOTE: "notes",
    ORDER: "orders",
    RX: "prescriptions",
    INBOX: "inbox",
    CHART: "chart_review",
}
CATEGORY_COLUMNS = (
    "chart_review_minutes",
    "notes_minutes",
    "orders_minutes",
    "prescriptions_minutes",
    "inbox_minutes",
    "other_minutes",
)
DAY_COLUMNS = (
    "provider_id",
    "date",
    "ehr_minutes",
    *CATEGORY_COLUMNS,
    "scheduled_minutes",
    "appointments",
    "unscheduled_day",
    "wow_minutes",
    "outside_slot_minutes",
    "pajama_minutes",
    "inbox_messages",
    "vacation_day",
    "vacation_login",
)

Time = str | dt.datetime


def d(s: str) -> dt.date:
    """A date from 'YYYY-MM-DD'."""
    return dt.date.fromisoformat(s)


def cfg(raw: dict[str, Any] | None = None) -> Config:
    """A Config from a YAML-like mapping (defaults when None)."""
    return parse_config(raw)


# --------------------------------------------------------------------------- time


def _parse(t: Time) -> dt.datetime:
    return t if isinstance(t, dt.datetime) else dt.datetime.fromisoformat(t)


def to_utc(values: Iterable[Time]) -> pl.Series:
    """Naive local times (America/New_York) or offset-aware times -> UTC instants."""
    parsed = [_parse(v) for v in values]
    naive_idx = [i for i, v in enumerate(parsed) if v.tzinfo is None]
    out: list[dt.datetime | None] = [None] * len(parsed)
    if naive_idx:
        conv = (
            pl.Series([parsed[i] for i in naive_idx], dtype=pl.Datetime("us"))
            .dt.replace_time_zone(TZ, ambiguous="earliest")
            .dt.convert_time_zone("UTC")
            .dt.replace_time_zone(None)
            .to_list()
        )
        for i, v in zip(naive_idx, conv, strict=True):
            out[i] = v
    for i, v in enumerate(parsed):
        if v.tzinfo is not None:
            out[i] = v.astimezone(dt.UTC).replace(tzinfo=None)
    return pl.Series(out, dtype=pl.Datetime("us")).dt.replace_time_zone("UTC")


def local_steps(start: str, end: str, step_seconds: int) -> list[str]:
    """Naive local wall-clock times from start to end inclusive (not for DST days)."""
    a, b = _parse(start), _parse(end)
    out = []
    while a <= b:
        out.append(a.isoformat(sep=" "))
        a += dt.timedelta(seconds=step_seconds)
    return out


# --------------------------------------------------------------------------- rows


def ev(user: str, t: Time, action: str = NOTE) -> tuple[str, Time, str]:
    """One audit-log event: user id, local (or offset) time, delivered action."""
    return (user, t, action)


def burst(user: str, start: str, end: str, action: str = NOTE, step: int = 300) -> list[tuple]:
    """Events every ``step`` seconds from start to end inclusive (local wall clock)."""
    return [ev(user, t, action) for t in local_steps(start, end, step)]


def events(*rows: tuple | list) -> pl.DataFrame:
    """Events frame from ev() tuples or lists of them."""
    flat: list[tuple] = []
    for r in rows:
        if isinstance(r, list):
            flat.extend(r)
        else:
            flat.append(r)
    if not flat:
        return frames.empty(frames.EVENTS)
    return pl.DataFrame(
        {
            "user_id": pl.Series([r[0] for r in flat], dtype=pl.String),
            "event_time": to_utc([r[1] for r in flat]),
            "action": pl.Series([r[2] for r in flat], dtype=pl.String),
        }
    )


def events_utc(rows: list[tuple[str, dt.datetime, str]]) -> pl.DataFrame:
    """Events frame from (user, aware-UTC datetime, action)."""
    if not rows:
        return frames.empty(frames.EVENTS)
    return pl.DataFrame(
        {
            "user_id": pl.Series([r[0] for r in rows], dtype=pl.String),
            "event_time": pl.Series(
                [r[1].astimezone(dt.UTC).replace(tzinfo=None) for r in rows],
                dtype=pl.Datetime("us"),
            ).dt.replace_time_zone("UTC"),
            "action": pl.Series([r[2] for r in rows], dtype=pl.String),
        }
    )


def prov(
    pid: str,
    users: Iterable[str] | None = None,
    fte: float = 1.0,
    start: str | None = None,
    end: str | None = None,
    role: str = "physician",
    department: str = "Medicine",
    specialty: str = "Internal Medicine",
) -> list[dict[str, Any]]:
    """Roster rows of one provider: one row per login (default login = pid.lower())."""
    users = list(users) if users is not None else [pid.lower()]
    return [
        {
            "provider_id": pid,
            "user_id": u,
            "department": department,
            "specialty": specialty,
            "role": role,
            "clinical_fte": float(fte),
            "start_date": d(start) if start else None,
            "end_date": d(end) if end else None,
        }
        for u in users
    ]


def roster(*provs: list[dict[str, Any]]) -> pl.DataFrame:
    rows = [r for p in provs for r in p]
    if not rows:
        return frames.empty(frames.PROVIDERS)
    return pl.DataFrame(rows, schema=frames.PROVIDERS)


def appt(pid: str, start: Time, minutes: float, status: str = "completed", aid: str | None = None):
    return {
        "appointment_id": aid,
        "provider_id": pid,
        "start_time": start,
        "duration_minutes": float(minutes),
        "status": status,
    }


def schedule(*appts: dict[str, Any]) -> pl.DataFrame:
    if not appts:
        return frames.empty(frames.SCHEDULE)
    return pl.DataFrame(
        {
            "appointment_id": pl.Series(
                [a["appointment_id"] or f"A{i}" for i, a in enumerate(appts, 1)], dtype=pl.String
            ),
            "provider_id": pl.Series([a["provider_id"] for a in appts], dtype=pl.String),
            "start_time": to_utc([a["start_time"] for a in appts]),
            "duration_minutes": pl.Series([a["duration_minutes"] for a in appts], dtype=pl.Float64),
            "status": pl.Series([a["status"] for a in appts], dtype=pl.String),
        }
    )


def off(pid: str, start: str, end: str, type: str = "vacation") -> dict[str, Any]:
    return {"provider_id": pid, "start_date": d(start), "end_date": d(end), "type": type}


def time_off(*offs: dict[str, Any]) -> pl.DataFrame:
    if not offs:
        return frames.empty(frames.TIME_OFF)
    return pl.DataFrame(list(offs), schema=frames.TIME_OFF)


def msg(
    pid: str,
    received: Time,
    completed_by: str | None = None,
    message_type: str = "patient_message",
    mid: str | None = None,
) -> dict[str, Any]:
    return {
        "message_id": mid,
        "provider_id": pid,
        "received_time": received,
        "message_type": message_type,
        "completed_by": completed_by,
    }


def inbox(*msgs: dict[str, Any]) -> pl.DataFrame:
    if not msgs:
        return frames.empty(frames.INBOX)
    return pl.DataFrame(
        {
            "message_id": pl.Series(
                [m["message_id"] or f"M{i}" for i, m in enumerate(msgs, 1)], dtype=pl.String
            ),
            "provider_id": pl.Series([m["provider_id"] for m in msgs], dtype=pl.String),
            "received_time": to_utc([m["received_time"] for m in msgs]),
            "message_type": pl.Series([m["message_type"] for m in msgs], dtype=pl.String),
            "completed_by": pl.Series([m["completed_by"] for m in msgs], dtype=pl.String),
        }
    )


def action_map(extra: dict[str, str] | None = None) -> pl.DataFrame:
    """The action map the engine joins on: actions already stripped and case-folded."""
    m = {k.strip().casefold(): v for k, v in CATEGORY_OF.items()}
    for k, v in (extra or {}).items():
        m[k.strip().casefold()] = v
    return pl.DataFrame({"action": list(m), "category": list(m.values())}, schema=frames.ACTION_MAP)


# --------------------------------------------------------------------------- running


def loaded_of(evs: pl.DataFrame, config: Config | None = None):
    from metrics.ranges import loaded_range

    return loaded_range(evs, config or Config())


def run_day(
    evs: pl.DataFrame,
    provs: pl.DataFrame,
    sched: pl.DataFrame | None = None,
    toff: pl.DataFrame | None = None,
    ib: pl.DataFrame | None = None,
    config: Config | None = None,
    amap: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """provider_day over the loaded range of ``evs``."""
    from metrics.day import provider_day

    config = config or Config()
    loaded = loaded_of(evs, config)
    return provider_day(
        evs,
        provs,
        sched if sched is not None else frames.empty(frames.SCHEDULE),
        toff if toff is not None else frames.empty(frames.TIME_OFF),
        ib if ib is not None else frames.empty(frames.INBOX),
        amap if amap is not None else action_map(),
        config,
        loaded,
    )


def run_all(
    evs: pl.DataFrame,
    provs: pl.DataFrame,
    sched: pl.DataFrame | None = None,
    toff: pl.DataFrame | None = None,
    ib: pl.DataFrame | None = None,
    config: Config | None = None,
) -> dict[str, pl.DataFrame]:
    """day, week, period and year frames for one input set."""
    from metrics.period import provider_period
    from metrics.week import provider_week
    from metrics.year import provider_year

    config = config or Config()
    ib = ib if ib is not None else frames.empty(frames.INBOX)
    loaded = loaded_of(evs, config)
    day = run_day(evs, provs, sched, toff, ib, config)
    return {
        "day": day,
        "week": provider_week(day, provs, config),
        "period": provider_period(day, provs, ib, config, loaded),
        "year": provider_year(day, config, loaded),
        "loaded": loaded,
    }


# --------------------------------------------------------------------------- lookups


def row(df: pl.DataFrame, **keys: Any) -> dict[str, Any]:
    """The single row of df matching keys (dates given as 'YYYY-MM-DD' strings)."""
    out = df
    for k, v in keys.items():
        if isinstance(v, str) and df.schema[k] == pl.Date:
            v = d(v)
        out = out.filter(pl.col(k) == v)
    assert out.height == 1, f"expected one row for {keys}, got {out.height}"
    return out.row(0, named=True)


def approx(x: float | None) -> Any:
    return None if x is None else pytest.approx(x, abs=1e-9)


def check(r: dict[str, Any], **expected: Any) -> None:
    """Compare named fields of a row: floats with abs 1e-9, None must be None."""
    bad = {}
    for k, v in expected.items():
        got = r[k]
        if v is None:
            ok = got is None
        elif isinstance(v, bool) or isinstance(got, bool):
            ok = got == v and got is not None
        elif isinstance(v, float | int) and got is not None:
            ok = got == pytest.approx(v, abs=1e-9)
        else:
            ok = got == v
        if not ok:
            bad[k] = (got, v)
    assert not bad, "field: (actual, expected) " + repr(bad)


def dates(start: str, end: str) -> list[dt.date]:
    a, b = d(start), d(end)
    return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]
