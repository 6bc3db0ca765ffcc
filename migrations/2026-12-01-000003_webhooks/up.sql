-- Per-record order in the change feed. The feed sorts by transaction id, and a transaction can
-- take its id (e.g. by claiming an Idempotency-Key) before it waits for a record's row lock, so
-- an older transaction can write a record's version 3 after a younger one committed version 2:
-- sorted by txid alone, version 3 would come first. Raising the event's sort key to the
-- record's latest key keeps each record's changes in the order they were made. A raised key is
-- still at least the writer's own txid, so the snapshot-horizon argument of the change_feed
-- migration holds unchanged (nothing that becomes visible later sorts before the horizon). The
-- row lock the writer holds on the record means every earlier change to it has committed and is
-- seen here.
CREATE INDEX audit_events_entity_order_idx ON audit_events (entity_id, txid DESC, id DESC);

CREATE FUNCTION audit_events_keep_record_order() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    latest bigint;
BEGIN
    SELECT txid INTO latest FROM audit_events
     WHERE entity_id = NEW.entity_id AND entity_type = NEW.entity_type
     ORDER BY txid DESC, id DESC LIMIT 1;
    IF latest IS NOT NULL AND latest > NEW.txid THEN
        NEW.txid := latest;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_events_record_order BEFORE INSERT ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_keep_record_order();

-- Webhook subscriptions. Each reads the change feed with its own cursor (the last event it has
-- queued); the worker queues what follows in the same transaction that moves the cursor, so an
-- event is queued exactly once, and the feed itself is the outbox written with every change.
CREATE TABLE webhook_subscriptions (
    id              uuid PRIMARY KEY,
    authority_code  text NOT NULL REFERENCES authorities (code),
    url             text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    -- Entity types to deliver; empty means every type the authority may read.
    event_types     text[] NOT NULL DEFAULT '{}',
    secret          text NOT NULL,
    description     text NOT NULL DEFAULT '',
    active          boolean NOT NULL DEFAULT true,
    cursor_txid     bigint NOT NULL,
    cursor_id       uuid NOT NULL,
    -- While a worker delivers for this subscription, nobody else does (order per subscription).
    lease_until     timestamptz,
    lease_token     uuid,
    version         integer NOT NULL DEFAULT 1,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX webhook_subscriptions_authority_idx ON webhook_subscriptions (authority_code, id);

CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    -- Queue order within a subscription.
    seq              bigserial NOT NULL UNIQUE,
    subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    -- The audit event delivered; also the webhook-id header, the same on every retry.
    event_id         uuid NOT NULL,
    event_type       text NOT NULL,
    payload          jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    first_attempt_at timestamptz,
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text,
    redelivery_of    uuid REFERENCES webhook_deliveries (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL,
    delivered_at     timestamptz,
    failed_at        timestamptz
);
CREATE INDEX webhook_deliveries_queue_idx ON webhook_deliveries (subscription_id, status, seq);
