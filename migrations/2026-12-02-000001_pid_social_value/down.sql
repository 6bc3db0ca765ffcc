-- Back to measure ids: each code becomes the measure of that code in the latest edition having it.
ALTER TABLE pids ADD COLUMN social_value_measure_ids uuid[] NOT NULL DEFAULT '{}';
UPDATE pids p
   SET social_value_measure_ids = ARRAY(
       SELECT (SELECT m.id FROM social_value_measures m JOIN social_value_editions e ON e.id = m.edition_id
                WHERE m.code = u.code ORDER BY e.effective_from DESC, e.id DESC LIMIT 1)
         FROM unnest(p.social_value_measures) WITH ORDINALITY AS u (code, n)
        WHERE EXISTS (SELECT 1 FROM social_value_measures m WHERE m.code = u.code)
        ORDER BY u.n)
 WHERE cardinality(p.social_value_measures) > 0;
ALTER TABLE pids DROP COLUMN social_value_measures;
