-- name: usage_rows_unlike_events
-- Usage rows and `attempt.usage` events that do not say the same (the event is in the
-- verified chain; its row is what spends and totals are summed from): a row without its
-- event, an event without its row, or different figures.
WITH kept AS (
    SELECT r.repo_id, u.event_seq AS seq, u.run_id, u.job_id, u.attempt, u.input_tokens,
           u.cached_tokens, u.output_tokens, u.cost_usd, u.cost_source, u.model
    FROM striatumd.attempt_usage u
    JOIN striatumd.runs r ON r.run_id = u.run_id
), said AS (
    SELECT e.repo_id, e.seq, e.run_id, e.job_id, (e.payload->>'attempt')::integer AS attempt,
           (e.payload->>'input_tokens')::bigint AS input_tokens,
           (e.payload->>'cached_tokens')::bigint AS cached_tokens,
           (e.payload->>'output_tokens')::bigint AS output_tokens,
           round((e.payload->>'cost_usd')::numeric, 6) AS cost_usd,
           e.payload->>'cost_source' AS cost_source, e.payload->>'model' AS model
    FROM striatumd.events e
    WHERE e.type = 'attempt.usage'
)
SELECT coalesce(kept.run_id, said.run_id) AS run_id,
       coalesce(kept.seq, said.seq) AS seq,
       CASE WHEN said.seq IS NULL THEN 'a usage row has no attempt.usage event'
            WHEN kept.seq IS NULL THEN 'an attempt.usage event has no usage row'
            ELSE 'a usage row differs from its attempt.usage event' END AS problem
FROM kept
FULL JOIN said ON said.repo_id = kept.repo_id AND said.seq = kept.seq
WHERE kept.seq IS NULL OR said.seq IS NULL
   OR (kept.run_id, kept.job_id, kept.attempt, kept.input_tokens, kept.cached_tokens,
       kept.output_tokens, kept.cost_usd, kept.cost_source, kept.model)
      IS DISTINCT FROM
      (said.run_id, said.job_id, said.attempt, said.input_tokens, said.cached_tokens,
       said.output_tokens, said.cost_usd, said.cost_source, said.model)
ORDER BY 1, 2
LIMIT 20;

-- name: spends_unlike_rows
-- Runs and lane budgets whose spend is not the sum of the usage rows it counts.
WITH summed AS (
    SELECT u.run_id, j.lane, coalesce(sum(u.cost_usd), 0) AS usd,
           coalesce(sum(coalesce(u.input_tokens, 0) + coalesce(u.cached_tokens, 0)
                        + coalesce(u.output_tokens, 0)), 0) AS tokens
    FROM striatumd.attempt_usage u
    JOIN striatumd.jobs j ON j.run_id = u.run_id AND j.job_id = u.job_id
    GROUP BY u.run_id, j.lane
), kept AS (
    SELECT run_id, NULL::text AS lane, spent_usd, spent_tokens FROM striatumd.runs
    UNION ALL
    SELECT run_id, lane, spent_usd, spent_tokens FROM striatumd.lane_budgets
)
SELECT kept.run_id, kept.lane, kept.spent_usd::float8 AS spent_usd, kept.spent_tokens,
       coalesce(sum(s.usd), 0)::float8 AS reported_usd, coalesce(sum(s.tokens), 0) AS reported_tokens
FROM kept
LEFT JOIN summed s ON s.run_id = kept.run_id AND (kept.lane IS NULL OR s.lane = kept.lane)
GROUP BY kept.run_id, kept.lane, kept.spent_usd, kept.spent_tokens
HAVING kept.spent_usd <> coalesce(sum(s.usd), 0) OR kept.spent_tokens <> coalesce(sum(s.tokens), 0)
ORDER BY 1, 2 NULLS FIRST
LIMIT 20;

-- name: budgets_unlike_events
-- Budgets that are not the last one the chain recorded for them (`run.prepared`'s
-- `budgets`, then each `run.budget_changed`; none recorded: no budget).
WITH said AS (
    SELECT e.run_id, b->>'lane' AS lane, e.repo_id, e.seq, b AS budget
    FROM striatumd.events e
    CROSS JOIN LATERAL jsonb_array_elements(e.payload->'budgets') b
    WHERE e.type = 'run.prepared' AND jsonb_typeof(e.payload->'budgets') = 'array'
    UNION ALL
    SELECT e.run_id, e.payload->>'lane', e.repo_id, e.seq, e.payload
    FROM striatumd.events e
    WHERE e.type = 'run.budget_changed'
), latest AS (
    SELECT DISTINCT ON (run_id, lane) run_id, lane, budget
    FROM said ORDER BY run_id, lane, seq DESC
), kept AS (
    SELECT run_id, NULL::text AS lane, budget_usd, budget_tokens, budget_hard AS hard
    FROM striatumd.runs
    UNION ALL
    SELECT run_id, lane, budget_usd, budget_tokens, hard FROM striatumd.lane_budgets
)
SELECT kept.run_id, kept.lane, kept.budget_usd::float8 AS budget_usd, kept.budget_tokens,
       kept.hard, latest.budget IS NOT NULL AS recorded
FROM kept
LEFT JOIN latest ON latest.run_id = kept.run_id AND latest.lane IS NOT DISTINCT FROM kept.lane
WHERE (kept.budget_usd, kept.budget_tokens, kept.hard) IS DISTINCT FROM
      (round((latest.budget->>'budget_usd')::numeric, 6),
       (latest.budget->>'budget_tokens')::bigint,
       coalesce((latest.budget->>'hard')::boolean, false))
ORDER BY 1, 2 NULLS FIRST
LIMIT 20;
