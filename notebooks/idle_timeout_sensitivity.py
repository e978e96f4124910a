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
# # How much does the idle timeout matter?
#
# Active EHR time is built from gaps between a provider's consecutive audit-log events:
# a gap of at most `idle_timeout_seconds` counts as active (CONTRACT.md section 3).
# Published systems disagree on the rule: the WashU audit-log studies use 300 s between
# audit events; Epic Signal uses 5 s of mouse and keyboard inactivity, which audit logs
# cannot reproduce. This notebook recomputes total EHR time from the staged events at
# 5, 60, 300 and 900 s, the same computation as `ehrlog sensitivity`
# (`metrics.sensitivity.ehr_time_by_timeout`), then looks at which providers and which
# categories move most.
#
# It uses the warehouse's own metric settings (time zone, configured timeout) from the
# latest methods card. The warehouse path comes from `EHRLOG_WAREHOUSE` (default
# `warehouse/ehrlog.duckdb`); it is opened read-only and nothing is written.

# %%
import json
import os
from pathlib import Path

import duckdb
import polars as pl

from metrics.active import active_pieces, provider_events
from metrics.ranges import loaded_range
from metrics.sensitivity import ehr_time_by_timeout
from metrics.timeutil import minutes, span_us
from pipelines.ingest import read_staged
from schemas.config import parse_config

pl.Config.set_tbl_rows(40)
pl.Config.set_tbl_cols(20)
pl.Config.set_tbl_width_chars(160)

TIMEOUTS = [5.0, 60.0, 300.0, 900.0]

WAREHOUSE = Path(os.environ.get("EHRLOG_WAREHOUSE", "warehouse/ehrlog.duckdb"))
if not WAREHOUSE.is_absolute() and not WAREHOUSE.exists() and (".." / WAREHOUSE).exists():
    WAREHOUSE = ".." / WAREHOUSE  # started from notebooks/
con = duckdb.connect(str(WAREHOUSE), read_only=True)
try:
    settings_json = con.sql(
        "SELECT settings_json FROM marts.methods ORDER BY run_at DESC LIMIT 1"
    ).fetchall()[0][0]
    staged = read_staged(con, kinds=("events", "providers", "action_map"))
    marts_total = con.sql("SELECT sum(ehr_minutes) FROM marts.provider_day").fetchall()[0][0]
finally:
    con.close()

cfg = parse_config(json.loads(settings_json))
loaded = loaded_range(staged["events"], cfg)
print(f"{staged['events'].height:,} staged events; loaded range {loaded[0]} .. {loaded[1]}; "
      f"configured idle timeout {cfg.idle_timeout_seconds:g} s; time zone {cfg.timezone}")

# %% [markdown]
# ## 1. Total EHR time under each timeout
#
# The same table `ehrlog sensitivity` prints. `ratio_to_configured` compares each total
# with the configured timeout's. At the configured timeout the total must equal the sum
# of `marts.provider_day.ehr_minutes`: a check that this notebook and the pipeline agree.

# %%
table = ehr_time_by_timeout(staged["events"], staged["providers"], staged["action_map"], cfg,
                            loaded, TIMEOUTS)
print(table.with_columns(
    (pl.col("ehr_minutes_total") / 60).round(1).alias("ehr_hours_total"),
    pl.col("ehr_minutes_per_day").round(1),
    pl.col("ratio_to_configured").round(3),
).select("idle_timeout_seconds", "ehr_hours_total", "provider_days", "ehr_minutes_per_day",
         "ratio_to_configured"))
configured = table.filter(pl.col("idle_timeout_seconds") == cfg.idle_timeout_seconds)
if configured.height:
    diff = abs(configured["ehr_minutes_total"].item() - (marts_total or 0.0))
    print(f"check against marts.provider_day at {cfg.idle_timeout_seconds:g} s: "
          f"difference {diff:.3f} minutes")

