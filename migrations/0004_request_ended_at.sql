-- When an unconnected request ended (the customer gave up, or nobody could take it), so a
-- trace exported from the history (switchboard export-trace) knows each customer's patience.
-- Rows written before this migration keep NULL.
ALTER TABLE requests ADD COLUMN ended_at timestamptz;

-- The batch function grows by one statement: the old body is kept under its own name and
-- called first, so this migration does not restate it.
ALTER FUNCTION switchboard_apply_batch() RENAME TO switchboard_apply_batch_0002;

CREATE FUNCTION switchboard_apply_batch() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  fresh integer;
BEGIN
  fresh := switchboard_apply_batch_0002();
  UPDATE requests r SET ended_at = f.at
    FROM batch_events f WHERE f.kind = 3 AND r.request_id = f.request_id;
  RETURN fresh;
END $$;
