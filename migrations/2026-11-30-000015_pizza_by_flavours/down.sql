ALTER TABLE tenant_settings DROP COLUMN pizza_pricing;
DROP TABLE flavor_prices;
DROP TABLE pizza_sizes;
DROP INDEX categories_flavors_for_idx;
ALTER TABLE categories DROP COLUMN flavors_for;
ALTER TABLE products DROP COLUMN kind;
