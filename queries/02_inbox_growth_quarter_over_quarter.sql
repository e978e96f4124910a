-- Question: Which providers' inbox volume grew by more than 25% from one quarter to the
--   next?
-- Audience: the clinician and their direct leader (individual rows; not for wider
--   distribution; for leaders use department-level aggregates).
-- Grain: one row per provider and quarter whose volume grew > 25% over the quarter before.
-- Method: only calendar quarters that lie wholly inside the provider's range (complete
--   quarters) are compared, and only with the immediately preceding complete quarter.
--   Volume is messages received per week (messages / (days / 7)) so that quarters of 90
--   and 92 days compare fairly.
WITH quarters AS (
    SELECT provider_id,
           CAST(date_trunc('quarter', date) AS DATE) AS quarter_start,
           count(*) AS days_in_range,
           sum(inbox_messages) AS inbox_messages
    FROM marts.provider_day
    GROUP BY ALL
),
complete_quarters AS (
    SELECT *,
           inbox_messages / (days_in_range / 7) AS messages_per_week
    FROM quarters
    WHERE days_in_range
          = date_diff('day', quarter_start, CAST(quarter_start + INTERVAL 3 MONTH AS DATE))
),
growth AS (
    SELECT provider_id, quarter_start, messages_per_week,
           lag(quarter_start) OVER w AS previous_quarter_start,
           lag(messages_per_week) OVER w AS previous_messages_per_week
    FROM complete_quarters
    WINDOW w AS (PARTITION BY provider_id ORDER BY quarter_start)
)
SELECT g.provider_id,
       p.department,
       p.specialty,
       strftime(g.previous_quarter_start, '%Y-Q') || quarter(g.previous_quarter_start)
           AS previous_quarter,
       strftime(g.quarter_start, '%Y-Q') || quarter(g.quarter_start) AS quarter,
       round(g.previous_messages_per_week, 1) AS previous_messages_per_week,
       round(g.messages_per_week, 1) AS messages_per_week,
       round(g.messages_per_week / g.previous_messages_per_week - 1, 3) AS growth
FROM growth AS g
JOIN core.providers AS p USING (provider_id)
WHERE g.previous_quarter_start = CAST(g.quarter_start - INTERVAL 3 MONTH AS DATE)
  AND g.previous_messages_per_week > 0
  AND g.messages_per_week > 1.25 * g.previous_messages_per_week
ORDER BY g.quarter_start, growth DESC, g.provider_id;
