"""The Dagster definitions: ``dagster dev`` at the project root loads ``defs``.

Deployment settings (warehouse path, drop folder, nightly time, time zone and start of
the daily partitions) are read here, from ``$EHRLOG_CONFIG``, when the definitions load;
metric settings are read by each run when it starts.

Two jobs:

- ``load_delivery`` loads one delivery folder into staging, runs the staging checks and
  publishes (the drop-folder sensor starts it);
- ``rebuild_days`` recomputes the day grid for a range of daily partitions and rebuilds
  every table above it, then publishes (the delivery-days sensor starts it for the dates
  a delivery touched; backfills and the nightly schedule run it too).

Both run their steps in one process: DuckDB has one writer, and a run's steps share one
working copy of the warehouse.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import dagster as dg

from pipelines.assets.core import core_providers_asset
from pipelines.assets.flags import burnout_risk_flags_asset
from pipelines.assets.marts import (
    build_provider_day_asset,
    provider_period_asset,
    provider_week_asset,
    provider_year_asset,
)
from pipelines.assets.methods import PUBLISHED_KEY, methods_asset, publish_asset
from pipelines.assets.staging import load_delivery_asset
from pipelines.checks import CHECKS, PRESENT_CHECKS, events_fresh_check
from pipelines.partitions import day_partitions
from pipelines.schedules import build_nightly_schedule
from pipelines.sensors import (
    build_delivery_days_sensor,
    build_drop_folder_sensor,
    build_failed_run_cleanup_sensor,
)
from pipelines.settings import SettingsResource
from pipelines.warehouse import WarehouseResource
from schemas.config import Config, load_config

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

LOAD_JOB = "load_delivery"
REBUILD_JOB = "rebuild_days"


def build_assets(partitions: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [
        load_delivery_asset,
        core_providers_asset,
        build_provider_day_asset(partitions),
        provider_week_asset,
        provider_period_asset,
        provider_year_asset,
        burnout_risk_flags_asset,
        methods_asset,
        publish_asset,
    ]


def build_jobs() -> tuple[UnresolvedAssetJobDefinition, UnresolvedAssetJobDefinition]:
    load = dg.define_asset_job(
        LOAD_JOB, selection=dg.AssetSelection.groups("staging") | dg.AssetSelection.assets(
            PUBLISHED_KEY),
        executor_def=dg.in_process_executor,
        description="Load one delivery folder into staging, check it, publish.")
    rebuild = dg.define_asset_job(
        REBUILD_JOB,
        selection=dg.AssetSelection.groups("core", "marts", "flags", "publish")
        | dg.AssetSelection.checks(events_fresh_check, *PRESENT_CHECKS),
        executor_def=dg.in_process_executor,
        description="Recompute the day grid for a range of dates; rebuild the marts; publish.")
    return load, rebuild


def resources(warehouse: str, config_path: str | None, demo: bool = False) -> dict:
    """The resources of a run."""
    return {
        "warehouse": WarehouseResource(path=warehouse),
        "settings": SettingsResource(config_path=config_path, demo=demo),
    }


def definitions_for(cfg: Config, warehouse: str, config_path: str | None,
                    demo: bool = False, automation: bool = True) -> dg.Definitions:
    """The definitions for deployment settings ``cfg`` (``automation``: with the sensors
    and the schedule)."""
    partitions = day_partitions(cfg)
    load, rebuild = build_jobs()
    extra: dict = {}
    if automation:
        deployment = cfg.deployment
        extra = {
            "sensors": [build_drop_folder_sensor(load, deployment.drop_folder),
                        build_delivery_days_sensor(load, rebuild, partitions),
                        build_failed_run_cleanup_sensor(warehouse)],
            "schedules": [build_nightly_schedule(rebuild, deployment.nightly_at,
                                                 cfg.timezone)],
        }
    # in_process_executor for every job, the UI's ad-hoc asset runs and backfills too:
    # a run's steps share one DuckDB working copy, which one process at a time may open
    return dg.Definitions(assets=build_assets(partitions), asset_checks=CHECKS,
                          jobs=[load, rebuild], executor=dg.in_process_executor,
                          resources=resources(warehouse, config_path, demo), **extra)


def build_definitions() -> dg.Definitions:
    config_path = os.environ.get("EHRLOG_CONFIG")
    cfg = load_config(config_path)
    return definitions_for(cfg, cfg.deployment.warehouse, config_path,
                           demo=os.environ.get("EHRLOG_DEMO") == "1")


defs = build_definitions()
