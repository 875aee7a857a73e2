-- A push endpoint is unique per tenant, not across tenants: a browser used for two businesses
-- gets each one's notifications, and subscribing in one tenant can never take over (or learn
-- about) another tenant's subscription.
ALTER TABLE webpush_subscriptions DROP CONSTRAINT webpush_subscriptions_endpoint_key;
ALTER TABLE webpush_subscriptions ADD CONSTRAINT webpush_subscriptions_tenant_endpoint_key
    UNIQUE (tenant_id, endpoint);
