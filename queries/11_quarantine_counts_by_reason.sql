-- Question: How many delivered rows were rejected, by extract kind and reason, and what
--   share of each kind's delivered rows is that?
-- Audience: the informatics team running the pipeline (data quality). The detail and
--   record columns are left out: they hold delivered values; patient ids in them are
--   hashed, but they are for targeted look-ups, not for summaries.
-- Grain: one row per kind and reason code.
-- Method: all deliveries in quarantine.rows; delivered rows per kind come from the raw
--   manifest (raw.files.rows). The run's checks fail above quality.max_quarantine_share
--   (default 0.01) of a kind's rows.
WITH delivered AS (
    SELECT kind, CAST(sum(rows) AS BIGINT) AS delivered_rows FROM raw.files GROUP BY kind
)
SELECT q.kind,
       q.reason,
       count(*) AS rows_quarantined,
       count(DISTINCT q.source_file) AS files,
       count(DISTINCT q.delivery_id) AS deliveries,
       string_agg(DISTINCT q.column_name, ', ' ORDER BY q.column_name) AS columns,
       d.delivered_rows,
       round(count(*) / nullif(d.delivered_rows, 0), 5) AS share_of_delivered
FROM quarantine.rows AS q
LEFT JOIN delivered AS d USING (kind)
GROUP BY q.kind, q.reason, d.delivered_rows
ORDER BY q.kind, rows_quarantined DESC, q.reason;
