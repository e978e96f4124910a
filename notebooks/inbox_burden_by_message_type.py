# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Inbox burden by message type
#
# The marts count in-basket messages (`inbox_messages`, `inbox_messages_per_week`,
# `..._per_cfte`) but not their type, so this deep dive reads `staging.inbox` (one row
# per message and receiving provider; it holds no patient identifiers) and joins it to
# `core.providers` for department and clinical FTE. It asks: which message types drive
# the volume, where, who completes them, and how fast.
#
# Rules kept here, as everywhere in ehrlog:
#
# - messages are dated by their local received date in the warehouse's time zone and
#   counted only inside the provider's range and inside complete reporting periods;
# - rates are ratios of sums (messages / provider-weeks x FTE), not means of ratios;
# - department tables suppress groups with fewer than `min_cell_size` providers.
#
# The warehouse path comes from `EHRLOG_WAREHOUSE` (default `warehouse/ehrlog.duckdb`);
# it is opened read-only.

# %%
import json
import os
from pathlib import Path

import duckdb
import polars as pl

pl.Config.set_tbl_rows(40)
pl.Config.set_tbl_cols(20)
pl.Config.set_tbl_width_chars(160)

WAREHOUSE = Path(os.environ.get("EHRLOG_WAREHOUSE", "warehouse/ehrlog.duckdb"))
if not WAREHOUSE.is_absolute() and not WAREHOUSE.exists() and (".." / WAREHOUSE).exists():
    WAREHOUSE = ".." / WAREHOUSE  # started from notebooks/
con = duckdb.connect(str(WAREHOUSE), read_only=True)

settings = json.loads(
    con.sql("SELECT settings_json FROM marts.methods ORDER BY run_at DESC LIMIT 1").fetchall()[0][0]
)
TZ = settings["timezone"]
PERIOD = settings["reporting_period"]
MIN_CELL = int(settings["min_cell_size"])
print(f"time zone {TZ}; reporting period {PERIOD}; min_cell_size {MIN_CELL}")

# %% [markdown]
# ## Messages in scope
#
# `SCOPE` holds the messages received inside complete periods of each provider's range;
# `by_provider` counts them per provider, period and type. `self_completed` marks a
# message completed by one of the provider's own logins (`staging.providers.user_id`);
# `hours` runs from receipt to completion. No message id or patient attribute leaves
# these queries.

# %%
SCOPE = """
    WITH periods AS (
        SELECT provider_id, period_start, period_end, days_in_range
        FROM marts.provider_period
        WHERE period_type = $period AND complete
    ),
    messages AS (
        SELECT i.provider_id, i.message_type,
               CAST(timezone($tz, i.received_time) AS DATE) AS local_date,
               date_diff('second', i.received_time, i.completed_time) / 3600 AS hours,
               i.completed_by,
               own.user_id IS NOT NULL AS self_completed
        FROM staging.inbox AS i
        LEFT JOIN staging.providers AS own
          ON own.provider_id = i.provider_id AND own.user_id = i.completed_by
    ),
    in_scope AS (
        SELECT m.*, p.department, p.clinical_fte, pr.period_start
        FROM messages AS m
        JOIN periods AS pr
          ON pr.provider_id = m.provider_id
         AND m.local_date BETWEEN pr.period_start AND pr.period_end
        JOIN core.providers AS p ON p.provider_id = m.provider_id
    )
"""
by_provider = con.sql(
    SCOPE + """
    SELECT provider_id, department, period_start, message_type,
           count(*) AS messages,
           count(completed_by) AS completed,
           count(*) FILTER (WHERE self_completed) AS self_completed
    FROM in_scope
    GROUP BY ALL
    """,
    params={"period": PERIOD, "tz": TZ},
).pl()
# provider-weeks x FTE of every complete period, whatever the messages: the denominator.
exposure = con.sql(
    """
    SELECT pp.provider_id, p.department, pp.period_start,
           pp.days_in_range / 7 AS weeks, pp.days_in_range / 7 * p.clinical_fte AS fte_weeks
    FROM marts.provider_period AS pp JOIN core.providers AS p USING (provider_id)
    WHERE pp.period_type = $period AND pp.complete
    """,
    params={"period": PERIOD},
).pl()
print(f"{by_provider['messages'].sum():,} messages in {exposure.height} complete "
      f"provider-periods of {exposure['provider_id'].n_unique()} providers")

