//! Table definitions, kept by hand in step with `migrations/`. The adapter's tests exercise
//! every table, so a drift fails them.

diesel::table! {
    plans (id) {
        id -> Uuid,
        code -> Text,
        name -> Text,
        price_cents -> BigInt,
        modules -> Array<Text>,
        users_limit -> Integer,
        stores_limit -> Integer,
        trial_days -> Integer,
        is_active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    tenants (id) {
        id -> Uuid,
        slug -> Text,
        name -> Text,
        is_active -> Bool,
        users_limit -> Integer,
        stores_limit -> Integer,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        first_access_test_mode -> Bool,
        cache_version -> Int8,
    }
}

diesel::table! {
    tenant_subscriptions (tenant_id) {
        tenant_id -> Uuid,
        plan_id -> Nullable<Uuid>,
        status -> Text,
        trial_ends_at -> Nullable<Timestamptz>,
        current_period_end -> Nullable<Timestamptz>,
        status_changed_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    tenant_modules (tenant_id, module) {
        tenant_id -> Uuid,
        module -> Text,
        source -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    stores (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        name -> Text,
        phone -> Nullable<Text>,
        cep -> Text,
        street -> Text,
        number -> Text,
        complement -> Text,
        district -> Text,
        city -> Text,
        state -> Text,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        time_zone -> Text,
        opening_hours -> Jsonb,
        is_active -> Bool,
        manually_closed -> Bool,
        delivery_enabled -> Bool,
        pickup_enabled -> Bool,
        accepts_preorders -> Bool,
        telegram_chat_id -> Nullable<Text>,
        image_url -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        free_shipping_above_cents -> Nullable<BigInt>,
        hide_unavailable_items -> Bool,
        paused_until -> Nullable<Timestamptz>,
        pause_reason -> Nullable<Text>,
        extra_preparation_minutes -> Integer,
        closures -> Jsonb,
        scheduling -> Nullable<Jsonb>,
    }
}

diesel::table! {
    categories (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        name -> Text,
        description -> Text,
        position -> Integer,
        is_active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        schedule -> Nullable<Jsonb>,
        flavors_for -> Nullable<Uuid>,
    }
}

diesel::table! {
    products (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        category_id -> Uuid,
        name -> Text,
        description -> Text,
        price_cents -> BigInt,
        image_url -> Nullable<Text>,
        video_url -> Nullable<Text>,
        position -> Integer,
        is_active -> Bool,
        track_stock -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        schedule -> Nullable<Jsonb>,
        kind -> Text,
    }
}

diesel::table! {
    pizza_sizes (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        product_id -> Uuid,
        name -> Text,
        slices -> Integer,
        max_flavors -> Integer,
        position -> Integer,
    }
}

diesel::table! {
    combo_slots (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        product_id -> Uuid,
        name -> Text,
        min_choices -> Integer,
        max_choices -> Integer,
        position -> Integer,
    }
}

diesel::table! {
    combo_options (tenant_id, slot_id, product_id) {
        tenant_id -> Uuid,
        slot_id -> Uuid,
        product_id -> Uuid,
        extra_cents -> BigInt,
        position -> Integer,
    }
}

diesel::table! {
    flavor_prices (tenant_id, product_id, size_id) {
        tenant_id -> Uuid,
        product_id -> Uuid,
        size_id -> Uuid,
        price_cents -> BigInt,
    }
}

diesel::table! {
    product_store_availability (tenant_id, store_id, product_id) {
        tenant_id -> Uuid,
        product_id -> Uuid,
        store_id -> Uuid,
        available -> Bool,
        updated_at -> Timestamptz,
        sold_out_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    stock_levels (tenant_id, store_id, product_id) {
        tenant_id -> Uuid,
        store_id -> Uuid,
        product_id -> Uuid,
        quantity -> Integer,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    addon_groups (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        product_id -> Uuid,
        name -> Text,
        min_choices -> Integer,
        max_choices -> Integer,
        position -> Integer,
    }
}

diesel::table! {
    addons (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        group_id -> Uuid,
        name -> Text,
        price_cents -> BigInt,
        is_available -> Bool,
        position -> Integer,
    }
}

diesel::table! {
    shipping_bands (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        store_id -> Uuid,
        max_km -> Double,
        fee_cents -> BigInt,
        eta_minutes -> Integer,
    }
}

diesel::table! {
    media_objects (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        object_key -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        purpose -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    media_deletions (tenant_id, object_key) {
        tenant_id -> Uuid,
        object_key -> Text,
        reason -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    tenant_settings (tenant_id) {
        tenant_id -> Uuid,
        accepting_orders -> Bool,
        min_order_cents -> BigInt,
        preparation_minutes -> Integer,
        preorders_enabled -> Bool,
        message_templates -> Jsonb,
        updated_at -> Timestamptz,
        pizza_pricing -> Text,
        auto_accept -> Bool,
    }
}

diesel::table! {
    customers (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        name -> Text,
        phone -> Text,
        email -> Nullable<Text>,
        notes -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        erased_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    campaigns (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        name -> Text,
        kind -> Text,
        value -> BigInt,
        coupon_code -> Nullable<Text>,
        starts_at -> Nullable<Timestamptz>,
        ends_at -> Nullable<Timestamptz>,
        min_subtotal_cents -> BigInt,
        store_ids -> Array<Uuid>,
        product_ids -> Array<Uuid>,
        category_ids -> Array<Uuid>,
        usage_limit -> Nullable<Integer>,
        per_customer_limit -> Nullable<Integer>,
        uses -> Integer,
        is_active -> Bool,
        image_url -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    tenant_order_counters (tenant_id) {
        tenant_id -> Uuid,
        last_number -> BigInt,
    }
}

diesel::table! {
    orders (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        number -> BigInt,
        store_id -> Uuid,
        customer_id -> Uuid,
        status -> Text,
        fulfillment -> Text,
        subtotal_cents -> BigInt,
        discount_cents -> BigInt,
        shipping_fee_cents -> BigInt,
        total_cents -> BigInt,
        campaign_ids -> Array<Uuid>,
        scheduled_for -> Nullable<Timestamptz>,
        slot_start -> Nullable<Timestamptz>,
        cancel_reason -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        customer_name -> Nullable<Text>,
    }
}

diesel::table! {
    order_items (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        order_id -> Uuid,
        product_id -> Nullable<Uuid>,
        product_name -> Text,
        quantity -> Integer,
        unit_price_cents -> BigInt,
        line_total_cents -> BigInt,
        notes -> Text,
        position -> Integer,
    }
}

diesel::table! {
    order_item_addons (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        order_item_id -> Uuid,
        addon_id -> Nullable<Uuid>,
        addon_name -> Text,
        group_name -> Text,
        quantity -> Integer,
        unit_price_cents -> BigInt,
    }
}

diesel::table! {
    order_payments (tenant_id, order_id) {
        order_id -> Uuid,
        tenant_id -> Uuid,
        method -> Text,
        status -> Text,
        amount_cents -> BigInt,
        change_for_cents -> Nullable<BigInt>,
        provider -> Nullable<Text>,
        txid -> Nullable<Text>,
        copy_paste -> Nullable<Text>,
        expires_at -> Nullable<Timestamptz>,
        paid_at -> Nullable<Timestamptz>,
        end_to_end_id -> Nullable<Text>,
        paid_cents -> Nullable<BigInt>,
        refund_id -> Nullable<Text>,
        flag -> Nullable<Text>,
    }
}

diesel::table! {
    delivery_areas (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        store_id -> Uuid,
        kind -> Text,
        name -> Text,
        city -> Nullable<Text>,
        districts -> Array<Text>,
        polygon -> Nullable<Jsonb>,
        fee_cents -> BigInt,
        min_order_cents -> BigInt,
        free_above_cents -> Nullable<BigInt>,
        eta_minutes -> Integer,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    store_slot_bookings (tenant_id, store_id, slot_start) {
        tenant_id -> Uuid,
        store_id -> Uuid,
        slot_start -> Timestamptz,
        booked -> Integer,
    }
}

diesel::table! {
    order_desk_presence (tenant_id) {
        tenant_id -> Uuid,
        until -> Timestamptz,
    }
}

diesel::table! {
    tenant_event_counters (tenant_id) {
        tenant_id -> Uuid,
        last_id -> BigInt,
    }
}

diesel::table! {
    order_events (tenant_id, id) {
        tenant_id -> Uuid,
        id -> BigInt,
        kind -> Text,
        order_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    tenant_pix_settings (tenant_id) {
        tenant_id -> Uuid,
        key -> Text,
        key_kind -> Text,
        merchant_name -> Text,
        merchant_city -> Text,
        provider -> Text,
        api_base_url -> Nullable<Text>,
        api_client_id -> Nullable<Text>,
        api_secrets -> Nullable<Bytea>,
        webhook_secret -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    order_deliveries (tenant_id, order_id) {
        order_id -> Uuid,
        tenant_id -> Uuid,
        cep -> Text,
        street -> Text,
        number -> Text,
        complement -> Text,
        district -> Text,
        city -> Text,
        state -> Text,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        distance_km -> Double,
        fee_cents -> BigInt,
        eta_minutes -> Integer,
        band_id -> Nullable<Uuid>,
        area_id -> Nullable<Uuid>,
        source -> Text,
    }
}

diesel::table! {
    order_status_history (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        order_id -> Uuid,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor_user_id -> Nullable<Uuid>,
        reason -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    campaign_uses (tenant_id, campaign_id, order_id) {
        campaign_id -> Uuid,
        tenant_id -> Uuid,
        customer_id -> Uuid,
        order_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    stock_movements (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        store_id -> Uuid,
        product_id -> Uuid,
        delta -> Integer,
        quantity_after -> Integer,
        reason -> Text,
        note -> Text,
        order_id -> Nullable<Uuid>,
        actor_user_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    outbox (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        kind -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        lease_token -> Nullable<Uuid>,
    }
}

diesel::table! {
    idempotency_keys (tenant_id, key) {
        tenant_id -> Uuid,
        key -> Text,
        request_hash -> Text,
        order_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    whatsapp_conversations (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        customer_phone -> Text,
        customer_name -> Text,
        last_inbound_at -> Nullable<Timestamptz>,
        last_message_at -> Timestamptz,
        unread_count -> Integer,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    whatsapp_messages (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        conversation_id -> Uuid,
        direction -> Text,
        wa_message_id -> Nullable<Text>,
        kind -> Text,
        body -> Text,
        template_name -> Nullable<Text>,
        media_id -> Nullable<Text>,
        media_key -> Nullable<Text>,
        media_mime -> Nullable<Text>,
        status -> Text,
        status_at -> Nullable<Timestamptz>,
        error -> Nullable<Text>,
        sent_by_user_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webpush_subscriptions (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        user_id -> Uuid,
        endpoint -> Text,
        p256dh -> Text,
        auth -> Text,
        created_at -> Timestamptz,
    }
}

diesel::joinable!(tenant_subscriptions -> tenants (tenant_id));
diesel::joinable!(tenant_subscriptions -> plans (plan_id));
diesel::joinable!(tenant_modules -> tenants (tenant_id));
diesel::joinable!(stores -> tenants (tenant_id));

diesel::table! {
    users (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        role -> Text,
        is_active -> Bool,
        last_login_at -> Nullable<Timestamptz>,
        password_changed_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    owner_invites (tenant_id, id) {
        tenant_id -> Uuid,
        id -> Uuid,
        email -> Text,
        name -> Text,
        token_digest -> Text,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    user_sessions (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        revoked_at -> Nullable<Timestamptz>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    groups (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        name -> Text,
        description -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    group_permissions (tenant_id, group_id, module, action) {
        tenant_id -> Uuid,
        group_id -> Uuid,
        module -> Text,
        action -> Text,
    }
}

diesel::table! {
    user_groups (tenant_id, user_id, group_id) {
        tenant_id -> Uuid,
        user_id -> Uuid,
        group_id -> Uuid,
    }
}

diesel::table! {
    audit_log (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        actor_user_id -> Nullable<Uuid>,
        actor_tenant_id -> Nullable<Uuid>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Nullable<Text>,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        ip -> Nullable<Text>,
        request_id -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    operator_audit_log (id) {
        id -> Uuid,
        actor_user_id -> Nullable<Uuid>,
        actor_tenant_id -> Nullable<Uuid>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Nullable<Text>,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        ip -> Nullable<Text>,
        request_id -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    whatsapp_numbers (phone_number_id) {
        phone_number_id -> Text,
        tenant_id -> Uuid,
    }
}

diesel::table! {
    billing_events (event_id) {
        event_id -> Text,
        kind -> Text,
        tenant_id -> Nullable<Uuid>,
        occurred_at -> Timestamptz,
        outcome -> Text,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    plan_change_requests (tenant_id, id) {
        id -> Uuid,
        tenant_id -> Uuid,
        plan_id -> Uuid,
        requested_by -> Nullable<Uuid>,
        note -> Text,
        status -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    tenant_messaging (tenant_id) {
        tenant_id -> Uuid,
        whatsapp_phone_number_id -> Nullable<Text>,
        whatsapp_access_token -> Nullable<Text>,
        whatsapp_verify_token -> Nullable<Text>,
        telegram_bot_token -> Nullable<Text>,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(users -> tenants (tenant_id));
diesel::joinable!(groups -> tenants (tenant_id));
diesel::joinable!(plan_change_requests -> plans (plan_id));

diesel::allow_tables_to_appear_in_same_query!(
    plans,
    tenants,
    tenant_subscriptions,
    tenant_modules,
    stores,
    users,
    user_sessions,
    groups,
    group_permissions,
    user_groups,
    audit_log,
    billing_events,
    plan_change_requests,
    tenant_messaging,
    categories,
    products,
    product_store_availability,
    stock_levels,
    addon_groups,
    addons,
    shipping_bands,
    media_objects,
    media_deletions,
    tenant_settings,
    customers,
    campaigns,
    tenant_order_counters,
    orders,
    order_items,
    order_item_addons,
    order_payments,
    tenant_pix_settings,
    tenant_event_counters,
    order_desk_presence,
    order_events,
    delivery_areas,
    store_slot_bookings,
    order_deliveries,
    order_status_history,
    campaign_uses,
    stock_movements,
    outbox,
    idempotency_keys,
    whatsapp_conversations,
    whatsapp_messages,
    webpush_subscriptions,
    whatsapp_numbers,
    operator_audit_log,
    pizza_sizes,
    flavor_prices,
    combo_slots,
    combo_options,
);
