-- Moving a shop between nodes (docs/operations.md, "Moving a shop"): the node a shop leaves
-- writes its live state here, in the same transaction as the batch holding its last events; the
-- node that adopts it claims the newest unclaimed row (adopted_by, adopted_at), once.
CREATE TABLE shop_handoffs (
  event_id   text        PRIMARY KEY,  -- the shop_handed_over history event
  shop_id    text        NOT NULL,
  from_node  text        NOT NULL,
  to_node    text        NOT NULL DEFAULT '',
  handed_at  timestamptz NOT NULL,
  state      bytea       NOT NULL,     -- a serialized switchboard.v1.ShopHandoff
  adopted_by text,
  adopted_at timestamptz
);
CREATE INDEX shop_handoffs_waiting ON shop_handoffs (shop_id, handed_at) WHERE adopted_at IS NULL;
