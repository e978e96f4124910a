"""Idle-timeout sensitivity: total active EHR time under several gap rules.

Published systems disagree on the idle rule (WashU audit-log studies use 300 s between
audit events; Epic Signal uses 5 s of mouse/keyboard inactivity, which audit logs cannot
reproduce). Grain: one row per timeout.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from metrics.active import active_pieces, provider_events
from metrics.ranges import provider_ranges
from metrics.timeutil import minutes, span_us
from schemas.config import Config


def ehr_time_by_timeout(events: pl.DataFrame, providers: pl.DataFrame,
                        action_map: pl.DataFrame, cfg: Config, loaded: tuple[dt.date, dt.date],
                        timeouts: list[float]) -> pl.DataFrame:
    """Total and per-provider-day active EHR minutes for each idle timeout (seconds).

    Columns: idle_timeout_seconds, ehr_minutes_total, provider_days (dates of every
    provider's own range), ehr_minutes_per_day,
    ratio_to_configured (total / total at ``cfg.idle_timeout_seconds``).
    """
    timeouts = [float(t) for t in timeouts]
    instants = provider_events(events.lazy(), providers.lazy(), action_map.lazy()).collect()
    ranges = provider_ranges(providers, loaded).collect()
    provider_days = int(ranges.select(
        ((pl.col("range_end") - pl.col("range_start")).dt.total_days() + 1).sum()).item() or 0)
    rows = []
    for t in sorted({*timeouts, cfg.idle_timeout_seconds}):
        total = (
            active_pieces(instants.lazy(), cfg.with_overrides(idle_timeout_seconds=float(t)))
            .filter(pl.col("date").is_between(*loaded))
            .select(minutes(span_us(pl.col("start"), pl.col("end")).sum()))
            .collect()
            .item()
        )
        rows.append({"idle_timeout_seconds": float(t), "ehr_minutes_total": total or 0.0})
    out = pl.DataFrame(rows)
    base = out.filter(pl.col("idle_timeout_seconds") == cfg.idle_timeout_seconds)
    base_total = base.get_column("ehr_minutes_total").item()
    return out.with_columns(
        pl.lit(provider_days).alias("provider_days"),
        (pl.col("ehr_minutes_total") / max(provider_days, 1)).alias("ehr_minutes_per_day"),
        (pl.col("ehr_minutes_total") / base_total if base_total else pl.lit(None, pl.Float64))
        .alias("ratio_to_configured"),
    ).filter(pl.col("idle_timeout_seconds").is_in(timeouts))
