-- The figures of DOMAIN.md from the history tables, exactly as the figures API counts them
-- (docs/figures.md). Ratios are NULL when their denominator is 0.
--   SELECT response_45s_rate FROM shop_day_figures WHERE shop_id = 'demo' AND day = '2026-08-18';

CREATE VIEW agent_online_intervals AS
SELECT shop_id, agent_id, status, at AS since,
       lead(at) OVER (PARTITION BY shop_id, agent_id ORDER BY at, event_id) AS until
FROM agent_status_changes;

-- One row per shop, day, hour and skill: the finest grain; coarser views sum it.
CREATE VIEW figure_counts AS
WITH r AS (
  SELECT shop_id, day, hour, skill,
         count(*) AS requests,
         count(*) FILTER (WHERE outcome = 'connected') AS sessions,
         count(*) FILTER (WHERE outcome = 'abandoned') AS requests_abandoned,
         count(*) FILTER (WHERE outcome IN ('no_agent', 'queue_full')) AS requests_no_agent
  FROM requests GROUP BY 1, 2, 3, 4
), s AS (
  SELECT shop_id, day, hour, skill,
         count(*) FILTER (WHERE closed_at IS NOT NULL) AS sessions_judged,
         count(*) FILTER (WHERE responded_45s) AS sessions_responded_45s,
         count(*) FILTER (WHERE valid) AS sessions_valid,
         count(*) FILTER (WHERE valid AND rating IS NOT NULL) AS sessions_rated,
         count(*) FILTER (WHERE valid AND rating >= 4) AS sessions_satisfied
  FROM sessions GROUP BY 1, 2, 3, 4
), b AS (
  SELECT shop_id, day, hour, skill, count(*) AS breaches FROM breaches GROUP BY 1, 2, 3, 4
), keys AS (
  SELECT shop_id, day, hour, skill FROM r UNION SELECT shop_id, day, hour, skill FROM s
  UNION SELECT shop_id, day, hour, skill FROM b
)
SELECT k.shop_id, k.day, k.hour, k.skill,
       coalesce(r.requests, 0) AS requests, coalesce(r.sessions, 0) AS sessions,
       coalesce(r.requests_abandoned, 0) AS requests_abandoned, coalesce(r.requests_no_agent, 0) AS requests_no_agent,
       coalesce(s.sessions_judged, 0) AS sessions_judged, coalesce(s.sessions_responded_45s, 0) AS sessions_responded_45s,
       coalesce(s.sessions_valid, 0) AS sessions_valid, coalesce(s.sessions_rated, 0) AS sessions_rated,
       coalesce(s.sessions_satisfied, 0) AS sessions_satisfied, coalesce(b.breaches, 0) AS breaches
FROM keys k
LEFT JOIN r USING (shop_id, day, hour, skill)
LEFT JOIN s USING (shop_id, day, hour, skill)
LEFT JOIN b USING (shop_id, day, hour, skill);

