DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
DROP TRIGGER audit_events_record_order ON audit_events;
DROP FUNCTION audit_events_keep_record_order();
DROP INDEX audit_events_entity_order_idx;
