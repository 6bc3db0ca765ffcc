-- The benchmark's data set, made in SQL with generate_series so it loads in under a minute:
-- 100,000 commissioning intentions, 200,000 contracts and 1,000,000 savings lines (monthly
-- profiles as the savings area stores them: 12 months, amount = Σ months, risk-adjusted =
-- Σ round_half_up(month × probability / 100)) across the four seeded authorities, the eight
-- seeded subcategories and five financial years. Ids are time-ordered like the service's UUIDv7s.
-- psql -v scale=1 (1 = the full set; 0.05 for --quick).
\set ON_ERROR_STOP on
\if :{?scale}
\else
\set scale 1
\endif
SELECT (100000 * :scale)::int AS n_intentions, (200000 * :scale)::int AS n_contracts,
       (1000000 * :scale)::int AS n_lines \gset

-- A UUIDv7-shaped id: a millisecond timestamp, then a per-table tag and the row number.
CREATE FUNCTION pg_temp.bench_id(tag int, g bigint) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT (lpad(to_hex(1764547200000 + g), 12, '0') || '7' || lpad(to_hex(tag), 3, '0') || '8'
            || lpad(to_hex(g), 15, '0'))::uuid
$$;

BEGIN;
SET LOCAL synchronous_commit = off;

INSERT INTO commissioning_intentions (id, authority_id, reference, title, description, category_id,
    service_area, financial_year, estimated_annual_value_pence, estimated_whole_life_value_pence,
    planned_procurement_start, planned_contract_start, priority, tranche, improvement_category,
    sme_local_opportunity, collaboration_potential, lead_officer, status, created_by, created_at,
    updated_at)
SELECT pg_temp.bench_id(1, g),
       a.id,
       a.code || '-CI-' || y || '-' || lpad((g / 20 + 1)::text, 4, '0'),
       'Bench intention ' || g,
       'Generated for the load benchmark.',
       ('0193a000-0000-7000-8000-00000000010' || (1 + g % 8))::uuid,
       'Adult Social Care',
       y || '/' || lpad(((y + 1) % 100)::text, 2, '0'),
       100000 + (g * 7919) % 100000000,
       500000 + (g * 7919) % 500000000,
       make_date(y, 5, 1), make_date(y + 1, 4, 1),
       (ARRAY['must', 'should', 'could', 'wont'])[1 + (g / 3) % 4],
       1 + g % 5, 1 + g % 4, g % 2 = 0, g % 3 = 0, 'Commissioning Manager',
       (ARRAY['draft', 'submitted', 'approved', 'rejected', 'deferred', 'in_procurement', 'awarded',
              'closed', 'withdrawn'])[1 + (g / 7) % 9],
       'bench-load', now() - make_interval(secs => g), now() - make_interval(secs => g)
FROM generate_series(0::bigint, :n_intentions - 1) AS g
CROSS JOIN LATERAL (SELECT 2024 + ((g / 4) % 5)::int AS y) AS fy
JOIN authorities a ON a.id = ('0193a000-0000-7000-8000-00000000000' || (1 + g % 4))::uuid;

-- Later POSTs number on from the loaded references.
INSERT INTO reference_counters (authority_id, kind, year, last_number)
SELECT authority_id, 'CI', left(financial_year, 4)::int, count(*)
FROM commissioning_intentions GROUP BY 1, 3
ON CONFLICT (authority_id, kind, year) DO UPDATE SET last_number = EXCLUDED.last_number;

INSERT INTO contracts (id, authority_id, reference, title, supplier_name, category_id,
    annual_value_pence, total_value_pence, start_date, end_date, status, intention_id, created_by)
SELECT pg_temp.bench_id(2, g),
       ('0193a000-0000-7000-8000-00000000000' || (1 + g % 4))::uuid,
       'BENCH-C-' || lpad(g::text, 7, '0'),
       'Bench contract ' || g,
       'Supplier ' || (g % 5000),
       ('0193a000-0000-7000-8000-00000000010' || (1 + g % 8))::uuid,
       50000 + (g * 104729) % 50000000,
       200000 + (g * 104729) % 200000000,
       date '2020-04-01' + (g % 1500)::int,
       date '2020-04-01' + (g % 1500)::int + 365 * (1 + (g % 5)::int),
       (ARRAY['planned', 'active', 'expired', 'terminated'])[1 + (g / 5) % 4],
       CASE WHEN g % 2 = 0 THEN pg_temp.bench_id(1, (g / 2) % :n_intentions) END,
       'bench-load'
FROM generate_series(0::bigint, :n_contracts - 1) AS g;

INSERT INTO savings_lines (id, authority_id, intention_id, contract_id, financial_year, months,
    amount_pence, risk_adjusted_pence, cashable, kind, confidence, probability, status,
    budget_code, baseline_pence, description, created_by)
SELECT pg_temp.bench_id(3, g),
       ('0193a000-0000-7000-8000-00000000000' || (1 + g % 4))::uuid,
       CASE WHEN g % 2 = 0 THEN pg_temp.bench_id(1, (g / 2) % :n_intentions) END,
       CASE WHEN g % 2 = 1 THEN pg_temp.bench_id(2, (g / 2) % :n_contracts) END,
       y || '/' || lpad(((y + 1) % 100)::text, 2, '0'),
       p.months,
       (SELECT sum(m) FROM unnest(p.months) AS m),
       (SELECT sum((m * prob + 50) / 100) FROM unnest(p.months) AS m),
       g % 3 <> 0,
       (ARRAY['price_reduction', 'demand_management', 'cost_avoidance', 'income'])[1 + (g / 3) % 4],
       (ARRAY['red', 'amber', 'amber', 'green', 'green'])[1 + (g / 5) % 5],
       prob,
       (ARRAY['target', 'forecast', 'achieved', 'lost'])[1 + (g / 11) % 4],
       'ASC-' || (4400 + g % 50), base * 10, '', 'bench-load'
FROM generate_series(0::bigint, :n_lines - 1) AS g
CROSS JOIN LATERAL (SELECT 2024 + ((g / 8) % 5)::int AS y,
                           (ARRAY[0, 25, 50, 75, 100])[1 + (g / 5) % 5] AS prob,
                           1000 + (g * 37) % 500000 AS base) AS v
CROSS JOIN LATERAL (
    -- Three shapes of profile: flat, starting in Q2, and ramping up over the year.
    SELECT ARRAY(SELECT CASE g % 3 WHEN 0 THEN base
                                   WHEN 1 THEN CASE WHEN i <= 3 THEN 0 ELSE base END
                                   ELSE base * i / 6 END
                 FROM generate_series(1, 12) AS i ORDER BY i)::bigint[] AS months) AS p;
COMMIT;

VACUUM (ANALYZE) commissioning_intentions, contracts, savings_lines, reference_counters;
SELECT (SELECT count(*) FROM commissioning_intentions) AS intentions,
       (SELECT count(*) FROM contracts) AS contracts,
       (SELECT count(*) FROM savings_lines) AS savings_lines;