# %% [markdown]
# ## 1. The mix: which types make the volume
#
# `per_week_per_cfte` is the organization's pooled rate: all messages of the type divided
# by all provider-weeks x clinical FTE (the Adler-Milstein et al. 2020 per-FTE framing).

# %%
fte_weeks = exposure["fte_weeks"].sum()
mix = (
    by_provider.group_by("message_type")
    .agg(pl.col("messages").sum(), pl.col("completed").sum(), pl.col("self_completed").sum())
    .with_columns(
        share=(pl.col("messages") / pl.col("messages").sum()).round(3),
        per_week_per_cfte=(pl.col("messages") / fte_weeks).round(1),
        self_completed_share=(pl.col("self_completed") / pl.col("completed")).round(3),
    )
    .sort("messages", descending=True)
)
print("message mix (all providers, complete periods)")
print(mix)

# %% [markdown]
# System-generated messages (`system`: notifications, FYIs, automated results routing)
# are a classic target for inbox reduction work: a share that can often be turned off or
# routed to a pool without touching patient communication.

# %%
system_share = mix.filter(pl.col("message_type") == "system")["share"].sum()
print(f"system-generated share of all messages: {system_share:.1%}")

# %% [markdown]
# ## 2. By department (leader-facing: suppressed below min_cell_size)

# %%
dept_exposure = exposure.group_by("department").agg(
    pl.col("provider_id").n_unique().alias("n_providers"), pl.col("fte_weeks").sum()
)
by_department = (
    by_provider.group_by("department", "message_type")
    .agg(pl.col("messages").sum())
    .join(dept_exposure, on="department")
    .with_columns(
        suppressed=pl.col("n_providers") < MIN_CELL,
        per_week_per_cfte=(pl.col("messages") / pl.col("fte_weeks")).round(1),
    )
    .with_columns(
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("per_week_per_cfte"))
        .alias("per_week_per_cfte")
    )
)
wide = (
    by_department.pivot(on="message_type", index=["department", "n_providers", "suppressed"],
                        values="per_week_per_cfte", sort_columns=True)
    .sort("department")
)
print("messages per week per clinical FTE, by department and type")
print(wide)

# %% [markdown]
# ## 3. Who completes them, and how fast
#
# `self_completed_share` is the share of completed messages closed by one of the
# receiving provider's own logins; the rest were handled by colleagues or pools. A high
# share on result and rx_request messages points at work that team members could take.

# %%
speed = con.sql(
    SCOPE + """
    SELECT message_type,
           count(completed_by) AS completed,
           count(*) FILTER (WHERE self_completed) AS self_completed,
           round(count(*) FILTER (WHERE self_completed) / count(completed_by), 3)
               AS self_completed_share,
           round(median(hours), 1) AS median_hours_to_complete,
           round(quantile_cont(hours, 0.9), 1) AS p90_hours_to_complete
    FROM in_scope
    GROUP BY message_type ORDER BY message_type
    """,
    params={"period": PERIOD, "tz": TZ},
).pl()
print(speed)

# %% [markdown]
# ## 4. Monthly trend of the two largest types
#
# Pooled per-FTE weekly rate by period, complete periods only, so the current, partly
# delivered period never looks like a drop.

# %%
top_types = mix["message_type"].head(2).to_list()
period_exposure = exposure.group_by("period_start").agg(pl.col("fte_weeks").sum())
trend = (
    by_provider.filter(pl.col("message_type").is_in(top_types))
    .group_by("period_start", "message_type")
    .agg(pl.col("messages").sum())
    .join(period_exposure, on="period_start")
    .with_columns(per_week_per_cfte=(pl.col("messages") / pl.col("fte_weeks")).round(1))
    .pivot(on="message_type", index="period_start", values="per_week_per_cfte",
           sort_columns=True)
    .sort("period_start")
)
print(f"per week per clinical FTE: {', '.join(top_types)}")
print(trend)

# %%
con.close()
