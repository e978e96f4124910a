"""The Dagster definitions load, with every asset keyed like the table it writes."""

from __future__ import annotations

import dagster as dg

from pipelines.definitions import defs


def test_definitions_load_and_hold_the_contract_tables() -> None:
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    for table in ("staging/events", "staging/providers", "quarantine/rows", "raw/files",
                  "marts/provider_day", "marts/provider_week", "marts/provider_period",
                  "marts/provider_year", "marts/burnout_risk_flags", "marts/methods",
                  "warehouse/published"):
        assert table in keys
    for name in ("load_delivery", "rebuild_days"):
        assert isinstance(defs.resolve_job_def(name), dg.JobDefinition)
    dg.Definitions.validate_loadable(defs)


def test_the_day_grid_is_partitioned_by_local_date_and_the_rest_is_not() -> None:
    graph = defs.resolve_asset_graph()
    day = graph.get(dg.AssetKey(["marts", "provider_day"]))
    assert isinstance(day.partitions_def, dg.DailyPartitionsDefinition)
    assert day.partitions_def.timezone == "America/New_York"
    assert day.partitions_def.get_first_partition_key() == "2010-01-01"  # data_start
    assert day.backfill_policy == dg.BackfillPolicy.single_run()
    for key in (["marts", "provider_week"], ["staging", "events"], ["core", "providers"]):
        assert graph.get(dg.AssetKey(key)).partitions_def is None
    rebuild = defs.resolve_job_def("rebuild_days")
    assert rebuild.partitions_def == day.partitions_def
    load = defs.resolve_job_def("load_delivery")
    assert load.partitions_def is None
    assert dg.AssetKey(["warehouse", "published"]) in load.asset_layer.executable_asset_keys
    assert dg.AssetKey(["marts", "provider_day"]) not in load.asset_layer.executable_asset_keys


def test_every_job_runs_its_steps_in_one_process() -> None:
    # the steps of a run share one DuckDB working copy, which one process at a time may
    # open: a UI materialization or backfill of assets (Dagster's implicit asset job) must
    # not run two of them in parallel processes either
    jobs = [defs.resolve_implicit_global_asset_job_def(),
            *(defs.resolve_job_def(n) for n in ("load_delivery", "rebuild_days"))]
    assert {j.name: j.executor_def.name for j in jobs} == {
        "__ASSET_JOB": "in_process", "load_delivery": "in_process",
        "rebuild_days": "in_process"}
