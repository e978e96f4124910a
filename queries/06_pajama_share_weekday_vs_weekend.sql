-- Question: What share of EHR time is pajama time on weekdays versus weekends, by
--   department?
-- Audience: leaders (aggregate). Departments with fewer than min_cell_size providers
--   are suppressed (latest methods card).
-- Grain: one row per department and day type (weekday, weekend), plus all departments.
--   The all-departments row is hidden when a department of its day type is: the total
--   minus the shown departments would be the hidden one.
-- Population: every rostered provider (residents and "other" included, unlike the
--   flags and the leader charts, which count the profile's roles).
-- Method: share = sum of pajama_minutes / sum of ehr_minutes over the provider-days of
--   complete months (a ratio of sums: a provider with more EHR time weighs more, as the
--   minutes do; a mean of daily shares would let a 2-minute Sunday login count as much
--   as a full clinic day). With pajama.weekends = true (the default) every weekend
--   minute is pajama time, so the weekend share is 1 by definition; the weekday share
--   is the evening and early-morning work (Epic's definition, Rotenstein et al. 2023).
WITH settings AS (
    SELECT CAST(settings_json ->> '$.min_cell_size' AS INTEGER) AS min_cell_size
    FROM marts.methods ORDER BY run_at DESC LIMIT 1
),
complete_days AS (
    SELECT d.*
    FROM marts.provider_day AS d
    JOIN marts.provider_period AS pp
      ON pp.provider_id = d.provider_id AND pp.complete
     AND d.date BETWEEN pp.period_start AND pp.period_end
),
grouped AS (
    SELECT p.department,
           CASE WHEN isodow(d.date) >= 6 THEN 'weekend' ELSE 'weekday' END AS day_type,
           count(DISTINCT d.provider_id) AS n_providers,
           sum(d.ehr_minutes) / 60 AS ehr_hours,
           sum(d.pajama_minutes) / 60 AS pajama_hours
    FROM complete_days AS d
    JOIN core.providers AS p USING (provider_id)
    GROUP BY GROUPING SETS ((p.department, day_type), (day_type))
),
shown AS (
    SELECT g.*,
           g.n_providers >= s.min_cell_size AND (g.department IS NOT NULL OR NOT coalesce(
               bool_or(g.n_providers < s.min_cell_size) FILTER (WHERE g.department IS NOT NULL)
                   OVER (PARTITION BY g.day_type), FALSE)) AS visible
    FROM grouped AS g CROSS JOIN settings AS s
)
SELECT coalesce(department, 'All departments') AS department,
       day_type,
       n_providers,
       NOT visible AS suppressed,
       CASE WHEN visible THEN round(ehr_hours, 1) END AS ehr_hours,
       CASE WHEN visible THEN round(pajama_hours, 1) END AS pajama_hours,
       CASE WHEN visible AND ehr_hours > 0 THEN round(pajama_hours / ehr_hours, 3) END
           AS pajama_share
FROM shown
ORDER BY department IS NULL, department, day_type;
