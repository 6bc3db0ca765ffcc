-- Foundation: reference data (authorities, categories), the forward plan's
-- commissioning intentions, the audit trail and idempotency keys.

CREATE TABLE authorities (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code            text NOT NULL UNIQUE CHECK (code ~ '^[A-Z]{2,6}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Organisation identifier in the Local Authorities (England) register, e.g. GB-LAE-RCH.
    gb_lae_code     text UNIQUE CHECK (gb_lae_code ~ '^GB-LAE-[A-Z0-9]{2,6}$'),
    -- ONS Government Statistical Service code, e.g. E08000005.
    gss_code        text UNIQUE CHECK (gss_code ~ '^[EWSNK][0-9]{8}$'),
    is_star_partner boolean NOT NULL DEFAULT false,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO authorities (id, code, name, gb_lae_code, gss_code, is_star_partner) VALUES
    ('0193a000-0000-7000-8000-000000000001', 'SKP', 'Stockport Metropolitan Borough Council', 'GB-LAE-SKP', 'E08000007', true),
    ('0193a000-0000-7000-8000-000000000002', 'TAM', 'Tameside Metropolitan Borough Council',  'GB-LAE-TAM', 'E08000008', true),
    ('0193a000-0000-7000-8000-000000000003', 'TRF', 'Trafford Metropolitan Borough Council',  'GB-LAE-TRF', 'E08000009', true),
    ('0193a000-0000-7000-8000-000000000004', 'RCH', 'Rochdale Metropolitan Borough Council',  'GB-LAE-RCH', 'E08000005', true);

-- The procurement category strategy: categories and their subcategories.
CREATE TABLE categories (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    parent_id   uuid REFERENCES categories (id),
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    cpv_codes   text[] NOT NULL DEFAULT '{}',
    position    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX categories_parent_idx ON categories (parent_id);

INSERT INTO categories (id, parent_id, code, name, description, cpv_codes, position) VALUES
    ('0193a000-0000-7000-8000-000000000100', NULL, 'adult-social-care', 'People / Adult Social Care',
     'Care and support commissioned for adults under the Care Act 2014.', '{85310000-5}', 1);
INSERT INTO categories (id, parent_id, code, name, description, cpv_codes, position) VALUES
    ('0193a000-0000-7000-8000-000000000101', '0193a000-0000-7000-8000-000000000100', 'home-care', 'Home Care',
     'Domiciliary care and reablement in people''s own homes.', '{85311100-3,85312000-9}', 1),
    ('0193a000-0000-7000-8000-000000000102', '0193a000-0000-7000-8000-000000000100', 'residential-nursing', 'Residential & Nursing',
     'Care home placements with and without nursing.', '{85144100-1,85311100-3}', 2),
    ('0193a000-0000-7000-8000-000000000103', '0193a000-0000-7000-8000-000000000100', 'supported-living', 'Supported Living',
     'Support for adults with learning disabilities or autism living in their own tenancies.', '{85311200-4}', 3),
    ('0193a000-0000-7000-8000-000000000104', '0193a000-0000-7000-8000-000000000100', 'day-services', 'Day Services',
     'Day opportunities, outcome and employability focused.', '{85312100-0}', 4),
    ('0193a000-0000-7000-8000-000000000105', '0193a000-0000-7000-8000-000000000100', 'assistive-technology', 'Assistive Technology',
     'Telecare and technology that supports independence.', '{85312000-9}', 5),
    ('0193a000-0000-7000-8000-000000000106', '0193a000-0000-7000-8000-000000000100', 'mental-health', 'Mental Health',
     'Community mental health support meeting clinical and social needs.', '{85312000-9,85310000-5}', 6),
    ('0193a000-0000-7000-8000-000000000107', '0193a000-0000-7000-8000-000000000100', 'complex-lives', 'Complex Lives',
     'Supporting People and complex lives: homelessness, substance misuse, offending.', '{85311000-2,85312000-9}', 7),
    ('0193a000-0000-7000-8000-000000000108', '0193a000-0000-7000-8000-000000000100', 'carers', 'Carers',
     'Support, breaks and respite for unpaid carers.', '{85312000-9}', 8);

-- Human references (RCH-CI-2026-0007) are numbered per authority, kind and year.
CREATE TABLE reference_counters (
    authority_id uuid NOT NULL REFERENCES authorities (id),
    kind         text NOT NULL,
    year         integer NOT NULL,
    last_number  integer NOT NULL,
    PRIMARY KEY (authority_id, kind, year)
);

-- The forward plan: one row per commissioning intention.
CREATE TABLE commissioning_intentions (
    id                               uuid PRIMARY KEY,
    authority_id                     uuid NOT NULL REFERENCES authorities (id),
    reference                        text NOT NULL,
    title                            text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description                      text NOT NULL DEFAULT '',
    category_id                      uuid NOT NULL REFERENCES categories (id),
    service_area                     text,
    financial_year                   text NOT NULL CHECK (financial_year ~ '^[0-9]{4}/[0-9]{2}$'),
    estimated_annual_value_pence     bigint CHECK (estimated_annual_value_pence >= 0),
    estimated_whole_life_value_pence bigint CHECK (estimated_whole_life_value_pence >= 0),
    replaces_contracts               text[] NOT NULL DEFAULT '{}',
    planned_procurement_start        date,
    planned_contract_start           date,
    priority                         text NOT NULL CHECK (priority IN ('must', 'should', 'could', 'wont')),
    tranche                          smallint NOT NULL CHECK (tranche BETWEEN 1 AND 5),
    improvement_category             smallint CHECK (improvement_category BETWEEN 1 AND 4),
    sme_local_opportunity            boolean NOT NULL DEFAULT false,
    collaboration_potential          boolean NOT NULL DEFAULT false,
    social_value_priorities          text[] NOT NULL DEFAULT '{}',
    lead_officer                     text,
    status                           text NOT NULL DEFAULT 'draft' CHECK (status IN
        ('draft', 'submitted', 'approved', 'rejected', 'deferred', 'in_procurement', 'awarded', 'closed', 'withdrawn')),
    version                          integer NOT NULL DEFAULT 1,
    created_by                       text NOT NULL,
    created_at                       timestamptz NOT NULL DEFAULT now(),
    updated_at                       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (authority_id, reference)
);
CREATE INDEX commissioning_intentions_authority_year_idx ON commissioning_intentions (authority_id, financial_year);
CREATE INDEX commissioning_intentions_category_idx ON commissioning_intentions (category_id);
CREATE INDEX commissioning_intentions_updated_idx ON commissioning_intentions (updated_at);

-- Every write, who made it and what it changed. Append-only: the trigger refuses updates and deletes.
CREATE TABLE audit_events (
    id             uuid PRIMARY KEY,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    subject        text NOT NULL,
    authority_code text NOT NULL,
    action         text NOT NULL,
    entity_type    text NOT NULL,
    entity_id      uuid NOT NULL,
    before         jsonb,
    after          jsonb,
    request_id     text NOT NULL
);
CREATE INDEX audit_events_entity_idx ON audit_events (entity_type, entity_id, id);
CREATE INDEX audit_events_authority_idx ON audit_events (authority_code, id);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Idempotency-Key replay store: one row per caller and key, with the first response.
CREATE TABLE idempotency_keys (
    authority_code      text NOT NULL,
    subject             text NOT NULL,
    key                 text NOT NULL,
    request_fingerprint text NOT NULL,
    -- Filled in by the same transaction that inserted the row, so never seen empty outside it.
    response_status     smallint,
    response_body       jsonb,
    response_location   text,
    response_etag       text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (authority_code, subject, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
