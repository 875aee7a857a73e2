DROP TRIGGER stock_levels_cache_version_truncate ON stock_levels;
DROP TRIGGER stock_levels_cache_version_changes ON stock_levels;
DROP TRIGGER stock_levels_cache_version_rows ON stock_levels;

DO $$
DECLARE
    watched TEXT;
BEGIN
    FOREACH watched IN ARRAY ARRAY['tenant_subscriptions', 'tenant_modules', 'stores',
            'categories', 'products', 'product_store_availability', 'addon_groups', 'addons']
    LOOP
        EXECUTE format('DROP TRIGGER %1$s_cache_version_truncate ON %1$s', watched);
        EXECUTE format('DROP TRIGGER %1$s_cache_version ON %1$s', watched);
    END LOOP;
END
$$;

DROP FUNCTION bump_every_cache_version();
DROP FUNCTION bump_tenant_cache_version();
DROP FUNCTION bump_cache_version_of(UUID);
DROP TRIGGER tenants_cache_version_new ON tenants;
DROP FUNCTION tenants_note_new();
DROP TRIGGER tenants_cache_version ON tenants;
DROP FUNCTION tenants_bump_own_cache_version();
ALTER TABLE tenants DROP COLUMN cache_version;
DROP FUNCTION new_cache_version();
