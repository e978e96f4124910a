-- Question: How were the numbers in this warehouse made? The methods card of the latest
--   run: software version, settings and their hash, inputs, quality and range.
-- Audience: anyone citing a number from the warehouse (quote settings_hash with it).
-- Grain: one row (the latest run by run_at).
-- Method: marts.methods has one row per run; settings_json holds every metric setting.
--   When settings_hash changes between runs, core and marts were rebuilt in full, so
--   numbers from runs with different hashes are not comparable.
SELECT run_id,
       run_at,
       software_version,
       settings_hash,
       thresholds_profile,
       range_start,
       range_end,
       date_diff('day', range_start, range_end) + 1 AS days_loaded,
       settings_json ->> '$.timezone' AS timezone,
       CAST(settings_json ->> '$.idle_timeout_seconds' AS DOUBLE) AS idle_timeout_seconds,
       settings_json ->> '$.reporting_period' AS reporting_period,
       settings_json ->> '$.wow.window' AS wow_window,
       CAST(settings_json ->> '$.wow.buffer_minutes' AS DOUBLE) AS wow_buffer_minutes,
       CAST(settings_json ->> '$.min_scheduled_hours_per_week' AS DOUBLE)
           AS min_scheduled_hours_per_week,
       CAST(settings_json ->> '$.min_cell_size' AS INTEGER) AS min_cell_size,
       json_array_length(input_files_json) AS input_files,
       coalesce((SELECT CAST(sum(CAST(q ->> 'n' AS BIGINT)) AS BIGINT)
                 FROM unnest(CAST(quarantine_counts_json AS JSON[])) AS t(q)), 0)
           AS rows_quarantined_this_run,
       round(unmapped_share, 4) AS unmapped_share,
       unrostered_events,
       delivery
FROM marts.methods
ORDER BY run_at DESC
LIMIT 1;
