-- Store operation (SPEC §19): rush mode (a pause until a time, extra preparation minutes),
-- closure days (holidays), and auto-accepting new orders. Stores move the cache version
-- already, so menus and checkouts see a pause at once.

ALTER TABLE stores
    ADD COLUMN paused_until TIMESTAMPTZ,
    ADD COLUMN pause_reason TEXT,
    ADD COLUMN extra_preparation_minutes INTEGER NOT NULL DEFAULT 0
        CHECK (extra_preparation_minutes BETWEEN 0 AND 240),
    -- `[{"date": "2026-12-25", "reason": "Natal"}]`, in the store's time zone.
    ADD COLUMN closures JSONB NOT NULL DEFAULT '[]';

ALTER TABLE tenant_settings ADD COLUMN auto_accept BOOLEAN NOT NULL DEFAULT FALSE;
