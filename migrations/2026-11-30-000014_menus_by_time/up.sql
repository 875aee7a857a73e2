-- Menus by time (SPEC §17): a category or a product may be sold only at some hours (a lunch
-- menu), as a week of ranges in the store's time zone, in the shape of a store's opening
-- hours. Both tables already move the tenant's cache version (migration 6); the menu cache
-- also ends at the next opening or closing of a schedule.
ALTER TABLE categories ADD COLUMN schedule JSONB;
ALTER TABLE products ADD COLUMN schedule JSONB;
