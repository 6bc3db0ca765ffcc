-- Demo data of the collaboration area (placeholder until its work lands).
SELECT 1;
