-- Applies one batch of history events: the writer COPYs them into the temp table batch_events
-- and calls this in the same transaction. Every insert is idempotent on its key and every
-- update sets the same values when repeated, so a batch written twice counts once. Kinds are
-- switchboard.v1.EventKind numbers. Returns the number of new rows.
CREATE FUNCTION switchboard_apply_batch() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  fresh integer := 0;
  n integer;
BEGIN
  INSERT INTO messages (event_id, at, session_id, shop_id, sender, sender_id, body)
    SELECT event_id, at, session_id, shop_id, number, coalesce(nullif(agent_id, ''), member_id, ''), coalesce(body, '')
    FROM batch_events WHERE kind = 8
    ON CONFLICT (event_id, at) DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;
  fresh := fresh + n;

  INSERT INTO outside_hours_messages (event_id, shop_id, member_id, skill, at)
    SELECT event_id, shop_id, member_id, skill, at FROM batch_events WHERE kind = 1 ON CONFLICT DO NOTHING;

  GET DIAGNOSTICS n = ROW_COUNT;
  fresh := fresh + n;

  INSERT INTO requests (request_id, shop_id, member_id, skill, tier, day, hour, begun_at)
    SELECT request_id, shop_id, member_id, skill, tier, day, hour, at FROM batch_events WHERE kind = 2
    ON CONFLICT DO NOTHING;

  GET DIAGNOSTICS n = ROW_COUNT;
  fresh := fresh + n;
  UPDATE requests r SET outcome = CASE f.number WHEN 1 THEN 'no_agent' WHEN 2 THEN 'abandoned' ELSE 'queue_full' END
    FROM batch_events f WHERE f.kind = 3 AND r.request_id = f.request_id;

  INSERT INTO sessions (session_id, request_id, shop_id, member_id, skill, tier, day, hour, begun_at, connected_at, first_agent_id)
    SELECT session_id, request_id, shop_id, member_id, skill, tier, day, hour, to_timestamp(at2_ms / 1000.0), at, agent_id
    FROM batch_events WHERE kind = 4 ON CONFLICT DO NOTHING;

  GET DIAGNOSTICS n = ROW_COUNT;
  fresh := fresh + n;
  UPDATE requests r SET outcome = 'connected', session_id = f.session_id
    FROM batch_events f WHERE f.kind = 4 AND r.request_id = f.request_id;

  INSERT INTO legs (session_id, leg, shop_id, agent_id, day, skill, started_at, clock_started_at)
    SELECT session_id, number, shop_id, agent_id, day, skill, at, to_timestamp(at2_ms / 1000.0)
    FROM batch_events WHERE kind = 5 ON CONFLICT DO NOTHING;

  GET DIAGNOSTICS n = ROW_COUNT;
  fresh := fresh + n;
  UPDATE legs l SET first_reply_at = f.at
    FROM batch_events f WHERE f.kind = 6 AND l.session_id = f.session_id AND l.leg = f.number;
  UPDATE legs l SET ended_at = f.at, transferred_out = f.flag
    FROM batch_events f WHERE f.kind = 7 AND l.session_id = f.session_id AND l.leg = f.number;

  UPDATE sessions s SET valid = true, valid_at = f.at, valid_agent_id = f.agent_id
    FROM batch_events f WHERE f.kind = 9 AND s.session_id = f.session_id;
  UPDATE sessions s SET closed_at = f.at, close_reason = f.number, judged_agent_id = f.agent_id, responded_45s = f.flag
    FROM batch_events f WHERE f.kind = 10 AND s.session_id = f.session_id;
  UPDATE sessions s SET rating = f.number
    FROM batch_events f WHERE f.kind = 11 AND s.session_id = f.session_id;

  INSERT INTO breaches (event_id, shop_id, day, hour, skill, session_id, request_id, agent_id, at)
    SELECT event_id, shop_id, day, hour, skill, nullif(session_id, ''), nullif(request_id, ''), nullif(agent_id, ''), at
    FROM batch_events WHERE kind = 12 ON CONFLICT DO NOTHING;

  GET DIAGNOSTICS n = ROW_COUNT;
  fresh := fresh + n;

  INSERT INTO left_messages (message_id, shop_id, member_id, body, left_at, day, hour)
    SELECT ref_id, shop_id, member_id, coalesce(body, ''), at, day, hour FROM batch_events WHERE kind = 13
    ON CONFLICT DO NOTHING;

  GET DIAGNOSTICS n = ROW_COUNT;
  fresh := fresh + n;
  UPDATE left_messages m SET replied_at = f.at, replied_by = f.agent_id, reply = f.body
    FROM batch_events f WHERE f.kind = 14 AND m.message_id = f.ref_id;

  INSERT INTO agent_status_changes (event_id, shop_id, agent_id, at, status)
    SELECT event_id, shop_id, agent_id, at, number FROM batch_events WHERE kind = 15 ON CONFLICT DO NOTHING;

  GET DIAGNOSTICS n = ROW_COUNT;
  fresh := fresh + n;
  INSERT INTO shop_online (event_id, shop_id, day, until, ms)
    SELECT event_id, shop_id, day, at, at2_ms FROM batch_events WHERE kind = 16 ON CONFLICT DO NOTHING;

  GET DIAGNOSTICS n = ROW_COUNT;
  fresh := fresh + n;
  INSERT INTO orders (shop_id, order_id, member_id, amount, category, received_at, attributed)
    SELECT shop_id, ref_id, member_id, amount, category, at, coalesce(flag, false) FROM batch_events WHERE kind = 17
    ON CONFLICT (shop_id, order_id) DO NOTHING;

  GET DIAGNOSTICS n = ROW_COUNT;
  fresh := fresh + n;
  INSERT INTO conversions (event_id, shop_id, day, member_id, skill, agent_id, category, at)
    SELECT event_id, shop_id, day, member_id, skill, nullif(agent_id, ''), category, at FROM batch_events WHERE kind = 18
    ON CONFLICT DO NOTHING;

  GET DIAGNOSTICS n = ROW_COUNT;
  fresh := fresh + n;

  RETURN fresh;
END $$;
