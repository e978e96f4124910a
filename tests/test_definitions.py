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
    job = defs.resolve_job_def("load_and_rebuild")
    assert isinstance(job, dg.JobDefinition)
    dg.Definitions.validate_loadable(defs)
