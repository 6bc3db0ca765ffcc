DROP TABLE pid_lot_awards;
