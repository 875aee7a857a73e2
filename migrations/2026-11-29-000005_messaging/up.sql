-- Messaging: WhatsApp conversations and messages, Web Push subscriptions, skipped outbox jobs.

ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'sent', 'skipped', 'dead'));

CREATE TABLE whatsapp_conversations (
    id                UUID PRIMARY KEY,
    tenant_id         UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    customer_phone    TEXT NOT NULL,
    customer_name     TEXT NOT NULL DEFAULT '',
    last_inbound_at   TIMESTAMPTZ,
    last_message_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    unread_count      INTEGER NOT NULL DEFAULT 0,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, customer_phone),
    UNIQUE (tenant_id, id)
);

CREATE INDEX whatsapp_conversations_recent_idx ON whatsapp_conversations (tenant_id, last_message_at DESC);

CREATE TABLE whatsapp_messages (
    id              UUID PRIMARY KEY,
    tenant_id       UUID NOT NULL,
    conversation_id UUID NOT NULL,
    direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    wa_message_id   TEXT UNIQUE,
    kind            TEXT NOT NULL,
    body            TEXT NOT NULL DEFAULT '',
    template_name   TEXT,
    media_id        TEXT,
    media_key       TEXT,
    media_mime      TEXT,
    status          TEXT NOT NULL,
    status_at       TIMESTAMPTZ,
    error           TEXT,
    sent_by_user_id UUID,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES whatsapp_conversations (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX whatsapp_messages_conversation_idx ON whatsapp_messages (conversation_id, created_at);
CREATE INDEX whatsapp_messages_media_idx ON whatsapp_messages (created_at) WHERE media_key IS NOT NULL;

CREATE TABLE webpush_subscriptions (
    id         UUID PRIMARY KEY,
    tenant_id  UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    UUID NOT NULL,
    endpoint   TEXT NOT NULL UNIQUE,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX webpush_subscriptions_tenant_idx ON webpush_subscriptions (tenant_id);
