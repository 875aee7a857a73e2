ALTER TABLE product_store_availability DROP COLUMN sold_out_until;
