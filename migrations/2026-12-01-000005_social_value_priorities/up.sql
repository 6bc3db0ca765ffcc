-- Council social value priorities as records: each authority's priorities (code, name, description)
-- and the measures that serve each, by measure code so that a priority outlives editions of the
-- framework (a measure keeps its code from one edition to the next). A commitment's priority, free
-- text until now, becomes a reference to one of its authority's priorities.

CREATE TABLE social_value_priorities (
    id             uuid PRIMARY KEY,
    authority_id   uuid NOT NULL REFERENCES authorities (id),
    code           text NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description    text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    measure_codes  text[] NOT NULL DEFAULT '{}',
    version        integer NOT NULL DEFAULT 1,
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (authority_id, code)
);

-- Existing commitments: one priority per authority and distinct text, its code made from the text
-- (lower case, runs of other characters as '_', a number added when two texts make the same code),
-- serving the measures committed under it.
CREATE TEMPORARY TABLE priority_texts AS
SELECT authority_id, priority AS text, gen_random_uuid() AS id,
       coalesce(nullif(left(trim(both '_' from regexp_replace(lower(priority), '[^a-z0-9]+', '_', 'g')), 34), ''),
                'priority') AS base
  FROM (SELECT DISTINCT authority_id, priority FROM social_value_commitments) t;

INSERT INTO social_value_priorities (id, authority_id, code, name, measure_codes, created_by)
SELECT p.id, p.authority_id,
       CASE WHEN p.n = 1 THEN p.base ELSE p.base || '_' || p.n END,
       left(p.text, 200),
       ARRAY(SELECT DISTINCT m.code
               FROM social_value_commitments c JOIN social_value_measures m ON m.id = c.measure_id
              WHERE c.authority_id = p.authority_id AND c.priority = p.text ORDER BY m.code),
       'migration'
  FROM (SELECT *, row_number() OVER (PARTITION BY authority_id, base ORDER BY text) AS n
          FROM priority_texts) p;

ALTER TABLE social_value_commitments ADD COLUMN priority_id uuid REFERENCES social_value_priorities (id);
UPDATE social_value_commitments c SET priority_id = p.id
  FROM priority_texts p WHERE p.authority_id = c.authority_id AND p.text = c.priority;
ALTER TABLE social_value_commitments ALTER COLUMN priority_id SET NOT NULL;
ALTER TABLE social_value_commitments DROP COLUMN priority;
CREATE INDEX social_value_commitments_priority_idx ON social_value_commitments (priority_id);
DROP TABLE priority_texts;
