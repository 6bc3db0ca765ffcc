DROP TABLE social_value_returns;
DROP TABLE social_value_commitments;
DROP TABLE social_value_measures;
DROP TABLE social_value_editions;
