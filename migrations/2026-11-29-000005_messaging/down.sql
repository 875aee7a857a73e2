DROP TABLE webpush_subscriptions;
DROP TABLE whatsapp_messages;
DROP TABLE whatsapp_conversations;
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'sent', 'dead'));
