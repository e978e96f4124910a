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
# # A tour of the ehrlog warehouse
#
# Ten minutes through the published DuckDB warehouse: what the layers hold, the grain of
# each marts table, how to join them, and the three pitfalls that trip analysts up
# (ratio of sums, nulls below the minimum schedule, incomplete periods). Companion text:
# `docs/analysts.md`; every column is described in `docs/data-dictionary.md`.
#
# The warehouse path comes from `EHRLOG_WAREHOUSE` (default `warehouse/ehrlog.duckdb`,
# written by `python3 tasks.py demo`). It is opened **read-only**: the nightly run
# replaces the file atomically, so an open notebook never blocks it.

# %%
import json
import os
from pathlib import Path

import duckdb
import polars as pl

pl.Config.set_tbl_rows(40)
pl.Config.set_tbl_cols(20)
pl.Config.set_tbl_width_chars(160)
pl.Config.set_fmt_str_lengths(80)

WAREHOUSE = Path(os.environ.get("EHRLOG_WAREHOUSE", "warehouse/ehrlog.duckdb"))
if not WAREHOUSE.is_absolute() and not WAREHOUSE.exists() and (".." / WAREHOUSE).exists():
    WAREHOUSE = ".." / WAREHOUSE  # started from notebooks/
con = duckdb.connect(str(WAREHOUSE), read_only=True)


def q(sql: str, params: list | None = None) -> pl.DataFrame:
    """Run a query with bound parameters and return a Polars frame."""
    return con.sql(sql, params=params).pl()


# %% [markdown]
# ## 1. The layers and the grain of every table
#
# `raw` (manifest of delivered files) → `staging` (typed, upserted, patient ids hashed)
# → `core` (providers and their ranges) → `marts` (the measures). `quarantine` holds the
# rejected rows. Every table carries its grain as a COMMENT.

# %%
tables = q("""
    SELECT schema_name || '.' || table_name AS "table", estimated_size AS approx_rows,
           comment AS grain
    FROM duckdb_tables()
    ORDER BY list_position(['marts', 'core', 'staging', 'quarantine', 'raw'], schema_name),
             table_name
""")
print(tables)

# %% [markdown]
# ## 2. The methods card: how these numbers were made
#
# One row per run in `marts.methods`. Quote `settings_hash` with any number you share;
# numbers from runs with different hashes are not comparable.

# %%
card = q("SELECT * FROM marts.methods ORDER BY run_at DESC LIMIT 1").row(0, named=True)
settings = json.loads(card["settings_json"])
MIN_CELL = int(settings["min_cell_size"])
MIN_SCHED = float(settings["min_scheduled_hours_per_week"])
print(f"run {card['run_id']} at {card['run_at']:%Y-%m-%d %H:%M} UTC, ehrlog "
      f"{card['software_version']}, settings hash {card['settings_hash']}")
print(f"loaded range {card['range_start']} .. {card['range_end']}; "
      f"time zone {settings['timezone']}; idle timeout {settings['idle_timeout_seconds']:g} s; "
      f"reporting period {settings['reporting_period']}; min_cell_size {MIN_CELL}; "
      f"min_scheduled_hours_per_week {MIN_SCHED:g}")

# %% [markdown]
# ## 3. Grains and joins
#
# | table | one row per | key |
# | --- | --- | --- |
# | `marts.provider_day` | provider, local date | `provider_id`, `date` |
# | `marts.provider_week` | provider, week | `provider_id`, `week_start` |
# | `marts.provider_period` | provider, period | `provider_id`, `period_type`, `period_start` |
# | `marts.provider_year` | provider (trailing year) | `provider_id` |
# | `marts.burnout_risk_flags` | provider, period, measure | provider_period key + `measure` |
# | `marts.provider_risk_summary` | provider, period | same as provider_period |
# | `marts.department_period` | department, period, measure | group + period + `measure` |
# | `marts.specialty_period` | specialty, period, measure | group + period + `measure` |
# | `core.providers` | provider (department, specialty, role, FTE, range) | `provider_id` |
#
# `core.providers` is the dimension: one row per provider even when the roster has two
# logins (`staging.providers` has one row per login: never join it to marts directly, it
# would double the rows of a provider with two logins).

