-- Combos (SPEC §17): a product of kind `combo` has a fixed price and slots ("choose a drink"),
-- each with how many options may (`max`) and must (`min`) be chosen, and per option an extra
-- price. Stock is taken from the chosen products that track it.
ALTER TABLE products DROP CONSTRAINT products_kind_check;
ALTER TABLE products ADD CONSTRAINT products_kind_check
    CHECK (kind IN ('simple', 'pizza', 'combo'));

CREATE TABLE combo_slots (
    tenant_id   UUID NOT NULL,
    id          UUID NOT NULL,
    product_id  UUID NOT NULL,
    name        TEXT NOT NULL,
    min_choices INTEGER NOT NULL CHECK (min_choices >= 0),
    max_choices INTEGER NOT NULL CHECK (max_choices >= 1 AND max_choices >= min_choices),
    position    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX combo_slots_product_idx ON combo_slots (tenant_id, product_id);

CREATE TABLE combo_options (
    tenant_id   UUID NOT NULL,
    slot_id     UUID NOT NULL,
    product_id  UUID NOT NULL,
    extra_cents BIGINT NOT NULL DEFAULT 0 CHECK (extra_cents >= 0),
    position    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, slot_id, product_id),
    FOREIGN KEY (tenant_id, slot_id) REFERENCES combo_slots (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX combo_options_product_idx ON combo_options (tenant_id, product_id);

DO $$
DECLARE
    watched TEXT;
BEGIN
    FOREACH watched IN ARRAY ARRAY['combo_slots', 'combo_options']
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
