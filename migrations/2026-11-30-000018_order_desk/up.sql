-- The order desk (SPEC §19): every new order and every change of an order's status or payment
-- is an event with a per-tenant increasing id, kept 24 hours for `Last-Event-ID` replay, and
-- announced on the `order_events` channel (NOTIFY, delivered at commit) so each instance's one
-- listening connection fans it out to the desks it serves.

CREATE TABLE tenant_event_counters (
    tenant_id UUID PRIMARY KEY,
    last_id   BIGINT NOT NULL
);

CREATE TABLE order_events (
    tenant_id  UUID NOT NULL,
    id         BIGINT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('order.created', 'order.updated')),
    order_id   UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
-- The 24-hour purge.
CREATE INDEX order_events_created_idx ON order_events (created_at);

-- The counter row is locked until commit, so a tenant's ids are given in commit order: a reader
-- that has seen id N has seen everything before it.
CREATE FUNCTION record_order_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    event_kind TEXT := 'order.updated';
    event_order UUID;
    next_id BIGINT;
BEGIN
    -- Imports of past orders are history, not news for the desk.
    IF current_setting('comanda.quiet_order_events', true) = 'on' THEN
        RETURN NULL;
    END IF;
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

-- The WHEN clause spares imports the function call per row (bulk imports of history).
CREATE TRIGGER orders_desk_events AFTER INSERT OR UPDATE OF status ON orders
    FOR EACH ROW
    WHEN (current_setting('comanda.quiet_order_events', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION record_order_event();
CREATE TRIGGER order_payments_desk_events AFTER UPDATE OF status, flag ON order_payments
    FOR EACH ROW
    WHEN (current_setting('comanda.quiet_order_events', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION record_order_event();
