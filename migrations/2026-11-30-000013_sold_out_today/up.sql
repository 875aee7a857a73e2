-- "Sold out today" (SPEC §17): staff mark a product unavailable in one store until a time (by
-- default the store's next opening). The availability row already moves the tenant's cache
-- version (migration 6); the menu cache also ends at the first mark that runs out.
ALTER TABLE product_store_availability ADD COLUMN sold_out_until TIMESTAMPTZ;
