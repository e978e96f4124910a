-- Question: Which specialties carry the organization's top decile of work outside of
--   work (WOW minutes per clinic day)?
-- Audience: leaders (aggregate). A specialty with fewer than min_cell_size providers
--   (from the latest methods card) is suppressed: its statistics are null.
-- Grain: one row per specialty, plus one 'All specialties' row.
-- Population: every rostered provider (residents and "other" included, unlike the
--   flags and the leader charts, which count the profile's roles).
-- Method: each provider's WOW per clinic day is a ratio of sums over the complete months
--   of their range (sum of wow_minutes / clinic days), never a mean of monthly ratios;
--   it is null, and the provider left out, when scheduled hours fall below
--   min_scheduled_hours_per_week x days / 7 (CONTRACT.md section 4). The top decile is
--   at or above the organization-wide 90th percentile (linear interpolation).
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
    SELECT d.provider_id,
           CASE WHEN sum(d.scheduled_minutes) / 60 >= any_value(s.min_sched) * count(*) / 7
                 AND count(*) FILTER (WHERE d.scheduled_minutes > 0) > 0
                THEN sum(d.wow_minutes)
                     / count(*) FILTER (WHERE d.scheduled_minutes > 0) END
               AS wow_minutes_per_clinic_day
    FROM complete_days AS d CROSS JOIN settings AS s
    GROUP BY d.provider_id
),
valued AS (
    SELECT v.provider_id, p.specialty, v.wow_minutes_per_clinic_day
    FROM per_provider AS v JOIN core.providers AS p USING (provider_id)
    WHERE v.wow_minutes_per_clinic_day IS NOT NULL
),
cut AS (
    SELECT quantile_cont(wow_minutes_per_clinic_day, 0.9) AS p90 FROM valued
),
grouped AS (
    SELECT specialty,
           count(*) AS n_providers,
           count(*) FILTER (WHERE wow_minutes_per_clinic_day >= cut.p90) AS n_top_decile,
           median(wow_minutes_per_clinic_day) AS median_wow_per_clinic_day,
           quantile_cont(wow_minutes_per_clinic_day, 0.9) AS p90_wow_per_clinic_day,
           any_value(cut.p90) AS org_p90
    FROM valued CROSS JOIN cut
    GROUP BY GROUPING SETS ((specialty), ())
)
SELECT coalesce(g.specialty, 'All specialties') AS specialty,
       g.n_providers,
       g.n_providers < s.min_cell_size AS suppressed,
       CASE WHEN g.n_providers >= s.min_cell_size
             AND (g.n_top_decile = 0 OR g.n_top_decile >= s.min_cell_size)
            THEN g.n_top_decile END AS n_top_decile,
       CASE WHEN g.n_providers >= s.min_cell_size
             AND (g.n_top_decile = 0 OR g.n_top_decile >= s.min_cell_size)
            THEN round(g.n_top_decile / g.n_providers, 3) END AS share_top_decile,
       CASE WHEN g.n_providers >= s.min_cell_size
            THEN round(g.median_wow_per_clinic_day, 1) END AS median_wow_per_clinic_day,
       CASE WHEN g.n_providers >= s.min_cell_size
            THEN round(g.p90_wow_per_clinic_day, 1) END AS p90_wow_per_clinic_day,
       round(g.org_p90, 1) AS org_p90_wow_per_clinic_day
FROM grouped AS g CROSS JOIN settings AS s
ORDER BY g.specialty IS NULL, g.specialty;
