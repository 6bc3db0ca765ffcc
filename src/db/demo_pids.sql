-- Demo procurement initiation documents for `seed --demo`: PIDs at every stage (draft, submitted with
-- some sign-offs, approved, live, awarded, cancelled, and a draft returned by finance), raised from the
-- demo intentions that are in procurement or awarded, with their governance sign-offs under the default
-- rules (every PID here is above £500,000, so all five sign-offs). TAM-PID-2026-0003 is a direct award
-- under the light-touch regime, so a UK5 transparency notice is due. Illustrative data; no real people.
-- Safe to run more than once: rows use ON CONFLICT DO NOTHING and the counters only ever move up.

INSERT INTO pids (
    id, authority_id, reference, intention_id, title, status, estimated_value_pence, regime, contract_type,
    route, direct_award_justification, process_started_on, transparency_notice_due, lots, term_months,
    extension_months, milestones, quality_weight, price_weight, social_value_weight, social_value_priorities,
    social_value_measures, submission, required_sign_offs, created_by
) VALUES
    ('0193e500-0000-7000-8000-000000000001', '0193a000-0000-7000-8000-000000000004', 'RCH-PID-2026-0001', '0193b000-0000-7000-8000-000000000026', 'Home care re-procurement with Trusted Assessor status', 'awarded', 8400000000, 'light_touch', 'services', 'competitive_flexible', NULL, '2025-11-03', false,
     '[{"title": "Lot 1: Heywood and Middleton", "estimated_value_pence": 3000000000, "sme_vcse": true}, {"title": "Lot 2: Rochdale North and Pennines", "estimated_value_pence": 2800000000, "sme_vcse": true}, {"title": "Lot 3: Rochdale South", "estimated_value_pence": 2600000000, "sme_vcse": false}]', 60, '{24}', '[{"name": "Market engagement event", "planned_date": "2025-10-06", "actual_date": "2025-10-06"}, {"name": "Tender notice published", "planned_date": "2025-11-03", "actual_date": "2025-11-03"}, {"name": "Award decision", "planned_date": "2026-03-02", "actual_date": "2026-03-09"}, {"name": "Contract start", "planned_date": "2026-06-01", "actual_date": "2026-06-01"}]', 60, 30, 10, '{local_employment,apprenticeships}', '{DM1,DM2}', 1, '{commissioning_lead,procurement_lead,finance,legal,key_decision}', 'demo-seed'),
    ('0193e500-0000-7000-8000-000000000002', '0193a000-0000-7000-8000-000000000004', 'RCH-PID-2026-0002', '0193b000-0000-7000-8000-000000000027', 'Supported living framework: Rochdale commissioning footprint', 'live', 4560000000, 'light_touch', 'services', 'framework_call_off', NULL, '2026-05-05', false,
     '[{"title": "Lot 1: learning disability", "estimated_value_pence": 2560000000, "sme_vcse": true}, {"title": "Lot 2: mental health", "estimated_value_pence": 2000000000, "sme_vcse": true}]', 48, '{12,12}', '[{"name": "Tender notice published", "planned_date": "2026-05-05", "actual_date": "2026-05-11"}, {"name": "Tender closes", "planned_date": "2026-06-22", "actual_date": null}, {"name": "Award decision", "planned_date": "2026-09-14", "actual_date": null}]', 60, 30, 10, '{local_employment}', '{DM1}', 1, '{commissioning_lead,procurement_lead,finance,legal,key_decision}', 'demo-seed'),
    ('0193e500-0000-7000-8000-000000000003', '0193a000-0000-7000-8000-000000000004', 'RCH-PID-2026-0003', '0193b000-0000-7000-8000-000000000050', 'Assistive technology: digital alarms and responder service', 'submitted', 470000000, 'procurement_act_2023', 'services', 'open', NULL, '2026-06-01', false,
     '[]', 60, '{12}', '[{"name": "Tender notice published", "planned_date": "2027-01-11", "actual_date": null}]', 50, 40, 10, '{carbon_reduction}', '{}', 1, '{commissioning_lead,procurement_lead,finance,legal,key_decision}', 'demo-seed'),
    ('0193e500-0000-7000-8000-000000000004', '0193a000-0000-7000-8000-000000000001', 'SKP-PID-2026-0001', '0193b000-0000-7000-8000-000000000004', 'STAR-wide home care dynamic market', 'approved', 2600000000, 'light_touch', 'services', 'dynamic_market', NULL, '2026-05-05', false,
     '[{"title": "Category 1: Stockport", "estimated_value_pence": 650000000, "sme_vcse": true}, {"title": "Category 2: Tameside", "estimated_value_pence": 650000000, "sme_vcse": true}, {"title": "Category 3: Trafford", "estimated_value_pence": 650000000, "sme_vcse": true}, {"title": "Category 4: Rochdale", "estimated_value_pence": 650000000, "sme_vcse": true}]', 48, '{}', '[{"name": "Dynamic market notice", "planned_date": "2026-12-07", "actual_date": null}, {"name": "First call for competition", "planned_date": "2027-02-01", "actual_date": null}]', 70, 20, 10, '{local_supply_chain,local_employment}', '{}', 1, '{commissioning_lead,procurement_lead,finance,legal,key_decision}', 'demo-seed'),
    ('0193e500-0000-7000-8000-000000000005', '0193a000-0000-7000-8000-000000000001', 'SKP-PID-2026-0002', '0193b000-0000-7000-8000-000000000033', 'Reablement and discharge to assess home support', 'draft', 2100000000, 'light_touch', 'services', 'competitive_flexible', NULL, '2026-07-06', false,
     '[]', 36, '{12,12}', '[{"name": "Tender notice published", "planned_date": "2027-01-04", "actual_date": null}]', 60, 30, 10, '{local_employment,health_and_wellbeing}', '{}', 1, '{commissioning_lead,procurement_lead,finance,legal,key_decision}', 'demo-seed'),
    ('0193e500-0000-7000-8000-000000000006', '0193a000-0000-7000-8000-000000000002', 'TAM-PID-2026-0001', '0193b000-0000-7000-8000-000000000011', 'Supported living framework: learning disability and autism', 'awarded', 5680000000, 'light_touch', 'services', 'framework_call_off', NULL, '2025-10-06', false,
     '[{"title": "Lot 1: supported living", "estimated_value_pence": 4000000000, "sme_vcse": true}, {"title": "Lot 2: outreach", "estimated_value_pence": 1680000000, "sme_vcse": true}]', 48, '{24}', '[{"name": "Tender notice published", "planned_date": "2025-10-06", "actual_date": "2025-10-06"}, {"name": "Award decision", "planned_date": "2026-02-02", "actual_date": "2026-02-16"}]', 60, 30, 10, '{local_employment}', '{}', 1, '{commissioning_lead,procurement_lead,finance,legal,key_decision}', 'demo-seed'),
    ('0193e500-0000-7000-8000-000000000007', '0193a000-0000-7000-8000-000000000002', 'TAM-PID-2026-0002', '0193b000-0000-7000-8000-000000000012', 'Complex lives: supported housing and floating support', 'draft', 1150000000, 'light_touch', 'services', 'open', NULL, '2026-06-01', false,
     '[{"title": "Lot 1: supported housing", "estimated_value_pence": 700000000, "sme_vcse": true}, {"title": "Lot 2: floating support", "estimated_value_pence": 450000000, "sme_vcse": true}]', 60, '{}', '[{"name": "Tender notice published", "planned_date": "2027-02-01", "actual_date": null}]', 60, 30, 10, '{vcse_spend}', '{}', 0, '{}', 'demo-seed'),
    ('0193e500-0000-7000-8000-000000000008', '0193a000-0000-7000-8000-000000000002', 'TAM-PID-2026-0003', '0193b000-0000-7000-8000-000000000039', 'Discharge to assess residential and nursing beds', 'submitted', 780000000, 'light_touch', 'services', 'direct_award', 'Continuity of care: the beds are with the two providers already caring for the residents, and moving them would harm their wellbeing', '2026-06-01', true,
     '[]', 24, '{}', '[{"name": "Transparency notice (UK5) published", "planned_date": "2026-12-14", "actual_date": null}, {"name": "Contract start", "planned_date": "2027-01-04", "actual_date": null}]', 70, 30, 0, '{}', '{}', 1, '{commissioning_lead,procurement_lead,finance,legal,key_decision}', 'demo-seed'),
    ('0193e500-0000-7000-8000-000000000009', '0193a000-0000-7000-8000-000000000003', 'TRF-PID-2026-0001', '0193b000-0000-7000-8000-000000000019', 'Supported living: autism and complex needs', 'live', 2800000000, 'light_touch', 'services', 'competitive_flexible', NULL, '2026-04-13', false,
     '[]', 60, '{24}', '[{"name": "Tender notice published", "planned_date": "2026-04-13", "actual_date": "2026-04-20"}, {"name": "Award decision", "planned_date": "2026-10-05", "actual_date": null}]', 60, 30, 10, '{local_employment}', '{}', 1, '{commissioning_lead,procurement_lead,finance,legal,key_decision}', 'demo-seed'),
    ('0193e500-0000-7000-8000-000000000010', '0193a000-0000-7000-8000-000000000003', 'TRF-PID-2026-0002', '0193b000-0000-7000-8000-000000000043', 'Home care: Trusted Assessor and reablement zones (first approach)', 'cancelled', 5800000000, 'light_touch', 'services', 'open', NULL, '2026-04-06', false,
     '[]', 60, '{}', '[]', 60, 30, 10, '{}', '{}', 0, '{}', 'demo-seed'),
    ('0193e500-0000-7000-8000-000000000011', '0193a000-0000-7000-8000-000000000003', 'TRF-PID-2026-0003', '0193b000-0000-7000-8000-000000000043', 'Home care: Trusted Assessor and reablement zones', 'draft', 5800000000, 'light_touch', 'services', 'competitive_flexible', NULL, '2026-04-06', false,
     '[{"title": "Zone 1: north", "estimated_value_pence": 2900000000, "sme_vcse": true}, {"title": "Zone 2: south", "estimated_value_pence": 2900000000, "sme_vcse": true}]', 60, '{24}', '[{"name": "Tender notice published", "planned_date": "2027-01-18", "actual_date": null}]', 60, 30, 10, '{local_employment,apprenticeships}', '{}', 0, '{}', 'demo-seed')
