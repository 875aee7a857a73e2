-- Online payment with PIX (SPEC §18): the tenant's receiver settings, and what an order's
-- payment row needs to follow a charge from its BR Code to paid, expired or refunded.

ALTER TABLE tenant_modules DROP CONSTRAINT tenant_modules_module_check;
ALTER TABLE tenant_modules ADD CONSTRAINT tenant_modules_module_check CHECK (module IN (
    'orders', 'catalog', 'config', 'customers', 'campaigns', 'stores', 'shipping', 'inventory',
    'users', 'groups', 'insights', 'billing', 'whatsapp', 'onboarding', 'payments'));

-- The demo plan has every module: existing demo databases get the new one with their plan.
UPDATE plans SET modules = array_append(modules, 'payments'), updated_at = now()
WHERE code = 'demo' AND NOT ('payments' = ANY (modules));
INSERT INTO tenant_modules (tenant_id, module, source)
SELECT s.tenant_id, 'payments', 'plan'
FROM tenant_subscriptions s JOIN plans p ON p.id = s.plan_id
WHERE p.code = 'demo'
ON CONFLICT DO NOTHING;

-- One receiver per tenant. `api_secrets` is AES-256-GCM under PAYMENT_SECRETS_KEY (nonce, then
-- ciphertext and tag) of the provider's client secret, client certificate and key: the
-- database alone never holds them in clear. `webhook_secret` is the last part of the webhook
-- path the provider is given.
CREATE TABLE tenant_pix_settings (
    tenant_id      UUID PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    key            TEXT NOT NULL,
    key_kind       TEXT NOT NULL CHECK (key_kind IN ('cpf', 'cnpj', 'email', 'phone', 'random')),
    merchant_name  TEXT NOT NULL,
    merchant_city  TEXT NOT NULL,
    provider       TEXT NOT NULL CHECK (provider IN ('static', 'api_pix')),
    api_base_url   TEXT,
    api_client_id  TEXT,
    api_secrets    BYTEA,
    webhook_secret TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (provider = 'static'
           OR (api_base_url IS NOT NULL AND api_client_id IS NOT NULL AND api_secrets IS NOT NULL))
);

-- The checkout reads the receiver from its cached snapshot: a change moves the cache version.
CREATE CONSTRAINT TRIGGER tenant_pix_settings_cache_version
    AFTER INSERT OR UPDATE OR DELETE ON tenant_pix_settings DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_tenant_cache_version();
CREATE TRIGGER tenant_pix_settings_cache_version_truncate AFTER TRUNCATE ON tenant_pix_settings
    FOR EACH STATEMENT EXECUTE FUNCTION bump_every_cache_version();

-- Payments other than PIX charges were `pending` and meant "paid on delivery".
UPDATE order_payments SET status = 'on_delivery' WHERE status <> 'on_delivery';
ALTER TABLE order_payments
    ALTER COLUMN status SET DEFAULT 'on_delivery',
    ADD CONSTRAINT order_payments_status_check
        CHECK (status IN ('awaiting_payment', 'paid', 'expired', 'refunded', 'on_delivery')),
    -- Which way the charge is confirmed: by staff (`static`) or by the provider (`api_pix`).
    ADD COLUMN provider TEXT CHECK (provider IN ('static', 'api_pix')),
    ADD COLUMN txid TEXT,
    ADD COLUMN copy_paste TEXT,
    ADD COLUMN expires_at TIMESTAMPTZ,
    ADD COLUMN paid_at TIMESTAMPTZ,
    -- The PIX's end-to-end id (`endToEndId`), which a refund names.
    ADD COLUMN end_to_end_id TEXT,
    ADD COLUMN paid_cents BIGINT,
    ADD COLUMN refund_id TEXT,
    -- Something staff must look at: `amount_mismatch`, `paid_after_expiry`, `refund_failed`.
    ADD COLUMN flag TEXT;

CREATE UNIQUE INDEX order_payments_txid_idx ON order_payments (tenant_id, txid)
    WHERE txid IS NOT NULL;
-- The expiry sweep reads only what still waits.
CREATE INDEX order_payments_awaiting_idx ON order_payments (expires_at)
    WHERE status = 'awaiting_payment';
