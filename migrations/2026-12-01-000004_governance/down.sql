DROP TABLE spend_lines;
DROP TABLE breaches;
DROP TABLE waivers;
DROP TABLE waiver_approver_rules;
