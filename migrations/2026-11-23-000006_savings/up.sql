-- Savings lines (DESIGN.md §2): an authority's planned savings against one intention, contract or
-- collaboration opportunity, profiled over the 12 months of a financial year (month 1 = April),
-- and frozen copies of them (snapshots) that finance reconciles month to month against.

CREATE TABLE savings_lines (
    id                   uuid PRIMARY KEY,
    authority_id         uuid NOT NULL REFERENCES authorities (id),
    intention_id         uuid REFERENCES commissioning_intentions (id),
    contract_id          uuid REFERENCES contracts (id),
    opportunity_id       uuid REFERENCES collaboration_opportunities (id),
    financial_year       text NOT NULL CHECK (financial_year ~ '^[0-9]{4}/[0-9]{2}$'),
    months               bigint[] NOT NULL CHECK (cardinality(months) = 12 AND 0 <= ALL (months)),
    -- Σ months, and Σ over months of round_half_up(month × probability / 100): kept by the API.
    amount_pence         bigint NOT NULL CHECK (amount_pence >= 0),
    risk_adjusted_pence  bigint NOT NULL CHECK (risk_adjusted_pence >= 0),
    cashable             boolean NOT NULL,
    kind                 text NOT NULL CHECK (kind IN ('price_reduction', 'demand_management', 'cost_avoidance', 'income')),
    confidence           text NOT NULL CHECK (confidence IN ('red', 'amber', 'green')),
    probability          smallint NOT NULL CHECK (probability BETWEEN 0 AND 100),
    status               text NOT NULL CHECK (status IN ('target', 'forecast', 'achieved', 'lost')),
    budget_code          text NOT NULL DEFAULT '',
    baseline_pence       bigint NOT NULL DEFAULT 0 CHECK (baseline_pence >= 0),
    description          text NOT NULL DEFAULT '',
    version              integer NOT NULL DEFAULT 1,
    created_by           text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz,
    CHECK (num_nonnulls(intention_id, contract_id, opportunity_id) = 1)
);
CREATE INDEX savings_lines_pull_idx ON savings_lines (updated_at, id);
CREATE INDEX savings_lines_authority_idx ON savings_lines (authority_id, financial_year) WHERE deleted_at IS NULL;
CREATE INDEX savings_lines_opportunity_idx ON savings_lines (opportunity_id) WHERE opportunity_id IS NOT NULL;

CREATE TABLE savings_snapshots (
    id          uuid PRIMARY KEY,
    label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    -- The authority code of the token that took it (STAR for a STAR-wide snapshot).
    scope       text NOT NULL,
    line_count  integer NOT NULL,
    taken_by    text NOT NULL,
    taken_at    timestamptz NOT NULL DEFAULT now()
);

-- The lines as they were, with the codes that group them resolved at the time.
CREATE TABLE savings_snapshot_lines (
    snapshot_id          uuid NOT NULL REFERENCES savings_snapshots (id) ON DELETE CASCADE,
    line_id              uuid NOT NULL,
    authority            text NOT NULL,
    opportunity_id       uuid,
    financial_year       text NOT NULL,
    category             text,
    status               text NOT NULL,
    cashable             boolean NOT NULL,
    budget_code          text NOT NULL,
    probability          smallint NOT NULL,
    months               bigint[] NOT NULL,
    amount_pence         bigint NOT NULL,
    risk_adjusted_pence  bigint NOT NULL,
    PRIMARY KEY (snapshot_id, line_id)
);
