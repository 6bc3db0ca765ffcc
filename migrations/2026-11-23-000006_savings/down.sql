DROP TABLE savings_snapshot_lines;
DROP TABLE savings_snapshots;
DROP TABLE savings_lines;
