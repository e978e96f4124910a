"""The metric marts.

``marts.provider_day`` is recomputed per daily partition (the dates a run asks for);
the others are rebuilt in full from it on every run. Grains: ``marts.provider_day`` one
row per provider per local date of their range; ``marts.provider_week`` per provider per week;
``marts.provider_period`` per provider per reporting period; ``marts.provider_year`` per
provider for the trailing year. Definitions: CONTRACT.md sections 3 and 4, in
:mod:`metrics`.
"""


import datetime as dt
import hashlib
import warnings

import dagster as dg
import duckdb
import polars as pl

from metrics.day import DAY_COLUMNS, provider_day_read
from metrics.period import provider_period
from metrics.ranges import provider_dim
from metrics.week import provider_week
from metrics.year import provider_year
from pipelines.assets.core import POOL, PROVIDERS_KEY
from pipelines.day_inputs import EventReader, loaded_range, staged_for_days
from pipelines.ingest import read_staged
from pipelines.partitions import dates_to_compute
from pipelines.settings import SettingsResource
from pipelines.tables import read_table, write_table
from pipelines.warehouse import WarehouseResource, work_key
from schemas.config import Config

#: Types of the provider_day columns (an empty grid still gets a typed table).
DAY_SCHEMA: dict[str, pl.DataType] = {
    "provider_id": pl.String(), "date": pl.Date(), "appointments": pl.Int64(),
    "inbox_messages": pl.Int64(), "unscheduled_day": pl.Boolean(),
    "vacation_day": pl.Boolean(), "vacation_login": pl.Boolean(),
    **{c: pl.Float64() for c in DAY_COLUMNS if c.endswith("_minutes")},
}


def _result(table: str, frame: pl.DataFrame, **extra: object) -> dg.MaterializeResult:
    meta: dict[str, object] = {"dagster/row_count": frame.height, "table": table, **extra}
    if frame.height:
        meta["preview"] = dg.MetadataValue.md(frame.head(5).to_pandas().to_markdown(index=False))
    return dg.MaterializeResult(metadata=meta)


DAY_KEY = dg.AssetKey(["marts", "provider_day"])


def day_basis(cfg: Config, providers: pl.DataFrame, action_map: pl.DataFrame) -> str:
    """What every date of the day grid depends on besides its own rows: the metric
    settings, the roster and the action map. When it changes, the grid is rebuilt in full."""
    h = hashlib.sha256(cfg.metric_settings_hash().encode())
    h.update(provider_dim(providers).collect().write_csv().encode())
    h.update(action_map.sort("action").write_csv().encode())
    return h.hexdigest()


def _stored_grid(con: duckdb.DuckDBPyConnection
                 ) -> tuple[str, tuple[dt.date, dt.date] | None, dt.datetime] | None:
    """``core.day_basis`` of the stored grid: its basis, the loaded range every date of
    which it holds, and when it was last rebuilt in full. None without a grid, or for a
    grid of a version that did not record its range (rebuilt in full once)."""
    present = {r[0] for r in con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables()").fetchall()}
    if not {"core.day_basis", "marts.provider_day"} <= present:
        return None
    columns = {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() "
        "WHERE schema_name = 'core' AND table_name = 'day_basis'").fetchall()}
    if not {"basis", "range_start", "range_end", "built_at"} <= columns:
        return None
    rows = con.execute(
        "SELECT basis, range_start, range_end, built_at FROM core.day_basis").fetchall()
    if not rows:
        return None
    basis, start, end, built_at = rows[0]
    return basis, (None if start is None else (start, end)), built_at


def _store_grid(con: duckdb.DuckDBPyConnection, cfg: Config, basis: str,
                covered: tuple[dt.date, dt.date] | None, built_at: dt.datetime) -> None:
    write_table(con, "core.day_basis", pl.DataFrame({
        "basis": [basis], "settings_hash": [cfg.metric_settings_hash()],
        "range_start": [covered[0] if covered else None],
        "range_end": [covered[1] if covered else None], "built_at": [built_at],
    }, schema_overrides={"range_start": pl.Date, "range_end": pl.Date}))


