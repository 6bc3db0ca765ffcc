ALTER TABLE social_value_commitments ADD COLUMN priority text;
UPDATE social_value_commitments c SET priority = p.name
  FROM social_value_priorities p WHERE p.id = c.priority_id;
ALTER TABLE social_value_commitments ALTER COLUMN priority SET NOT NULL;
ALTER TABLE social_value_commitments ADD CHECK (length(priority) BETWEEN 1 AND 200);
ALTER TABLE social_value_commitments DROP COLUMN priority_id;
DROP TABLE social_value_priorities;
