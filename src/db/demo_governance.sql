-- Demo governance data for `seed --demo`: waivers of the Contract Procedure Rules (one at each approver level,
-- in each status), breaches found by audit and by spend analysis, and a month of Rochdale's spend file matched
-- against the contract register (some lines on contract, some off). Run after demo_contracts.sql.
-- Money is in pence. Dates are fixed, written as at 23 November 2026. Suppliers without a contract are invented.
-- Safe to run more than once: ON CONFLICT DO NOTHING, and the counters only ever move up.

-- Waivers. The approver follows the default bands: below £50,000 the head of procurement, from £50,000 the chief
-- finance officer, from £500,000 a director.
INSERT INTO waivers (
    id, authority_id, reference, pid_id, contract_id, reason, justification, value_pence, period_start, period_end,
    requested_on, approver, status, decided_on, decided_by, decision_note, version, created_by
) VALUES
    ('0193f700-0000-7000-8000-000000000001', '0193a000-0000-7000-8000-000000000004', 'RCH-WVR-2026-0001', NULL,
     '0193c000-0000-7000-8000-000000000041', 'continuity_of_care',
     'The borough-wide home care framework ended on 1 November 2026. People whose packages have not yet moved to the new lots stay with their carers for up to six months rather than move over winter.',
     760000000, '2026-11-02', '2027-04-30', '2026-09-15', 'director', 'approved', '2026-09-29',
     'director.adults@rochdale.gov.uk', 'Approved for six months only; the new lots must start by 1 May 2027.', 2, 'demo-seed'),
    ('0193f700-0000-7000-8000-000000000002', '0193a000-0000-7000-8000-000000000004', 'RCH-WVR-2026-0002', NULL,
     '0193c000-0000-7000-8000-000000000048', 'urgency',
     'Additional carers'' breaks needed at short notice over the summer holidays.',
     3500000, '2026-07-20', '2026-09-04', '2026-07-06', 'head_of_procurement', 'refused', '2026-07-10',
     'head.procurement@rochdale.gov.uk', 'Not unforeseeable: the summer peak is known. Call off the existing contract instead.', 2, 'demo-seed'),
    ('0193f700-0000-7000-8000-000000000003', '0193a000-0000-7000-8000-000000000004', 'RCH-WVR-2026-0003', NULL,
     '0193c000-0000-7000-8000-000000000042', 'extension_of_existing',
     'A further year of dementia day support beyond the contract''s option while the day opportunities review completes.',
     42000000, '2028-04-01', '2029-03-31', '2026-11-10', 'head_of_procurement', 'requested', NULL, NULL, NULL, 1, 'demo-seed'),
    ('0193f700-0000-7000-8000-000000000004', '0193a000-0000-7000-8000-000000000004', 'RCH-WVR-2026-0004', NULL,
     '0193c000-0000-7000-8000-000000000047', 'specialist_provision',
     'Two bariatric respite beds only this home can provide.',
     8000000, '2026-06-15', '2027-02-28', '2026-06-01', 'chief_finance_officer', 'withdrawn', NULL, NULL, NULL, 2, 'demo-seed'),
    ('0193f700-0000-7000-8000-000000000005', '0193a000-0000-7000-8000-000000000001', 'SKP-WVR-2026-0001', NULL,
     '0193c000-0000-7000-8000-000000000003', 'urgency',
     'The Marple and Bredbury home care contract expired before its re-let; three months bridges to the new framework.',
     207500000, '2026-10-05', '2027-01-04', '2026-09-20', 'director', 'approved', '2026-10-01',
     'director.adults@stockport.gov.uk', 'Approved; report to audit committee in January.', 2, 'demo-seed'),
    ('0193f700-0000-7000-8000-000000000006', '0193a000-0000-7000-8000-000000000001', 'SKP-WVR-2026-0002', NULL,
     '0193c000-0000-7000-8000-000000000004', 'below_market_interest',
     'The mini-competition for Cheadle and Bramhall drew no compliant bids.',
     65000000, '2026-10-05', '2027-03-31', '2026-10-02', 'chief_finance_officer', 'requested', NULL, NULL, NULL, 1, 'demo-seed')
ON CONFLICT DO NOTHING;

