-- Capacity planning: an authority's establishment (posts) and the FTE its plan demands.
-- Hours and FTE are integer hundredths (3700 = 37 hours a week; 50 = 0.5 FTE): never floats.

CREATE TABLE team_posts (
    id                         uuid PRIMARY KEY,
    authority_id               uuid NOT NULL REFERENCES authorities (id),
    team                       text NOT NULL CHECK (length(team) BETWEEN 1 AND 60 AND team = btrim(team)),
    title                      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200 AND title = btrim(title)),
    grade                      text NOT NULL DEFAULT '' CHECK (length(grade) <= 60),
    contracted_hours_hundredths integer NOT NULL CHECK (contracted_hours_hundredths BETWEEN 1 AND 6000),
    full_time_hours_hundredths  integer NOT NULL DEFAULT 3700 CHECK (full_time_hours_hundredths BETWEEN 100 AND 6000),
    status                     text NOT NULL DEFAULT 'filled' CHECK (status IN ('filled', 'vacant', 'interim', 'secondment')),
    reports_to                 uuid REFERENCES team_posts (id) CHECK (reports_to <> id),
    version                    integer NOT NULL DEFAULT 1,
    created_by                 text NOT NULL,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX team_posts_authority_idx ON team_posts (authority_id, team);

CREATE TABLE capacity_demands (
    id              uuid PRIMARY KEY,
    authority_id    uuid NOT NULL REFERENCES authorities (id),
    intention_id    uuid REFERENCES commissioning_intentions (id),
    contract_id     uuid REFERENCES contracts (id),
    activity_name   text CHECK (length(activity_name) BETWEEN 1 AND 200 AND activity_name = btrim(activity_name)),
    tranche         smallint NOT NULL CHECK (tranche BETWEEN 1 AND 5),
    team            text NOT NULL CHECK (length(team) BETWEEN 1 AND 60 AND team = btrim(team)),
    financial_year  text NOT NULL CHECK (financial_year ~ '^20[0-9]{2}/[0-9]{2}$'),
    fte_hundredths  integer NOT NULL CHECK (fte_hundredths BETWEEN 1 AND 100000),
    note            text NOT NULL DEFAULT '',
    version         integer NOT NULL DEFAULT 1,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    -- The activity is exactly one of an intention, a contract or a named business-as-usual activity.
    CHECK (num_nonnulls(intention_id, contract_id, activity_name) = 1)
);
-- One estimate per activity, team and year: a second is a 409, not a silent double count.
CREATE UNIQUE INDEX capacity_demands_activity_idx ON capacity_demands (
    authority_id, coalesce(intention_id::text, contract_id::text, lower(activity_name)), team, financial_year
);
CREATE INDEX capacity_demands_year_idx ON capacity_demands (authority_id, financial_year);
