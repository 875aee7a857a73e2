-- Keeps the newest subscription of an endpoint subscribed in several tenants.
DELETE FROM webpush_subscriptions older
USING webpush_subscriptions newer
WHERE older.endpoint = newer.endpoint AND older.created_at < newer.created_at;
ALTER TABLE webpush_subscriptions DROP CONSTRAINT webpush_subscriptions_tenant_endpoint_key;
ALTER TABLE webpush_subscriptions ADD CONSTRAINT webpush_subscriptions_endpoint_key UNIQUE (endpoint);
