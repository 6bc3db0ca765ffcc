DROP TABLE idempotency_keys;
DROP TRIGGER audit_events_append_only ON audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE audit_events;
DROP TABLE commissioning_intentions;
DROP TABLE reference_counters;
DROP TABLE categories;
DROP TABLE authorities;
