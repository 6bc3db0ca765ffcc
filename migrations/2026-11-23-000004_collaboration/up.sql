-- Collaboration across authorities: opportunities led by one authority with others taking part,
-- their shared learning, and the benchmarks each authority posts about itself.

CREATE TABLE collaboration_opportunities (
    id                       uuid PRIMARY KEY,
    lead_authority_id        uuid NOT NULL REFERENCES authorities (id),
    reference                text NOT NULL,
    title                    text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description              text NOT NULL DEFAULT '',
    category_id              uuid NOT NULL REFERENCES categories (id),
    financial_year           text NOT NULL CHECK (financial_year ~ '^[0-9]{4}/[0-9]{2}$'),
    status                   text NOT NULL DEFAULT 'idea' CHECK (status IN
        ('idea', 'scoping', 'agreed', 'procuring', 'delivered', 'closed')),
    estimated_savings_pence  bigint CHECK (estimated_savings_pence >= 0),
    achieved_savings_pence   bigint CHECK (achieved_savings_pence >= 0),
    version                  integer NOT NULL DEFAULT 1,
    created_by               text NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    UNIQUE (lead_authority_id, reference)
);
CREATE INDEX collaboration_opportunities_year_idx ON collaboration_opportunities (financial_year);

-- One row per authority taking part (the lead included), with the intentions of its own plan
-- that the opportunity joins.
CREATE TABLE collaboration_participants (
    opportunity_id  uuid NOT NULL REFERENCES collaboration_opportunities (id) ON DELETE CASCADE,
    authority_id    uuid NOT NULL REFERENCES authorities (id),
    status          text NOT NULL CHECK (status IN ('interested', 'committed', 'withdrawn')),
    intention_ids   uuid[] NOT NULL DEFAULT '{}',
    updated_by      text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (opportunity_id, authority_id)
);
CREATE INDEX collaboration_participants_intentions_idx ON collaboration_participants USING gin (intention_ids);

CREATE TABLE collaboration_notes (
    id              uuid PRIMARY KEY,
    opportunity_id  uuid NOT NULL REFERENCES collaboration_opportunities (id) ON DELETE CASCADE,
    authority_id    uuid NOT NULL REFERENCES authorities (id),
    author          text NOT NULL,
    noted_on        date NOT NULL,
    body            text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX collaboration_notes_opportunity_idx ON collaboration_notes (opportunity_id, id);

CREATE TABLE benchmark_metrics (
    id          uuid PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]{1,63}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    unit        text NOT NULL CHECK (unit IN ('pence_per_hour', 'pence_per_week', 'percent', 'count')),
    better      text NOT NULL CHECK (better IN ('higher', 'lower')),
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Values are whole numbers in the metric's unit: pence, or per cent × 100.
CREATE TABLE benchmark_observations (
    id           uuid PRIMARY KEY,
    metric_id    uuid NOT NULL REFERENCES benchmark_metrics (id),
    authority_id uuid NOT NULL REFERENCES authorities (id),
    period       text NOT NULL CHECK (period ~ '^[0-9]{4}/[0-9]{2}( Q[1-4])?$'),
    value        bigint NOT NULL CHECK (value >= 0),
    source_note  text NOT NULL DEFAULT '',
    version      integer NOT NULL DEFAULT 1,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (metric_id, authority_id, period)
);
