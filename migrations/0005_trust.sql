-- Trust at the edges (docs/history.md):
-- * each node's cursor remembers which journal it was written from, so a lost or foreign
--   journal is refused at start instead of silently skipping events;
-- * events PostgreSQL refuses (a rule the edge missed, a schema drift) are kept aside here with
--   the database's error instead of stalling every other event of the node;
-- * supervisor actions (listen-in, windows, statuses, transfers, closes) are kept with who and when.
ALTER TABLE journal_cursor ADD COLUMN journal_id text;

CREATE TABLE quarantined_events (
  event_id       text        NOT NULL,
  node_id        text        NOT NULL,
  shop_id        text,
  kind           smallint,
  at             timestamptz,
  payload        bytea       NOT NULL,  -- the serialized switchboard.v1.HistoryEvent, as journaled
  error          text        NOT NULL,  -- what PostgreSQL said
  quarantined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (node_id, event_id)
);

ALTER TABLE history_batch_template ADD COLUMN target_id text;

CREATE TABLE supervisor_actions (
  event_id      text PRIMARY KEY,
  shop_id       text        NOT NULL,
  supervisor_id text        NOT NULL,
  action        text        NOT NULL,  -- watch_session, stop_watching, set_window, set_agent_status, transfer, close_session
  session_id    text,
  agent_id      text,                  -- the agent acted on (or the session's agent)
  detail        text,
  at            timestamptz NOT NULL
);
CREATE INDEX supervisor_actions_shop_at ON supervisor_actions (shop_id, at);

ALTER FUNCTION switchboard_apply_batch() RENAME TO switchboard_apply_batch_0004;

CREATE FUNCTION switchboard_apply_batch() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  fresh integer;
  n integer;
BEGIN
  fresh := switchboard_apply_batch_0004();
  INSERT INTO supervisor_actions (event_id, shop_id, supervisor_id, action, session_id, agent_id, detail, at)
    SELECT event_id, shop_id, agent_id, ref_id, nullif(session_id, ''), nullif(target_id, ''), nullif(body, ''), at
    FROM batch_events WHERE kind = 19 ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN fresh + n;
END $$;
