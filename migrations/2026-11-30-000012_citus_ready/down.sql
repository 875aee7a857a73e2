DROP INDEX user_sessions_active_idx;
CREATE INDEX user_sessions_active_idx ON user_sessions (user_id, created_at) WHERE revoked_at IS NULL;
DROP INDEX user_groups_group_idx;
CREATE INDEX user_groups_group_idx ON user_groups (group_id);
DROP INDEX whatsapp_messages_conversation_idx;
CREATE INDEX whatsapp_messages_conversation_idx ON whatsapp_messages (conversation_id, created_at);
DROP INDEX addons_group_idx;
CREATE INDEX addons_group_idx ON addons (group_id);
DROP INDEX addon_groups_product_idx;
CREATE INDEX addon_groups_product_idx ON addon_groups (product_id);
DROP INDEX order_status_history_order_idx;
CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, created_at);
DROP INDEX order_item_addons_item_idx;
CREATE INDEX order_item_addons_item_idx ON order_item_addons (order_item_id);
DROP INDEX order_items_order_idx;
CREATE INDEX order_items_order_idx ON order_items (order_id, position);

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
ALTER TABLE order_item_addons DROP CONSTRAINT order_item_addons_tenant_id_order_item_id_fkey;
ALTER TABLE order_payments DROP CONSTRAINT order_payments_tenant_id_order_id_fkey;
ALTER TABLE order_deliveries DROP CONSTRAINT order_deliveries_tenant_id_order_id_fkey;
ALTER TABLE order_status_history DROP CONSTRAINT order_status_history_tenant_id_order_id_fkey;
ALTER TABLE campaign_uses DROP CONSTRAINT campaign_uses_tenant_id_campaign_id_fkey,
                          DROP CONSTRAINT campaign_uses_tenant_id_order_id_fkey;
ALTER TABLE whatsapp_messages DROP CONSTRAINT whatsapp_messages_tenant_id_conversation_id_fkey;
ALTER TABLE webpush_subscriptions DROP CONSTRAINT webpush_subscriptions_tenant_id_user_id_fkey;

ALTER TABLE owner_invites DROP CONSTRAINT owner_invites_tenant_id_token_digest_key,
                          ADD UNIQUE (token_digest);
ALTER TABLE webpush_subscriptions DROP CONSTRAINT webpush_subscriptions_pkey, ADD PRIMARY KEY (id);
ALTER TABLE whatsapp_messages DROP CONSTRAINT whatsapp_messages_pkey, ADD PRIMARY KEY (id);
ALTER TABLE whatsapp_conversations DROP CONSTRAINT whatsapp_conversations_pkey,
                                   ADD PRIMARY KEY (id), ADD UNIQUE (tenant_id, id);
ALTER TABLE outbox DROP CONSTRAINT outbox_pkey, ADD PRIMARY KEY (id);
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_pkey, ADD PRIMARY KEY (id);
ALTER TABLE campaign_uses DROP CONSTRAINT campaign_uses_pkey, ADD PRIMARY KEY (campaign_id, order_id);
ALTER TABLE order_status_history DROP CONSTRAINT order_status_history_pkey, ADD PRIMARY KEY (id);
ALTER TABLE order_deliveries DROP CONSTRAINT order_deliveries_pkey, ADD PRIMARY KEY (order_id);
ALTER TABLE order_payments DROP CONSTRAINT order_payments_pkey, ADD PRIMARY KEY (order_id);
ALTER TABLE order_item_addons DROP CONSTRAINT order_item_addons_pkey, ADD PRIMARY KEY (id);
ALTER TABLE order_items DROP CONSTRAINT order_items_pkey, ADD PRIMARY KEY (id);
ALTER TABLE orders DROP CONSTRAINT orders_pkey, ADD PRIMARY KEY (id), ADD UNIQUE (tenant_id, id);
ALTER TABLE campaigns DROP CONSTRAINT campaigns_pkey, ADD PRIMARY KEY (id), ADD UNIQUE (tenant_id, id);
ALTER TABLE customers DROP CONSTRAINT customers_pkey, ADD PRIMARY KEY (id), ADD UNIQUE (tenant_id, id);
ALTER TABLE media_objects DROP CONSTRAINT media_objects_tenant_id_object_key_key,
                          DROP CONSTRAINT media_objects_pkey,
                          ADD PRIMARY KEY (id), ADD UNIQUE (object_key);
