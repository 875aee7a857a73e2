DROP TABLE store_slot_bookings;
ALTER TABLE orders DROP COLUMN slot_start;
ALTER TABLE stores DROP COLUMN scheduling;
ALTER TABLE order_deliveries DROP COLUMN area_id;
DROP TABLE delivery_areas;
