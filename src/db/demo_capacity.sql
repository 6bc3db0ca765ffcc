-- Demo data of the capacity area (placeholder until its work lands).
SELECT 1;
