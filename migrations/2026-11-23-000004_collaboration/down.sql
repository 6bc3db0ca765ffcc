DROP TABLE benchmark_observations;
DROP TABLE benchmark_metrics;
DROP TABLE collaboration_notes;
DROP TABLE collaboration_participants;
DROP TABLE collaboration_opportunities;
