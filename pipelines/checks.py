"""Asset checks: data-quality gates between staging and the marts.

Blocking checks (a failure stops the marts and nothing is published): the Great
Expectations suite of each staged extract, the quarantined share of the delivery and the
share of unmapped actions. Non-blocking but failing loudly: the freshness of the events.
"""

import datetime as dt

import dagster as dg
import polars as pl

from pipelines.assets.staging import QUARANTINE_KEY, STAGING_KINDS
from pipelines.ingest import read_staged
from pipelines.settings import SettingsResource
from pipelines.warehouse import WarehouseResource, work_key
from schemas import expectations

QUARANTINE_SHARE = "quarantine_share"
UNMAPPED_SHARE = "unmapped_share"
EVENTS_FRESH = "events_fresh"
#: Days between the newest accepted event and the run before the events count as late.
MAX_EVENT_AGE_DAYS = 3


def gx_check_name(kind: str) -> str:
    return f"gx_suite_{kind}"


def _gx_check(kind: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(["staging", kind]), name=gx_check_name(kind),
                    blocking=True,
                    description=f"Great Expectations suite of staging.{kind} (this delivery).")
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
               ) -> dg.AssetCheckResult:
        con = warehouse.connect(work_key(context.run))
        try:
            frame = con.sql(f"SELECT * FROM staging.{kind} WHERE delivery_id = ?",
                            params=[context.run.run_id]).to_arrow_table()
            total = con.sql(f"SELECT count(*) FROM staging.{kind}").fetchall()[0][0]
        finally:
            con.close()
        if frame.num_rows == 0 and total > 0:
            return dg.AssetCheckResult(passed=True, description="no new rows in this delivery",
                                       metadata={"rows_validated": 0})
        ok, failed = expectations.validate(kind, frame.to_pandas())
        return dg.AssetCheckResult(
            passed=ok,
            description="; ".join(failed) if failed else "all expectations met",
            metadata={"rows_validated": frame.num_rows, "failed": len(failed)},
        )

    return _check


GX_CHECKS = [_gx_check(kind) for kind in STAGING_KINDS]


@dg.asset_check(asset=QUARANTINE_KEY, name=QUARANTINE_SHARE, blocking=True,
                description="Share of this delivery's rows that were quarantined.")
def quarantine_share_check(context: dg.AssetCheckExecutionContext,
                           warehouse: WarehouseResource, settings: SettingsResource
                           ) -> dg.AssetCheckResult:
    limit = settings.load().quality.max_quarantine_share
    con = warehouse.connect(work_key(context.run))
    try:
        read = con.execute("SELECT coalesce(sum(rows), 0) FROM raw.files WHERE delivery_id = ?",
                           [context.run.run_id]).fetchall()[0][0]
        bad = con.execute("SELECT count(*) FROM quarantine.rows WHERE delivery_id = ?",
                          [context.run.run_id]).fetchall()[0][0]
    finally:
        con.close()
    share = bad / read if read else 0.0
    return dg.AssetCheckResult(
        passed=share <= limit,
        description=(f"quarantined {share:.2%} of this delivery's rows ({bad:,} of {read:,}); "
                     f"limit {limit:.2%} (quality.max_quarantine_share); see quarantine.rows"),
        metadata={"share": share, "quarantined": bad, "rows_read": read, "limit": limit},
    )


def _unmapped(events_actions: pl.DataFrame, action_map: pl.DataFrame) -> tuple[float, int]:
    from metrics.categories import categorize

    if events_actions.height == 0:
        return 0.0, 0
    cat = categorize(events_actions.lazy(), action_map.lazy()).collect()
    n = cat.get_column("n").sum()
    unmapped = cat.filter(~pl.col("mapped")).get_column("n").sum()
    return unmapped / n, int(unmapped)


@dg.asset_check(asset=dg.AssetKey(["staging", "events"]), name=UNMAPPED_SHARE, blocking=True,
                description="Share of staged events whose action is not in the action map.")
def unmapped_share_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource,
                         settings: SettingsResource) -> dg.AssetCheckResult:
    limit = settings.load().quality.max_unmapped_share
    con = warehouse.connect(work_key(context.run))
    try:
        actions = con.sql("SELECT action, count(*) AS n FROM staging.events GROUP BY action").pl()
        amap = read_staged(con, kinds=("action_map",))["action_map"]
    finally:
        con.close()
    share, unmapped = _unmapped(actions, amap)
    return dg.AssetCheckResult(
        passed=share <= limit,
        description=(f"{share:.2%} of staged events have an unmapped action ({unmapped:,}); "
                     f"limit {limit:.2%} (quality.max_unmapped_share); add them to an "
                     "action_map extract"),
        metadata={"share": share, "unmapped_events": unmapped, "limit": limit},
    )


@dg.asset_check(asset=dg.AssetKey(["staging", "events"]), name=EVENTS_FRESH, blocking=False,
                description=f"The newest accepted event is at most {MAX_EVENT_AGE_DAYS} days "
                            "old: an events extract that stops arriving is reported.")
def events_fresh_check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
                       ) -> dg.AssetCheckResult:
    con = warehouse.connect(work_key(context.run))
    try:
        newest = con.sql("SELECT max(event_time) FROM staging.events").fetchall()[0][0]
    finally:
        con.close()
    now = dt.datetime.now(dt.UTC)
    if newest is None:
        return dg.AssetCheckResult(passed=False, description="no events extract was ever loaded")
    age = (now - newest).total_seconds() / 86400
    return dg.AssetCheckResult(
        passed=age <= MAX_EVENT_AGE_DAYS,
        description=(f"newest accepted event {newest:%Y-%m-%d %H:%M} UTC is {age:.1f} days "
                     f"before this run (limit {MAX_EVENT_AGE_DAYS} days)"),
        metadata={"newest_event": str(newest), "age_days": age},
    )


CHECKS = [*GX_CHECKS, quarantine_share_check, unmapped_share_check, events_fresh_check]
