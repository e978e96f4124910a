-- Question: How many hours of EHR time do providers spend per 8 hours of scheduled
--   patient time (EHR-Time8, Sinsky et al. 2020 JAMIA), by specialty?
-- Audience: leaders (aggregate). Specialties with fewer than min_cell_size providers are
--   suppressed (latest methods card).
-- Grain: one row per specialty, plus an 'All specialties' row.
-- Population: every rostered provider (residents and "other" included, unlike the
--   flags and the leader charts, which count the profile's roles).
-- Method: per provider, (sum of ehr_minutes / 60) / scheduled_hours x 8 over the complete
--   months of their range (a ratio of sums), null below min_scheduled_hours_per_week x
--   days / 7 (such providers are counted in n_below_min_schedule, not in the statistics).
--   pooled_ehr_time8 is the specialty's own ratio of sums: total EHR hours / total
--   scheduled hours x 8 across its providers; the median is the typical provider.
WITH settings AS (
    SELECT CAST(settings_json ->> '$.min_cell_size' AS INTEGER) AS min_cell_size,
           CAST(settings_json ->> '$.min_scheduled_hours_per_week' AS DOUBLE) AS min_sched
    FROM marts.methods ORDER BY run_at DESC LIMIT 1
),
complete_days AS (
    SELECT d.*
    FROM marts.provider_day AS d
    JOIN marts.provider_period AS pp
      ON pp.provider_id = d.provider_id AND pp.complete
     AND d.date BETWEEN pp.period_start AND pp.period_end
),
per_provider AS (
    SELECT d.provider_id, p.specialty,
           count(*) AS days,
           sum(d.ehr_minutes) / 60 AS ehr_hours,
           sum(d.scheduled_minutes) / 60 AS scheduled_hours
    FROM complete_days AS d JOIN core.providers AS p USING (provider_id)
    GROUP BY d.provider_id, p.specialty
),
valued AS (
    SELECT v.*,
           v.scheduled_hours > 0 AND v.scheduled_hours >= s.min_sched * v.days / 7
               AS has_value,
           CASE WHEN v.scheduled_hours > 0 AND v.scheduled_hours >= s.min_sched * v.days / 7
                THEN v.ehr_hours / v.scheduled_hours * 8 END AS ehr_time8
    FROM per_provider AS v CROSS JOIN settings AS s
),
grouped AS (
    SELECT specialty,
           count(*) FILTER (WHERE has_value) AS n_providers,
           count(*) FILTER (WHERE NOT has_value) AS n_below_min_schedule,
           median(ehr_time8) AS median_ehr_time8,
           quantile_cont(ehr_time8, 0.25) AS p25_ehr_time8,
           quantile_cont(ehr_time8, 0.75) AS p75_ehr_time8,
           sum(ehr_hours) FILTER (WHERE has_value)
               / sum(scheduled_hours) FILTER (WHERE has_value) * 8 AS pooled_ehr_time8
    FROM valued
    GROUP BY GROUPING SETS ((specialty), ())
)
SELECT coalesce(g.specialty, 'All specialties') AS specialty,
       g.n_providers,
       g.n_below_min_schedule,
       g.n_providers < s.min_cell_size AS suppressed,
       CASE WHEN g.n_providers >= s.min_cell_size THEN round(g.p25_ehr_time8, 2) END
           AS p25_ehr_time8,
       CASE WHEN g.n_providers >= s.min_cell_size THEN round(g.median_ehr_time8, 2) END
           AS median_ehr_time8,
       CASE WHEN g.n_providers >= s.min_cell_size THEN round(g.p75_ehr_time8, 2) END
           AS p75_ehr_time8,
       CASE WHEN g.n_providers >= s.min_cell_size THEN round(g.pooled_ehr_time8, 2) END
           AS pooled_ehr_time8
FROM grouped AS g CROSS JOIN settings AS s
ORDER BY g.specialty IS NULL, g.specialty;
