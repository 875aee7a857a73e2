CREATE OR REPLACE FUNCTION record_order_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    event_kind TEXT := 'order.updated';
    event_order UUID;
    next_id BIGINT;
BEGIN
    IF TG_TABLE_NAME = 'orders' THEN
        IF TG_OP = 'INSERT' THEN
            event_kind := 'order.created';
        ELSIF NEW.status IS NOT DISTINCT FROM OLD.status THEN
            RETURN NULL;
        END IF;
        event_order := NEW.id;
    ELSE
        IF NEW.status IS NOT DISTINCT FROM OLD.status AND NEW.flag IS NOT DISTINCT FROM OLD.flag THEN
            RETURN NULL;
        END IF;
        event_order := NEW.order_id;
    END IF;
    INSERT INTO tenant_event_counters AS c (tenant_id, last_id) VALUES (NEW.tenant_id, 1)
    ON CONFLICT (tenant_id) DO UPDATE SET last_id = c.last_id + 1
    RETURNING last_id INTO next_id;
    INSERT INTO order_events (tenant_id, id, kind, order_id)
    VALUES (NEW.tenant_id, next_id, event_kind, event_order);
    PERFORM pg_notify('order_events', NEW.tenant_id::text || ':' || next_id::text);
    RETURN NULL;
END
$$;
DROP TABLE order_desk_presence;
