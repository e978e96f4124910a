"""``core.providers`` and ``core.run_stats``, rebuilt from staging on every run.

Grains: ``core.providers`` one row per provider (roster attributes and the provider's
range, the loaded range cut to start_date and end_date, CONTRACT.md section 4);
``core.run_stats`` one row of data-quality figures of everything staged.
"""


import dagster as dg
import polars as pl

from metrics.categories import unmapped_events
from metrics.ranges import provider_dim, provider_ranges
from pipelines.assets.staging import STAGING_KEYS
from pipelines.day_inputs import loaded_range
from pipelines.ingest import ensure_schema, read_staged
from pipelines.ingest.staged import staged_action_counts
from pipelines.ingest.store import check_timezone
from pipelines.settings import SettingsResource
from pipelines.tables import write_table
from pipelines.warehouse import WarehouseResource, work_key

POOL = "ehrlog_warehouse"
PROVIDERS_KEY = dg.AssetKey(["core", "providers"])


@dg.asset(key=PROVIDERS_KEY, deps=STAGING_KEYS, group_name="core", pool=POOL)
def core_providers_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                         settings: SettingsResource) -> dg.MaterializeResult:
    """One row per provider (also writes core.run_stats), from the whole of staging."""
    cfg = settings.load()
    con = warehouse.connect(work_key(context.run))
    try:
        ensure_schema(con)  # a rebuild of a warehouse that never loaded a delivery
        check_timezone(con, cfg.timezone)
        st = read_staged(con, kinds=("providers", "action_map"))
        loaded = loaded_range(con, cfg)
        dim = provider_dim(st["providers"]).collect()
        if loaded is not None:
            dim = dim.join(provider_ranges(st["providers"], loaded).select(
                "provider_id", "range_start", "range_end").collect(), on="provider_id",
                how="left")
        else:
            dim = dim.with_columns(pl.lit(None, pl.Date).alias("range_start"),
                                   pl.lit(None, pl.Date).alias("range_end"))
        write_table(con, "core.providers", dim)
        unmapped, total = unmapped_events(staged_action_counts(con), st["action_map"])
        unrostered = con.execute(
            "SELECT count(*) FROM staging.events e WHERE NOT EXISTS "
            "(SELECT 1 FROM staging.providers p WHERE p.user_id = e.user_id)"
        ).fetchall()[0][0]
        stats = pl.DataFrame({
            "unmapped_share": [unmapped / total if total else None],
            "unrostered_events": [unrostered],
            "range_start": [loaded[0] if loaded else None],
            "range_end": [loaded[1] if loaded else None],
        }, schema_overrides={"range_start": pl.Date, "range_end": pl.Date,
                             "unmapped_share": pl.Float64, "unrostered_events": pl.Int64})
        write_table(con, "core.run_stats", stats)
        return dg.MaterializeResult(metadata={"dagster/row_count": dim.height,
                                              "loaded_range": str(loaded)})
    finally:
        con.close()
