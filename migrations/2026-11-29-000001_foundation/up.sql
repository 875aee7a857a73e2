-- Foundation: plans, tenants with their subscription and modules, stores.

CREATE TABLE plans (
    id           UUID PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    price_cents  BIGINT NOT NULL DEFAULT 0 CHECK (price_cents >= 0),
    modules      TEXT[] NOT NULL DEFAULT '{}',
    users_limit  INTEGER NOT NULL DEFAULT 5 CHECK (users_limit >= 0),
    stores_limit INTEGER NOT NULL DEFAULT 1 CHECK (stores_limit >= 0),
    trial_days   INTEGER NOT NULL DEFAULT 0 CHECK (trial_days >= 0),
    is_active    BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE tenants (
    id           UUID PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    name         TEXT NOT NULL,
    is_active    BOOLEAN NOT NULL DEFAULT TRUE,
    users_limit  INTEGER NOT NULL DEFAULT 5 CHECK (users_limit >= 0),
    stores_limit INTEGER NOT NULL DEFAULT 1 CHECK (stores_limit >= 0),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per tenant. `status_changed_at` is the time of the billing event that set `status`,
-- so an older event arriving late never moves the subscription backwards.
CREATE TABLE tenant_subscriptions (
    tenant_id          UUID PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    plan_id            UUID REFERENCES plans (id),
    status             TEXT NOT NULL
                       CHECK (status IN ('trialing', 'active', 'past_due', 'suspended', 'canceled')),
    trial_ends_at      TIMESTAMPTZ,
    current_period_end TIMESTAMPTZ,
    status_changed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- `source` tells modules that come with the plan from modules granted by hand, which a plan
-- change keeps.
CREATE TABLE tenant_modules (
    tenant_id  UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    module     TEXT NOT NULL CHECK (module IN (
                   'orders', 'catalog', 'config', 'customers', 'campaigns', 'stores', 'shipping',
                   'inventory', 'users', 'groups', 'insights', 'billing', 'whatsapp', 'onboarding')),
    source     TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('plan', 'manual')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, module)
);

CREATE TABLE stores (
    id                UUID PRIMARY KEY,
    tenant_id         UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    phone             TEXT,
    cep               TEXT NOT NULL DEFAULT '',
    street            TEXT NOT NULL DEFAULT '',
    number            TEXT NOT NULL DEFAULT '',
    complement        TEXT NOT NULL DEFAULT '',
    district          TEXT NOT NULL DEFAULT '',
    city              TEXT NOT NULL DEFAULT '',
    state             TEXT NOT NULL DEFAULT '',
    latitude          DOUBLE PRECISION CHECK (latitude BETWEEN -90 AND 90),
    longitude         DOUBLE PRECISION CHECK (longitude BETWEEN -180 AND 180),
    time_zone         TEXT NOT NULL DEFAULT 'America/Sao_Paulo',
    opening_hours     JSONB NOT NULL DEFAULT '{}',
    is_active         BOOLEAN NOT NULL DEFAULT TRUE,
    manually_closed   BOOLEAN NOT NULL DEFAULT FALSE,
    delivery_enabled  BOOLEAN NOT NULL DEFAULT TRUE,
    pickup_enabled    BOOLEAN NOT NULL DEFAULT TRUE,
    accepts_preorders BOOLEAN NOT NULL DEFAULT FALSE,
    telegram_chat_id  TEXT,
    image_url         TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Lets child tables reference (tenant_id, store_id) so a row can never point across tenants.
    UNIQUE (tenant_id, id)
);

CREATE INDEX stores_tenant_name_idx ON stores (tenant_id, name);
