ALTER TABLE orders DROP COLUMN customer_name;
DROP INDEX idempotency_keys_created_idx;
ALTER TABLE whatsapp_messages DROP CONSTRAINT whatsapp_messages_tenant_wa_message_id_key;
ALTER TABLE whatsapp_messages ADD CONSTRAINT whatsapp_messages_wa_message_id_key UNIQUE (wa_message_id);
DROP INDEX outbox_finished_idx;
DROP INDEX outbox_dead_idx;
DROP INDEX outbox_pending_tenant_idx;
ALTER TABLE outbox DROP COLUMN lease_token;
