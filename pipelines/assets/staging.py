"""Load one delivery folder into ``raw``, ``staging`` and ``quarantine``.

Grain: staging tables hold one row per contract key (newest delivery wins);
``quarantine.rows`` one row per rejected input row; ``raw.files`` one row per file.
"""


import datetime as dt
from pathlib import Path

import dagster as dg

from pipelines.ingest import ensure_schema, load_delivery, resolve_hash_key
from pipelines.settings import SettingsResource
from pipelines.warehouse import WarehouseResource

STAGING_KINDS = ("providers", "action_map", "events", "schedule", "time_off", "inbox")
STAGING_KEYS = [dg.AssetKey(["staging", k]) for k in STAGING_KINDS]
QUARANTINE_KEY = dg.AssetKey(["quarantine", "rows"])
RAW_KEY = dg.AssetKey(["raw", "files"])


class DeliveryConfig(dg.Config):
    """The delivery folder to load; empty to recompute from what is already staged."""

    delivery: str = ""


@dg.multi_asset(
    specs=[dg.AssetSpec(k, group_name="staging", description=f"staging.{k.path[-1]}")
           for k in STAGING_KEYS]
    + [dg.AssetSpec(QUARANTINE_KEY, group_name="staging", description="Rejected rows."),
       dg.AssetSpec(RAW_KEY, group_name="staging", description="Delivered files, checksums.")],
    pool="ehrlog_warehouse",
)
def load_delivery_asset(
    context: dg.AssetExecutionContext,
    config: DeliveryConfig,
    warehouse: WarehouseResource,
    settings: SettingsResource,
):
    """Load the delivery (if any) into the run's working copy of the warehouse."""
    cfg = settings.load()
    run_id = context.run.run_id
    warehouse.begin(run_id)
    con = warehouse.connect(run_id)
    try:
        ensure_schema(con)
        counts: dict[str, dict[str, int]] = {}
        if config.delivery:
            summary = load_delivery(
                con,
                Path(config.delivery),
                cfg,
                run_time=dt.datetime.now(dt.UTC),
                delivery_id=run_id,
                hash_key=resolve_hash_key(cfg, settings.demo),
                archive_dir=warehouse.archive_dir,
            )
            counts = summary_counts(summary)
        for key in STAGING_KEYS:
            kind = key.path[-1]
            total = con.execute(f"SELECT count(*) FROM staging.{kind}").fetchall()[0][0]
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={"rows_total": total, **{k: v for k, v in counts.get(kind, {}).items()}},
            )
        q = con.execute(
            "SELECT count(*) FROM quarantine.rows WHERE delivery_id = ?", [run_id]
        ).fetchall()[0][0]
        yield dg.MaterializeResult(asset_key=QUARANTINE_KEY, metadata={"rows_this_run": q})
        f = con.execute(
            "SELECT count(*) FROM raw.files WHERE delivery_id = ?", [run_id]
        ).fetchall()[0][0]
        yield dg.MaterializeResult(asset_key=RAW_KEY, metadata={"files_this_run": f})
    finally:
        con.close()


def summary_counts(summary) -> dict[str, dict[str, int]]:
    """Per-kind counts of a DeliverySummary as plain ints for asset metadata."""
    out: dict[str, dict[str, int]] = {}
    for kind, c in summary.counts.items():
        out[kind] = {
            "files": c.files, "files_skipped": c.files_skipped, "rows_read": c.rows_read,
            "rows_staged": c.rows_staged, "rows_quarantined": c.rows_quarantined,
            "blank_records": c.blank_records,
        }
    return out
