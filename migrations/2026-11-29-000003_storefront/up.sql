-- Storefront: catalog, per-store availability and stock, add-ons, distance bands, media.

ALTER TABLE stores
    ADD COLUMN free_shipping_above_cents BIGINT CHECK (free_shipping_above_cents >= 0),
    ADD COLUMN hide_unavailable_items BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE categories (
    id          UUID PRIMARY KEY,
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0,
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id)
);

CREATE INDEX categories_tenant_idx ON categories (tenant_id, position);

CREATE TABLE products (
    id          UUID PRIMARY KEY,
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    category_id UUID NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
    image_url   TEXT,
    video_url   TEXT,
    position    INTEGER NOT NULL DEFAULT 0,
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    track_stock BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, category_id) REFERENCES categories (tenant_id, id)
);

CREATE INDEX products_tenant_category_idx ON products (tenant_id, category_id, position);

-- A product is sold in every store unless a row here switches it off in one.
CREATE TABLE product_store_availability (
    tenant_id  UUID NOT NULL,
    product_id UUID NOT NULL,
    store_id   UUID NOT NULL,
    available  BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, product_id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores (tenant_id, id) ON DELETE CASCADE
);

-- Stock per (store, product) for products that track it; never negative.
CREATE TABLE stock_levels (
    tenant_id  UUID NOT NULL,
    store_id   UUID NOT NULL,
    product_id UUID NOT NULL,
    quantity   INTEGER NOT NULL CHECK (quantity >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, product_id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE addon_groups (
    id          UUID PRIMARY KEY,
    tenant_id   UUID NOT NULL,
    product_id  UUID NOT NULL,
    name        TEXT NOT NULL,
    min_choices INTEGER NOT NULL DEFAULT 0,
    max_choices INTEGER NOT NULL DEFAULT 1,
    position    INTEGER NOT NULL DEFAULT 0,
    CHECK (min_choices >= 0 AND max_choices >= 1 AND min_choices <= max_choices),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX addon_groups_product_idx ON addon_groups (product_id);

CREATE TABLE addons (
    id           UUID PRIMARY KEY,
    tenant_id    UUID NOT NULL,
    group_id     UUID NOT NULL,
    name         TEXT NOT NULL,
    price_cents  BIGINT NOT NULL DEFAULT 0 CHECK (price_cents >= 0),
    is_available BOOLEAN NOT NULL DEFAULT TRUE,
    position     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES addon_groups (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX addons_group_idx ON addons (group_id);

CREATE TABLE shipping_bands (
    id          UUID PRIMARY KEY,
    tenant_id   UUID NOT NULL,
    store_id    UUID NOT NULL,
    max_km      DOUBLE PRECISION NOT NULL CHECK (max_km > 0),
    fee_cents   BIGINT NOT NULL CHECK (fee_cents >= 0),
    eta_minutes INTEGER NOT NULL CHECK (eta_minutes > 0),
    UNIQUE (store_id, max_km),
    FOREIGN KEY (tenant_id, store_id) REFERENCES stores (tenant_id, id) ON DELETE CASCADE
);

-- Every stored upload, so objects can be traced to a tenant and cleaned up.
CREATE TABLE media_objects (
    id           UUID PRIMARY KEY,
    tenant_id    UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    object_key   TEXT NOT NULL UNIQUE,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    purpose      TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX media_objects_tenant_idx ON media_objects (tenant_id, created_at);
