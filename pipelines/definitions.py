"""The Dagster definitions: ``dagster dev`` at the project root loads ``defs``.

Deployment settings (warehouse path, drop folder) are read here, when the definitions
load, from ``$EHRLOG_CONFIG``; metric settings are read by each run when it starts.
"""

from __future__ import annotations

import os

import dagster as dg

from pipelines.assets.flags import burnout_risk_flags_asset
from pipelines.assets.marts import (
    provider_day_asset,
    provider_period_asset,
    provider_week_asset,
    provider_year_asset,
)
from pipelines.assets.methods import methods_asset, publish_asset
from pipelines.assets.staging import load_delivery_asset
from pipelines.checks import CHECKS
from pipelines.schedules import build_nightly_schedule
from pipelines.sensors import build_drop_folder_sensor
from pipelines.settings import SettingsResource
from pipelines.warehouse import WarehouseResource
from schemas.config import load_config

ASSETS = [
    load_delivery_asset,
    provider_day_asset,
    provider_week_asset,
    provider_period_asset,
    provider_year_asset,
    burnout_risk_flags_asset,
    methods_asset,
    publish_asset,
]

#: The job that loads one delivery and rebuilds everything from staging.
load_and_rebuild = dg.define_asset_job("load_and_rebuild", selection=dg.AssetSelection.all())


def resources(warehouse: str, config_path: str | None, demo: bool = False) -> dict:
    """The resources of a run."""
    return {
        "warehouse": WarehouseResource(path=warehouse),
        "settings": SettingsResource(config_path=config_path, demo=demo),
    }


def build_definitions() -> dg.Definitions:
    config_path = os.environ.get("EHRLOG_CONFIG")
    cfg = load_config(config_path)
    deployment = cfg.deployment
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[load_and_rebuild],
        sensors=[build_drop_folder_sensor(load_and_rebuild, deployment.drop_folder)],
        schedules=[build_nightly_schedule(load_and_rebuild, deployment.nightly_at, cfg.timezone)],
        resources=resources(deployment.warehouse, config_path,
                            demo=os.environ.get("EHRLOG_DEMO") == "1"),
    )


defs = build_definitions()
