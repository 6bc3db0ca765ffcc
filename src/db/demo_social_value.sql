-- Demo social value for `seed --demo`. Run after demo.sql, demo_contracts.sql and demo_pids.sql (the lot awards).
-- The edition below is a small ILLUSTRATIVE measures framework written by us in the shape of the National TOMs
-- (theme -> outcome -> measure). Its proxy values are invented for the demo: real proxy values come from the
-- framework's publisher, and a council loads their edition through POST /v1/social-value/editions.
-- Each authority's social value priorities (the codes its forward plan uses) with the measures that serve each.
-- Twelve commitments on active demo contracts (three per authority) over 2024/25 to 2026/27, with half-yearly
-- delivery returns for two years (2024/25 and 2025/26); one return has been corrected, keeping the original.
-- Three more on the awarded lots of RCH-PID-2026-0001 and TAM-PID-2026-0001, with their first returns.
-- Fixed ids; safe to run more than once (ON CONFLICT DO NOTHING).

INSERT INTO social_value_editions (id, code, name, effective_from, created_by) VALUES
    ('0193f000-0000-7000-8000-000000000001', '2024-demo',
     'Illustrative social value measures (demo values, not the publisher''s)', '2024-04-01', 'demo-seed')
ON CONFLICT DO NOTHING;

INSERT INTO social_value_measures (id, edition_id, position, theme_code, theme_name, outcome_code, outcome_name,
                                   code, description, unit, proxy_value_pence) VALUES
    ('0193f000-0000-7000-8000-000000000011', '0193f000-0000-7000-8000-000000000001', 0, 'jobs',
     'Jobs: promote local skills and employment', 'jobs-local', 'More local people in employment',
     'DM1', 'Local people (full-time equivalent) employed on the contract for a year', 'FTE year', 3000000),
    ('0193f000-0000-7000-8000-000000000012', '0193f000-0000-7000-8000-000000000001', 1, 'jobs',
     'Jobs: promote local skills and employment', 'jobs-local', 'More local people in employment',
     'DM2', 'Weeks of apprenticeship on the contract', 'week', 25000),
    ('0193f000-0000-7000-8000-000000000013', '0193f000-0000-7000-8000-000000000001', 2, 'jobs',
     'Jobs: promote local skills and employment', 'jobs-skills', 'Improved skills',
     'DM3', 'Hours of care certificate or equivalent training for staff', 'hour', 1500),
    ('0193f000-0000-7000-8000-000000000014', '0193f000-0000-7000-8000-000000000001', 3, 'growth',
     'Growth: a stronger local economy', 'growth-local', 'More spend with local and VCSE organisations',
     'DM4', 'Spend in the borough''s supply chain', 'pound', 15),
    ('0193f000-0000-7000-8000-000000000015', '0193f000-0000-7000-8000-000000000001', 4, 'social',
     'Social: healthier, safer and more resilient communities', 'social-volunteering', 'Stronger communities',
     'DM5', 'Staff volunteering hours in the community', 'hour', 1700),
    ('0193f000-0000-7000-8000-000000000016', '0193f000-0000-7000-8000-000000000001', 5, 'social',
     'Social: healthier, safer and more resilient communities', 'social-carers', 'Support for unpaid carers',
     'DM6', 'Carers'' support sessions run with local groups', 'session', 12000),
    ('0193f000-0000-7000-8000-000000000017', '0193f000-0000-7000-8000-000000000001', 6, 'environment',
     'Environment: decarbonising and safeguarding the world', 'env-carbon', 'Lower carbon emissions',
     'DM7', 'Tonnes of CO2e saved (e.g. electric vehicles for home care rounds)', 'tonne CO2e', 24500)
ON CONFLICT DO NOTHING;

