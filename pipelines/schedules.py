"""The nightly schedule: at ``deployment.nightly_at`` local time, rebuild from staging.

Deliveries are loaded by the drop-folder sensor as they arrive and their dates rebuilt
by the delivery-days sensor; the nightly run recomputes yesterday's partition and every
table above the day grid, and runs the freshness check, so that an events extract that
did not arrive is reported even on a night with no delivery.
"""

import datetime as dt
from typing import TYPE_CHECKING

import dagster as dg

from pipelines.partitions import key

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )


def build_nightly_schedule(job: "UnresolvedAssetJobDefinition", nightly_at: str,
                           timezone: str) -> dg.ScheduleDefinition:
    hour, minute = (int(x) for x in nightly_at.split(":"))

    @dg.schedule(name="nightly_rebuild", job=job, cron_schedule=f"{minute} {hour} * * *",
                 execution_timezone=timezone, default_status=dg.DefaultScheduleStatus.STOPPED,
                 description=f"Recompute yesterday and rebuild the marts at {nightly_at} "
                             f"{timezone}.")
    def nightly_rebuild(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        yesterday = context.scheduled_execution_time.date() - dt.timedelta(days=1)
        return dg.RunRequest(partition_key=key(yesterday))

    return nightly_rebuild