CREATE VIEW shop_day_figures AS
WITH c AS (
  SELECT shop_id, day, sum(requests) AS requests, sum(sessions) AS sessions,
         sum(requests_abandoned) AS requests_abandoned, sum(requests_no_agent) AS requests_no_agent,
         sum(sessions_judged) AS sessions_judged, sum(sessions_responded_45s) AS sessions_responded_45s,
         sum(sessions_valid) AS sessions_valid, sum(sessions_rated) AS sessions_rated,
         sum(sessions_satisfied) AS sessions_satisfied, sum(breaches) AS breaches
  FROM figure_counts GROUP BY 1, 2
), m AS (
  SELECT shop_id, day, count(*) AS messages_left, count(replied_at) AS messages_replied FROM left_messages GROUP BY 1, 2
), i AS (
  SELECT shop_id, day, count(DISTINCT member_id) AS members_inquiring FROM sessions WHERE valid GROUP BY 1, 2
), v AS (
  SELECT shop_id, day, count(DISTINCT member_id) AS members_converted FROM conversions GROUP BY 1, 2
), o AS (
  SELECT shop_id, day, sum(ms) / 1000 AS online_duration_s FROM shop_online GROUP BY 1, 2
), keys AS (
  SELECT shop_id, day FROM c UNION SELECT shop_id, day FROM m UNION SELECT shop_id, day FROM o
)
SELECT k.shop_id, k.day,
       coalesce(c.requests, 0)::bigint AS requests, coalesce(c.sessions, 0)::bigint AS sessions,
       c.sessions::numeric / nullif(c.requests, 0) AS connection_rate,
       coalesce(c.sessions_judged, 0)::bigint AS sessions_judged,
       coalesce(c.sessions_responded_45s, 0)::bigint AS sessions_responded_45s,
       c.sessions_responded_45s::numeric / nullif(c.sessions_judged, 0) AS response_45s_rate,
       coalesce(m.messages_left, 0) AS messages_left, coalesce(m.messages_replied, 0) AS messages_replied,
       m.messages_replied::numeric / nullif(m.messages_left, 0) AS message_reply_rate,
       coalesce(c.sessions_valid, 0)::bigint AS sessions_valid, coalesce(c.sessions_rated, 0)::bigint AS sessions_rated,
       c.sessions_rated::numeric / nullif(c.sessions_valid, 0) AS rating_rate,
       coalesce(c.sessions_satisfied, 0)::bigint AS sessions_satisfied,
       c.sessions_satisfied::numeric / nullif(c.sessions_rated, 0) AS satisfaction,
       coalesce(i.members_inquiring, 0) AS members_inquiring, coalesce(v.members_converted, 0) AS members_converted,
       v.members_converted::numeric / nullif(i.members_inquiring, 0) AS inquiry_conversion_rate,
       coalesce(o.online_duration_s, 0)::bigint AS online_duration_s,
       coalesce(c.requests_abandoned, 0)::bigint AS requests_abandoned,
       coalesce(c.requests_no_agent, 0)::bigint AS requests_no_agent,
       coalesce(c.breaches, 0)::bigint AS first_response_breaches
FROM keys k
LEFT JOIN c USING (shop_id, day) LEFT JOIN m USING (shop_id, day) LEFT JOIN i USING (shop_id, day)
LEFT JOIN v USING (shop_id, day) LEFT JOIN o USING (shop_id, day);

CREATE VIEW shop_hour_figures AS
SELECT shop_id, day, hour,
       sum(requests)::bigint AS requests, sum(sessions)::bigint AS sessions,
       sum(sessions)::numeric / nullif(sum(requests), 0) AS connection_rate,
       sum(sessions_judged)::bigint AS sessions_judged, sum(sessions_responded_45s)::bigint AS sessions_responded_45s,
       sum(sessions_responded_45s)::numeric / nullif(sum(sessions_judged), 0) AS response_45s_rate,
       sum(sessions_valid)::bigint AS sessions_valid, sum(sessions_rated)::bigint AS sessions_rated,
       sum(sessions_rated)::numeric / nullif(sum(sessions_valid), 0) AS rating_rate,
       sum(sessions_satisfied)::numeric / nullif(sum(sessions_rated), 0) AS satisfaction,
       sum(breaches)::bigint AS first_response_breaches
FROM figure_counts GROUP BY 1, 2, 3;

-- Hourly figures per shop and skill (the skill the request was made in).
CREATE VIEW skill_hour_figures AS
SELECT shop_id, day, hour, skill, requests, sessions,
       sessions::numeric / nullif(requests, 0) AS connection_rate,
       sessions_judged, sessions_responded_45s,
       sessions_responded_45s::numeric / nullif(sessions_judged, 0) AS response_45s_rate,
       sessions_valid, sessions_rated, sessions_satisfied, breaches AS first_response_breaches
FROM figure_counts;

-- One row per session with the agents it passed through, in order, and its transfers.
CREATE VIEW session_details AS
SELECT s.*,
       coalesce((SELECT array_agg(l.agent_id ORDER BY l.leg) FROM legs l WHERE l.session_id = s.session_id), '{}') AS agents,
       coalesce((SELECT count(*) - 1 FROM legs l WHERE l.session_id = s.session_id), 0) AS transfers,
       (SELECT min(l.first_reply_at) FROM legs l WHERE l.session_id = s.session_id) AS first_human_reply_at
FROM sessions s;
