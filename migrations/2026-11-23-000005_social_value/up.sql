-- Social value: a measures framework versioned by edition (theme -> outcome -> measure, each
-- measure with a unit and a proxy value per unit in pence), suppliers' commitments on contracts
-- with the proxy value frozen when committed, and delivery returns whose corrections keep history.

CREATE TABLE social_value_editions (
    id              uuid PRIMARY KEY,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    effective_from  date NOT NULL,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX social_value_editions_effective_idx ON social_value_editions (effective_from);

-- Measures, with their theme and outcome alongside (themes and outcomes exist only to group
-- measures within an edition). position keeps the order the edition was loaded in.
CREATE TABLE social_value_measures (
    id                 uuid PRIMARY KEY,
    edition_id         uuid NOT NULL REFERENCES social_value_editions (id) ON DELETE CASCADE,
    position           integer NOT NULL,
    theme_code         text NOT NULL,
    theme_name         text NOT NULL,
    outcome_code       text NOT NULL,
    outcome_name       text NOT NULL,
    code               text NOT NULL,
    description        text NOT NULL,
    unit               text NOT NULL,
    proxy_value_pence  bigint NOT NULL CHECK (proxy_value_pence BETWEEN 0 AND 1000000000),
    UNIQUE (edition_id, code)
);

CREATE TABLE social_value_commitments (
    id                 uuid PRIMARY KEY,
    authority_id       uuid NOT NULL REFERENCES authorities (id),
    contract_id        uuid NOT NULL REFERENCES contracts (id),
    measure_id         uuid NOT NULL REFERENCES social_value_measures (id),
    -- Frozen from the measure when committed: a later edition never changes it.
    proxy_value_pence  bigint NOT NULL CHECK (proxy_value_pence BETWEEN 0 AND 1000000000),
    target_quantity    bigint NOT NULL CHECK (target_quantity BETWEEN 1 AND 1000000000),
    period_from        date NOT NULL,
    period_to          date NOT NULL,
    committed_on       date NOT NULL,
    priority           text NOT NULL CHECK (length(priority) BETWEEN 1 AND 200),
    note               text NOT NULL DEFAULT '',
    version            integer NOT NULL DEFAULT 1,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (period_from <= period_to)
);
CREATE INDEX social_value_commitments_contract_idx ON social_value_commitments (contract_id);
CREATE INDEX social_value_commitments_authority_idx ON social_value_commitments (authority_id);

-- A correction is a new return for the same period; the one it replaces points at it.
CREATE TABLE social_value_returns (
    id                 uuid PRIMARY KEY,
    commitment_id      uuid NOT NULL REFERENCES social_value_commitments (id) ON DELETE CASCADE,
    period_from        date NOT NULL,
    period_to          date NOT NULL,
    quantity           bigint NOT NULL CHECK (quantity BETWEEN 0 AND 1000000000),
    evidence           text NOT NULL DEFAULT '',
    superseded_by      uuid REFERENCES social_value_returns (id) DEFERRABLE INITIALLY DEFERRED,
    created_by         text NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (period_from <= period_to)
);
CREATE UNIQUE INDEX social_value_returns_current_idx
    ON social_value_returns (commitment_id, period_from, period_to) WHERE superseded_by IS NULL;
