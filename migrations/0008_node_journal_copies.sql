-- An unplanned move (docs/operations.md, "A node lost for good"): a node of a cluster copies
-- its journal into PostgreSQL in the same transaction as the history events it holds, and each
-- shard's newest snapshot as the writer passes its marker, so that another node can rebuild any
-- of its shops exactly as of the last call PostgreSQL has: the snapshot, then the calls after it.
CREATE TABLE node_journal_copies (
  node_id   text   NOT NULL,
  segment   bigint NOT NULL,
  "offset"  bigint NOT NULL,   -- where the copied range begins in the journal
  end_segment bigint NOT NULL, -- and where it ends
  end_offset  bigint NOT NULL,
  records   bytea  NOT NULL,   -- a serialized switchboard.v1.JournalCopy: each call and its position
  PRIMARY KEY (node_id, segment, "offset")
);

CREATE TABLE node_snapshots (
  node_id    text        NOT NULL,
  shard      int         NOT NULL,
  segment    bigint      NOT NULL,  -- the journal position just after the snapshot's marker:
  "offset"   bigint      NOT NULL,  -- the shard's calls from here on are not in it
  state      bytea       NOT NULL,  -- a serialized switchboard.v1.ShardSnapshot
  written_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (node_id, shard)
);

-- A shop rebuilt from a lost node is recorded like a hand-over, already adopted: `rebuilt`
-- tells it apart, and the lost node, should it come back, refuses to serve the shop again.
ALTER TABLE shop_handoffs ADD COLUMN rebuilt boolean NOT NULL DEFAULT false;
