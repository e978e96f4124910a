-- Question: What share of in-basket messages is system-generated
--   (staging.inbox.message_type = 'system'), by department and quarter?
-- Audience: leaders (aggregate). Departments with fewer than min_cell_size providers
--   are suppressed (latest methods card).
-- Grain: one row per department and calendar quarter, plus an all-departments row,
--   hidden when a department of its quarter is (the total minus the shown departments
--   would be the hidden one).
-- Population: every rostered provider (residents and "other" included, unlike the
--   flags and the leader charts, which count the profile's roles).
-- Method: messages are dated by their local received date (the warehouse's time zone,
--   from the methods card) and counted only inside the provider's range and inside
--   complete quarters of the loaded range. The share is a ratio of sums (system messages
--   / all messages), not a mean of provider shares. marts tables have no message type,
--   so this reads staging.inbox (no patient identifiers are involved).
WITH settings AS (
    SELECT CAST(settings_json ->> '$.min_cell_size' AS INTEGER) AS min_cell_size,
           settings_json ->> '$.timezone' AS tz,
           range_start, range_end
    FROM marts.methods ORDER BY run_at DESC LIMIT 1
),
messages AS (
    SELECT i.provider_id, i.message_type,
           CAST(timezone(s.tz, i.received_time) AS DATE) AS local_date
    FROM staging.inbox AS i CROSS JOIN settings AS s
),
dated AS (
    SELECT p.department, m.message_type,
           CAST(date_trunc('quarter', m.local_date) AS DATE) AS quarter_start, m.provider_id
    FROM messages AS m
    JOIN core.providers AS p
      ON p.provider_id = m.provider_id
     AND m.local_date BETWEEN p.range_start AND p.range_end
),
grouped AS (
    SELECT d.department, d.quarter_start,
           count(DISTINCT d.provider_id) AS n_providers,
           count(*) AS messages,
           count(*) FILTER (WHERE d.message_type = 'system') AS system_messages
    FROM dated AS d CROSS JOIN settings AS s
    WHERE d.quarter_start >= s.range_start
      AND CAST(d.quarter_start + INTERVAL 3 MONTH AS DATE) <= s.range_end + 1
    GROUP BY GROUPING SETS ((d.department, d.quarter_start), (d.quarter_start))
),
shown AS (
    SELECT g.*,
           g.n_providers >= s.min_cell_size AND (g.department IS NOT NULL OR NOT coalesce(
               bool_or(g.n_providers < s.min_cell_size) FILTER (WHERE g.department IS NOT NULL)
                   OVER (PARTITION BY g.quarter_start), FALSE)) AS visible
    FROM grouped AS g CROSS JOIN settings AS s
)
SELECT coalesce(department, 'All departments') AS department,
       strftime(quarter_start, '%Y-Q') || quarter(quarter_start) AS quarter,
       n_providers,
       NOT visible AS suppressed,
       CASE WHEN visible THEN messages END AS messages,
       CASE WHEN visible THEN system_messages END AS system_messages,
       CASE WHEN visible THEN round(system_messages / messages, 3) END AS system_share
FROM shown
ORDER BY quarter_start, department IS NULL, department;
