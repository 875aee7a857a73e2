DROP TABLE stores;
DROP TABLE tenant_modules;
DROP TABLE tenant_subscriptions;
DROP TABLE tenants;
DROP TABLE plans;
