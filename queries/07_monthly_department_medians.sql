-- Question: How have department medians of the flagged measures moved month by month?
-- Audience: leaders (aggregate). Reads marts.department_period, which already applies
--   min_cell_size: suppressed rows (statistics null) are left out here.
-- Grain: one row per department, month and measure.
-- Method: only months that lie wholly inside the loaded range (latest methods card), so
--   the current, partly delivered month never looks like a drop. Caveat: a provider
--   whose own range starts or ends mid-month (a new hire) contributes a partial-month
--   value to that month's department row; marts.provider_period.complete marks those.
--   change_from_previous is the difference from the department's previous shown month.
WITH settings AS (
    SELECT range_start, range_end FROM marts.methods ORDER BY run_at DESC LIMIT 1
),
months AS (
    SELECT dp.*
    FROM marts.department_period AS dp CROSS JOIN settings AS s
    WHERE dp.period_type = 'month'
      AND NOT dp.suppressed
      AND dp.period_start >= s.range_start
      AND dp.period_end <= s.range_end
      AND dp.measure IN ('wow_minutes_per_clinic_day', 'inbox_messages_per_week',
                         'vacation_ehr_minutes_per_day')
)
SELECT department,
       strftime(period_start, '%Y-%m') AS month,
       measure,
       n_providers,
       round(p25, 1) AS p25,
       round(median, 1) AS median,
       round(p75, 1) AS p75,
       round(median - lag(median) OVER (PARTITION BY department, measure
                                        ORDER BY period_start), 1) AS change_from_previous
FROM months
ORDER BY department, measure, period_start;
