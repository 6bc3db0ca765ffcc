-- Demo data of the savings area (placeholder until its work lands).
SELECT 1;
