-- Delivery areas and scheduled orders (SPEC §20): areas by neighbourhood or drawn polygon with
-- their own fee, minimum and time; time slots with a capacity for pre-orders.

CREATE TABLE delivery_areas (
    tenant_id        UUID NOT NULL,
    id               UUID NOT NULL,
    store_id         UUID NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('neighbourhood', 'polygon')),
    name             TEXT NOT NULL,
    city             TEXT,
    districts        TEXT[] NOT NULL DEFAULT '{}',
    polygon          JSONB,
    fee_cents        BIGINT NOT NULL CHECK (fee_cents >= 0),
    min_order_cents  BIGINT NOT NULL DEFAULT 0 CHECK (min_order_cents >= 0),
    free_above_cents BIGINT CHECK (free_above_cents >= 0),
    eta_minutes      INTEGER NOT NULL CHECK (eta_minutes > 0),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores (tenant_id, id) ON DELETE CASCADE,
    CHECK ((kind = 'polygon') = (polygon IS NOT NULL))
);
CREATE INDEX delivery_areas_store_idx ON delivery_areas (tenant_id, store_id);

-- Checkouts price from a cached snapshot of the store: areas move the cache version.
CREATE CONSTRAINT TRIGGER delivery_areas_cache_version
    AFTER INSERT OR UPDATE OR DELETE ON delivery_areas DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_cache_version();
CREATE TRIGGER delivery_areas_cache_version_truncate AFTER TRUNCATE ON delivery_areas
    FOR EACH STATEMENT EXECUTE FUNCTION bump_every_cache_version();

ALTER TABLE order_deliveries ADD COLUMN area_id UUID;

-- `{"slot_minutes": 30, "slot_capacity": 5, "lead_minutes": 30}`; NULL: pre-orders at any time.
ALTER TABLE stores ADD COLUMN scheduling JSONB;

-- The slot an order took, to give its place back when it is cancelled.
ALTER TABLE orders ADD COLUMN slot_start TIMESTAMPTZ;

-- Places taken per slot; a row exists before any checkout for the slot locks it, so concurrent
-- checkouts queue on it and a full slot refuses the rest.
CREATE TABLE store_slot_bookings (
    tenant_id  UUID NOT NULL,
    store_id   UUID NOT NULL,
    slot_start TIMESTAMPTZ NOT NULL,
    booked     INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
    PRIMARY KEY (tenant_id, store_id, slot_start)
);
