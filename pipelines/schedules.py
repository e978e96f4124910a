"""The nightly schedule: rebuild from staging at ``deployment.nightly_at`` local time.

Deliveries are loaded by the drop-folder sensor as they arrive; the nightly run rebuilds
the marts from staging, so the freshness check reports an events extract that did not
arrive, even on a night with no delivery.
"""

import dagster as dg


def build_nightly_schedule(job: dg.JobDefinition | object,
                           nightly_at: str, timezone: str) -> dg.ScheduleDefinition:
    hour, minute = (int(x) for x in nightly_at.split(":"))
    delivery = {"config": {"delivery": ""}}
    return dg.ScheduleDefinition(
        name="nightly_rebuild",
        job=job,
        cron_schedule=f"{minute} {hour} * * *",
        execution_timezone=timezone,
        run_config={"ops": {"load_delivery_asset": delivery, "marts__methods": delivery}},
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"Rebuild every mart from staging at {nightly_at} {timezone}.",
    )
