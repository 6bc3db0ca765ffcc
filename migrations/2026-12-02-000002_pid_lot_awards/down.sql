-- Commitments on lots have no contract to fall back to: they go (their returns cascade with them).
DELETE FROM social_value_commitments WHERE contract_id IS NULL;
DROP INDEX social_value_commitments_lot_idx;
ALTER TABLE social_value_commitments
    DROP CONSTRAINT social_value_commitments_lot_fkey,
    DROP CONSTRAINT social_value_commitments_subject_check,
    DROP COLUMN lot,
    DROP COLUMN pid_id,
    ALTER COLUMN contract_id SET NOT NULL;
DROP TABLE pid_lot_awards;
