-- Question: How does PSH40 (patient scheduled hours that make a 40-hour week) vary with
--   clinical FTE?
-- Audience: leaders (aggregate). FTE bands with fewer than min_cell_size providers are
--   suppressed (latest methods card).
-- Grain: one row per clinical FTE band, plus an 'all' row.
-- Population: every rostered provider (residents and "other" included, unlike the
--   flags and the leader charts, which count the profile's roles).
-- Method: per provider, PSH40 = 40 x scheduled_hours / (scheduled_hours + sum of
--   outside_slot_minutes / 60) over the complete months of their range (a ratio of sums;
--   after Sinsky, Rotenstein, Holmgren, Apathy, JAMIA 2024, national median 33.2 h). It
--   is null, and the provider left out, below min_scheduled_hours_per_week x days / 7.
--   scheduled_hours_per_week shows how much clinic time the band actually carries.
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
    SELECT provider_id,
           count(*) AS days,
           sum(scheduled_minutes) / 60 AS scheduled_hours,
           sum(outside_slot_minutes) / 60 AS outside_slot_hours
    FROM complete_days
    GROUP BY provider_id
),
valued AS (
    SELECT p.provider_id, p.clinical_fte,
           CASE WHEN p.clinical_fte >= 1 THEN '1.0'
                WHEN p.clinical_fte >= 0.8 THEN '0.8 to < 1.0'
                WHEN p.clinical_fte >= 0.5 THEN '0.5 to < 0.8'
                ELSE '< 0.5' END AS fte_band,
           40 * v.scheduled_hours / (v.scheduled_hours + v.outside_slot_hours) AS psh40,
           v.scheduled_hours / (v.days / 7) AS scheduled_hours_per_week
    FROM per_provider AS v
    JOIN core.providers AS p USING (provider_id)
    CROSS JOIN settings AS s
    WHERE v.scheduled_hours > 0 AND v.scheduled_hours >= s.min_sched * v.days / 7
),
grouped AS (
    SELECT fte_band,
           count(*) AS n_providers,
           median(psh40) AS median_psh40,
           quantile_cont(psh40, 0.25) AS p25_psh40,
           quantile_cont(psh40, 0.75) AS p75_psh40,
           median(scheduled_hours_per_week) AS median_scheduled_hours_per_week,
           corr(psh40, clinical_fte) AS corr_psh40_fte
    FROM valued
    GROUP BY GROUPING SETS ((fte_band), ())
)
SELECT coalesce(g.fte_band, 'all') AS fte_band,
       g.n_providers,
       g.n_providers < s.min_cell_size AS suppressed,
       CASE WHEN g.n_providers >= s.min_cell_size THEN round(g.median_psh40, 1) END
           AS median_psh40,
       CASE WHEN g.n_providers >= s.min_cell_size THEN round(g.p25_psh40, 1) END AS p25_psh40,
       CASE WHEN g.n_providers >= s.min_cell_size THEN round(g.p75_psh40, 1) END AS p75_psh40,
       CASE WHEN g.n_providers >= s.min_cell_size
            THEN round(g.median_scheduled_hours_per_week, 1) END
           AS median_scheduled_hours_per_week,
       CASE WHEN g.fte_band IS NULL AND g.n_providers >= s.min_cell_size
            THEN round(g.corr_psh40_fte, 3) END AS corr_psh40_fte
FROM grouped AS g CROSS JOIN settings AS s
ORDER BY g.fte_band IS NULL, g.fte_band DESC;
