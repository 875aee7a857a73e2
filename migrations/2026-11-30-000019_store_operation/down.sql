ALTER TABLE tenant_settings DROP COLUMN auto_accept;
ALTER TABLE stores DROP COLUMN closures, DROP COLUMN extra_preparation_minutes,
    DROP COLUMN pause_reason, DROP COLUMN paused_until;
