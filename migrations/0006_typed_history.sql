-- Typed history (docs/history.md): one message per event kind in history.proto, flattened by the
-- writer into named columns of history_batch_v2, enums by name (store/history_names.hpp:
-- CLOSE_REASON_CUSTOMER_LEFT is 'customer_left'), so no SQL decodes numbers. Also: a queued
-- customer's texts are kept when acknowledged (no session yet: linked at assignment), online
-- time per hour for the shop and per agent, conversions name the order (a later conversion
-- marks it attributed), and every view gives numerators, denominators and rates (0 when the
-- denominator is 0, as the figures API says).

DROP VIEW session_details, skill_hour_figures, shop_hour_figures, shop_day_figures, figure_counts, agent_online_intervals;
DROP FUNCTION switchboard_apply_batch();
DROP FUNCTION switchboard_apply_batch_0004();
DROP FUNCTION switchboard_apply_batch_0002();
DROP TABLE history_batch_template;

-- Enum columns by name.
ALTER TABLE sessions ALTER COLUMN close_reason TYPE text USING
  (CASE close_reason WHEN 1 THEN 'agent' WHEN 2 THEN 'customer' WHEN 3 THEN 'supervisor' WHEN 4 THEN 'customer_left' END);
ALTER TABLE sessions ALTER COLUMN tier TYPE text USING (CASE tier WHEN 1 THEN 'A' WHEN 2 THEN 'B' WHEN 3 THEN 'C' END);
ALTER TABLE requests ALTER COLUMN tier TYPE text USING (CASE tier WHEN 1 THEN 'A' WHEN 2 THEN 'B' WHEN 3 THEN 'C' END);
ALTER TABLE agent_status_changes ALTER COLUMN status TYPE text USING
  (CASE status WHEN 1 THEN 'online' WHEN 2 THEN 'paused' ELSE 'offline' END);
ALTER TABLE messages ALTER COLUMN sender TYPE text USING (CASE sender WHEN 1 THEN 'customer' WHEN 2 THEN 'agent' ELSE 'system' END);
ALTER TABLE quarantined_events ALTER COLUMN kind TYPE text USING kind::text;

-- A queued customer's texts: kept with the request, linked to the session when it is assigned.
ALTER TABLE messages ALTER COLUMN session_id DROP NOT NULL;
ALTER TABLE messages ADD COLUMN request_id text;
CREATE INDEX messages_unlinked ON messages (request_id) WHERE session_id IS NULL;

ALTER TABLE shop_online ADD COLUMN hour smallint;
CREATE TABLE agent_online (
  event_id text PRIMARY KEY,
  shop_id  text        NOT NULL,
  agent_id text        NOT NULL,
  day      date        NOT NULL,
  hour     smallint    NOT NULL,
  until    timestamptz NOT NULL,
  ms       bigint      NOT NULL
);
CREATE INDEX agent_online_shop_day ON agent_online (shop_id, day);
ALTER TABLE conversions ADD COLUMN order_id text;
ALTER TABLE conversions ADD COLUMN hour smallint;  -- of the inquiry (its request), as the figures API counts it

-- The shape of one batch of history events: the writer COPYs into a temp table like it.
CREATE TABLE history_batch_v2 (
  event_id   text        NOT NULL,
  at         timestamptz NOT NULL,
  shop_id    text        NOT NULL,
  kind       text        NOT NULL,  -- the body's field name in history.proto: 'request_begun', ...
  day        date,
  hour       smallint,
  skill      text,
  request_id text,
  session_id text,
  agent_id   text,
  member_id  text,
  body       text,
  leg        smallint,
  at2        timestamptz,           -- begun_at, clock_started_at, left_at: by kind
  flag       boolean,               -- transferred_out, responded_45s, attributed: by kind
  amount     double precision,
  category   text,
  ref_id     text,                  -- order or left-message id
  tier       text,
  reason     text,                  -- unconnected reason, close reason, sender, status, supervisor action
  score      smallint,
  ms         bigint,
  detail     text,
  actor_id   text                   -- the supervisor of a supervisor action
);

