-- Question: By department, how many vacation days carried more than 30 minutes of EHR
--   work, and what share of vacation days is that?
-- Audience: leaders (aggregate). A department with fewer than min_cell_size providers
--   who took vacation is suppressed (latest methods card); a day count between 1 and
--   min_cell_size - 1 is hidden, and so is the share that would reveal it.
-- Grain: one row per department and calendar year, plus an all-departments row per year,
--   whose figures are hidden where a department's are (the total minus the shown
--   departments would be the hidden one).
-- Population: every rostered provider (residents and "other" included, unlike the
--   flags and the leader charts, which count the profile's roles).
-- Method: complete months only (provider_period.complete); `months` says how many months
--   of the year are in; n_providers counts the providers who took vacation. Shares are ratios of sums of days, never means of provider
--   shares. "More than 30 minutes" is the Value of Feeling Valued playbook's cut
--   (Sinsky et al. JAMA Netw Open 2024).
WITH settings AS (
    SELECT CAST(settings_json ->> '$.min_cell_size' AS INTEGER) AS min_cell_size
    FROM marts.methods ORDER BY run_at DESC LIMIT 1
),
grouped AS (
    SELECT p.department,
           year(pp.period_start) AS year,
           count(DISTINCT pp.period_start) AS months,
           count(DISTINCT pp.provider_id) FILTER (WHERE pp.vacation_days > 0) AS n_providers,
           CAST(sum(pp.vacation_days) AS BIGINT) AS vacation_days,
           CAST(sum(pp.vacation_days_with_ehr) AS BIGINT) AS with_ehr,
           CAST(sum(pp.vacation_days_over_30_min) AS BIGINT) AS over_30
    FROM marts.provider_period AS pp
    JOIN core.providers AS p USING (provider_id)
    WHERE pp.period_type = 'month' AND pp.complete
    GROUP BY GROUPING SETS ((p.department, year(pp.period_start)), (year(pp.period_start)))
),
cells AS (
    SELECT g.*, s.min_cell_size,
           g.n_providers >= s.min_cell_size AS visible,
           g.n_providers >= s.min_cell_size
               AND NOT g.with_ehr BETWEEN 1 AND s.min_cell_size - 1 AS with_ehr_visible,
           g.n_providers >= s.min_cell_size
               AND NOT g.over_30 BETWEEN 1 AND s.min_cell_size - 1 AS over_30_visible
    FROM grouped AS g CROSS JOIN settings AS s
),
shown AS (  -- a total is shown only where every department of its year is
    SELECT * REPLACE (
        visible AND (department IS NOT NULL OR coalesce(bool_and(visible) FILTER (
            WHERE department IS NOT NULL) OVER (PARTITION BY year), TRUE)) AS visible,
        with_ehr_visible AND (department IS NOT NULL OR coalesce(bool_and(with_ehr_visible)
            FILTER (WHERE department IS NOT NULL) OVER (PARTITION BY year), TRUE))
            AS with_ehr_visible,
        over_30_visible AND (department IS NOT NULL OR coalesce(bool_and(over_30_visible)
            FILTER (WHERE department IS NOT NULL) OVER (PARTITION BY year), TRUE))
            AS over_30_visible)
    FROM cells
)
SELECT coalesce(department, 'All departments') AS department,
       year,
       months,
       n_providers,
       NOT visible AS suppressed,
       CASE WHEN visible THEN vacation_days END AS vacation_days,
       CASE WHEN with_ehr_visible THEN with_ehr END AS vacation_days_with_ehr,
       CASE WHEN over_30_visible THEN over_30 END AS vacation_days_over_30_min,
       CASE WHEN with_ehr_visible THEN round(with_ehr / nullif(vacation_days, 0), 3) END
           AS share_with_any_ehr,
       CASE WHEN over_30_visible THEN round(over_30 / nullif(vacation_days, 0), 3) END
           AS share_over_30_min
FROM shown
ORDER BY year, department IS NULL, department;
