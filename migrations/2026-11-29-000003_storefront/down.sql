DROP TABLE media_objects;
DROP TABLE shipping_bands;
DROP TABLE addons;
DROP TABLE addon_groups;
DROP TABLE stock_levels;
DROP TABLE product_store_availability;
DROP TABLE products;
DROP TABLE categories;
ALTER TABLE stores DROP COLUMN hide_unavailable_items, DROP COLUMN free_shipping_above_cents;