CREATE FUNCTION switchboard_apply_batch() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  fresh integer := 0;
  n integer;
BEGIN
  INSERT INTO messages (event_id, at, session_id, request_id, shop_id, sender, sender_id, body)
    SELECT event_id, at, session_id, request_id, shop_id, reason, coalesce(agent_id, member_id, ''), coalesce(body, '')
    FROM batch_events WHERE kind = 'chat_message' ON CONFLICT (event_id, at) DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT; fresh := fresh + n;

  INSERT INTO outside_hours_messages (event_id, shop_id, member_id, skill, at)
    SELECT event_id, shop_id, member_id, skill, at FROM batch_events WHERE kind = 'request_outside_hours' ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT; fresh := fresh + n;

  INSERT INTO requests (request_id, shop_id, member_id, skill, tier, day, hour, begun_at)
    SELECT request_id, shop_id, member_id, skill, tier, day, hour, at FROM batch_events WHERE kind = 'request_begun'
    ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT; fresh := fresh + n;
  UPDATE requests r SET outcome = f.reason, ended_at = f.at
    FROM batch_events f WHERE f.kind = 'request_unconnected' AND r.request_id = f.request_id;

  INSERT INTO sessions (session_id, request_id, shop_id, member_id, skill, tier, day, hour, begun_at, connected_at, first_agent_id)
    SELECT session_id, request_id, shop_id, member_id, skill, tier, day, hour, at2, at, agent_id
    FROM batch_events WHERE kind = 'session_connected' ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT; fresh := fresh + n;
  UPDATE requests r SET outcome = 'connected', session_id = f.session_id
    FROM batch_events f WHERE f.kind = 'session_connected' AND r.request_id = f.request_id;
  -- What the customer wrote while queued now belongs to its session (this batch's rows included).
  UPDATE messages m SET session_id = f.session_id
    FROM batch_events f WHERE f.kind = 'session_connected' AND m.session_id IS NULL AND m.request_id = f.request_id;

  INSERT INTO legs (session_id, leg, shop_id, agent_id, day, skill, started_at, clock_started_at)
    SELECT session_id, leg, shop_id, agent_id, day, skill, at, at2 FROM batch_events WHERE kind = 'leg_started'
    ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT; fresh := fresh + n;
  UPDATE legs l SET first_reply_at = f.at
    FROM batch_events f WHERE f.kind = 'leg_first_reply' AND l.session_id = f.session_id AND l.leg = f.leg;
  UPDATE legs l SET ended_at = f.at, transferred_out = f.flag
    FROM batch_events f WHERE f.kind = 'leg_ended' AND l.session_id = f.session_id AND l.leg = f.leg;

  UPDATE sessions s SET valid = true, valid_at = f.at, valid_agent_id = f.agent_id
    FROM batch_events f WHERE f.kind = 'session_valid' AND s.session_id = f.session_id;
  UPDATE sessions s SET closed_at = f.at, close_reason = f.reason, judged_agent_id = f.agent_id, responded_45s = f.flag
    FROM batch_events f WHERE f.kind = 'session_closed' AND s.session_id = f.session_id;
  UPDATE sessions s SET rating = f.score
    FROM batch_events f WHERE f.kind = 'rating_final' AND s.session_id = f.session_id;

  INSERT INTO breaches (event_id, shop_id, day, hour, skill, session_id, request_id, agent_id, at)
    SELECT event_id, shop_id, day, hour, skill, session_id, request_id, agent_id, at FROM batch_events WHERE kind = 'breach'
    ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT; fresh := fresh + n;

  INSERT INTO left_messages (message_id, shop_id, member_id, body, left_at, day, hour)
    SELECT ref_id, shop_id, member_id, coalesce(body, ''), at, day, hour FROM batch_events WHERE kind = 'message_left'
    ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT; fresh := fresh + n;
  UPDATE left_messages m SET replied_at = f.at, replied_by = f.agent_id, reply = f.body
    FROM batch_events f WHERE f.kind = 'message_replied' AND m.message_id = f.ref_id;

  INSERT INTO agent_status_changes (event_id, shop_id, agent_id, at, status)
    SELECT event_id, shop_id, agent_id, at, reason FROM batch_events WHERE kind = 'agent_status' ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT; fresh := fresh + n;
  INSERT INTO shop_online (event_id, shop_id, day, hour, until, ms)
    SELECT event_id, shop_id, day, hour, at, ms FROM batch_events WHERE kind = 'shop_online' ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT; fresh := fresh + n;
  INSERT INTO agent_online (event_id, shop_id, agent_id, day, hour, until, ms)
    SELECT event_id, shop_id, agent_id, day, hour, at, ms FROM batch_events WHERE kind = 'agent_online' ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT; fresh := fresh + n;

  INSERT INTO orders (shop_id, order_id, member_id, amount, category, received_at, attributed)
    SELECT shop_id, ref_id, member_id, amount, category, at, coalesce(flag, false) FROM batch_events WHERE kind = 'order'
    ON CONFLICT (shop_id, order_id) DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT; fresh := fresh + n;
  INSERT INTO conversions (event_id, shop_id, day, hour, member_id, skill, agent_id, category, order_id, at)
    SELECT event_id, shop_id, day, hour, member_id, skill, agent_id, category, ref_id, at FROM batch_events WHERE kind = 'member_converted'
    ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT; fresh := fresh + n;
  -- An order that converts once its session becomes valid is attributed from then on.
  UPDATE orders o SET attributed = true
    FROM batch_events f WHERE f.kind = 'member_converted' AND o.shop_id = f.shop_id AND o.order_id = f.ref_id AND NOT o.attributed;

  INSERT INTO supervisor_actions (event_id, shop_id, supervisor_id, action, session_id, agent_id, detail, at)
    SELECT event_id, shop_id, actor_id, reason, session_id, agent_id, detail, at FROM batch_events WHERE kind = 'supervisor_action'
    ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT; fresh := fresh + n;
  RETURN fresh;
END $$;

-- The figures of DOMAIN.md from the history tables, exactly as the figures API counts them
-- (docs/figures.md). A rate whose denominator is 0 is 0, as in the API.
CREATE FUNCTION switchboard_rate(num numeric, den numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS
  'SELECT CASE WHEN coalesce(den, 0) = 0 THEN 0 ELSE coalesce(num, 0) / den END';

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

-- Per shop, day and hour: every figure with its numerator and denominator. Messages count by
-- the hour they were left, members by the hour of their request, online time by its own hour.
CREATE VIEW shop_hour_figures AS
WITH c AS (
  SELECT shop_id, day, hour, sum(requests) AS requests, sum(sessions) AS sessions,
         sum(requests_abandoned) AS requests_abandoned, sum(requests_no_agent) AS requests_no_agent,
         sum(sessions_judged) AS sessions_judged, sum(sessions_responded_45s) AS sessions_responded_45s,
         sum(sessions_valid) AS sessions_valid, sum(sessions_rated) AS sessions_rated,
         sum(sessions_satisfied) AS sessions_satisfied, sum(breaches) AS breaches
  FROM figure_counts GROUP BY 1, 2, 3
), m AS (
  SELECT shop_id, day, hour, count(*) AS messages_left, count(replied_at) AS messages_replied FROM left_messages GROUP BY 1, 2, 3
), i AS (
  SELECT shop_id, day, hour, count(DISTINCT member_id) AS members_inquiring FROM sessions WHERE valid GROUP BY 1, 2, 3
), v AS (
  SELECT shop_id, day, hour, count(DISTINCT member_id) AS members_converted FROM conversions WHERE hour IS NOT NULL GROUP BY 1, 2, 3
), o AS (
  SELECT shop_id, day, hour, sum(ms) AS online_ms FROM shop_online WHERE hour IS NOT NULL GROUP BY 1, 2, 3
), keys AS (
  SELECT shop_id, day, hour FROM c UNION SELECT shop_id, day, hour FROM m UNION SELECT shop_id, day, hour FROM o
)
SELECT k.shop_id, k.day, k.hour,
       coalesce(c.requests, 0)::bigint AS requests, coalesce(c.sessions, 0)::bigint AS sessions,
       switchboard_rate(c.sessions, c.requests) AS connection_rate,
       coalesce(c.sessions_judged, 0)::bigint AS sessions_judged,
       coalesce(c.sessions_responded_45s, 0)::bigint AS sessions_responded_45s,
       switchboard_rate(c.sessions_responded_45s, c.sessions_judged) AS response_45s_rate,
       coalesce(m.messages_left, 0) AS messages_left, coalesce(m.messages_replied, 0) AS messages_replied,
       switchboard_rate(m.messages_replied, m.messages_left) AS message_reply_rate,
       coalesce(c.sessions_valid, 0)::bigint AS sessions_valid, coalesce(c.sessions_rated, 0)::bigint AS sessions_rated,
       switchboard_rate(c.sessions_rated, c.sessions_valid) AS rating_rate,
       coalesce(c.sessions_satisfied, 0)::bigint AS sessions_satisfied,
       switchboard_rate(c.sessions_satisfied, c.sessions_rated) AS satisfaction,
       coalesce(i.members_inquiring, 0) AS members_inquiring, coalesce(v.members_converted, 0) AS members_converted,
       switchboard_rate(v.members_converted, i.members_inquiring) AS inquiry_conversion_rate,
       (coalesce(o.online_ms, 0) / 1000)::bigint AS online_duration_s,
       coalesce(c.requests_abandoned, 0)::bigint AS requests_abandoned,
       coalesce(c.requests_no_agent, 0)::bigint AS requests_no_agent,
       coalesce(c.breaches, 0)::bigint AS first_response_breaches
FROM keys k
LEFT JOIN c USING (shop_id, day, hour) LEFT JOIN m USING (shop_id, day, hour) LEFT JOIN i USING (shop_id, day, hour)
LEFT JOIN v USING (shop_id, day, hour) LEFT JOIN o USING (shop_id, day, hour);

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
       switchboard_rate(c.sessions, c.requests) AS connection_rate,
       coalesce(c.sessions_judged, 0)::bigint AS sessions_judged,
       coalesce(c.sessions_responded_45s, 0)::bigint AS sessions_responded_45s,
       switchboard_rate(c.sessions_responded_45s, c.sessions_judged) AS response_45s_rate,
       coalesce(m.messages_left, 0) AS messages_left, coalesce(m.messages_replied, 0) AS messages_replied,
       switchboard_rate(m.messages_replied, m.messages_left) AS message_reply_rate,
       coalesce(c.sessions_valid, 0)::bigint AS sessions_valid, coalesce(c.sessions_rated, 0)::bigint AS sessions_rated,
       switchboard_rate(c.sessions_rated, c.sessions_valid) AS rating_rate,
       coalesce(c.sessions_satisfied, 0)::bigint AS sessions_satisfied,
       switchboard_rate(c.sessions_satisfied, c.sessions_rated) AS satisfaction,
       coalesce(i.members_inquiring, 0) AS members_inquiring, coalesce(v.members_converted, 0) AS members_converted,
       switchboard_rate(v.members_converted, i.members_inquiring) AS inquiry_conversion_rate,
       coalesce(o.online_duration_s, 0)::bigint AS online_duration_s,
       coalesce(c.requests_abandoned, 0)::bigint AS requests_abandoned,
       coalesce(c.requests_no_agent, 0)::bigint AS requests_no_agent,
       coalesce(c.breaches, 0)::bigint AS first_response_breaches
FROM keys k
LEFT JOIN c USING (shop_id, day) LEFT JOIN m USING (shop_id, day) LEFT JOIN i USING (shop_id, day)
LEFT JOIN v USING (shop_id, day) LEFT JOIN o USING (shop_id, day);

-- Hourly figures per shop and skill (the skill the request was made in).
CREATE VIEW skill_hour_figures AS
SELECT shop_id, day, hour, skill, requests, sessions,
       switchboard_rate(sessions, requests) AS connection_rate,
       sessions_judged, sessions_responded_45s,
       switchboard_rate(sessions_responded_45s, sessions_judged) AS response_45s_rate,
       sessions_valid, sessions_rated, switchboard_rate(sessions_rated, sessions_valid) AS rating_rate,
       sessions_satisfied, switchboard_rate(sessions_satisfied, sessions_rated) AS satisfaction,
       requests_abandoned, requests_no_agent, breaches AS first_response_breaches
FROM figure_counts;

-- Per shop, day and agent: its judged legs, valid sessions, final ratings and its own online time.
CREATE VIEW agent_day_figures AS
WITH j AS (
  SELECT shop_id, day, judged_agent_id AS agent_id, count(*) AS sessions_judged,
         count(*) FILTER (WHERE responded_45s) AS sessions_responded_45s,
         count(*) FILTER (WHERE valid) AS sessions_valid,
         count(*) FILTER (WHERE valid AND rating IS NOT NULL) AS sessions_rated,
         count(*) FILTER (WHERE valid AND rating >= 4) AS sessions_satisfied
  FROM sessions WHERE closed_at IS NOT NULL AND coalesce(judged_agent_id, '') <> '' GROUP BY 1, 2, 3
), l AS (
  SELECT shop_id, day, agent_id, count(*) AS legs FROM legs GROUP BY 1, 2, 3
), o AS (
  SELECT shop_id, day, agent_id, sum(ms) AS online_ms FROM agent_online GROUP BY 1, 2, 3
), keys AS (
  SELECT shop_id, day, agent_id FROM j UNION SELECT shop_id, day, agent_id FROM l UNION SELECT shop_id, day, agent_id FROM o
)
SELECT k.shop_id, k.day, k.agent_id, coalesce(l.legs, 0) AS legs,
       coalesce(j.sessions_judged, 0) AS sessions_judged, coalesce(j.sessions_responded_45s, 0) AS sessions_responded_45s,
       switchboard_rate(j.sessions_responded_45s, j.sessions_judged) AS response_45s_rate,
       coalesce(j.sessions_valid, 0) AS sessions_valid, coalesce(j.sessions_rated, 0) AS sessions_rated,
       switchboard_rate(j.sessions_rated, j.sessions_valid) AS rating_rate,
       coalesce(j.sessions_satisfied, 0) AS sessions_satisfied,
       switchboard_rate(j.sessions_satisfied, j.sessions_rated) AS satisfaction,
       (coalesce(o.online_ms, 0) / 1000)::bigint AS online_duration_s
FROM keys k LEFT JOIN j USING (shop_id, day, agent_id) LEFT JOIN l USING (shop_id, day, agent_id)
LEFT JOIN o USING (shop_id, day, agent_id);

-- One row per session with the agents it passed through, in order, and its transfers.
CREATE VIEW session_details AS
SELECT s.*,
       coalesce((SELECT array_agg(l.agent_id ORDER BY l.leg) FROM legs l WHERE l.session_id = s.session_id), '{}') AS agents,
       coalesce((SELECT count(*) - 1 FROM legs l WHERE l.session_id = s.session_id), 0) AS transfers,
       (SELECT min(l.first_reply_at) FROM legs l WHERE l.session_id = s.session_id) AS first_human_reply_at
FROM sessions s;
