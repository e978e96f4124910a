"""Core and metric marts, recomputed from staging in full on every run.

Grains: ``core.providers`` one row per provider; ``marts.provider_day`` one row per
provider per local date of their range; ``marts.provider_week`` per provider per week;
``marts.provider_period`` per provider per reporting period; ``marts.provider_year`` per
provider for the trailing year. Definitions: CONTRACT.md sections 3 and 4, in
:mod:`metrics`.
"""


import dagster as dg
import polars as pl

from metrics.categories import unmapped_share
from metrics.day import provider_day
from metrics.period import provider_period
from metrics.ranges import loaded_range, provider_dim, provider_ranges
from metrics.week import provider_week
from metrics.year import provider_year
from pipelines.assets.staging import STAGING_KEYS
from pipelines.ingest import read_staged
from pipelines.settings import SettingsResource
from pipelines.tables import read_table, write_table
from pipelines.warehouse import WarehouseResource

POOL = "ehrlog_warehouse"


def _result(table: str, frame: pl.DataFrame, **extra: object) -> dg.MaterializeResult:
    meta: dict[str, object] = {"dagster/row_count": frame.height, "table": table, **extra}
    if frame.height:
        meta["preview"] = dg.MetadataValue.md(frame.head(5).to_pandas().to_markdown(index=False))
    return dg.MaterializeResult(metadata=meta)


@dg.asset(key=["marts", "provider_day"], deps=STAGING_KEYS, group_name="marts", pool=POOL)
def provider_day_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                       settings: SettingsResource) -> dg.MaterializeResult:
    """One row per provider per local date of their range (also writes core.providers
    and core.run_stats)."""
    cfg = settings.load()
    run_id = context.run.run_id
    con = warehouse.connect(run_id)
    try:
        st = read_staged(con)
        loaded = loaded_range(st["events"], cfg)
        if loaded is None:
            day = pl.DataFrame(schema={"provider_id": pl.String, "date": pl.Date})
            context.log.warning("No accepted events: the loaded range is empty.")
        else:
            day = provider_day(st["events"], st["providers"], st["schedule"], st["time_off"],
                               st["inbox"], st["action_map"], cfg, loaded)
        dim = provider_dim(st["providers"]).collect()
        if loaded is not None:
            dim = dim.join(provider_ranges(st["providers"], loaded).select(
                "provider_id", "range_start", "range_end").collect(), on="provider_id", how="left")
        else:
            dim = dim.with_columns(pl.lit(None, pl.Date).alias("range_start"),
                                   pl.lit(None, pl.Date).alias("range_end"))
        write_table(con, "core.providers", dim)
        rostered = st["providers"].get_column("user_id").unique().implode()
        stats = pl.DataFrame({
            "unmapped_share": [unmapped_share(st["events"], st["action_map"])],
            "unrostered_events": [
                st["events"].filter(~pl.col("user_id").is_in(rostered)).height],
            "range_start": [loaded[0] if loaded else None],
            "range_end": [loaded[1] if loaded else None],
        }, schema_overrides={"range_start": pl.Date, "range_end": pl.Date,
                             "unmapped_share": pl.Float64})
        write_table(con, "core.run_stats", stats)
        if loaded is not None:
            write_table(con, "marts.provider_day", day)
        return _result("marts.provider_day", day, loaded_range=str(loaded))
    finally:
        con.close()


def _day_and_context(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                     settings: SettingsResource):
    cfg = settings.load()
    con = warehouse.connect(context.run.run_id)
    stats = read_table(con, "core.run_stats")
    rng = stats.select("range_start", "range_end").row(0)
    loaded = None if rng[0] is None else (rng[0], rng[1])
    return cfg, con, loaded


@dg.asset(key=["marts", "provider_week"], deps=[["marts", "provider_day"]], group_name="marts",
          pool=POOL)
def provider_week_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                        settings: SettingsResource) -> dg.MaterializeResult:
    """One row per provider per week, ratios of sums of provider_day."""
    cfg, con, loaded = _day_and_context(context, warehouse, settings)
    try:
        if loaded is None:
            return dg.MaterializeResult(metadata={"dagster/row_count": 0})
        providers = read_staged(con, kinds=("providers",))["providers"]
        week = provider_week(read_table(con, "marts.provider_day"), providers, cfg)
        write_table(con, "marts.provider_week", week)
        return _result("marts.provider_week", week)
    finally:
        con.close()


@dg.asset(key=["marts", "provider_period"], deps=[["marts", "provider_day"]],
          group_name="marts", pool=POOL)
def provider_period_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                          settings: SettingsResource) -> dg.MaterializeResult:
    """One row per provider per reporting period, ratios of sums of provider_day."""
    cfg, con, loaded = _day_and_context(context, warehouse, settings)
    try:
        if loaded is None:
            return dg.MaterializeResult(metadata={"dagster/row_count": 0})
        st = read_staged(con, kinds=("providers", "inbox"))
        period = provider_period(read_table(con, "marts.provider_day"), st["providers"],
                                 st["inbox"], cfg, loaded)
        write_table(con, "marts.provider_period", period)
        return _result("marts.provider_period", period)
    finally:
        con.close()


@dg.asset(key=["marts", "provider_year"], deps=[["marts", "provider_day"]], group_name="marts",
          pool=POOL)
def provider_year_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                        settings: SettingsResource) -> dg.MaterializeResult:
    """One row per provider for the trailing year, where it lies inside their range."""
    cfg, con, loaded = _day_and_context(context, warehouse, settings)
    try:
        if loaded is None:
            return dg.MaterializeResult(metadata={"dagster/row_count": 0})
        year = provider_year(read_table(con, "marts.provider_day"), cfg, loaded)
        write_table(con, "marts.provider_year", year)
        return _result("marts.provider_year", year)
    finally:
        con.close()