def _replace_dates(con: duckdb.DuckDBPyConnection, day: pl.DataFrame,
                   lo: dt.date, hi: dt.date, loaded: tuple[dt.date, dt.date] | None) -> None:
    """Replace the rows of local dates [lo, hi] of marts.provider_day with ``day``, and
    drop any row outside the loaded range."""
    con.execute("DELETE FROM marts.provider_day WHERE date BETWEEN ? AND ?", [lo, hi])
    if loaded is not None:
        con.execute("DELETE FROM marts.provider_day WHERE date < ? OR date > ?", list(loaded))
    con.register("_day", day.select(DAY_COLUMNS).to_arrow())
    try:
        con.execute("INSERT INTO marts.provider_day BY NAME SELECT * FROM _day")
    finally:
        con.unregister("_day")


def build_provider_day_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """``marts/provider_day`` over daily partitions of local dates (one run per range)."""

    with warnings.catch_warnings():  # backfill_policy is marked beta in dagster 1.13
        warnings.simplefilter("ignore", dg.BetaWarning)
        return _provider_day_asset(partitions)


def _provider_day_asset(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(key=DAY_KEY, deps=[PROVIDERS_KEY], group_name="marts", pool=POOL,
              partitions_def=partitions, backfill_policy=dg.BackfillPolicy.single_run())
    def provider_day_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                           settings: SettingsResource) -> dg.MaterializeResult:
        """One row per provider per local date of their range: the run's partition dates
        are recomputed from staging and replace their rows, together with any date the
        loaded range gained since the grid was stored (``partitions.dates_to_compute``).
        When the metric settings, roster or action map changed since the grid was built,
        every date is rebuilt."""
        cfg = settings.load()
        keys = context.partition_key_range
        want = (dt.date.fromisoformat(keys.start), dt.date.fromisoformat(keys.end))
        con = warehouse.connect(work_key(context.run))
        try:
            loaded = loaded_range(con, cfg)
            st = read_staged(con, kinds=("providers", "action_map"))
            basis = day_basis(cfg, st["providers"], st["action_map"])
            stored = _stored_grid(con)
            full = stored is None or stored[0] != basis
            days = loaded if full else dates_to_compute(want, loaded, stored[1])
            day = _compute(con, cfg, st, *days) if days else _empty_day()
            if full:
                write_table(con, "marts.provider_day", day)
                _store_grid(con, cfg, basis, loaded, dt.datetime.now(dt.UTC))
                context.log.info("day grid rebuilt in full: metric settings, roster or action "
                                 "map changed, or no grid yet")
            else:
                lo, hi = (min(want[0], days[0]), max(want[1], days[1])) if days else want
                _replace_dates(con, day, lo, hi, loaded)
                _store_grid(con, cfg, basis, loaded, stored[2])
            return _result("marts.provider_day", day, mode="full" if full else "dates",
                           dates=f"{days[0]} .. {days[1]}" if days else "none",
                           loaded_range=str(loaded))
        finally:
            con.close()

    return provider_day_asset


def _empty_day() -> pl.DataFrame:
    return pl.DataFrame(schema={c: DAY_SCHEMA[c] for c in DAY_COLUMNS})


def _compute(con: duckdb.DuckDBPyConnection, cfg: Config, roster: dict[str, pl.DataFrame],
             lo: dt.date, hi: dt.date) -> pl.DataFrame:
    """The provider-day rows of local dates [lo, hi] (inside the loaded range);
    ``roster`` holds the staged providers and action map. The events are read one batch
    of providers at a time, which bounds the memory of a full rebuild."""
    st = staged_for_days(con, lo, hi)
    events = EventReader(con, lo, hi, roster["providers"], roster["action_map"])
    try:
        return provider_day_read(events, events.counts(), roster["providers"],
                                 st["schedule"], st["time_off"], st["inbox"], cfg, (lo, hi))
    finally:
        events.close()


def _day_and_context(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                     settings: SettingsResource):
    cfg = settings.load()
    con = warehouse.connect(work_key(context.run))
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
