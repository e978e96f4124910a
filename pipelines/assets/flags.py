"""Burnout-risk flags and the department and specialty aggregates (CONTRACT.md 5, 6).

Grains: ``marts.burnout_risk_flags`` one row per provider, period and measure with a
value; ``marts.provider_risk_summary`` one row per provider and period;
``marts.department_period`` / ``marts.specialty_period`` one row per group, period and
measure.
"""


import dagster as dg

from metrics.aggregates import group_period
from metrics.flags import burnout_risk_flags, provider_risk_summary
from metrics.thresholds import load_profile
from pipelines.assets.marts import POOL, _day_and_context, _result
from pipelines.settings import SettingsResource
from pipelines.tables import read_table, write_table
from pipelines.warehouse import WarehouseResource


@dg.asset(
    key=["marts", "burnout_risk_flags"],
    deps=[["marts", "provider_period"], ["marts", "provider_year"]],
    group_name="flags",
    pool=POOL,
)
def burnout_risk_flags_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                             settings: SettingsResource) -> dg.MaterializeResult:
    """Flags for the roles of the thresholds profile, plus the per-provider summary and
    the department and specialty aggregates."""
    cfg, con, loaded = _day_and_context(context, warehouse, settings)
    try:
        if loaded is None:
            return dg.MaterializeResult(metadata={"dagster/row_count": 0})
        profile = load_profile(cfg.thresholds)
        providers = read_table(con, "core.providers")
        flags = burnout_risk_flags(read_table(con, "marts.provider_period"),
                                   read_table(con, "marts.provider_year"), providers, profile)
        write_table(con, "marts.burnout_risk_flags", flags)
        write_table(con, "marts.provider_risk_summary", provider_risk_summary(flags))
        for group in ("department", "specialty"):
            write_table(con, f"marts.{group}_period",
                        group_period(flags, providers, group, cfg.min_cell_size))
        return _result("marts.burnout_risk_flags", flags, profile=cfg.thresholds)
    finally:
        con.close()
