-- Demo data of the collaboration area: a dozen opportunities across the four STAR authorities
-- (2 raised in 2024/25, 5 in 2025/26: the seed's +150%), their participants and shared learning,
-- and three benchmark metrics with observations for 2023/24 to 2025/26. Idempotent: fixed ids,
-- ON CONFLICT DO NOTHING.

INSERT INTO collaboration_opportunities (id, lead_authority_id, reference, title, description, category_id,
    financial_year, status, estimated_savings_pence, achieved_savings_pence, created_by) VALUES
    ('0193e000-0000-7000-8000-000000000001', '0193a000-0000-7000-8000-000000000004', 'RCH-COL-2024-0001', 'Joint dementia day support specification',
     'A shared service specification and outcomes framework for dementia day support, drafted once and used by all four councils.',
     '0193a000-0000-7000-8000-000000000104', '2024/25', 'delivered', 4000000, 3500000, 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000002', '0193a000-0000-7000-8000-000000000002', 'TAM-COL-2024-0001', 'Shared community equipment call-off',
     'Tameside and Trafford call off the same community equipment framework, pooling volumes for better prices.',
     '0193a000-0000-7000-8000-000000000105', '2024/25', 'closed', 6000000, 5200000, 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000003', '0193a000-0000-7000-8000-000000000001', 'SKP-COL-2025-0001', 'STAR-wide home care dynamic market',
     'One dynamic market for home care across the four STAR councils: shared supplier onboarding, common quality standards and aligned rates.',
     '0193a000-0000-7000-8000-000000000101', '2025/26', 'procuring', 45000000, NULL, 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000004', '0193a000-0000-7000-8000-000000000002', 'TAM-COL-2025-0001', 'Shared supported living framework',
     'A multi-lot supported living framework for learning disability and autism, let by Tameside with Rochdale calling off.',
     '0193a000-0000-7000-8000-000000000103', '2025/26', 'agreed', 18000000, NULL, 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000005', '0193a000-0000-7000-8000-000000000004', 'RCH-COL-2025-0001', 'Joint carers'' service',
     'Carers'' breaks and replacement care commissioned together, with one assessment offer for carers across boroughs.',
     '0193a000-0000-7000-8000-000000000108', '2025/26', 'scoping', 7500000, NULL, 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000006', '0193a000-0000-7000-8000-000000000003', 'TRF-COL-2025-0001', 'Telecare digital switchover lessons',
     'Trafford''s analogue-to-digital telecare switchover shared as a playbook for the other three councils.',
     '0193a000-0000-7000-8000-000000000105', '2025/26', 'delivered', 2000000, 2400000, 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000007', '0193a000-0000-7000-8000-000000000001', 'SKP-COL-2025-0002', 'Residential and nursing fee benchmarking',
     'Common cost of care model and annual fee benchmarking across the four councils.',
     '0193a000-0000-7000-8000-000000000102', '2025/26', 'delivered', 12000000, 9800000, 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000008', '0193a000-0000-7000-8000-000000000004', 'RCH-COL-2026-0001', 'Housing First shared provider market',
     'Market engagement for Housing First and complex lives support, run once for Rochdale and Tameside.',
     '0193a000-0000-7000-8000-000000000107', '2026/27', 'idea', 3000000, NULL, 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000009', '0193a000-0000-7000-8000-000000000002', 'TAM-COL-2026-0001', 'Mental health supported accommodation step-down',
     'A shared step-down pathway from hospital into supported accommodation.',
     '0193a000-0000-7000-8000-000000000106', '2026/27', 'scoping', 5000000, NULL, 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000010', '0193a000-0000-7000-8000-000000000003', 'TRF-COL-2026-0001', 'Discharge to assess beds collaboration',
     'Block-booked discharge to assess nursing beds shared between Trafford and Tameside.',
     '0193a000-0000-7000-8000-000000000102', '2026/27', 'idea', 8000000, NULL, 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000011', '0193a000-0000-7000-8000-000000000001', 'SKP-COL-2026-0001', 'Day opportunities outcome framework',
     'A common outcomes and employability framework for day opportunities redesign.',
     '0193a000-0000-7000-8000-000000000104', '2026/27', 'idea', NULL, NULL, 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000012', '0193a000-0000-7000-8000-000000000004', 'RCH-COL-2026-0002', 'Technology enabled care monitoring centre',
     'A shared telecare monitoring and responder service for Rochdale and Trafford.',
     '0193a000-0000-7000-8000-000000000105', '2026/27', 'scoping', 4500000, NULL, 'demo-seed')
ON CONFLICT (id) DO NOTHING;

INSERT INTO collaboration_participants (opportunity_id, authority_id, status, intention_ids, updated_by) VALUES
    ('0193e000-0000-7000-8000-000000000001', '0193a000-0000-7000-8000-000000000004', 'committed', '{0193b000-0000-7000-8000-000000000025}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000001', '0193a000-0000-7000-8000-000000000001', 'committed', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000001', '0193a000-0000-7000-8000-000000000002', 'interested', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000002', '0193a000-0000-7000-8000-000000000002', 'committed', '{0193b000-0000-7000-8000-000000000010}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000002', '0193a000-0000-7000-8000-000000000003', 'committed', '{0193b000-0000-7000-8000-000000000018}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000003', '0193a000-0000-7000-8000-000000000001', 'committed', '{0193b000-0000-7000-8000-000000000004}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000003', '0193a000-0000-7000-8000-000000000004', 'committed', '{0193b000-0000-7000-8000-000000000026}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000003', '0193a000-0000-7000-8000-000000000002', 'committed', '{0193b000-0000-7000-8000-000000000038}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000003', '0193a000-0000-7000-8000-000000000003', 'interested', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000004', '0193a000-0000-7000-8000-000000000002', 'committed', '{0193b000-0000-7000-8000-000000000011}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000004', '0193a000-0000-7000-8000-000000000004', 'committed', '{0193b000-0000-7000-8000-000000000027}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000004', '0193a000-0000-7000-8000-000000000003', 'interested', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000005', '0193a000-0000-7000-8000-000000000004', 'committed', '{0193b000-0000-7000-8000-000000000049}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000005', '0193a000-0000-7000-8000-000000000002', 'committed', '{0193b000-0000-7000-8000-000000000013}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000005', '0193a000-0000-7000-8000-000000000001', 'interested', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000006', '0193a000-0000-7000-8000-000000000003', 'committed', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000006', '0193a000-0000-7000-8000-000000000004', 'committed', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000006', '0193a000-0000-7000-8000-000000000001', 'committed', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000006', '0193a000-0000-7000-8000-000000000002', 'withdrawn', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000007', '0193a000-0000-7000-8000-000000000001', 'committed', '{0193b000-0000-7000-8000-000000000002}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000007', '0193a000-0000-7000-8000-000000000002', 'committed', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000007', '0193a000-0000-7000-8000-000000000003', 'committed', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000007', '0193a000-0000-7000-8000-000000000004', 'committed', '{0193b000-0000-7000-8000-000000000024}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000008', '0193a000-0000-7000-8000-000000000004', 'committed', '{0193b000-0000-7000-8000-000000000054}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000008', '0193a000-0000-7000-8000-000000000002', 'interested', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000009', '0193a000-0000-7000-8000-000000000002', 'committed', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000009', '0193a000-0000-7000-8000-000000000001', 'interested', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000009', '0193a000-0000-7000-8000-000000000004', 'interested', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000010', '0193a000-0000-7000-8000-000000000003', 'committed', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000010', '0193a000-0000-7000-8000-000000000002', 'interested', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000011', '0193a000-0000-7000-8000-000000000001', 'committed', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000011', '0193a000-0000-7000-8000-000000000004', 'interested', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000011', '0193a000-0000-7000-8000-000000000003', 'interested', '{}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000012', '0193a000-0000-7000-8000-000000000004', 'committed', '{0193b000-0000-7000-8000-000000000050}', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000012', '0193a000-0000-7000-8000-000000000003', 'interested', '{0193b000-0000-7000-8000-000000000048}', 'demo-seed')
ON CONFLICT (opportunity_id, authority_id) DO NOTHING;

-- Keep the reference counters ahead of the demo references, so new opportunities never collide.
INSERT INTO reference_counters (authority_id, kind, year, last_number) VALUES
    ('0193a000-0000-7000-8000-000000000004', 'COL', 2024, 1),
    ('0193a000-0000-7000-8000-000000000004', 'COL', 2025, 1),
    ('0193a000-0000-7000-8000-000000000004', 'COL', 2026, 2),
    ('0193a000-0000-7000-8000-000000000001', 'COL', 2025, 2),
    ('0193a000-0000-7000-8000-000000000001', 'COL', 2026, 1),
    ('0193a000-0000-7000-8000-000000000002', 'COL', 2024, 1),
    ('0193a000-0000-7000-8000-000000000002', 'COL', 2025, 1),
    ('0193a000-0000-7000-8000-000000000002', 'COL', 2026, 1),
    ('0193a000-0000-7000-8000-000000000003', 'COL', 2025, 1),
    ('0193a000-0000-7000-8000-000000000003', 'COL', 2026, 1)
ON CONFLICT (authority_id, kind, year) DO UPDATE SET last_number = GREATEST(reference_counters.last_number, EXCLUDED.last_number);

INSERT INTO collaboration_notes (id, opportunity_id, authority_id, author, noted_on, body) VALUES
    ('0193e000-0000-7000-8000-000000000201', '0193e000-0000-7000-8000-000000000003', '0193a000-0000-7000-8000-000000000001', 'demo-seed', '2025-09-12', 'Aligning all four councils'' rates before go-live avoided providers moving between boroughs for a better rate.'),
    ('0193e000-0000-7000-8000-000000000202', '0193e000-0000-7000-8000-000000000003', '0193a000-0000-7000-8000-000000000004', 'demo-seed', '2025-10-03', 'Trusted Assessor status for providers is written into the dynamic market''s service specification from day one.'),
    ('0193e000-0000-7000-8000-000000000203', '0193e000-0000-7000-8000-000000000006', '0193a000-0000-7000-8000-000000000003', 'demo-seed', '2025-11-20', 'Start the digital switchover with the telecare users most at risk; the playbook lists the order we used.'),
    ('0193e000-0000-7000-8000-000000000204', '0193e000-0000-7000-8000-000000000007', '0193a000-0000-7000-8000-000000000001', 'demo-seed', '2025-07-01', 'A common cost of care model let the four councils explain fee differences to providers on the same basis.'),
    ('0193e000-0000-7000-8000-000000000205', '0193e000-0000-7000-8000-000000000005', '0193a000-0000-7000-8000-000000000002', 'demo-seed', '2026-01-15', 'Fortnightly subcategory meetings kept the carers'' timetables of the councils in step.')
ON CONFLICT (id) DO NOTHING;

INSERT INTO benchmark_metrics (id, code, name, description, unit, better, created_by) VALUES
    ('0193e000-0000-7000-8000-000000000301', 'home_care_hourly_rate', 'Home care hourly rate', 'The standard rate paid to framework providers for an hour of home care.', 'pence_per_hour', 'lower', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000302', 'residential_weekly_fee', 'Residential care weekly fee', 'The standard weekly fee for an older persons residential placement.', 'pence_per_week', 'lower', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000303', 'direct_payment_uptake', 'Direct payment uptake', 'Adults receiving self-directed support through a direct payment, per cent × 100 (ASCOF 1C(2a)).', 'percent', 'higher', 'demo-seed')
ON CONFLICT (code) DO NOTHING;

-- Values in pence (home care £19.10 to £23.10 an hour; residential £689 to £881 a week) and
-- per cent × 100 (direct payments 23.80% to 31.25%).
INSERT INTO benchmark_observations (id, metric_id, authority_id, period, value, source_note, created_by)
SELECT v.id::uuid, m.id, v.authority_id::uuid, v.period, v.value, v.source_note, v.created_by FROM (VALUES
    ('0193e000-0000-7000-8000-000000000401', '0193e000-0000-7000-8000-000000000301', '0193a000-0000-7000-8000-000000000001', '2023/24', 1985, 'Demo: SKP return for 2023/24', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000402', '0193e000-0000-7000-8000-000000000301', '0193a000-0000-7000-8000-000000000001', '2024/25', 2110, 'Demo: SKP return for 2024/25', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000403', '0193e000-0000-7000-8000-000000000301', '0193a000-0000-7000-8000-000000000001', '2025/26', 2240, 'Demo: SKP return for 2025/26', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000404', '0193e000-0000-7000-8000-000000000301', '0193a000-0000-7000-8000-000000000002', '2023/24', 1910, 'Demo: TAM return for 2023/24', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000405', '0193e000-0000-7000-8000-000000000301', '0193a000-0000-7000-8000-000000000002', '2024/25', 2015, 'Demo: TAM return for 2024/25', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000406', '0193e000-0000-7000-8000-000000000301', '0193a000-0000-7000-8000-000000000002', '2025/26', 2130, 'Demo: TAM return for 2025/26', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000407', '0193e000-0000-7000-8000-000000000301', '0193a000-0000-7000-8000-000000000003', '2023/24', 2050, 'Demo: TRF return for 2023/24', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000408', '0193e000-0000-7000-8000-000000000301', '0193a000-0000-7000-8000-000000000003', '2024/25', 2180, 'Demo: TRF return for 2024/25', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000409', '0193e000-0000-7000-8000-000000000301', '0193a000-0000-7000-8000-000000000003', '2025/26', 2310, 'Demo: TRF return for 2025/26', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000410', '0193e000-0000-7000-8000-000000000301', '0193a000-0000-7000-8000-000000000004', '2023/24', 1940, 'Demo: RCH return for 2023/24', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000411', '0193e000-0000-7000-8000-000000000301', '0193a000-0000-7000-8000-000000000004', '2024/25', 2060, 'Demo: RCH return for 2024/25', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000412', '0193e000-0000-7000-8000-000000000301', '0193a000-0000-7000-8000-000000000004', '2025/26', 2150, 'Demo: RCH return for 2025/26', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000413', '0193e000-0000-7000-8000-000000000302', '0193a000-0000-7000-8000-000000000001', '2023/24', 72500, 'Demo: SKP return for 2023/24', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000414', '0193e000-0000-7000-8000-000000000302', '0193a000-0000-7000-8000-000000000001', '2024/25', 78900, 'Demo: SKP return for 2024/25', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000415', '0193e000-0000-7000-8000-000000000302', '0193a000-0000-7000-8000-000000000001', '2025/26', 84200, 'Demo: SKP return for 2025/26', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000416', '0193e000-0000-7000-8000-000000000302', '0193a000-0000-7000-8000-000000000002', '2023/24', 68900, 'Demo: TAM return for 2023/24', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000417', '0193e000-0000-7000-8000-000000000302', '0193a000-0000-7000-8000-000000000002', '2024/25', 74600, 'Demo: TAM return for 2024/25', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000418', '0193e000-0000-7000-8000-000000000302', '0193a000-0000-7000-8000-000000000002', '2025/26', 79800, 'Demo: TAM return for 2025/26', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000419', '0193e000-0000-7000-8000-000000000302', '0193a000-0000-7000-8000-000000000003', '2023/24', 76400, 'Demo: TRF return for 2023/24', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000420', '0193e000-0000-7000-8000-000000000302', '0193a000-0000-7000-8000-000000000003', '2024/25', 82300, 'Demo: TRF return for 2024/25', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000421', '0193e000-0000-7000-8000-000000000302', '0193a000-0000-7000-8000-000000000003', '2025/26', 88100, 'Demo: TRF return for 2025/26', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000422', '0193e000-0000-7000-8000-000000000302', '0193a000-0000-7000-8000-000000000004', '2023/24', 70100, 'Demo: RCH return for 2023/24', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000423', '0193e000-0000-7000-8000-000000000302', '0193a000-0000-7000-8000-000000000004', '2024/25', 75800, 'Demo: RCH return for 2024/25', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000424', '0193e000-0000-7000-8000-000000000302', '0193a000-0000-7000-8000-000000000004', '2025/26', 81500, 'Demo: RCH return for 2025/26', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000425', '0193e000-0000-7000-8000-000000000303', '0193a000-0000-7000-8000-000000000001', '2023/24', 2740, 'Demo: SKP return for 2023/24', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000426', '0193e000-0000-7000-8000-000000000303', '0193a000-0000-7000-8000-000000000001', '2024/25', 2810, 'Demo: SKP return for 2024/25', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000427', '0193e000-0000-7000-8000-000000000303', '0193a000-0000-7000-8000-000000000001', '2025/26', 2905, 'Demo: SKP return for 2025/26', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000428', '0193e000-0000-7000-8000-000000000303', '0193a000-0000-7000-8000-000000000002', '2023/24', 2380, 'Demo: TAM return for 2023/24', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000429', '0193e000-0000-7000-8000-000000000303', '0193a000-0000-7000-8000-000000000002', '2024/25', 2455, 'Demo: TAM return for 2024/25', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000430', '0193e000-0000-7000-8000-000000000303', '0193a000-0000-7000-8000-000000000002', '2025/26', 2530, 'Demo: TAM return for 2025/26', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000431', '0193e000-0000-7000-8000-000000000303', '0193a000-0000-7000-8000-000000000003', '2023/24', 2610, 'Demo: TRF return for 2023/24', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000432', '0193e000-0000-7000-8000-000000000303', '0193a000-0000-7000-8000-000000000003', '2024/25', 2690, 'Demo: TRF return for 2024/25', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000433', '0193e000-0000-7000-8000-000000000303', '0193a000-0000-7000-8000-000000000003', '2025/26', 2720, 'Demo: TRF return for 2025/26', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000434', '0193e000-0000-7000-8000-000000000303', '0193a000-0000-7000-8000-000000000004', '2023/24', 2920, 'Demo: RCH return for 2023/24', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000435', '0193e000-0000-7000-8000-000000000303', '0193a000-0000-7000-8000-000000000004', '2024/25', 3010, 'Demo: RCH return for 2024/25', 'demo-seed'),
    ('0193e000-0000-7000-8000-000000000436', '0193e000-0000-7000-8000-000000000303', '0193a000-0000-7000-8000-000000000004', '2025/26', 3125, 'Demo: RCH return for 2025/26', 'demo-seed')
) AS v (id, metric_id, authority_id, period, value, source_note, created_by)
JOIN benchmark_metrics m ON m.id = v.metric_id::uuid
ON CONFLICT (metric_id, authority_id, period) DO NOTHING;
