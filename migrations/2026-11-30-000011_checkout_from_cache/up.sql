-- The checkout prices from a per-instance snapshot of the store (docs/decisions/0007): store,
-- settings, delivery bands, menu and campaigns, checked against the tenant's cache version
-- like the catalog (docs/decisions/0004). Settings, bands and campaigns now move it too.

DO $$
DECLARE
    watched TEXT;
BEGIN
    FOREACH watched IN ARRAY ARRAY['tenant_settings', 'shipping_bands']
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

-- A checkout counts a campaign's use: that moves nothing unless the campaign runs out (like
-- stock, which moves the version only when it crosses zero). Any other change does.
CREATE CONSTRAINT TRIGGER campaigns_cache_version_rows
    AFTER INSERT OR DELETE ON campaigns DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_cache_version();
CREATE CONSTRAINT TRIGGER campaigns_cache_version_changes
    AFTER UPDATE ON campaigns DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (
        (to_jsonb(OLD) - 'uses' - 'updated_at') IS DISTINCT FROM (to_jsonb(NEW) - 'uses' - 'updated_at')
        OR (OLD.uses < OLD.usage_limit) IS DISTINCT FROM (NEW.uses < NEW.usage_limit)
    )
    EXECUTE FUNCTION bump_tenant_cache_version();
CREATE TRIGGER campaigns_cache_version_truncate AFTER TRUNCATE ON campaigns
    FOR EACH STATEMENT EXECUTE FUNCTION bump_every_cache_version();
