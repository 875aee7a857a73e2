ALTER TABLE products DROP COLUMN schedule;
ALTER TABLE categories DROP COLUMN schedule;
