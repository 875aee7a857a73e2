-- Fairness between tenants (SPEC §16).

-- The outbox: a claimed job carries the claim's token; only the holder of the current lease may
-- complete it, so a dispatcher that overran its lease cannot overwrite another's outcome.
ALTER TABLE outbox ADD COLUMN lease_token UUID;
-- Fair claiming walks the due jobs tenant by tenant.
CREATE INDEX outbox_pending_tenant_idx ON outbox (tenant_id, next_attempt_at) WHERE status = 'pending';
-- `/metrics` counts pending and dead jobs through partial indexes, never the whole table.
CREATE INDEX outbox_dead_idx ON outbox (tenant_id) WHERE status = 'dead';
-- Sent and skipped jobs are purged after OUTBOX_RETENTION_DAYS.
CREATE INDEX outbox_finished_idx ON outbox (updated_at) WHERE status IN ('sent', 'skipped');

-- A WhatsApp message id is unique per tenant: the same id reported to two tenants (or replayed
-- across numbers) is not a constraint error that Meta would retry forever.
ALTER TABLE whatsapp_messages DROP CONSTRAINT whatsapp_messages_wa_message_id_key;
ALTER TABLE whatsapp_messages ADD CONSTRAINT whatsapp_messages_tenant_wa_message_id_key
    UNIQUE (tenant_id, wa_message_id);

-- Idempotency keys are purged after a day.
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- An order keeps the customer name it was placed with: a checkout never renames the customer
-- found by phone. NULL on older and imported orders: their customer's name is shown.
ALTER TABLE orders ADD COLUMN customer_name TEXT;
