-- Planned social value on a PID names the measures bidders are asked about by code, as council
-- priorities do: a measure keeps its code from one edition of the framework to the next, and the
-- API shows measures by code. The API now checks a PID's priorities against its authority's
-- priority records and its measures against the edition in force and the priorities chosen.
ALTER TABLE pids ADD COLUMN social_value_measures text[] NOT NULL DEFAULT '{}';
UPDATE pids p
   SET social_value_measures = ARRAY(
       SELECT m.code
         FROM unnest(p.social_value_measure_ids) WITH ORDINALITY AS u (id, n)
         JOIN social_value_measures m ON m.id = u.id
        GROUP BY m.code
        ORDER BY min(u.n))
 WHERE cardinality(p.social_value_measure_ids) > 0;
ALTER TABLE pids DROP COLUMN social_value_measure_ids;
