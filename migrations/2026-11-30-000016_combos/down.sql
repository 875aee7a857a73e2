DROP TABLE combo_options;
DROP TABLE combo_slots;
UPDATE products SET kind = 'simple' WHERE kind = 'combo';
ALTER TABLE products DROP CONSTRAINT products_kind_check;
ALTER TABLE products ADD CONSTRAINT products_kind_check CHECK (kind IN ('simple', 'pizza'));
