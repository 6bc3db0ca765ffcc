-- Demo data of the social_value area (placeholder until its work lands).
SELECT 1;
