"""The methods card and publishing.

``marts.methods``: one row per run (appended; earlier runs' rows are kept).
``warehouse/published``: the atomic replacement of the published warehouse file.
"""


import datetime as dt
import json

import dagster as dg
import polars as pl

from metrics.thresholds import load_profile
from pipelines import __version__
from pipelines.assets.staging import (
    DELIVERY_ID_TAG,
    QUARANTINE_KEY,
    RAW_KEY,
    STAGING_KEYS,
    DeliveryConfig,
)
from pipelines.catalog import TABLES, comment_sql
from pipelines.ingest.tables import OF_DELIVERY, add_missing_columns
from pipelines.settings import SettingsResource
from pipelines.tables import read_table
from pipelines.warehouse import WarehouseResource, work_key
from schemas.choices import METHODS_CHOICES

MARTS = [["marts", "burnout_risk_flags"], ["marts", "provider_week"]]


def _json_rows(con, sql: str, params: list) -> str:
    return json.dumps(con.sql(sql, params=params).pl().to_dicts(), default=str)


@dg.asset(key=["marts", "methods"], deps=MARTS, group_name="publish",
          pool="ehrlog_warehouse")
def methods_asset(context: dg.AssetExecutionContext, config: DeliveryConfig,
                  warehouse: WarehouseResource, settings: SettingsResource
                  ) -> dg.MaterializeResult:
    """Append this run's row to the methods card; its input files, quarantine and staged
    counts are those of the delivery named by the run's ``ehrlog/delivery_id`` tag (none
    for a backfill)."""
    cfg = settings.load()
    run_id = context.run.run_id
    delivery_id = context.run.tags.get(DELIVERY_ID_TAG, "")
    con = warehouse.connect(work_key(context.run))
    try:
        stats = read_table(con, "core.run_stats").row(0, named=True)
        row = {
            "run_id": run_id,
            "run_at": dt.datetime.now(dt.UTC),
            "software_version": __version__,
            "settings_json": json.dumps(cfg.metric_settings(), sort_keys=True),
            "settings_hash": cfg.metric_settings_hash(),
            "delivery": config.delivery or None,
            "input_files_json": _json_rows(
                con, "SELECT file_name, kind, sha256, rows, bytes FROM raw.files "
                "WHERE delivery_id = ? ORDER BY file_name", [delivery_id]),
            "quarantine_counts_json": _json_rows(
                con, "SELECT kind, reason, count(*) AS n FROM quarantine.rows "
                "WHERE delivery_id = ? GROUP BY ALL ORDER BY ALL", [delivery_id]),
            "rows_staged_json": json.dumps(staged_counts(con, delivery_id)),
            "unmapped_share": stats["unmapped_share"],
            "unrostered_events": stats["unrostered_events"],
            "range_start": stats["range_start"],
            "range_end": stats["range_end"],
            "thresholds_profile": cfg.thresholds,
            "thresholds_sha256": load_profile(cfg.thresholds).sha256,
            "methods_choices_json": json.dumps(METHODS_CHOICES),
        }
        frame = pl.DataFrame([row], schema_overrides={"run_at": pl.Datetime("us", "UTC"),
                                                      "unmapped_share": pl.Float64,
                                                      "range_start": pl.Date,
                                                      "range_end": pl.Date,
                                                      "delivery": pl.String})
        con.register("_row", frame.select(list(TABLES["marts.methods"][1])).to_arrow())
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute("CREATE TABLE IF NOT EXISTS marts.methods AS SELECT * FROM _row LIMIT 0")
        # a card written by an earlier version lacks the columns added since
        add_missing_columns(con, "marts", "methods", [
            (c, f"{c} {typ}") for c, typ, *_ in con.execute("DESCRIBE _row").fetchall()])
        con.execute("INSERT INTO marts.methods BY NAME SELECT * FROM _row")
        con.unregister("_row")
        for stmt in comment_sql("marts.methods"):
            con.execute(stmt)
        return dg.MaterializeResult(metadata={"settings_hash": row["settings_hash"],
                                              "unmapped_share": row["unmapped_share"]})
    finally:
        con.close()


def staged_counts(con, delivery_id: str) -> dict[str, int]:
    """Rows staged by the delivery, per kind."""
    out = {}
    for kind in ("providers", "action_map", "events", "schedule", "time_off", "inbox"):
        out[kind] = con.execute(
            f"SELECT count(*) FROM staging.{kind} WHERE {OF_DELIVERY}", {"delivery": delivery_id}
        ).fetchall()[0][0]
    return out


PUBLISHED_KEY = dg.AssetKey(["warehouse", "published"])


@dg.asset(key=PUBLISHED_KEY, deps=[["marts", "methods"], *STAGING_KEYS, QUARANTINE_KEY, RAW_KEY],
          group_name="publish", pool="ehrlog_warehouse")
def publish_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource
                  ) -> dg.MaterializeResult:
    """Atomically replace the published warehouse with this run's working copy (after
    the staging assets and their blocking checks in a load run, after the methods card in
    a rebuild run)."""
    path = warehouse.publish(work_key(context.run))
    return dg.MaterializeResult(metadata={"path": str(path)})