# %%
logins = q("""
    SELECT count(*) AS login_rows, count(DISTINCT provider_id) AS providers
    FROM staging.providers
""")
print(logins)
week_by_department = q("""
    SELECT p.department, count(*) AS provider_weeks, count(DISTINCT w.provider_id) AS providers
    FROM marts.provider_week AS w JOIN core.providers AS p USING (provider_id)
    GROUP BY ALL ORDER BY ALL
""")
print(week_by_department)

# %% [markdown]
# ## 4. Pitfall one: ratio of sums, not mean of ratios
#
# Every weekly and period figure is a ratio of sums over the dates it covers. To combine
# periods into a longer window, sum the numerator and the denominator (from
# `marts.provider_day`, or the period's own counts) and divide once; averaging the
# period ratios gives a three-day month the same weight as a full one. Below: inbox
# messages per week over each provider's whole range, both ways.

# %%
ratio_check = q("""
    SELECT provider_id,
           count(*) AS months,
           min(days_in_range) AS shortest_month_days,
           round(avg(inbox_messages_per_week), 1) AS mean_of_monthly_ratios,
           round(sum(inbox_messages) / (sum(days_in_range) / 7), 1) AS ratio_of_sums
    FROM marts.provider_period
    WHERE period_type = 'month'
    GROUP BY provider_id
    ORDER BY abs(mean_of_monthly_ratios - ratio_of_sums) DESC, provider_id
    LIMIT 5
""")
print("inbox messages per week: mean of monthly ratios vs ratio of sums (largest gaps)")
print(ratio_check)

# %% [markdown]
# ## 5. Pitfall two: schedule-based ratios are null below the minimum schedule
#
# `*_time8`, `wow_minutes_per_clinic_day`, `ehr_minutes_per_scheduled_hour` and `psh40`
# are null when `scheduled_hours < min_scheduled_hours_per_week x days_in_range / 7`
# (vacation weeks, partial weeks at the edge of a range). Do not replace the nulls with
# zeros, and count them when you report a median.

# %%
null_weeks = q("""
    SELECT ehr_time8 IS NULL AS ehr_time8_is_null,
           count(*) AS provider_weeks,
           round(min(scheduled_hours), 1) AS min_scheduled_hours,
           round(max(scheduled_hours), 1) AS max_scheduled_hours,
           bool_and(scheduled_hours < $min_sched * days_in_range / 7) AS all_below_minimum
    FROM marts.provider_week GROUP BY ALL ORDER BY ALL
""", params={"min_sched": MIN_SCHED})
print(null_weeks)

# %% [markdown]
# ## 6. Pitfall three: incomplete periods
#
# `marts.provider_period.complete` (and `burnout_risk_flags.complete`) is false when the
# period is only partly inside the provider's range: a new hire's first month, a
# leaver's last, the current month. Per-week rates survive this; counts and trends do
# not. Filter on `complete` for anything you compare across periods.

# %%
partial = q("""
    SELECT pp.provider_id, pp.period_start, pp.days_in_range, pp.complete,
           pp.inbox_messages, round(pp.inbox_messages_per_week, 1) AS inbox_messages_per_week
    FROM marts.provider_period AS pp
    WHERE NOT pp.complete ORDER BY ALL
""")
print(partial)

# %% [markdown]
# ## 7. Flags and the aggregates leaders see
#
# Individual flags are for the clinician and their direct leader (`ehrlog flags`).
# Leaders get `marts.department_period` / `specialty_period`, where a group with fewer
# than `min_cell_size` providers is suppressed and small level counts are null.

# %%
flag_levels = q("""
    SELECT measure, level, count(*) AS provider_periods
    FROM marts.burnout_risk_flags
    WHERE period_type = 'month' AND complete
    GROUP BY measure, level
    ORDER BY measure, list_position(['low', 'elevated', 'high'], level)
""")
print(flag_levels)
latest_department = q("""
    SELECT department, measure, n_providers, suppressed, round(median, 1) AS median,
           n_low, n_elevated, n_high
    FROM marts.department_period
    WHERE period_type = 'month'
      AND period_start = (SELECT max(period_start) FROM marts.department_period
                          WHERE period_type = 'month' AND period_end <= $range_end)
    ORDER BY ALL
""", params={"range_end": card["range_end"]})
print(f"department aggregates, latest complete month (min_cell_size {MIN_CELL})")
print(latest_department)

# %% [markdown]
# More questions, one SQL file each, are in `queries/`; run one with
# `duckdb -readonly warehouse/ehrlog.duckdb < queries/06_pajama_share_weekday_vs_weekend.sql`.

# %%
con.close()
print("tour complete")
