-- History of every shop: the tables people query, filled by switchboard_apply_batch() from
-- the writer's COPY batches. Every table is idempotent on its own key: the event id for
-- event-like rows, the request / session / leg / message / order id for the rest.

-- The shape of one batch of history events: the writer COPYs into a temp table like it.
CREATE TABLE history_batch_template (
  event_id   text        NOT NULL,
  at         timestamptz NOT NULL,
  shop_id    text        NOT NULL,
  kind       smallint    NOT NULL,
  day        date,
  hour       smallint,
  skill      text,
  request_id text,
  session_id text,
  agent_id   text,
  member_id  text,
  body       text,
  number     integer,
  at2_ms     bigint,
  flag       boolean,
  amount     double precision,
  category   text,
  ref_id     text,
  tier       smallint
);

CREATE TABLE requests (
  request_id text PRIMARY KEY,
  shop_id    text        NOT NULL,
  member_id  text        NOT NULL,
  skill      text        NOT NULL,
  tier       smallint,
  day        date        NOT NULL,
  hour       smallint    NOT NULL,
  begun_at   timestamptz NOT NULL,
  outcome    text        NOT NULL DEFAULT 'waiting',  -- waiting | connected | no_agent | abandoned | queue_full
  session_id text
);
CREATE INDEX requests_shop_day ON requests (shop_id, day);

CREATE TABLE sessions (
  session_id      text PRIMARY KEY,
  request_id      text        NOT NULL,
  shop_id         text        NOT NULL,
  member_id       text        NOT NULL,
  skill           text        NOT NULL,   -- the request's skill
  tier            smallint,
  day             date        NOT NULL,   -- the day the request began
  hour            smallint    NOT NULL,
  begun_at        timestamptz NOT NULL,   -- the customer's first message
  connected_at    timestamptz NOT NULL,   -- first assignment
  first_agent_id  text        NOT NULL,
  closed_at       timestamptz,
  close_reason    smallint,               -- switchboard.v1.CloseReason
  judged_agent_id text,                   -- agent of the last leg ('' if closed while queued)
  responded_45s   boolean,                -- last leg answered within the threshold
  valid           boolean     NOT NULL DEFAULT false,
  valid_at        timestamptz,
  valid_agent_id  text,
  rating          smallint                -- final rating (set when the rating window closes)
);
CREATE INDEX sessions_shop_day ON sessions (shop_id, day);
CREATE INDEX sessions_member ON sessions (shop_id, member_id);

CREATE TABLE legs (
  session_id       text        NOT NULL,
  leg              smallint    NOT NULL,
  shop_id          text        NOT NULL,
  agent_id         text        NOT NULL,
  day              date        NOT NULL,
  skill            text        NOT NULL,
  started_at       timestamptz NOT NULL,
  clock_started_at timestamptz NOT NULL,
  first_reply_at   timestamptz,
  ended_at         timestamptz,
  transferred_out  boolean,
  PRIMARY KEY (session_id, leg)
);
CREATE INDEX legs_shop_day ON legs (shop_id, day);

CREATE TABLE messages (
  event_id   text        NOT NULL,
  at         timestamptz NOT NULL,
  session_id text        NOT NULL,
  shop_id    text        NOT NULL,
  sender     smallint    NOT NULL,  -- switchboard.v1.Sender
  sender_id  text        NOT NULL,
  body       text        NOT NULL,
  PRIMARY KEY (event_id, at)
) PARTITION BY RANGE (at);

CREATE TABLE left_messages (
  message_id text PRIMARY KEY,
  shop_id    text        NOT NULL,
  member_id  text        NOT NULL,
  body       text        NOT NULL,
  left_at    timestamptz NOT NULL,
  day        date        NOT NULL,
  hour       smallint    NOT NULL,
  replied_at timestamptz,
  replied_by text,
  reply      text
);

CREATE TABLE agent_status_changes (
  event_id text PRIMARY KEY,
  shop_id  text        NOT NULL,
  agent_id text        NOT NULL,
  at       timestamptz NOT NULL,
  status   smallint    NOT NULL  -- switchboard.v1.AgentStatus: 1 online, 2 paused, 3 offline
);

CREATE TABLE shop_online (
  event_id text PRIMARY KEY,
  shop_id  text        NOT NULL,
  day      date        NOT NULL,
  until    timestamptz NOT NULL,
  ms       bigint      NOT NULL
);

CREATE TABLE orders (
  shop_id     text        NOT NULL,
  order_id    text        NOT NULL,
  member_id   text        NOT NULL,
  amount      double precision,
  category    text,
  received_at timestamptz NOT NULL,
  attributed  boolean     NOT NULL,
  PRIMARY KEY (shop_id, order_id)
);

CREATE TABLE conversions (
  event_id  text PRIMARY KEY,
  shop_id   text        NOT NULL,
  day       date        NOT NULL,
  member_id text        NOT NULL,
  skill     text        NOT NULL,
  agent_id  text,
  category  text,
  at        timestamptz NOT NULL
);

CREATE TABLE breaches (
  event_id   text PRIMARY KEY,
  shop_id    text        NOT NULL,
  day        date        NOT NULL,
  hour       smallint    NOT NULL,
  skill      text        NOT NULL,
  session_id text,
  request_id text,
  agent_id   text,
  at         timestamptz NOT NULL
);

CREATE TABLE outside_hours_messages (
  event_id  text PRIMARY KEY,
  shop_id   text        NOT NULL,
  member_id text        NOT NULL,
  skill     text,
  at        timestamptz NOT NULL
);

-- How far each node's journal has been applied; advanced in the same transaction as the rows.
CREATE TABLE journal_cursor (
  node_id    text PRIMARY KEY,
  segment    bigint      NOT NULL,
  "offset"   bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A daily partition of messages, created by the writer before it inserts.
CREATE FUNCTION switchboard_ensure_day(d date) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF messages FOR VALUES FROM (%L) TO (%L)',
                 'messages_' || to_char(d, 'YYYYMMDD'), d::text || ' 00:00:00+00', (d + 1)::text || ' 00:00:00+00');
END $$;

-- Retention: drops the daily partitions of messages older than the cutoff.
CREATE FUNCTION switchboard_drop_partitions_before(cutoff date) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  t record;
  dropped integer := 0;
BEGIN
  FOR t IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           JOIN pg_class p ON p.oid = i.inhparent
           WHERE p.relname = 'messages'
             AND to_date(right(c.relname, 8), 'YYYYMMDD') < cutoff LOOP
    EXECUTE format('DROP TABLE %I', t.relname);
    dropped := dropped + 1;
  END LOOP;
  RETURN dropped;
END $$;
