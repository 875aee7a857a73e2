-- A number that changes whenever a tenant, its subscription or modules, or anything its public
-- catalog shows changes. API instances cache the resolved tenant and the rendered catalog and
-- check them with one indexed read per request. Written by triggers, so every writer (the API,
-- the CLI, plain SQL) keeps it true.
ALTER TABLE tenants ADD COLUMN cache_version BIGINT NOT NULL DEFAULT 0;

-- Any direct change to the tenant row moves its version.
CREATE FUNCTION tenants_bump_own_cache_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.cache_version = OLD.cache_version THEN
        NEW.cache_version := OLD.cache_version + 1;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER tenants_cache_version BEFORE UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenants_bump_own_cache_version();

-- A change to a row that belongs to a tenant moves the tenant's version, once per transaction
-- (a tenant row this transaction already wrote has already moved). The triggers calling it are
-- deferred to commit, so the tenant row is always the last lock a transaction takes: no lock
-- order cycles with stock rows.
CREATE FUNCTION bump_tenant_cache_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    owner UUID := CASE WHEN TG_OP = 'DELETE' THEN OLD.tenant_id ELSE NEW.tenant_id END;
BEGIN
    UPDATE tenants SET cache_version = cache_version + 1
    WHERE id = owner AND xmin <> pg_current_xact_id()::xid;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER tenant_subscriptions_cache_version
    AFTER INSERT OR UPDATE OR DELETE ON tenant_subscriptions DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_cache_version();
CREATE CONSTRAINT TRIGGER tenant_modules_cache_version
    AFTER INSERT OR UPDATE OR DELETE ON tenant_modules DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_cache_version();
CREATE CONSTRAINT TRIGGER stores_cache_version
    AFTER INSERT OR UPDATE OR DELETE ON stores DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_cache_version();
CREATE CONSTRAINT TRIGGER categories_cache_version
    AFTER INSERT OR UPDATE OR DELETE ON categories DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_cache_version();
CREATE CONSTRAINT TRIGGER products_cache_version
    AFTER INSERT OR UPDATE OR DELETE ON products DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_cache_version();
CREATE CONSTRAINT TRIGGER product_store_availability_cache_version
    AFTER INSERT OR UPDATE OR DELETE ON product_store_availability DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_cache_version();
CREATE CONSTRAINT TRIGGER addon_groups_cache_version
    AFTER INSERT OR UPDATE OR DELETE ON addon_groups DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_cache_version();
CREATE CONSTRAINT TRIGGER addons_cache_version
    AFTER INSERT OR UPDATE OR DELETE ON addons DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_cache_version();

-- The catalog shows only whether a product is in stock: a sale that leaves stock above zero
-- moves nothing.
CREATE CONSTRAINT TRIGGER stock_levels_cache_version_rows
    AFTER INSERT OR DELETE ON stock_levels DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_cache_version();
CREATE CONSTRAINT TRIGGER stock_levels_cache_version_flips
    AFTER UPDATE ON stock_levels DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN ((OLD.quantity > 0) IS DISTINCT FROM (NEW.quantity > 0))
    EXECUTE FUNCTION bump_tenant_cache_version();
