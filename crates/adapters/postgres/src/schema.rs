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
    stores (id) {
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
    }
}

diesel::joinable!(tenant_subscriptions -> tenants (tenant_id));
diesel::joinable!(tenant_subscriptions -> plans (plan_id));
diesel::joinable!(tenant_modules -> tenants (tenant_id));
diesel::joinable!(stores -> tenants (tenant_id));

diesel::allow_tables_to_appear_in_same_query!(
    plans,
    tenants,
    tenant_subscriptions,
    tenant_modules,
    stores
);
