-- A tenant made in the central admin gets its owner by invitation (SPEC §15): the operator
-- names the owner, the answer carries a one-time token, and only that token's holder can sign
-- up as the tenant's first user. Only the token's SHA-256 is kept.
CREATE TABLE owner_invites (
    tenant_id    UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           UUID NOT NULL,
    email        TEXT NOT NULL CHECK (email = lower(email)),
    name         TEXT NOT NULL DEFAULT '',
    token_digest TEXT NOT NULL UNIQUE,
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
