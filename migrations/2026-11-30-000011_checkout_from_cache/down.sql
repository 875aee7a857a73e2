DROP TRIGGER campaigns_cache_version_truncate ON campaigns;
DROP TRIGGER campaigns_cache_version_changes ON campaigns;
DROP TRIGGER campaigns_cache_version_rows ON campaigns;

DO $$
DECLARE
    watched TEXT;
BEGIN
    FOREACH watched IN ARRAY ARRAY['tenant_settings', 'shipping_bands']
    LOOP
        EXECUTE format('DROP TRIGGER %1$s_cache_version_truncate ON %1$s', watched);
        EXECUTE format('DROP TRIGGER %1$s_cache_version ON %1$s', watched);
    END LOOP;
END
$$;
