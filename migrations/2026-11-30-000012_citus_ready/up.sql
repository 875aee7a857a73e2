-- Ready to distribute by tenant (docs/scaling.md): every primary key, unique constraint and
-- foreign key between tenant tables includes `tenant_id`, so each tenant's rows can live on
-- one Citus node with every constraint checked there. Global tables (plans, tenants, the
-- operator's audit log, billing events, the WhatsApp number routing) become reference tables.

-- Changes that concern no tenant (plans) have their own log; the tenant log always names one.
CREATE TABLE operator_audit_log (
    id              UUID PRIMARY KEY,
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
CREATE INDEX operator_audit_log_created_idx ON operator_audit_log (created_at DESC);
INSERT INTO operator_audit_log
SELECT id, actor_user_id, actor_tenant_id, action, entity_type, entity_id, before, after, ip,
       request_id, created_at
FROM audit_log WHERE tenant_id IS NULL;
DELETE FROM audit_log WHERE tenant_id IS NULL;
ALTER TABLE audit_log ALTER COLUMN tenant_id SET NOT NULL;

-- Which tenant an incoming WhatsApp number belongs to: unique across tenants, so it is kept
-- beside the tenants (a reference table), not in a tenant's own rows.
CREATE TABLE whatsapp_numbers (
    phone_number_id TEXT PRIMARY KEY,
    tenant_id       UUID NOT NULL UNIQUE REFERENCES tenants (id) ON DELETE CASCADE
);
INSERT INTO whatsapp_numbers (phone_number_id, tenant_id)
SELECT whatsapp_phone_number_id, tenant_id FROM tenant_messaging
WHERE whatsapp_phone_number_id IS NOT NULL;
DROP INDEX tenant_messaging_phone_number_idx;

-- Foreign keys between tenant tables, rebuilt below on keys that lead with tenant_id.
ALTER TABLE user_sessions DROP CONSTRAINT user_sessions_tenant_id_user_id_fkey;
ALTER TABLE group_permissions DROP CONSTRAINT group_permissions_tenant_id_group_id_fkey;
ALTER TABLE user_groups DROP CONSTRAINT user_groups_tenant_id_user_id_fkey,
                        DROP CONSTRAINT user_groups_tenant_id_group_id_fkey;
ALTER TABLE products DROP CONSTRAINT products_tenant_id_category_id_fkey;
ALTER TABLE product_store_availability
    DROP CONSTRAINT product_store_availability_tenant_id_product_id_fkey,
    DROP CONSTRAINT product_store_availability_tenant_id_store_id_fkey;
ALTER TABLE stock_levels DROP CONSTRAINT stock_levels_tenant_id_product_id_fkey,
                         DROP CONSTRAINT stock_levels_tenant_id_store_id_fkey;
ALTER TABLE addon_groups DROP CONSTRAINT addon_groups_tenant_id_product_id_fkey;
ALTER TABLE addons DROP CONSTRAINT addons_tenant_id_group_id_fkey;
ALTER TABLE shipping_bands DROP CONSTRAINT shipping_bands_tenant_id_store_id_fkey;
ALTER TABLE orders DROP CONSTRAINT orders_tenant_id_store_id_fkey,
                   DROP CONSTRAINT orders_tenant_id_customer_id_fkey;
ALTER TABLE order_items DROP CONSTRAINT order_items_tenant_id_order_id_fkey;
ALTER TABLE order_item_addons DROP CONSTRAINT order_item_addons_order_item_id_fkey;
ALTER TABLE order_payments DROP CONSTRAINT order_payments_order_id_fkey;
ALTER TABLE order_deliveries DROP CONSTRAINT order_deliveries_order_id_fkey;
ALTER TABLE order_status_history DROP CONSTRAINT order_status_history_order_id_fkey;
ALTER TABLE campaign_uses DROP CONSTRAINT campaign_uses_campaign_id_fkey,
                          DROP CONSTRAINT campaign_uses_order_id_fkey;
ALTER TABLE whatsapp_messages DROP CONSTRAINT whatsapp_messages_tenant_id_conversation_id_fkey;
ALTER TABLE webpush_subscriptions DROP CONSTRAINT webpush_subscriptions_tenant_id_user_id_fkey;

-- Primary keys lead with tenant_id; the UNIQUE (tenant_id, id) they replace go.
ALTER TABLE stores DROP CONSTRAINT stores_pkey, DROP CONSTRAINT stores_tenant_id_id_key,
                   ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE users DROP CONSTRAINT users_pkey, DROP CONSTRAINT users_tenant_id_id_key,
                  ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE user_sessions DROP CONSTRAINT user_sessions_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE groups DROP CONSTRAINT groups_pkey, DROP CONSTRAINT groups_tenant_id_id_key,
                   ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE group_permissions DROP CONSTRAINT group_permissions_pkey,
                              ADD PRIMARY KEY (tenant_id, group_id, module, action);
ALTER TABLE user_groups DROP CONSTRAINT user_groups_pkey,
                        ADD PRIMARY KEY (tenant_id, user_id, group_id);
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE plan_change_requests DROP CONSTRAINT plan_change_requests_pkey,
                                 ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE categories DROP CONSTRAINT categories_pkey, DROP CONSTRAINT categories_tenant_id_id_key,
                       ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE products DROP CONSTRAINT products_pkey, DROP CONSTRAINT products_tenant_id_id_key,
                     ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE product_store_availability DROP CONSTRAINT product_store_availability_pkey,
                                       ADD PRIMARY KEY (tenant_id, store_id, product_id);
ALTER TABLE stock_levels DROP CONSTRAINT stock_levels_pkey,
                         ADD PRIMARY KEY (tenant_id, store_id, product_id);
ALTER TABLE addon_groups DROP CONSTRAINT addon_groups_pkey,
                         DROP CONSTRAINT addon_groups_tenant_id_id_key,
                         ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE addons DROP CONSTRAINT addons_pkey, DROP CONSTRAINT addons_tenant_id_id_key,
                   ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE shipping_bands DROP CONSTRAINT shipping_bands_pkey,
                           DROP CONSTRAINT shipping_bands_store_id_max_km_key,
                           ADD PRIMARY KEY (tenant_id, id),
                           ADD UNIQUE (tenant_id, store_id, max_km);
ALTER TABLE media_objects DROP CONSTRAINT media_objects_pkey,
                          DROP CONSTRAINT media_objects_object_key_key,
                          ADD PRIMARY KEY (tenant_id, id),
                          ADD UNIQUE (tenant_id, object_key);
ALTER TABLE customers DROP CONSTRAINT customers_pkey, DROP CONSTRAINT customers_tenant_id_id_key,
                      ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE campaigns DROP CONSTRAINT campaigns_pkey, DROP CONSTRAINT campaigns_tenant_id_id_key,
                      ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE orders DROP CONSTRAINT orders_pkey, DROP CONSTRAINT orders_tenant_id_id_key,
                   ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE order_items DROP CONSTRAINT order_items_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE order_item_addons DROP CONSTRAINT order_item_addons_pkey,
                              ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE order_payments DROP CONSTRAINT order_payments_pkey,
                           ADD PRIMARY KEY (tenant_id, order_id);
ALTER TABLE order_deliveries DROP CONSTRAINT order_deliveries_pkey,
                             ADD PRIMARY KEY (tenant_id, order_id);
ALTER TABLE order_status_history DROP CONSTRAINT order_status_history_pkey,
                                 ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE campaign_uses DROP CONSTRAINT campaign_uses_pkey,
                          ADD PRIMARY KEY (tenant_id, campaign_id, order_id);
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE outbox DROP CONSTRAINT outbox_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE whatsapp_conversations DROP CONSTRAINT whatsapp_conversations_pkey,
                                   DROP CONSTRAINT whatsapp_conversations_tenant_id_id_key,
                                   ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE whatsapp_messages DROP CONSTRAINT whatsapp_messages_pkey,
                              ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE webpush_subscriptions DROP CONSTRAINT webpush_subscriptions_pkey,
                                  ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE owner_invites DROP CONSTRAINT owner_invites_token_digest_key,
                          ADD UNIQUE (tenant_id, token_digest);

ALTER TABLE user_sessions ADD FOREIGN KEY (tenant_id, user_id)
    REFERENCES users (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE group_permissions ADD FOREIGN KEY (tenant_id, group_id)
    REFERENCES groups (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE user_groups
    ADD FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    ADD FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE products ADD FOREIGN KEY (tenant_id, category_id)
    REFERENCES categories (tenant_id, id);
ALTER TABLE product_store_availability
    ADD FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE,
    ADD FOREIGN KEY (tenant_id, store_id) REFERENCES stores (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE stock_levels
    ADD FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE,
    ADD FOREIGN KEY (tenant_id, store_id) REFERENCES stores (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE addon_groups ADD FOREIGN KEY (tenant_id, product_id)
    REFERENCES products (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE addons ADD FOREIGN KEY (tenant_id, group_id)
    REFERENCES addon_groups (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE shipping_bands ADD FOREIGN KEY (tenant_id, store_id)
    REFERENCES stores (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE orders
    ADD FOREIGN KEY (tenant_id, store_id) REFERENCES stores (tenant_id, id),
    ADD FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id);
ALTER TABLE order_items ADD FOREIGN KEY (tenant_id, order_id)
    REFERENCES orders (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE order_item_addons ADD FOREIGN KEY (tenant_id, order_item_id)
    REFERENCES order_items (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE order_payments ADD FOREIGN KEY (tenant_id, order_id)
    REFERENCES orders (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE order_deliveries ADD FOREIGN KEY (tenant_id, order_id)
    REFERENCES orders (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE order_status_history ADD FOREIGN KEY (tenant_id, order_id)
    REFERENCES orders (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE campaign_uses
    ADD FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id) ON DELETE CASCADE,
    ADD FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE whatsapp_messages ADD FOREIGN KEY (tenant_id, conversation_id)
    REFERENCES whatsapp_conversations (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE webpush_subscriptions ADD FOREIGN KEY (tenant_id, user_id)
    REFERENCES users (tenant_id, id) ON DELETE CASCADE;

-- Lookups by a child's parent lead with the tenant too.
DROP INDEX order_items_order_idx;
CREATE INDEX order_items_order_idx ON order_items (tenant_id, order_id, position);
DROP INDEX order_item_addons_item_idx;
CREATE INDEX order_item_addons_item_idx ON order_item_addons (tenant_id, order_item_id);
DROP INDEX order_status_history_order_idx;
CREATE INDEX order_status_history_order_idx ON order_status_history (tenant_id, order_id, created_at);
DROP INDEX addon_groups_product_idx;
CREATE INDEX addon_groups_product_idx ON addon_groups (tenant_id, product_id);
DROP INDEX addons_group_idx;
CREATE INDEX addons_group_idx ON addons (tenant_id, group_id);
DROP INDEX whatsapp_messages_conversation_idx;
CREATE INDEX whatsapp_messages_conversation_idx ON whatsapp_messages (tenant_id, conversation_id, created_at);
DROP INDEX user_groups_group_idx;
CREATE INDEX user_groups_group_idx ON user_groups (tenant_id, group_id);
DROP INDEX user_sessions_active_idx;
CREATE INDEX user_sessions_active_idx ON user_sessions (tenant_id, user_id, created_at) WHERE revoked_at IS NULL;
