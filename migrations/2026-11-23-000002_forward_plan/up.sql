-- The forward plan: board decisions and roll-forward on intentions, the contract register with its
-- re-procurement lead times, and the risk register.

ALTER TABLE commissioning_intentions
    ADD COLUMN decision         text CHECK (decision IN ('approved', 'rejected', 'deferred')),
    ADD COLUMN decision_date    date,
    ADD COLUMN minute_reference text,
    ADD COLUMN decision_note    text,
    ADD COLUMN decided_by       text,
    -- The intention this one was rolled forward from; unique, so a roll-forward never copies twice.
    ADD COLUMN rolled_from      uuid UNIQUE REFERENCES commissioning_intentions (id);

-- Which intentions replace a contract, by the contract's reference.
CREATE INDEX commissioning_intentions_replaces_idx ON commissioning_intentions USING gin (replaces_contracts);

CREATE TABLE contracts (
    id                     uuid PRIMARY KEY,
    authority_id           uuid NOT NULL REFERENCES authorities (id),
    reference              text NOT NULL CHECK (length(reference) BETWEEN 1 AND 64),
    title                  text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    supplier_name          text NOT NULL CHECK (length(supplier_name) BETWEEN 1 AND 300),
    companies_house_number text CHECK (companies_house_number ~ '^([0-9]{8}|[A-Z]{2}[0-9]{6})$'),
    category_id            uuid NOT NULL REFERENCES categories (id),
    cpv_code               text CHECK (cpv_code ~ '^[0-9]{8}-[0-9]$'),
    annual_value_pence     bigint CHECK (annual_value_pence >= 0),
    total_value_pence      bigint CHECK (total_value_pence >= 0),
    start_date             date NOT NULL,
    end_date               date NOT NULL,
    -- End dates of the extension options still available, earliest first.
    extension_end_dates    date[] NOT NULL DEFAULT '{}',
    status                 text NOT NULL DEFAULT 'active' CHECK (status IN ('planned', 'active', 'expired', 'terminated')),
    -- The intention that procured this contract, when known.
    intention_id           uuid REFERENCES commissioning_intentions (id),
    version                integer NOT NULL DEFAULT 1,
    created_by             text NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date >= start_date),
    UNIQUE (authority_id, reference)
);
CREATE INDEX contracts_authority_end_idx ON contracts (authority_id, end_date);
CREATE INDEX contracts_end_idx ON contracts (end_date);
CREATE INDEX contracts_category_idx ON contracts (category_id);

-- How many months before a contract ends its re-procurement must start, by total value band:
-- a band applies from its minimum up to the next band's.
CREATE TABLE reprocurement_lead_times (
    min_total_value_pence bigint PRIMARY KEY CHECK (min_total_value_pence >= 0),
    lead_time_months      smallint NOT NULL CHECK (lead_time_months BETWEEN 1 AND 60)
);
INSERT INTO reprocurement_lead_times (min_total_value_pence, lead_time_months) VALUES
    (0, 6),                -- below the light-touch threshold: a quote or short process
    (66354000, 9),         -- from £663,540, the light-touch threshold in force from 2024 (inclusive of VAT)
    (200000000, 12),       -- from £2m: key decision, pipeline notice
    (1000000000, 18);      -- from £10m: major re-procurement with market engagement

CREATE TABLE risks (
    id           uuid PRIMARY KEY,
    authority_id uuid NOT NULL REFERENCES authorities (id),
    reference    text NOT NULL,
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description  text NOT NULL DEFAULT '',
    likelihood   smallint NOT NULL CHECK (likelihood BETWEEN 1 AND 5),
    impact       smallint NOT NULL CHECK (impact BETWEEN 1 AND 5),
    score        smallint GENERATED ALWAYS AS (likelihood * impact) STORED,
    mitigation   text NOT NULL DEFAULT '',
    owner        text NOT NULL CHECK (length(owner) BETWEEN 1 AND 200),
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'mitigating', 'closed', 'realised')),
    intention_id uuid REFERENCES commissioning_intentions (id),
    contract_id  uuid REFERENCES contracts (id),
    -- Procurement initiation documents arrive with their own issue; the link is kept until then.
    pid_id       uuid,
    version      integer NOT NULL DEFAULT 1,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (authority_id, reference)
);
CREATE INDEX risks_authority_score_idx ON risks (authority_id, score DESC);