INSERT INTO breaches (
    id, authority_id, reference, pid_id, contract_id, kind, how_found, description, remedy, value_pence,
    identified_on, status, version, created_by
) VALUES
    ('0193f800-0000-7000-8000-000000000001', '0193a000-0000-7000-8000-000000000004', 'RCH-BR-2026-0001', NULL,
     '0193c000-0000-7000-8000-000000000061', 'let_without_compliant_route', 'spend_analysis',
     'Respite beds were spot-purchased from one home for over a year, above the quotation threshold, without a contract.',
     'Regularised as a three-year contract after a compliant quotation.', 64000000, '2025-07-14', 'remedied', 2, 'demo-seed'),
    ('0193f800-0000-7000-8000-000000000002', '0193a000-0000-7000-8000-000000000004', 'RCH-BR-2026-0002', NULL,
     '0193c000-0000-7000-8000-000000000048', 'extended_without_compliant_route', 'audit',
     'Internal audit found the carers'' breaks contract was varied to add hours beyond its scope without approval.',
     'Variation to be approved retrospectively and the service re-procured in 2027.', 5200000, '2026-08-20', 'open', 1, 'demo-seed'),
    ('0193f800-0000-7000-8000-000000000003', '0193a000-0000-7000-8000-000000000004', 'RCH-BR-2026-0003', NULL,
     '0193c000-0000-7000-8000-000000000040', 'varied_beyond_scope', 'contract_review',
     'Transport to the day centres was added to the day opportunities contract without an approved variation.',
     'Transport to be procured separately; the variation reported to audit committee.', 1608000, '2026-11-12', 'remedying', 1, 'demo-seed'),
    ('0193f800-0000-7000-8000-000000000004', '0193a000-0000-7000-8000-000000000001', 'SKP-BR-2026-0001', NULL,
     '0193c000-0000-7000-8000-000000000004', 'continued_after_expiry', 'self_reported',
     'The Cheadle and Bramhall home care contract expired on 4 October and care continued without cover.',
     'Waiver SKP-WVR-2026-0002 requested.', 65000000, '2026-10-06', 'remedying', 1, 'demo-seed')
ON CONFLICT DO NOTHING;

-- Rochdale's spend file for late October and early November 2026, matched as an import would match it: by the
-- supplier's normalised name (supplier_key) and a payment date inside the contract's term.
INSERT INTO spend_lines (
    id, authority_id, reference, body, payment_date, supplier_name, supplier_key, amount_pence, expense_type,
    contract_id, created_by
) VALUES
    ('0193f900-0000-7000-8000-000000000001', '0193a000-0000-7000-8000-000000000004', 'RCH-AP-2026-100231',
     'Rochdale Metropolitan Borough Council', '2026-10-07', 'Lattice Lives CIC', 'lattice lives', 4833333,
     'Supported living', '0193c000-0000-7000-8000-000000000037', 'demo-seed'),
    ('0193f900-0000-7000-8000-000000000002', '0193a000-0000-7000-8000-000000000004', 'RCH-AP-2026-100232',
     'Rochdale Metropolitan Borough Council', '2026-10-14', 'Skylark Day Services Ltd', 'skylark day services', 1125000,
     'Day services', '0193c000-0000-7000-8000-000000000040', 'demo-seed'),
    ('0193f900-0000-7000-8000-000000000003', '0193a000-0000-7000-8000-000000000004', 'RCH-AP-2026-100233',
     'Rochdale Metropolitan Borough Council', '2026-10-21', 'ALARMWISE MONITORING LIMITED', 'alarmwise monitoring', 716667,
     'Assistive technology', '0193c000-0000-7000-8000-000000000043', 'demo-seed'),
    ('0193f900-0000-7000-8000-000000000004', '0193a000-0000-7000-8000-000000000004', 'RCH-AP-2026-100234',
     'Rochdale Metropolitan Borough Council', '2026-10-28', 'Brookside Agency Nursing Ltd', 'brookside agency nursing', 1840000,
     'Agency staff', NULL, 'demo-seed'),
    ('0193f900-0000-7000-8000-000000000005', '0193a000-0000-7000-8000-000000000004', 'RCH-AP-2026-100235',
     'Rochdale Metropolitan Borough Council', '2026-10-30', 'Pennine Office Supplies', 'pennine office supplies', 21240,
     'Stationery', NULL, 'demo-seed'),
    ('0193f900-0000-7000-8000-000000000006', '0193a000-0000-7000-8000-000000000004', 'RCH-AP-2026-100236',
     'Rochdale Metropolitan Borough Council', '2026-11-03', 'Moorland Taxis Ltd', 'moorland taxis', 134000,
     'Transport', NULL, 'demo-seed'),
    ('0193f900-0000-7000-8000-000000000007', '0193a000-0000-7000-8000-000000000004', 'RCH-AP-2026-100237',
     'Rochdale Metropolitan Borough Council', '2026-11-04', 'Respitewell Breaks Ltd', 'respitewell breaks', 216667,
     'Carers', '0193c000-0000-7000-8000-000000000048', 'demo-seed'),
    ('0193f900-0000-7000-8000-000000000008', '0193a000-0000-7000-8000-000000000004', 'RCH-AP-2026-100238',
     'Rochdale Metropolitan Borough Council', '2026-11-05', 'Hollingworth Home Care Agency Ltd', 'hollingworth home care agency', 1266667,
     'Home care', NULL, 'demo-seed')
ON CONFLICT DO NOTHING;

-- Reference counters: the highest waiver and breach numbers used above, so records the API creates continue the
-- sequence. Never moves a counter backwards.
INSERT INTO reference_counters (authority_id, kind, year, last_number) VALUES
    ('0193a000-0000-7000-8000-000000000004', 'WVR', 2026, 4),
    ('0193a000-0000-7000-8000-000000000001', 'WVR', 2026, 2),
    ('0193a000-0000-7000-8000-000000000004', 'BR', 2026, 3),
    ('0193a000-0000-7000-8000-000000000001', 'BR', 2026, 1)
ON CONFLICT (authority_id, kind, year) DO UPDATE SET last_number = GREATEST(reference_counters.last_number, EXCLUDED.last_number);
