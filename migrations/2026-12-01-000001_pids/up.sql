-- Procurement initiation documents (PIDs): raised from an approved commissioning intention.
-- Scaffold: the core columns other areas link to; the PID area extends this table.

CREATE TABLE pids (
    id                    uuid PRIMARY KEY,
    authority_id          uuid NOT NULL REFERENCES authorities (id),
    -- Human reference, e.g. RCH-PID-2026-0003, unique within the authority.
    reference             text NOT NULL,
    intention_id          uuid NOT NULL REFERENCES commissioning_intentions (id),
    title                 text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    status                text NOT NULL DEFAULT 'draft' CHECK (status IN
        ('draft', 'submitted', 'approved', 'returned', 'live', 'awarded', 'cancelled')),
    estimated_value_pence bigint CHECK (estimated_value_pence >= 0),
    version               integer NOT NULL DEFAULT 1,
    created_by            text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (authority_id, reference)
);
CREATE INDEX pids_authority_idx ON pids (authority_id, id);
CREATE INDEX pids_intention_idx ON pids (intention_id);
