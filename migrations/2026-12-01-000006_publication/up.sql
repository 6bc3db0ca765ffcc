-- Publication of the forward plan: an authority marks an intention as published, and the public
-- OCDS feed and pipeline notice show it. The OCDS releases are read from the audit trail (each
-- intention write records the intention as it then was, `published` included), so nothing else
-- is stored: these partial indexes serve the feed (in commit-safe order) and one record's releases.
ALTER TABLE commissioning_intentions
    ADD COLUMN published_at timestamptz;
CREATE INDEX commissioning_intentions_published_idx ON commissioning_intentions (id)
    WHERE published_at IS NOT NULL;
CREATE INDEX audit_events_published_intention_feed_idx ON audit_events (txid, id)
    WHERE entity_type = 'commissioning_intention' AND after ->> 'published' = 'true';
CREATE INDEX audit_events_published_intention_idx ON audit_events (entity_id, txid, id)
    WHERE entity_type = 'commissioning_intention' AND after ->> 'published' = 'true';