-- Six priorities for each of the four authorities (ids 0193f000-...-0000000005<authority><priority>).
INSERT INTO social_value_priorities (id, authority_id, code, name, description, measure_codes, created_by)
SELECT ('0193f000-0000-7000-8000-0000000005' || x.n || p.n)::uuid, a.id, p.code, p.name,
       replace(p.description, '{borough}', x.place), p.measures::text[], 'demo-seed'
  FROM (VALUES (1, 'SKP', 'Stockport'), (2, 'TAM', 'Tameside'), (3, 'TRF', 'Trafford'), (4, 'RCH', 'Rochdale'))
       AS x (n, code, place)
  JOIN authorities a ON a.code = x.code
 CROSS JOIN (VALUES
    (1, 'local_employment', 'Local employment and skills',
     'More {borough} residents in good work on the council''s contracts, and a skilled care workforce.', '{DM1,DM3}'),
    (2, 'apprenticeships', 'Apprenticeships',
     'Apprenticeships and traineeships in care for {borough} residents, including care leavers.', '{DM2}'),
    (3, 'vcse_spend', 'Spend with local and VCSE organisations',
     'More of the contract''s spend with {borough}''s voluntary, community and social enterprise sector.', '{DM4}'),
    (4, 'local_supply_chain', 'A local supply chain',
     'Suppliers buy from businesses based in {borough}.', '{DM4}'),
    (5, 'health_and_wellbeing', 'Health, wellbeing and stronger communities',
     'Volunteering in {borough}''s communities and support for unpaid carers.', '{DM5,DM6}'),
    (6, 'carbon_reduction', 'Carbon reduction',
     'Lower emissions from care delivery, towards {borough}''s net zero target.', '{DM7}')
  ) AS p (n, code, name, description, measures)
ON CONFLICT DO NOTHING;

-- (commitment number, contract, measure, target over three years, priority)
INSERT INTO social_value_commitments (id, authority_id, contract_id, measure_id, proxy_value_pence, target_quantity,
                                      period_from, period_to, committed_on, priority_id, created_by)
SELECT ('0193f000-0000-7000-8000-' || lpad((100 + v.n)::text, 12, '0'))::uuid, k.authority_id, k.id, m.id,
       m.proxy_value_pence, v.target, '2024-04-01', '2027-03-31', '2024-04-01', p.id, 'demo-seed'
  FROM (VALUES
    (1,  '0193c000-0000-7000-8000-000000000002', 'DM1', 6,       'local_employment'),
    (2,  '0193c000-0000-7000-8000-000000000005', 'DM5', 900,     'health_and_wellbeing'),
    (3,  '0193c000-0000-7000-8000-000000000011', 'DM4', 3000000, 'vcse_spend'),
    (4,  '0193c000-0000-7000-8000-000000000025', 'DM2', 312,     'apprenticeships'),
    (5,  '0193c000-0000-7000-8000-000000000106', 'DM7', 60,      'carbon_reduction'),
    (6,  '0193c000-0000-7000-8000-000000000109', 'DM1', 4,       'local_employment'),
    (7,  '0193c000-0000-7000-8000-000000000137', 'DM3', 2400,    'local_employment'),
    (8,  '0193c000-0000-7000-8000-000000000138', 'DM6', 72,      'health_and_wellbeing'),
    (9,  '0193c000-0000-7000-8000-000000000139', 'DM4', 1800000, 'vcse_spend'),
    (10, '0193c000-0000-7000-8000-000000000039', 'DM1', 9,       'local_employment'),
    (11, '0193c000-0000-7000-8000-000000000040', 'DM2', 156,     'apprenticeships'),
    (12, '0193c000-0000-7000-8000-000000000042', 'DM7', 45,      'carbon_reduction')
  ) AS v (n, contract_id, measure, target, priority)
  JOIN contracts k ON k.id = v.contract_id::uuid
  JOIN social_value_measures m ON m.code = v.measure AND m.edition_id = '0193f000-0000-7000-8000-000000000001'
  JOIN social_value_priorities p ON p.authority_id = k.authority_id AND p.code = v.priority
ON CONFLICT DO NOTHING;

-- Four half-yearly returns per commitment. A sixth of the target each half is on schedule; the pace (in
-- per cent of that) varies by commitment so some are ahead and some behind.
INSERT INTO social_value_returns (id, commitment_id, period_from, period_to, quantity, evidence, created_by)
SELECT ('0193f000-0000-7000-8000-' || lpad((300 + (c.n - 1) * 4 + h.i)::text, 12, '0'))::uuid,
       c.id, h.period_from::date, h.period_to::date,
       c.target_quantity * (60 + ((c.n * 37 + h.i * 11) % 60)) / 600,
       'Supplier''s half-yearly return with supporting evidence held by the contract manager', 'demo-seed'
  FROM (SELECT id, target_quantity,
               right(id::text, 3)::int - 100 AS n
          FROM social_value_commitments
         WHERE id BETWEEN '0193f000-0000-7000-8000-000000000101' AND '0193f000-0000-7000-8000-000000000112') c
 CROSS JOIN (VALUES (1, '2024-04-01', '2024-09-30'), (2, '2024-10-01', '2025-03-31'),
                    (3, '2025-04-01', '2025-09-30'), (4, '2025-10-01', '2026-03-31')) AS h (i, period_from, period_to)
