-- Identity and SaaS administration: users, sessions, groups, audit log, billing events,
-- plan change requests, messaging configuration, first-access test mode.

ALTER TABLE tenants ADD COLUMN first_access_test_mode BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE users (
    id                  UUID PRIMARY KEY,
    tenant_id           UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email               TEXT NOT NULL CHECK (email = lower(email)),
    name                TEXT NOT NULL DEFAULT '',
    password_hash       TEXT NOT NULL,
    role                TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'operator')),
    is_active           BOOLEAN NOT NULL DEFAULT TRUE,
    last_login_at       TIMESTAMPTZ,
    password_changed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, email),
    UNIQUE (tenant_id, id)
);

CREATE TABLE user_sessions (
    id             UUID PRIMARY KEY,
    tenant_id      UUID NOT NULL,
    user_id        UUID NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at     TIMESTAMPTZ NOT NULL,
    ip             TEXT,
    user_agent     TEXT,
    revoked_at     TIMESTAMPTZ,
    revoked_reason TEXT,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX user_sessions_active_idx ON user_sessions (user_id, created_at) WHERE revoked_at IS NULL;

CREATE TABLE groups (
    id          UUID PRIMARY KEY,
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name),
    UNIQUE (tenant_id, id)
);

CREATE TABLE group_permissions (
    tenant_id UUID NOT NULL,
    group_id  UUID NOT NULL,
    module    TEXT NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('view', 'create', 'update', 'delete')),
    PRIMARY KEY (group_id, module, action),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE user_groups (
    tenant_id UUID NOT NULL,
    user_id   UUID NOT NULL,
    group_id  UUID NOT NULL,
    PRIMARY KEY (user_id, group_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE
);

CREATE INDEX user_groups_group_idx ON user_groups (group_id);

-- Who changed what, when, from where; before/after never hold secrets.
CREATE TABLE audit_log (
    id              UUID PRIMARY KEY,
    tenant_id       UUID REFERENCES tenants (id) ON DELETE CASCADE,
    actor_user_id   UUID,
    actor_tenant_id UUID,
    action          TEXT NOT NULL,
    entity_type     TEXT NOT NULL,
    entity_id       TEXT,
    before          JSONB,
    after           JSONB,
    ip              TEXT,
    request_id      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, created_at DESC);

-- Each billing event is applied once (idempotency by its id).
CREATE TABLE billing_events (
    event_id    TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('status', 'intake')),
    tenant_id   UUID REFERENCES tenants (id) ON DELETE SET NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    outcome     TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE plan_change_requests (
    id           UUID PRIMARY KEY,
    tenant_id    UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    plan_id      UUID NOT NULL REFERENCES plans (id),
    requested_by UUID,
    note         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'rejected')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE tenant_messaging (
    tenant_id                UUID PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    whatsapp_phone_number_id TEXT,
    whatsapp_access_token    TEXT,
    whatsapp_verify_token    TEXT,
    telegram_bot_token       TEXT,
    updated_at               TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX tenant_messaging_phone_number_idx
    ON tenant_messaging (whatsapp_phone_number_id) WHERE whatsapp_phone_number_id IS NOT NULL;

-- No billing event has set the status of a new tenant yet: any event is newer.
ALTER TABLE tenant_subscriptions ALTER COLUMN status_changed_at SET DEFAULT 'epoch';