ALTER TABLE shipping_bands DROP CONSTRAINT shipping_bands_tenant_id_store_id_max_km_key,
                           DROP CONSTRAINT shipping_bands_pkey,
                           ADD PRIMARY KEY (id), ADD UNIQUE (store_id, max_km);
ALTER TABLE addons DROP CONSTRAINT addons_pkey, ADD PRIMARY KEY (id), ADD UNIQUE (tenant_id, id);
ALTER TABLE addon_groups DROP CONSTRAINT addon_groups_pkey, ADD PRIMARY KEY (id),
                         ADD UNIQUE (tenant_id, id);
ALTER TABLE stock_levels DROP CONSTRAINT stock_levels_pkey, ADD PRIMARY KEY (store_id, product_id);
ALTER TABLE product_store_availability DROP CONSTRAINT product_store_availability_pkey,
                                       ADD PRIMARY KEY (store_id, product_id);
ALTER TABLE products DROP CONSTRAINT products_pkey, ADD PRIMARY KEY (id), ADD UNIQUE (tenant_id, id);
ALTER TABLE categories DROP CONSTRAINT categories_pkey, ADD PRIMARY KEY (id),
                       ADD UNIQUE (tenant_id, id);
ALTER TABLE plan_change_requests DROP CONSTRAINT plan_change_requests_pkey, ADD PRIMARY KEY (id);
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey, ADD PRIMARY KEY (id);
ALTER TABLE user_groups DROP CONSTRAINT user_groups_pkey, ADD PRIMARY KEY (user_id, group_id);
ALTER TABLE group_permissions DROP CONSTRAINT group_permissions_pkey,
                              ADD PRIMARY KEY (group_id, module, action);
ALTER TABLE groups DROP CONSTRAINT groups_pkey, ADD PRIMARY KEY (id), ADD UNIQUE (tenant_id, id);
ALTER TABLE user_sessions DROP CONSTRAINT user_sessions_pkey, ADD PRIMARY KEY (id);
ALTER TABLE users DROP CONSTRAINT users_pkey, ADD PRIMARY KEY (id), ADD UNIQUE (tenant_id, id);
ALTER TABLE stores DROP CONSTRAINT stores_pkey, ADD PRIMARY KEY (id), ADD UNIQUE (tenant_id, id);

ALTER TABLE user_sessions ADD FOREIGN KEY (tenant_id, user_id)
    REFERENCES users (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE group_permissions ADD FOREIGN KEY (tenant_id, group_id)
    REFERENCES groups (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE user_groups
    ADD FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    ADD FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE products ADD FOREIGN KEY (tenant_id, category_id) REFERENCES categories (tenant_id, id);
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
ALTER TABLE order_item_addons ADD FOREIGN KEY (order_item_id)
    REFERENCES order_items (id) ON DELETE CASCADE;
ALTER TABLE order_payments ADD FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;
ALTER TABLE order_deliveries ADD FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;
ALTER TABLE order_status_history ADD FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;
ALTER TABLE campaign_uses
    ADD FOREIGN KEY (campaign_id) REFERENCES campaigns (id) ON DELETE CASCADE,
    ADD FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE;
ALTER TABLE whatsapp_messages ADD FOREIGN KEY (tenant_id, conversation_id)
    REFERENCES whatsapp_conversations (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE webpush_subscriptions ADD FOREIGN KEY (tenant_id, user_id)
    REFERENCES users (tenant_id, id) ON DELETE CASCADE;

CREATE UNIQUE INDEX tenant_messaging_phone_number_idx
    ON tenant_messaging (whatsapp_phone_number_id) WHERE whatsapp_phone_number_id IS NOT NULL;
DROP TABLE whatsapp_numbers;

ALTER TABLE audit_log ALTER COLUMN tenant_id DROP NOT NULL;
INSERT INTO audit_log (id, tenant_id, actor_user_id, actor_tenant_id, action, entity_type,
                       entity_id, before, after, ip, request_id, created_at)
SELECT id, NULL, actor_user_id, actor_tenant_id, action, entity_type, entity_id, before, after,
       ip, request_id, created_at
FROM operator_audit_log;
DROP TABLE operator_audit_log;