# %% [markdown]
# ## 2. Why: the distribution of gaps between events
#
# Each timeout keeps the gaps up to it. The share of gaps (and of gap time) under each
# timeout explains the table above. Real audit logs of clinicians run at 1,500 to 3,000
# events per workday, with most gaps of a few seconds; a sparse extract (the synthetic
# sample has gaps of minutes) makes short timeouts look drastic.

# %%
instants = provider_events(
    staged["events"].lazy(), staged["providers"].lazy(), staged["action_map"].lazy()
).collect()
gaps = (
    instants.sort("provider_id", "event_time")
    .with_columns(
        (pl.col("event_time").shift(-1).over("provider_id") - pl.col("event_time"))
        .dt.total_seconds(fractional=True).alias("gap_s")
    )
    .filter(pl.col("gap_s") > 0)
)
print(gaps.select(
    pl.len().alias("gaps"),
    *[pl.col("gap_s").quantile(q).round(1).alias(f"p{int(q * 100)}_s")
      for q in (0.1, 0.25, 0.5, 0.75, 0.9)],
))
print(pl.DataFrame({"idle_timeout_seconds": TIMEOUTS}).with_columns(
    share_of_gaps_counted=pl.Series(
        [round((gaps["gap_s"] <= t).mean(), 3) for t in TIMEOUTS]),
))

# %% [markdown]
# ## 3. Who moves most: per provider, relative to the configured timeout
#
# A provider whose time shrinks most at short timeouts works in sparse bursts (or reads
# long documents without clicking); one that grows most at 900 s has many mid-length
# pauses. Individual rows: for the analyst and the clinician, not for wider display.

# %%
def minutes_by(timeout: float, keys: list[str]) -> pl.DataFrame:
    """Active minutes per ``keys`` inside the loaded range at one timeout."""
    return (
        active_pieces(instants.lazy(), cfg.with_overrides(idle_timeout_seconds=timeout))
        .filter(pl.col("date").is_between(*loaded))
        .group_by(keys)
        .agg(minutes(span_us(pl.col("start"), pl.col("end")).sum()).alias(f"t{timeout:g}"))
        .collect()
    )


grid = sorted({*TIMEOUTS, cfg.idle_timeout_seconds})
base = f"t{cfg.idle_timeout_seconds:g}"
per_provider = minutes_by(grid[0], ["provider_id"])
for t in grid[1:]:
    per_provider = per_provider.join(minutes_by(t, ["provider_id"]), on="provider_id",
                                     how="full", coalesce=True)
per_provider = per_provider.fill_null(0.0)
relative = per_provider.select(
    "provider_id",
    *[(pl.col(f"t{t:g}") / pl.col(base)).round(3).alias(f"x_at_{t:g}s") for t in TIMEOUTS],
).sort(f"x_at_{TIMEOUTS[-1]:g}s", descending=True)
print("EHR time relative to the configured timeout, per provider")
print(relative)

# %% [markdown]
# ## 4. Which categories move most
#
# The category split of the configured timeout against the longest one: if the share of
# a category changes, measures built on it (inbox time, note time per 8 hours) are more
# timeout-sensitive than total EHR time.

# %%
longest = TIMEOUTS[-1]
by_category = (
    minutes_by(cfg.idle_timeout_seconds, ["category"]).rename({base: "configured"})
    .join(minutes_by(longest, ["category"]).rename({f"t{longest:g}": "longest"}),
          on="category", how="full", coalesce=True)
    .fill_null(0.0)
)
print(by_category.select(
    "category",
    (pl.col("configured") / pl.col("configured").sum()).round(3)
    .alias(f"share_at_{cfg.idle_timeout_seconds:g}s"),
    (pl.col("longest") / pl.col("longest").sum()).round(3).alias(f"share_at_{longest:g}s"),
    (pl.col("longest") / pl.col("configured")).round(3).alias("growth"),
).sort("category"))
