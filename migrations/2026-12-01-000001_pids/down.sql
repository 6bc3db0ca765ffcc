ALTER TABLE risks DROP CONSTRAINT risks_pid_fk;
DROP TABLE procurement_thresholds;
DROP TABLE sign_off_rules;
DROP TABLE pid_sign_offs;
DROP TABLE pids;