ON CONFLICT DO NOTHING;

INSERT INTO pid_sign_offs (id, pid_id, submission, role, outcome, reasons, signed_by, signed_at) VALUES
    ('0193e600-0000-7000-8000-000000000001', '0193e500-0000-7000-8000-000000000001', 1, 'commissioning_lead', 'approved', NULL, 'commissioning-lead@demo.rochdale.gov.uk', timestamptz '2025-11-03' + interval '14 days'),
    ('0193e600-0000-7000-8000-000000000002', '0193e500-0000-7000-8000-000000000001', 1, 'procurement_lead', 'approved', NULL, 'procurement-lead@demo.rochdale.gov.uk', timestamptz '2025-11-03' + interval '15 days'),
    ('0193e600-0000-7000-8000-000000000003', '0193e500-0000-7000-8000-000000000001', 1, 'finance', 'approved', NULL, 'finance@demo.rochdale.gov.uk', timestamptz '2025-11-03' + interval '16 days'),
    ('0193e600-0000-7000-8000-000000000004', '0193e500-0000-7000-8000-000000000001', 1, 'legal', 'approved', NULL, 'legal@demo.rochdale.gov.uk', timestamptz '2025-11-03' + interval '17 days'),
    ('0193e600-0000-7000-8000-000000000005', '0193e500-0000-7000-8000-000000000001', 1, 'key_decision', 'approved', NULL, 'cabinet-member@demo.rochdale.gov.uk', timestamptz '2025-11-03' + interval '18 days'),
    ('0193e600-0000-7000-8000-000000000006', '0193e500-0000-7000-8000-000000000002', 1, 'commissioning_lead', 'approved', NULL, 'commissioning-lead@demo.rochdale.gov.uk', timestamptz '2026-05-05' + interval '14 days'),
    ('0193e600-0000-7000-8000-000000000007', '0193e500-0000-7000-8000-000000000002', 1, 'procurement_lead', 'approved', NULL, 'procurement-lead@demo.rochdale.gov.uk', timestamptz '2026-05-05' + interval '15 days'),
    ('0193e600-0000-7000-8000-000000000008', '0193e500-0000-7000-8000-000000000002', 1, 'finance', 'approved', NULL, 'finance@demo.rochdale.gov.uk', timestamptz '2026-05-05' + interval '16 days'),
    ('0193e600-0000-7000-8000-000000000009', '0193e500-0000-7000-8000-000000000002', 1, 'legal', 'approved', NULL, 'legal@demo.rochdale.gov.uk', timestamptz '2026-05-05' + interval '17 days'),
    ('0193e600-0000-7000-8000-000000000010', '0193e500-0000-7000-8000-000000000002', 1, 'key_decision', 'approved', NULL, 'cabinet-member@demo.rochdale.gov.uk', timestamptz '2026-05-05' + interval '18 days'),
    ('0193e600-0000-7000-8000-000000000011', '0193e500-0000-7000-8000-000000000003', 1, 'commissioning_lead', 'approved', NULL, 'commissioning-lead@demo.rochdale.gov.uk', timestamptz '2026-06-01' + interval '14 days'),
    ('0193e600-0000-7000-8000-000000000012', '0193e500-0000-7000-8000-000000000003', 1, 'procurement_lead', 'approved', NULL, 'procurement-lead@demo.rochdale.gov.uk', timestamptz '2026-06-01' + interval '15 days'),
    ('0193e600-0000-7000-8000-000000000013', '0193e500-0000-7000-8000-000000000004', 1, 'commissioning_lead', 'approved', NULL, 'commissioning-lead@demo.stockport.gov.uk', timestamptz '2026-05-05' + interval '14 days'),
    ('0193e600-0000-7000-8000-000000000014', '0193e500-0000-7000-8000-000000000004', 1, 'procurement_lead', 'approved', NULL, 'procurement-lead@demo.stockport.gov.uk', timestamptz '2026-05-05' + interval '15 days'),
    ('0193e600-0000-7000-8000-000000000015', '0193e500-0000-7000-8000-000000000004', 1, 'finance', 'approved', NULL, 'finance@demo.stockport.gov.uk', timestamptz '2026-05-05' + interval '16 days'),
    ('0193e600-0000-7000-8000-000000000016', '0193e500-0000-7000-8000-000000000004', 1, 'legal', 'approved', NULL, 'legal@demo.stockport.gov.uk', timestamptz '2026-05-05' + interval '17 days'),
    ('0193e600-0000-7000-8000-000000000017', '0193e500-0000-7000-8000-000000000004', 1, 'key_decision', 'approved', NULL, 'cabinet-member@demo.stockport.gov.uk', timestamptz '2026-05-05' + interval '18 days'),
    ('0193e600-0000-7000-8000-000000000018', '0193e500-0000-7000-8000-000000000005', 1, 'commissioning_lead', 'approved', NULL, 'commissioning-lead@demo.stockport.gov.uk', timestamptz '2026-07-06' + interval '14 days'),
    ('0193e600-0000-7000-8000-000000000019', '0193e500-0000-7000-8000-000000000005', 1, 'finance', 'returned', 'The whole-life value leaves out the two optional extension years; re-estimate with them and resubmit.', 'finance@demo.stockport.gov.uk', timestamptz '2026-07-06' + interval '15 days'),
    ('0193e600-0000-7000-8000-000000000020', '0193e500-0000-7000-8000-000000000006', 1, 'commissioning_lead', 'approved', NULL, 'commissioning-lead@demo.tameside.gov.uk', timestamptz '2025-10-06' + interval '14 days'),
    ('0193e600-0000-7000-8000-000000000021', '0193e500-0000-7000-8000-000000000006', 1, 'procurement_lead', 'approved', NULL, 'procurement-lead@demo.tameside.gov.uk', timestamptz '2025-10-06' + interval '15 days'),
    ('0193e600-0000-7000-8000-000000000022', '0193e500-0000-7000-8000-000000000006', 1, 'finance', 'approved', NULL, 'finance@demo.tameside.gov.uk', timestamptz '2025-10-06' + interval '16 days'),
    ('0193e600-0000-7000-8000-000000000023', '0193e500-0000-7000-8000-000000000006', 1, 'legal', 'approved', NULL, 'legal@demo.tameside.gov.uk', timestamptz '2025-10-06' + interval '17 days'),
    ('0193e600-0000-7000-8000-000000000024', '0193e500-0000-7000-8000-000000000006', 1, 'key_decision', 'approved', NULL, 'cabinet-member@demo.tameside.gov.uk', timestamptz '2025-10-06' + interval '18 days'),
    ('0193e600-0000-7000-8000-000000000025', '0193e500-0000-7000-8000-000000000008', 1, 'commissioning_lead', 'approved', NULL, 'commissioning-lead@demo.tameside.gov.uk', timestamptz '2026-06-01' + interval '14 days'),
    ('0193e600-0000-7000-8000-000000000026', '0193e500-0000-7000-8000-000000000008', 1, 'procurement_lead', 'approved', NULL, 'procurement-lead@demo.tameside.gov.uk', timestamptz '2026-06-01' + interval '15 days'),
    ('0193e600-0000-7000-8000-000000000027', '0193e500-0000-7000-8000-000000000008', 1, 'legal', 'approved', NULL, 'legal@demo.tameside.gov.uk', timestamptz '2026-06-01' + interval '16 days'),
    ('0193e600-0000-7000-8000-000000000028', '0193e500-0000-7000-8000-000000000009', 1, 'commissioning_lead', 'approved', NULL, 'commissioning-lead@demo.trafford.gov.uk', timestamptz '2026-04-13' + interval '14 days'),
    ('0193e600-0000-7000-8000-000000000029', '0193e500-0000-7000-8000-000000000009', 1, 'procurement_lead', 'approved', NULL, 'procurement-lead@demo.trafford.gov.uk', timestamptz '2026-04-13' + interval '15 days'),
    ('0193e600-0000-7000-8000-000000000030', '0193e500-0000-7000-8000-000000000009', 1, 'finance', 'approved', NULL, 'finance@demo.trafford.gov.uk', timestamptz '2026-04-13' + interval '16 days'),
    ('0193e600-0000-7000-8000-000000000031', '0193e500-0000-7000-8000-000000000009', 1, 'legal', 'approved', NULL, 'legal@demo.trafford.gov.uk', timestamptz '2026-04-13' + interval '17 days'),
    ('0193e600-0000-7000-8000-000000000032', '0193e500-0000-7000-8000-000000000009', 1, 'key_decision', 'approved', NULL, 'cabinet-member@demo.trafford.gov.uk', timestamptz '2026-04-13' + interval '18 days')
