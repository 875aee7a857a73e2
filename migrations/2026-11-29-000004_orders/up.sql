-- Checkout and orders: settings, customers, campaigns, orders and their parts, stock
-- movements, the notification outbox, idempotency keys.

CREATE TABLE tenant_settings (
    tenant_id           UUID PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    accepting_orders    BOOLEAN NOT NULL DEFAULT TRUE,
    min_order_cents     BIGINT NOT NULL DEFAULT 0 CHECK (min_order_cents >= 0),
    preparation_minutes INTEGER NOT NULL DEFAULT 30 CHECK (preparation_minutes >= 0),
    preorders_enabled   BOOLEAN NOT NULL DEFAULT TRUE,
    message_templates   JSONB NOT NULL DEFAULT '{}',
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE customers (
    id         UUID PRIMARY KEY,
    tenant_id  UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       TEXT NOT NULL DEFAULT '',
    phone      TEXT NOT NULL,
    email      TEXT,
    notes      TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, phone),
    UNIQUE (tenant_id, id)
);

CREATE INDEX customers_tenant_name_idx ON customers (tenant_id, lower(name));

CREATE TABLE campaigns (
    id                 UUID PRIMARY KEY,
    tenant_id          UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('percentage', 'fixed', 'free_shipping')),
    value              BIGINT NOT NULL DEFAULT 0 CHECK (value >= 0),
    coupon_code        TEXT,
    starts_at          TIMESTAMPTZ,
    ends_at            TIMESTAMPTZ,
    min_subtotal_cents BIGINT NOT NULL DEFAULT 0 CHECK (min_subtotal_cents >= 0),
    store_ids          UUID[] NOT NULL DEFAULT '{}',
    product_ids        UUID[] NOT NULL DEFAULT '{}',
    category_ids       UUID[] NOT NULL DEFAULT '{}',
    usage_limit        INTEGER CHECK (usage_limit > 0),
    per_customer_limit INTEGER CHECK (per_customer_limit > 0),
    uses               INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0),
    is_active          BOOLEAN NOT NULL DEFAULT TRUE,
    image_url          TEXT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (usage_limit IS NULL OR uses <= usage_limit),
    UNIQUE (tenant_id, id)
);

CREATE UNIQUE INDEX campaigns_coupon_idx ON campaigns (tenant_id, upper(coupon_code)) WHERE coupon_code IS NOT NULL;

CREATE TABLE tenant_order_counters (
    tenant_id   UUID PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    last_number BIGINT NOT NULL
);

CREATE TABLE orders (
    id                 UUID PRIMARY KEY,
    tenant_id          UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number             BIGINT NOT NULL,
    store_id           UUID NOT NULL,
    customer_id        UUID NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'preparing', 'ready',
                                              'out_for_delivery', 'delivered', 'picked_up', 'canceled')),
    fulfillment        TEXT NOT NULL CHECK (fulfillment IN ('delivery', 'pickup')),
    subtotal_cents     BIGINT NOT NULL CHECK (subtotal_cents >= 0),
    discount_cents     BIGINT NOT NULL CHECK (discount_cents >= 0),
    shipping_fee_cents BIGINT NOT NULL CHECK (shipping_fee_cents >= 0),
    total_cents        BIGINT NOT NULL CHECK (total_cents >= 0),
    campaign_ids       UUID[] NOT NULL DEFAULT '{}',
    scheduled_for      TIMESTAMPTZ,
    cancel_reason      TEXT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, number),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores (tenant_id, id),
    FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);

CREATE INDEX orders_tenant_created_idx ON orders (tenant_id, created_at DESC);
CREATE INDEX orders_tenant_status_idx ON orders (tenant_id, status);
CREATE INDEX orders_customer_idx ON orders (tenant_id, customer_id);

CREATE TABLE order_items (
    id               UUID PRIMARY KEY,
    tenant_id        UUID NOT NULL,
    order_id         UUID NOT NULL,
    product_id       UUID,
    product_name     TEXT NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0),
    line_total_cents BIGINT NOT NULL CHECK (line_total_cents >= 0),
    notes            TEXT NOT NULL DEFAULT '',
    position         INTEGER NOT NULL,
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX order_items_order_idx ON order_items (order_id, position);
CREATE INDEX order_items_product_idx ON order_items (tenant_id, product_id);

CREATE TABLE order_item_addons (
    id               UUID PRIMARY KEY,
    tenant_id        UUID NOT NULL,
    order_item_id    UUID NOT NULL REFERENCES order_items (id) ON DELETE CASCADE,
    addon_id         UUID,
    addon_name       TEXT NOT NULL,
    group_name       TEXT NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents BIGINT NOT NULL CHECK (unit_price_cents >= 0)
);

CREATE INDEX order_item_addons_item_idx ON order_item_addons (order_item_id);

CREATE TABLE order_payments (
    order_id         UUID PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    tenant_id        UUID NOT NULL,
    method           TEXT NOT NULL CHECK (method IN ('pix', 'cash', 'card_on_delivery', 'online')),
    status           TEXT NOT NULL DEFAULT 'pending',
    amount_cents     BIGINT NOT NULL CHECK (amount_cents >= 0),
    change_for_cents BIGINT CHECK (change_for_cents >= 0)
);

CREATE TABLE order_deliveries (
    order_id    UUID PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    tenant_id   UUID NOT NULL,
    cep         TEXT NOT NULL,
    street      TEXT NOT NULL,
    number      TEXT NOT NULL,
    complement  TEXT NOT NULL DEFAULT '',
    district    TEXT NOT NULL,
    city        TEXT NOT NULL,
    state       TEXT NOT NULL,
    latitude    DOUBLE PRECISION,
    longitude   DOUBLE PRECISION,
    distance_km DOUBLE PRECISION NOT NULL,
    fee_cents   BIGINT NOT NULL,
    eta_minutes INTEGER NOT NULL,
    band_id     UUID,
    source      TEXT NOT NULL
);

CREATE TABLE order_status_history (
    id            UUID PRIMARY KEY,
    tenant_id     UUID NOT NULL,
    order_id      UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    actor_user_id UUID,
    reason        TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, created_at);

CREATE TABLE campaign_uses (
    campaign_id UUID NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    tenant_id   UUID NOT NULL,
    customer_id UUID NOT NULL,
    order_id    UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, order_id)
);

CREATE INDEX campaign_uses_customer_idx ON campaign_uses (tenant_id, customer_id);

CREATE TABLE stock_movements (
    id             UUID PRIMARY KEY,
    tenant_id      UUID NOT NULL,
    store_id       UUID NOT NULL,
    product_id     UUID NOT NULL,
    delta          INTEGER NOT NULL,
    quantity_after INTEGER NOT NULL,
    reason         TEXT NOT NULL CHECK (reason IN ('sale', 'cancel', 'adjustment', 'import')),
    note           TEXT NOT NULL DEFAULT '',
    order_id       UUID,
    actor_user_id  UUID,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX stock_movements_tenant_idx ON stock_movements (tenant_id, store_id, product_id, created_at DESC);

-- Notifications to send after commit; drained by the dispatcher with FOR UPDATE SKIP LOCKED.
CREATE TABLE outbox (
    id              UUID PRIMARY KEY,
    tenant_id       UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    payload         JSONB NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_tenant_idx ON outbox (tenant_id, created_at DESC);

-- A checkout retried with the same Idempotency-Key answers the first order.
CREATE TABLE idempotency_keys (
    tenant_id    UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    order_id     UUID,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);
