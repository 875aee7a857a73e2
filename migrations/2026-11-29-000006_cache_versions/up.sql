-- A value that changes whenever a tenant, its subscription or modules, or anything its public
-- catalog shows changes. API instances cache the resolved tenant and the rendered catalog and
-- check them with one indexed read per request (docs/decisions/0004). Written by triggers, so
-- every writer (the API, the CLI, plain SQL) keeps it true; only writes that skip triggers
-- (`session_replication_role = replica`, disabled triggers) do not.
--
-- Versions are random, not counted: a restore, a failover or this migration run down and up
-- again can never bring back a value that meant something else.
CREATE FUNCTION new_cache_version() RETURNS BIGINT LANGUAGE sql VOLATILE AS $$
    SELECT floor(random() * 9007199254740991)::BIGINT
$$;

ALTER TABLE tenants ADD COLUMN cache_version BIGINT NOT NULL DEFAULT new_cache_version();

-- Any direct change to the tenant row moves its version.
CREATE FUNCTION tenants_bump_own_cache_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.cache_version = OLD.cache_version THEN
        NEW.cache_version := new_cache_version();
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER tenants_cache_version BEFORE UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenants_bump_own_cache_version();

-- Moves a tenant's version once per transaction, remembered in a transaction-local setting
-- (so a bulk import pays one tenant update, not one per row).
CREATE FUNCTION bump_cache_version_of(owner UUID) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    done TEXT := coalesce(current_setting('comanda.cache_bumped', TRUE), '');
BEGIN
    IF owner IS NULL OR strpos(done, owner::TEXT) > 0 THEN
        RETURN;
    END IF;
    UPDATE tenants SET cache_version = new_cache_version() WHERE id = owner;
    PERFORM set_config('comanda.cache_bumped', done || owner::TEXT || ' ', TRUE);
END
$$;

-- A tenant created in this transaction already has a version of its own: the rows created
-- with it do not move it, so the creator can read the version it will commit with.
CREATE FUNCTION tenants_note_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('comanda.cache_bumped',
        coalesce(current_setting('comanda.cache_bumped', TRUE), '') || NEW.id::TEXT || ' ', TRUE);
    RETURN NULL;
END
$$;

CREATE TRIGGER tenants_cache_version_new AFTER INSERT ON tenants
    FOR EACH ROW EXECUTE FUNCTION tenants_note_new();

-- A row that belongs to a tenant changed. The triggers calling this are deferred to commit,
-- so the version moves after the transaction's own work: a checkout has locked its stock rows
-- and its order number by then.
CREATE FUNCTION bump_tenant_cache_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM bump_cache_version_of(OLD.tenant_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM bump_cache_version_of(NEW.tenant_id);
    END IF;
    RETURN NULL;
END
$$;

-- TRUNCATE fires no row trigger: every tenant moves.
CREATE FUNCTION bump_every_cache_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tenants SET cache_version = new_cache_version();
    RETURN NULL;
END
$$;

DO $$
DECLARE
    watched TEXT;
BEGIN
    FOREACH watched IN ARRAY ARRAY['tenant_subscriptions', 'tenant_modules', 'stores',
            'categories', 'products', 'product_store_availability', 'addon_groups', 'addons']
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

-- The catalog shows only whether a product is in stock: a sale that leaves stock above zero
-- moves nothing.
CREATE CONSTRAINT TRIGGER stock_levels_cache_version_rows
    AFTER INSERT OR DELETE ON stock_levels DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_cache_version();
CREATE CONSTRAINT TRIGGER stock_levels_cache_version_changes
    AFTER UPDATE ON stock_levels DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (
        (OLD.quantity > 0) IS DISTINCT FROM (NEW.quantity > 0)
        OR OLD.product_id <> NEW.product_id
        OR OLD.store_id <> NEW.store_id
        OR OLD.tenant_id <> NEW.tenant_id
    )
    EXECUTE FUNCTION bump_tenant_cache_version();
CREATE TRIGGER stock_levels_cache_version_truncate AFTER TRUNCATE ON stock_levels
    FOR EACH STATEMENT EXECUTE FUNCTION bump_every_cache_version();
