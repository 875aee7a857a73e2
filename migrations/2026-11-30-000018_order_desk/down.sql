DROP TRIGGER order_payments_desk_events ON order_payments;
DROP TRIGGER orders_desk_events ON orders;
DROP FUNCTION record_order_event();
DROP TABLE order_events;
DROP TABLE tenant_event_counters;
