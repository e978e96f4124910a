-- Question: Which providers were flagged high on some measure in two or more consecutive
--   months, and on which measures?
-- Audience: the clinician and their direct leader (individual rows). Measure for learning,
--   not for judgment (NAM Perspectives 2020): a flag opens a conversation.
-- Grain: one row per provider and run of consecutive complete months with n_high > 0.
-- Method: marts.provider_risk_summary (monthly rows), complete months only (from
--   marts.provider_period.complete); a run is broken by a month without a high flag or
--   by a partial month. Trailing-year measures are not monthly and are left out.
WITH high_months AS (
    SELECT rs.provider_id, rs.period_start, rs.high_measures
    FROM marts.provider_risk_summary AS rs
    JOIN marts.provider_period AS pp
      ON pp.provider_id = rs.provider_id AND pp.period_type = rs.period_type
     AND pp.period_start = rs.period_start AND pp.complete
    WHERE rs.period_type = 'month' AND rs.n_high > 0
),
runs AS (
    SELECT *,
           date_diff('month', DATE '2000-01-01', period_start)
           - row_number() OVER (PARTITION BY provider_id ORDER BY period_start) AS run_key
    FROM high_months
),
measures AS (
    SELECT r.provider_id, r.run_key, trim(m.measure) AS measure
    FROM runs AS r, unnest(string_split(r.high_measures, ',')) AS m(measure)
)
SELECT r.provider_id,
       p.department,
       p.specialty,
       strftime(min(r.period_start), '%Y-%m') AS first_month,
       strftime(max(r.period_start), '%Y-%m') AS last_month,
       count(*) AS consecutive_months,
       (SELECT string_agg(DISTINCT m.measure, ', ' ORDER BY m.measure)
        FROM measures AS m
        WHERE m.provider_id = r.provider_id AND m.run_key = r.run_key) AS high_measures
FROM runs AS r
JOIN core.providers AS p USING (provider_id)
GROUP BY r.provider_id, r.run_key, p.department, p.specialty
HAVING count(*) >= 2
ORDER BY consecutive_months DESC, r.provider_id, first_month;
