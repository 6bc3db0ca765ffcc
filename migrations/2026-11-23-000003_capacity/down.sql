DROP TABLE capacity_demands;
DROP TABLE team_posts;
