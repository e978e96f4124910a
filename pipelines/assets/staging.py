"""Load one delivery folder into ``raw``, ``staging`` and ``quarantine``.

Grain: staging tables hold one row per contract key (newest delivery wins);
``quarantine.rows`` one row per rejected input row; ``raw.files`` one row per file.
"""


import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from pipelines.ingest import ensure_schema, load_delivery, resolve_hash_key
from pipelines.ingest.summary import DeliverySummary
from pipelines.partitions import recompute_range
from pipelines.settings import SettingsResource
from pipelines.warehouse import WarehouseResource, work_key

STAGING_KINDS = ("providers", "action_map", "events", "schedule", "time_off", "inbox")
STAGING_KEYS = [dg.AssetKey(["staging", k]) for k in STAGING_KINDS]
EVENTS_KEY = dg.AssetKey(["staging", "events"])
QUARANTINE_KEY = dg.AssetKey(["quarantine", "rows"])
RAW_KEY = dg.AssetKey(["raw", "files"])
#: Tag of a rebuild run naming the delivery (the run id of the run that loaded it) whose
#: files and quarantine counts its methods-card row reports.
DELIVERY_ID_TAG = "ehrlog/delivery_id"


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
    """Load the delivery (if any) into the run's working copy of the warehouse.

    The materialization of ``staging/events`` carries ``recompute_start`` and
    ``recompute_end``: the dates whose day grid the delivery can change (the run's
    delivery id is its run id).
    """
    cfg = settings.load()
    run_id = context.run.run_id
    warehouse.begin(work_key(context.run))
    con = warehouse.connect(work_key(context.run))
    try:
        ensure_schema(con)
        counts: dict[str, dict[str, int]] = {}
        days: dict[str, str] = {}
        if config.delivery:
            summary = load_delivery(
                con,
                Path(config.delivery),
                cfg,
                run_time=dt.datetime.now(dt.UTC),
                delivery_id=run_id,
                hash_key=resolve_hash_key(cfg, settings.demo),
                archive_dir=warehouse.archive_dir,
                spool_dir=warehouse.work_dir,
            )
            counts = summary_counts(summary)
            days = recompute_metadata(summary)
        for key in STAGING_KEYS:
            kind = key.path[-1]
            total = con.execute(f"SELECT count(*) FROM staging.{kind}").fetchall()[0][0]
            extra = days if kind == "events" else {}
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={"rows_total": total, **counts.get(kind, {}), **extra},
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


def touched_dates(summary: DeliverySummary) -> tuple[dt.date, dt.date] | None:
    """Local dates of the events, appointments, messages and time off this delivery
    staged or replaced."""
    spans = [d for d in (summary.dates_touched, summary.dates_touched_by_kind.get("time_off"))
             if d is not None]
    if not spans:
        return None
    return min(d[0] for d in spans), max(d[1] for d in spans)


def recompute_metadata(summary: DeliverySummary) -> dict[str, str]:
    """``recompute_start`` / ``recompute_end`` (ISO dates) of the delivery, if any."""
    days = recompute_range(touched_dates(summary))
    if days is None:
        return {}
    return {"recompute_start": days[0].isoformat(), "recompute_end": days[1].isoformat()}


def recompute_dates(metadata: Mapping[str, dg.MetadataValue]
                    ) -> tuple[dt.date, dt.date] | None:
    """The dates a ``staging/events`` materialization's metadata (written from
    :func:`recompute_metadata`) says to recompute, or None."""
    if "recompute_start" not in metadata or "recompute_end" not in metadata:
        return None
    return (dt.date.fromisoformat(str(metadata["recompute_start"].value)),
            dt.date.fromisoformat(str(metadata["recompute_end"].value)))


def load_run_config(folder: str) -> dict:
    """Run config of a load run of the delivery folder ``folder``."""
    return {"ops": {"load_delivery_asset": {"config": {"delivery": folder}}}}


def methods_run_config(folder: str) -> dict:
    """Run config of a rebuild run whose methods row names the delivery ``folder``."""
    return {"ops": {"marts__methods": {"config": {"delivery": folder}}}}


def summary_counts(summary: DeliverySummary) -> dict[str, dict[str, int]]:
    """Per-kind counts of a DeliverySummary as plain ints for asset metadata."""
    out: dict[str, dict[str, int]] = {}
    for kind, c in summary.counts.items():
        out[kind] = {
            "files": c.files, "files_skipped": c.files_skipped, "rows_read": c.rows_read,
            "rows_staged": c.rows_staged, "rows_quarantined": c.rows_quarantined,
            "blank_records": c.blank_records,
        }
    return out