ON CONFLICT DO NOTHING;

-- A correction: commitment 1's last return was revised up from the payroll audit; the original is kept.
-- One statement, so the unique index of current returns never sees two for the period.
WITH superseded AS (
    UPDATE social_value_returns SET superseded_by = '0193f000-0000-7000-8000-000000000399'
     WHERE id = '0193f000-0000-7000-8000-000000000304' AND superseded_by IS NULL
    RETURNING commitment_id
)
INSERT INTO social_value_returns (id, commitment_id, period_from, period_to, quantity, evidence, created_by)
SELECT '0193f000-0000-7000-8000-000000000399', commitment_id, '2025-10-01', '2026-03-31',
       2, 'Corrected after the payroll audit of March 2026', 'demo-seed'
  FROM superseded;

-- Three commitments on awarded PID lots (demo_pids.sql records who won them), over the three years from
-- 2026/27, with the first half-year's returns: RCH-PID-2026-0001 lot 1 (local employment) and lot 3
-- (carbon), TAM-PID-2026-0001 lot 1 (apprenticeships).
INSERT INTO social_value_commitments (id, authority_id, pid_id, lot, measure_id, proxy_value_pence, target_quantity,
                                      period_from, period_to, committed_on, priority_id, created_by)
SELECT ('0193f000-0000-7000-8000-' || lpad((100 + v.n)::text, 12, '0'))::uuid, d.authority_id, d.id, v.lot, m.id,
       m.proxy_value_pence, v.target, '2026-04-01', '2029-03-31', v.committed_on::date, p.id, 'demo-seed'
  FROM (VALUES
    (13, '0193e500-0000-7000-8000-000000000001', 1, 'DM1', 9,   'local_employment', '2026-03-09'),
    (14, '0193e500-0000-7000-8000-000000000001', 3, 'DM7', 36,  'carbon_reduction', '2026-03-09'),
    (15, '0193e500-0000-7000-8000-000000000006', 1, 'DM2', 208, 'apprenticeships',  '2026-02-16')
  ) AS v (n, pid_id, lot, measure, target, priority, committed_on)
  JOIN pids d ON d.id = v.pid_id::uuid
  JOIN pid_lot_awards w ON w.pid_id = d.id AND w.lot = v.lot
  JOIN social_value_measures m ON m.code = v.measure AND m.edition_id = '0193f000-0000-7000-8000-000000000001'
  JOIN social_value_priorities p ON p.authority_id = d.authority_id AND p.code = v.priority
ON CONFLICT DO NOTHING;

-- Their first half-year's returns (2026-04-01 to 2026-09-30): lot 1 of RCH behind its pace, the others ahead.
INSERT INTO social_value_returns (id, commitment_id, period_from, period_to, quantity, evidence, created_by)
SELECT v.id::uuid, v.commitment_id::uuid, '2026-04-01', '2026-09-30', v.quantity, v.evidence, 'demo-seed'
  FROM (VALUES
    ('0193f000-0000-7000-8000-000000000401', '0193f000-0000-7000-8000-000000000113', 1,
     'Payroll extract: one local hire in post for the half-year'),
    ('0193f000-0000-7000-8000-000000000402', '0193f000-0000-7000-8000-000000000114', 7,
     'Mileage log for the electric rounds, converted at the published factor'),
    ('0193f000-0000-7000-8000-000000000403', '0193f000-0000-7000-8000-000000000115', 40,
     'Apprenticeship agreements and attendance records')
  ) AS v (id, commitment_id, quantity, evidence)
  JOIN social_value_commitments c ON c.id = v.commitment_id::uuid
ON CONFLICT DO NOTHING;
