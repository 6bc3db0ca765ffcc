-- Demo capacity plan for `seed --demo`: Rochdale's Commissioning and Contracts team and the FTE its plan
-- demands in 2017/18 and 2018/19, reproducing the Doncaster commissioning plan's section 4 table from the posts
-- of its Appendix A. Hours and FTE are integer hundredths (3700 = 37 hours; 250 = 2.5 FTE).
--
-- In post: Head of Service 1.00, Commissioning 8.80, Contracts 21.80 = 31.60 FTE; with the five vacancies,
-- establishment 36.60. A post's FTE is its hours / 37, rounded half up to the hundredth, so the appendix's
-- 30-hour posts (0.8108...) and 22.5-hour posts (0.6081...) would give 8.81 and 21.79: they are entered as
-- 29.6 and 22.2 hours (exactly 0.80 and 0.60 FTE) so each team matches the plan's own figure. The appendix,
-- a working copy, also lists one post (a 35-hour Contract Monitoring Officer) beyond the 21.8 FTE of the
-- table; it is left out.
--
-- Demand reproduces the plan's Totals line, 47 FTE in 2017/18 and 42.5 in 2018/19 (the figures the
-- plan and the capacity issue quote). The plan's own rows do not add up to them (2 + 24.2 + 21.8 = 48;
-- 1.5 + 18.7 + 21.8 = 42): with its Head of Service row read as 1 FTE in 2017/18 and 2 in 2018/19 they
-- do, so Commissioning 24.20 / 18.70 and Contracts 21.80 are as printed and Head of Service carries
-- the difference. Activities are named business-as-usual and improvement work from the plan's long
-- list, each with its tranche (5 = business as usual). Safe to run more than once.

