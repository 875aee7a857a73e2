DROP INDEX order_payments_awaiting_idx;
DROP INDEX order_payments_txid_idx;
ALTER TABLE order_payments
    DROP COLUMN flag, DROP COLUMN refund_id, DROP COLUMN paid_cents, DROP COLUMN end_to_end_id,
    DROP COLUMN paid_at, DROP COLUMN expires_at, DROP COLUMN copy_paste, DROP COLUMN txid,
    DROP COLUMN provider,
    DROP CONSTRAINT order_payments_status_check,
    ALTER COLUMN status SET DEFAULT 'pending';
UPDATE order_payments SET status = 'pending';
DROP TABLE tenant_pix_settings;
DELETE FROM tenant_modules WHERE module = 'payments';
UPDATE plans SET modules = array_remove(modules, 'payments');
ALTER TABLE tenant_modules DROP CONSTRAINT tenant_modules_module_check;
ALTER TABLE tenant_modules ADD CONSTRAINT tenant_modules_module_check CHECK (module IN (
    'orders', 'catalog', 'config', 'customers', 'campaigns', 'stores', 'shipping', 'inventory',
    'users', 'groups', 'insights', 'billing', 'whatsapp', 'onboarding'));
