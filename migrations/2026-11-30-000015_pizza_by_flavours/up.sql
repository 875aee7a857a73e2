-- Pizza by size and flavours (SPEC §17): a product of kind `pizza` has sizes; its flavours are
-- the products of the category marked `flavors_for` it, each with a price per size. The
-- tenant's `pizza_pricing` says how a pizza of several flavours is priced.
ALTER TABLE products ADD COLUMN kind TEXT NOT NULL DEFAULT 'simple'
    CHECK (kind IN ('simple', 'pizza'));

ALTER TABLE categories ADD COLUMN flavors_for UUID;
ALTER TABLE categories ADD FOREIGN KEY (tenant_id, flavors_for)
    REFERENCES products (tenant_id, id) ON DELETE SET NULL (flavors_for);
CREATE UNIQUE INDEX categories_flavors_for_idx ON categories (tenant_id, flavors_for)
    WHERE flavors_for IS NOT NULL;

CREATE TABLE pizza_sizes (
    tenant_id   UUID NOT NULL,
    id          UUID NOT NULL,
    product_id  UUID NOT NULL,
    name        TEXT NOT NULL,
    slices      INTEGER NOT NULL CHECK (slices BETWEEN 1 AND 64),
    max_flavors INTEGER NOT NULL CHECK (max_flavors BETWEEN 1 AND 4),
    position    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX pizza_sizes_product_idx ON pizza_sizes (tenant_id, product_id);

CREATE TABLE flavor_prices (
    tenant_id   UUID NOT NULL,
    product_id  UUID NOT NULL,
    size_id     UUID NOT NULL,
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
    PRIMARY KEY (tenant_id, product_id, size_id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, size_id) REFERENCES pizza_sizes (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX flavor_prices_size_idx ON flavor_prices (tenant_id, size_id);

ALTER TABLE tenant_settings ADD COLUMN pizza_pricing TEXT NOT NULL DEFAULT 'proportional'
    CHECK (pizza_pricing IN ('proportional', 'highest'));

-- The menu and the checkout's snapshot show sizes and flavour prices: they move the version.
DO $$
DECLARE
    watched TEXT;
BEGIN
    FOREACH watched IN ARRAY ARRAY['pizza_sizes', 'flavor_prices']
    LOOP
        EXECUTE format(
            'CREATE CONSTRAINT TRIGGER %1$s_cache_version
                 AFTER INSERT OR UPDATE OR DELETE ON %1$s DEFERRABLE INITIALLY DEFERRED
                 FOR EACH ROW EXECUTE FUNCTION bump_tenant_cache_version()', watched);
        EXECUTE format(
            'CREATE TRIGGER %1$s_cache_version_truncate AFTER TRUNCATE ON %1$s
                 FOR EACH STATEMENT EXECUTE FUNCTION bump_every_cache_version()', watched);
    END LOOP;
END
$$;
