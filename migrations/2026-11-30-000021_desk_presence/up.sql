-- Announce order events only to tenants with a desk open (SPEC §19). PostgreSQL holds the
-- notification queue's global lock from a notifying transaction's pre-commit through its WAL
-- flush, so every `pg_notify` serializes commits across the server: checkouts of tenants nobody
-- is watching should not pay for it. Events are still logged for every order (Last-Event-ID).
-- Instances keep a row per tenant whose desks they serve, refreshed well before `until`.

CREATE TABLE order_desk_presence (
    tenant_id UUID PRIMARY KEY,
    until     TIMESTAMPTZ NOT NULL
);

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
    IF EXISTS (SELECT 1 FROM order_desk_presence p
               WHERE p.tenant_id = NEW.tenant_id AND p.until > now()) THEN
        PERFORM pg_notify('order_events', NEW.tenant_id::text || ':' || next_id::text);
    END IF;
    RETURN NULL;
END
$$;
