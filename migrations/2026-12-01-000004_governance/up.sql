-- Governance: exemptions/waivers of the Contract Procedure Rules and who decides them, breaches
-- of the rules, and the council's spend file matched against the contract register.

-- Who decides a waiver, by its value: a band applies from its minimum up to the next band's.
CREATE TABLE waiver_approver_rules (
    min_value_pence bigint PRIMARY KEY CHECK (min_value_pence >= 0),
    approver        text NOT NULL CHECK (approver IN
        ('head_of_procurement', 'chief_finance_officer', 'director'))
);
INSERT INTO waiver_approver_rules (min_value_pence, approver) VALUES
    (0, 'head_of_procurement'),         -- below £50,000
    (5000000, 'chief_finance_officer'), -- from £50,000
    (50000000, 'director');             -- from £500,000: a director with the monitoring officer

CREATE TABLE waivers (
    id               uuid PRIMARY KEY,
    authority_id     uuid NOT NULL REFERENCES authorities (id),
    -- Human reference, e.g. RCH-WVR-2026-0003, unique within the authority.
    reference        text NOT NULL,
    pid_id           uuid REFERENCES pids (id),
    contract_id      uuid REFERENCES contracts (id),
    reason           text NOT NULL CHECK (reason IN
        ('sole_supplier', 'urgency', 'continuity_of_care', 'below_market_interest',
         'extension_of_existing', 'collaborative_arrangement', 'specialist_provision', 'other')),
    justification    text NOT NULL CHECK (length(justification) BETWEEN 1 AND 5000),
    value_pence      bigint NOT NULL CHECK (value_pence >= 0),
    period_start     date NOT NULL,
    period_end       date NOT NULL,
    requested_on     date NOT NULL,
    -- The approver the rules named when it was requested.
    approver         text NOT NULL,
    status           text NOT NULL DEFAULT 'requested' CHECK (status IN
        ('requested', 'approved', 'refused', 'withdrawn')),
    decided_on       date,
    decided_by       text,
    decision_note    text,
    version          integer NOT NULL DEFAULT 1,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((pid_id IS NULL) <> (contract_id IS NULL)),
    CHECK (period_end >= period_start),
    CHECK ((status IN ('approved', 'refused')) = (decided_on IS NOT NULL)),
    UNIQUE (authority_id, reference)
);
CREATE INDEX waivers_authority_idx ON waivers (authority_id, id);
CREATE INDEX waivers_contract_idx ON waivers (contract_id);
CREATE INDEX waivers_pid_idx ON waivers (pid_id);

CREATE TABLE breaches (
    id            uuid PRIMARY KEY,
    authority_id  uuid NOT NULL REFERENCES authorities (id),
    -- Human reference, e.g. RCH-BR-2026-0002, unique within the authority.
    reference     text NOT NULL,
    pid_id        uuid REFERENCES pids (id),
    contract_id   uuid REFERENCES contracts (id),
    kind          text NOT NULL CHECK (kind IN
        ('let_without_compliant_route', 'extended_without_compliant_route',
         'varied_beyond_scope', 'continued_after_expiry', 'other')),
    how_found     text NOT NULL CHECK (how_found IN
        ('audit', 'spend_analysis', 'self_reported', 'whistleblowing', 'contract_review', 'other')),
    description   text NOT NULL CHECK (length(description) BETWEEN 1 AND 5000),
    remedy        text NOT NULL DEFAULT '',
    value_pence   bigint NOT NULL CHECK (value_pence >= 0),
    identified_on date NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'remedying', 'remedied', 'closed')),
    version       integer NOT NULL DEFAULT 1,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((pid_id IS NULL) <> (contract_id IS NULL)),
    UNIQUE (authority_id, reference)
);
CREATE INDEX breaches_authority_idx ON breaches (authority_id, id);

-- One line of a council's published spend file (Local Government Transparency Code).
CREATE TABLE spend_lines (
    id            uuid PRIMARY KEY,
    authority_id  uuid NOT NULL REFERENCES authorities (id),
    -- The file's own line reference (transaction number): re-importing it adds nothing.
    reference     text NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
    body          text NOT NULL,
    payment_date  date NOT NULL,
    supplier_name text NOT NULL CHECK (length(supplier_name) BETWEEN 1 AND 300),
    -- The supplier's name normalised for matching (lower case, no punctuation or legal suffix).
    supplier_key  text NOT NULL,
    -- May be negative: a credit note.
    amount_pence  bigint NOT NULL,
    expense_type  text NOT NULL DEFAULT '',
    -- The contract of the same authority the line was matched to at import, if any.
    contract_id   uuid REFERENCES contracts (id),
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (authority_id, reference)
);
CREATE INDEX spend_lines_date_idx ON spend_lines (payment_date, id);
