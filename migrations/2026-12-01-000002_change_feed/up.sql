-- The change feed reads the audit trail in commit-safe order. A sequence or a timestamp is not
-- enough: transactions commit out of order, so a lower number can become visible after a reader
-- has passed it. Each event carries its transaction's id; a reader takes only events of
-- transactions older than the oldest one still running (pg_snapshot_xmin), ordered by
-- (txid, id). Every transaction that could still add an event has a txid at or above that
-- horizon, so a reader that resumes after its last (txid, id) never misses or repeats one.
ALTER TABLE audit_events
    ADD COLUMN txid bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
CREATE INDEX audit_events_txid_idx ON audit_events (txid, id);