ON CONFLICT DO NOTHING;

INSERT INTO reference_counters (authority_id, kind, year, last_number) VALUES
    ('0193a000-0000-7000-8000-000000000001', 'PID', 2026, 2),  -- SKP
    ('0193a000-0000-7000-8000-000000000002', 'PID', 2026, 3),  -- TAM
    ('0193a000-0000-7000-8000-000000000003', 'PID', 2026, 3),  -- TRF
    ('0193a000-0000-7000-8000-000000000004', 'PID', 2026, 3)   -- RCH
ON CONFLICT (authority_id, kind, year) DO UPDATE
    SET last_number = GREATEST(reference_counters.last_number, EXCLUDED.last_number);

-- Who won each lot of the two awarded PIDs (RCH-PID-2026-0001's three home care patches and
-- TAM-PID-2026-0001's two supported living lots), on the day of each award decision. The suppliers
-- are invented for the demo, like every supplier here; none is in the contract register yet.
INSERT INTO pid_lot_awards (id, pid_id, lot, supplier_name, awarded_on, awarded_value_pence, contract_id, created_by) VALUES
    ('0193e700-0000-7000-8000-000000000001', '0193e500-0000-7000-8000-000000000001', 1, 'Hollinwood Lane Homecare CIC', '2026-03-09', 2940000000, NULL, 'demo-seed'),
    ('0193e700-0000-7000-8000-000000000002', '0193e500-0000-7000-8000-000000000001', 2, 'Pennine Ridge Care at Home Ltd', '2026-03-09', 2815000000, NULL, 'demo-seed'),
    ('0193e700-0000-7000-8000-000000000003', '0193e500-0000-7000-8000-000000000001', 3, 'Brookvale Home Support Ltd', '2026-03-09', 2555000000, NULL, 'demo-seed'),
    ('0193e700-0000-7000-8000-000000000004', '0193e500-0000-7000-8000-000000000006', 1, 'Tamebridge Supported Living Ltd', '2026-02-16', 3910000000, NULL, 'demo-seed'),
    ('0193e700-0000-7000-8000-000000000005', '0193e500-0000-7000-8000-000000000006', 2, 'Stalybrook Outreach CIC', '2026-02-16', 1680000000, NULL, 'demo-seed')
ON CONFLICT DO NOTHING;
