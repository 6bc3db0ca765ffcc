-- Procurement initiation documents (PIDs): raised from an approved commissioning intention, with
-- their lots, timetable, evaluation weighting and governance sign-offs; the sign-off rules and the
-- procurement thresholds the route-to-market checks use.

CREATE TABLE pids (
    id                    uuid PRIMARY KEY,
    authority_id          uuid NOT NULL REFERENCES authorities (id),
    -- Human reference, e.g. RCH-PID-2026-0003, unique within the authority.
    reference             text NOT NULL,
    intention_id          uuid NOT NULL REFERENCES commissioning_intentions (id),
    title                 text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    -- 'returned' is kept for the record's vocabulary; a return sends a PID straight back to draft.
    status                text NOT NULL DEFAULT 'draft' CHECK (status IN
        ('draft', 'submitted', 'approved', 'returned', 'live', 'awarded', 'cancelled')),
    -- Whole-life value including VAT and every extension, as the Procurement Act estimates it.
    estimated_value_pence bigint CHECK (estimated_value_pence >= 0),
    version               integer NOT NULL DEFAULT 1,
    created_by            text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    description           text NOT NULL DEFAULT '',
    regime                text NOT NULL DEFAULT 'procurement_act_2023' CHECK (regime IN
        ('procurement_act_2023', 'pcr_2015', 'light_touch', 'provider_selection_regime')),
    contract_type         text NOT NULL DEFAULT 'services' CHECK (contract_type IN ('goods', 'services', 'works')),
    route                 text NOT NULL DEFAULT 'open' CHECK (route IN
        ('open', 'competitive_flexible', 'framework_call_off', 'dynamic_market', 'direct_award', 'below_threshold_quote')),
    direct_award_justification text,
    -- When the procurement began (decides PCR 2015 against the Procurement Act 2023).
    process_started_on    date,
    -- A direct award under the Procurement Act 2023 needs a transparency notice (UK5).
    transparency_notice_due boolean NOT NULL DEFAULT false,
    -- [{title, estimated_value_pence, sme_vcse}]
    lots                  jsonb NOT NULL DEFAULT '[]',
    term_months           smallint CHECK (term_months BETWEEN 1 AND 600),
    extension_months      smallint[] NOT NULL DEFAULT '{}',
    -- [{name, planned_date, actual_date}]
    milestones            jsonb NOT NULL DEFAULT '[]',
    quality_weight        smallint NOT NULL DEFAULT 60 CHECK (quality_weight BETWEEN 0 AND 100),
    price_weight          smallint NOT NULL DEFAULT 30 CHECK (price_weight BETWEEN 0 AND 100),
    social_value_weight   smallint NOT NULL DEFAULT 10 CHECK (social_value_weight BETWEEN 0 AND 100),
    social_value_priorities text[] NOT NULL DEFAULT '{}',
    -- Ids of social_value_measures rows bidders will be asked about (checked by the API).
    social_value_measure_ids uuid[] NOT NULL DEFAULT '{}',
    -- How many times it has been submitted: sign-offs belong to one submission.
    submission            integer NOT NULL DEFAULT 0,
    -- The sign-off roles the rules required when it was last submitted (frozen for that round).
    required_sign_offs    text[] NOT NULL DEFAULT '{}',
    UNIQUE (authority_id, reference),
    CHECK (quality_weight + price_weight + social_value_weight = 100)
);
CREATE INDEX pids_authority_idx ON pids (authority_id, id);
CREATE INDEX pids_intention_idx ON pids (intention_id);

-- Governance sign-offs: who signed a PID's submission, in which role, and the outcome.
CREATE TABLE pid_sign_offs (
    id          uuid PRIMARY KEY,
    pid_id      uuid NOT NULL REFERENCES pids (id),
    submission  integer NOT NULL,
    role        text NOT NULL CHECK (role IN
        ('commissioning_lead', 'procurement_lead', 'finance', 'legal', 'key_decision')),
    outcome     text NOT NULL CHECK (outcome IN ('approved', 'returned')),
    reasons     text,
    signed_by   text NOT NULL,
    signed_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (pid_id, submission, role),
    -- One person signs one role of a submission.
    UNIQUE (pid_id, submission, signed_by),
    CHECK (outcome = 'approved' OR reasons IS NOT NULL)
);

-- An authority's sign-off rules (its Constitution): a rule requires `role` when the PID's value is
-- at least min_value_pence and (if routes is not empty) its route is one of them. An authority
-- without rows here uses the service's defaults (domain::pids::DEFAULT_RULES).
CREATE TABLE sign_off_rules (
    authority_id    uuid NOT NULL REFERENCES authorities (id),
    position        integer NOT NULL,
    role            text NOT NULL CHECK (role IN
        ('commissioning_lead', 'procurement_lead', 'finance', 'legal', 'key_decision')),
    min_value_pence bigint NOT NULL DEFAULT 0 CHECK (min_value_pence >= 0),
    routes          text[] NOT NULL DEFAULT '{}',
    description     text NOT NULL DEFAULT '',
    PRIMARY KEY (authority_id, position)
);

-- Procurement thresholds (inclusive of VAT) and the dates they are in force from.
CREATE TABLE procurement_thresholds (
    kind           text NOT NULL CHECK (kind IN ('goods_services', 'works', 'light_touch')),
    effective_from date NOT NULL,
    value_pence    bigint NOT NULL CHECK (value_pence >= 0),
    note           text NOT NULL DEFAULT '',
    PRIMARY KEY (kind, effective_from)
);
INSERT INTO procurement_thresholds (kind, effective_from, value_pence, note) VALUES
    ('goods_services', '2024-01-01', 21490400, 'Supplies and services, sub-central authorities (incl. VAT)'),
    ('works',          '2024-01-01', 537260900, 'Works (incl. VAT)'),
    ('light_touch',    '2024-01-01', 66354000, 'Light-touch services (incl. VAT)');

-- Risks name a real PID now that PIDs are in the service (the API checks it is the same authority's).
ALTER TABLE risks ADD CONSTRAINT risks_pid_fk FOREIGN KEY (pid_id) REFERENCES pids (id);