INSERT INTO team_posts (
    id, authority_id, team, title, grade, contracted_hours_hundredths, full_time_hours_hundredths, status, reports_to, created_by
) VALUES
    ('0193d000-0000-7000-8000-000000000101', '0193a000-0000-7000-8000-000000000004', 'head_of_service', 'Head of Service', '', 3700, 3700, 'filled', NULL, 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000102', '0193a000-0000-7000-8000-000000000004', 'commissioning', 'Commissioning Manager', 'Grade 11', 3700, 3700, 'interim', '0193d000-0000-7000-8000-000000000101', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000103', '0193a000-0000-7000-8000-000000000004', 'commissioning', 'Commissioning Manager', 'Grade 11', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000101', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000104', '0193a000-0000-7000-8000-000000000004', 'commissioning', 'Commissioning Officer', 'Grade 9', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000102', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000105', '0193a000-0000-7000-8000-000000000004', 'commissioning', 'Commissioning Officer', 'Grade 9', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000102', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000106', '0193a000-0000-7000-8000-000000000004', 'commissioning', 'Commissioning Officer', 'Grade 9', 2960, 3700, 'filled', '0193d000-0000-7000-8000-000000000103', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000107', '0193a000-0000-7000-8000-000000000004', 'commissioning', 'Commissioning Officer', 'Grade 9', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000103', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000108', '0193a000-0000-7000-8000-000000000004', 'commissioning', 'Commissioning Officer', 'Grade 9', 3700, 3700, 'secondment', '0193d000-0000-7000-8000-000000000103', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000109', '0193a000-0000-7000-8000-000000000004', 'commissioning', 'Commissioning Support Officer', 'Grade 6', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000103', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000110', '0193a000-0000-7000-8000-000000000004', 'commissioning', 'Business Support Assistant', 'Grade 5', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000103', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000111', '0193a000-0000-7000-8000-000000000004', 'commissioning', 'Lead Commissioning Officer', 'Grade 10', 3700, 3700, 'vacant', '0193d000-0000-7000-8000-000000000101', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000112', '0193a000-0000-7000-8000-000000000004', 'commissioning', 'Commissioning Manager', 'Grade 11', 3700, 3700, 'vacant', '0193d000-0000-7000-8000-000000000101', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000120', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contracts Manager', 'Grade 11', 3700, 3700, 'interim', '0193d000-0000-7000-8000-000000000101', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000121', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Deputy Contracts Manager', 'Grade 9', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000120', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000122', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contract Monitoring Officer', 'Grade 8', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000121', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000123', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contracts Officer', 'Grade 9', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000120', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000124', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contracts Officer', 'Grade 9', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000120', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000125', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contracts Officer', 'Grade 9', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000120', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000126', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contracts Officer', 'Grade 9', 2960, 3700, 'filled', '0193d000-0000-7000-8000-000000000120', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000127', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contract Monitoring Officer', 'Grade 8', 2220, 3700, 'filled', '0193d000-0000-7000-8000-000000000121', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000128', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contract Monitoring Officer', 'Grade 8', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000121', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000129', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Senior Brokerage Co-ordinator', 'Grade 7', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000120', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000130', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contracts Compliance Officer', 'Grade 7', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000120', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000131', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contracts Support Officer', 'Grade 7', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000120', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000132', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contracts Support Officer', 'Grade 7', 2960, 3700, 'filled', '0193d000-0000-7000-8000-000000000120', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000133', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contract Monitoring Officer', 'Grade 8', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000121', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000134', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Brokerage Co-ordinator', 'Grade 5', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000129', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000135', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Business Support Assistant', 'Grade 5', 2220, 3700, 'filled', '0193d000-0000-7000-8000-000000000120', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000136', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contracts Quality and Monitoring Assistant', 'Grade 5', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000121', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000137', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Apprentice', 'Apprentice Grade', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000120', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000138', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contract Monitoring Officer', 'Grade 8', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000121', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000139', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contract Monitoring Officer', 'Grade 8', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000121', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000140', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contract Monitoring Officer', 'Grade 8', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000121', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000141', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contract Monitoring Officer', 'Grade 8', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000121', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000142', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contract Monitoring Officer', 'Grade 8', 3700, 3700, 'filled', '0193d000-0000-7000-8000-000000000121', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000143', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contracts Officer', 'Grade 9', 3700, 3700, 'vacant', '0193d000-0000-7000-8000-000000000120', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000144', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contracts Support Officer', 'Grade 7', 3700, 3700, 'vacant', '0193d000-0000-7000-8000-000000000120', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000145', '0193a000-0000-7000-8000-000000000004', 'contracts', 'Contract Monitoring Officer', 'Grade 8', 3700, 3700, 'vacant', '0193d000-0000-7000-8000-000000000121', 'demo-seed')
ON CONFLICT DO NOTHING;

INSERT INTO capacity_demands (
    id, authority_id, activity_name, tranche, team, financial_year, fte_hundredths, note, created_by
) VALUES
    ('0193d000-0000-7000-8000-000000000201', '0193a000-0000-7000-8000-000000000004', 'Head of Service: improvement programme leadership', 1, 'head_of_service', '2017/18', 50, 'Estimated Year 1 (FY17/18)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000202', '0193a000-0000-7000-8000-000000000004', 'Head of Service: business as usual', 5, 'head_of_service', '2017/18', 50, 'Estimated Year 1 (FY17/18)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000203', '0193a000-0000-7000-8000-000000000004', 'Supported Living re-procurement', 1, 'commissioning', '2017/18', 400, 'Estimated Year 1 (FY17/18)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000204', '0193a000-0000-7000-8000-000000000004', 'Complex Lives', 1, 'commissioning', '2017/18', 300, 'Estimated Year 1 (FY17/18)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000205', '0193a000-0000-7000-8000-000000000004', 'RDaSH contract negotiations', 1, 'commissioning', '2017/18', 200, 'Estimated Year 1 (FY17/18)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000206', '0193a000-0000-7000-8000-000000000004', 'CCASH', 1, 'commissioning', '2017/18', 200, 'Estimated Year 1 (FY17/18)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000207', '0193a000-0000-7000-8000-000000000004', 'Home care review', 2, 'commissioning', '2017/18', 300, 'Estimated Year 1 (FY17/18)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000208', '0193a000-0000-7000-8000-000000000004', 'Day opportunities redesign', 2, 'commissioning', '2017/18', 200, 'Estimated Year 1 (FY17/18)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000209', '0193a000-0000-7000-8000-000000000004', 'Commissioning Plan and workforce development', 3, 'commissioning', '2017/18', 220, 'Estimated Year 1 (FY17/18)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000210', '0193a000-0000-7000-8000-000000000004', 'Commissioning: business as usual', 5, 'commissioning', '2017/18', 600, 'Estimated Year 1 (FY17/18)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000211', '0193a000-0000-7000-8000-000000000004', 'Contract management of the high-value contracts', 1, 'contracts', '2017/18', 480, 'Estimated Year 1 (FY17/18)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000212', '0193a000-0000-7000-8000-000000000004', 'Contract monitoring: business as usual', 5, 'contracts', '2017/18', 1200, 'Estimated Year 1 (FY17/18)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000213', '0193a000-0000-7000-8000-000000000004', 'Brokerage: business as usual', 5, 'contracts', '2017/18', 500, 'Estimated Year 1 (FY17/18)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000214', '0193a000-0000-7000-8000-000000000004', 'Head of Service: improvement programme leadership', 1, 'head_of_service', '2018/19', 100, 'Estimated Year 2 (FY18/19)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000215', '0193a000-0000-7000-8000-000000000004', 'Head of Service: business as usual', 5, 'head_of_service', '2018/19', 100, 'Estimated Year 2 (FY18/19)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000216', '0193a000-0000-7000-8000-000000000004', 'Supported Living re-procurement', 1, 'commissioning', '2018/19', 300, 'Estimated Year 2 (FY18/19)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000217', '0193a000-0000-7000-8000-000000000004', 'Complex Lives', 1, 'commissioning', '2018/19', 200, 'Estimated Year 2 (FY18/19)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000218', '0193a000-0000-7000-8000-000000000004', 'RDaSH contract negotiations', 1, 'commissioning', '2018/19', 100, 'Estimated Year 2 (FY18/19)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000219', '0193a000-0000-7000-8000-000000000004', 'CCASH', 1, 'commissioning', '2018/19', 100, 'Estimated Year 2 (FY18/19)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000220', '0193a000-0000-7000-8000-000000000004', 'Home care review', 2, 'commissioning', '2018/19', 200, 'Estimated Year 2 (FY18/19)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000221', '0193a000-0000-7000-8000-000000000004', 'Day opportunities redesign', 2, 'commissioning', '2018/19', 150, 'Estimated Year 2 (FY18/19)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000222', '0193a000-0000-7000-8000-000000000004', 'Commissioning Plan and workforce development', 3, 'commissioning', '2018/19', 220, 'Estimated Year 2 (FY18/19)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000223', '0193a000-0000-7000-8000-000000000004', 'Commissioning: business as usual', 5, 'commissioning', '2018/19', 600, 'Estimated Year 2 (FY18/19)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000224', '0193a000-0000-7000-8000-000000000004', 'Contract management of the high-value contracts', 1, 'contracts', '2018/19', 480, 'Estimated Year 2 (FY18/19)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000225', '0193a000-0000-7000-8000-000000000004', 'Contract monitoring: business as usual', 5, 'contracts', '2018/19', 1200, 'Estimated Year 2 (FY18/19)', 'demo-seed'),
    ('0193d000-0000-7000-8000-000000000226', '0193a000-0000-7000-8000-000000000004', 'Brokerage: business as usual', 5, 'contracts', '2018/19', 500, 'Estimated Year 2 (FY18/19)', 'demo-seed')
ON CONFLICT DO NOTHING;
