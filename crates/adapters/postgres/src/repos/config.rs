//! The tenant's operational settings (`tenant_settings`).

use comanda_domain::pizza::PizzaPricing;
use std::collections::BTreeMap;

use async_trait::async_trait;
use comanda_domain::TenantId;
use comanda_ports::config::{ConfigRepository, TenantConfig};
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::database::Database;
use crate::errors::{TxError, diesel_error};
use crate::repos::audit::{self, Change};
use crate::schema::tenant_settings;

#[derive(Clone)]
pub struct PgConfigRepository {
    db: Database,
}

impl PgConfigRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

type SettingsRow = (bool, i64, i32, bool, serde_json::Value, String, bool);

fn config_from(row: Option<SettingsRow>) -> TenantConfig {
    match row {
        Some((
            accepting_orders,
            min_order_cents,
            preparation_minutes,
            preorders_enabled,
            templates,
            pizza_pricing,
            auto_accept,
        )) => TenantConfig {
            accepting_orders,
            min_order_cents,
            preparation_minutes,
            preorders_enabled,
            message_templates: serde_json::from_value::<BTreeMap<String, String>>(templates)
                .unwrap_or_default(),
            pizza_pricing: PizzaPricing::parse(&pizza_pricing).unwrap_or_default(),
            auto_accept,
        },
        None => TenantConfig::default(),
    }
}

fn config_json(config: &TenantConfig) -> serde_json::Value {
    serde_json::json!({
        "accepting_orders": config.accepting_orders, "min_order_cents": config.min_order_cents,
        "preparation_minutes": config.preparation_minutes, "preorders_enabled": config.preorders_enabled,
        "message_templates": config.message_templates,
        "pizza_pricing": config.pizza_pricing.as_str(),
        "auto_accept": config.auto_accept,
    })
}

async fn load_config(conn: &mut AsyncPgConnection, tenant: TenantId) -> QueryResult<TenantConfig> {
    let row: Option<SettingsRow> = tenant_settings::table
        .find(tenant.as_uuid())
        .select((
            tenant_settings::accepting_orders,
            tenant_settings::min_order_cents,
            tenant_settings::preparation_minutes,
            tenant_settings::preorders_enabled,
            tenant_settings::message_templates,
            tenant_settings::pizza_pricing,
            tenant_settings::auto_accept,
        ))
        .first(conn)
        .await
        .optional()?;
    Ok(config_from(row))
}

#[async_trait]
impl ConfigRepository for PgConfigRepository {
    async fn get(&self, tenant: TenantId) -> RepoResult<TenantConfig> {
        let mut conn = self.db.conn().await?;
        load_config(&mut conn, tenant).await.map_err(diesel_error)
    }

    async fn put(
        &self,
        tenant: TenantId,
        config: TenantConfig,
        actor: &Actor,
    ) -> RepoResult<TenantConfig> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let before = load_config(conn, tenant).await?;
            let templates = serde_json::to_value(&config.message_templates)
                .map_err(|e| RepoError::Internal(e.to_string()))?;
            let values = (
                tenant_settings::tenant_id.eq(tenant.as_uuid()),
                tenant_settings::accepting_orders.eq(config.accepting_orders),
                tenant_settings::min_order_cents.eq(config.min_order_cents),
                tenant_settings::preparation_minutes.eq(config.preparation_minutes),
                tenant_settings::preorders_enabled.eq(config.preorders_enabled),
                tenant_settings::message_templates.eq(templates),
                tenant_settings::pizza_pricing.eq(config.pizza_pricing.as_str()),
                tenant_settings::auto_accept.eq(config.auto_accept),
                tenant_settings::updated_at.eq(diesel::dsl::now),
            );
            diesel::insert_into(tenant_settings::table)
                .values(values.clone())
                .on_conflict(tenant_settings::tenant_id)
                .do_update()
                .set(values)
                .execute(conn)
                .await?;
            let after = load_config(conn, tenant).await?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "config.update",
                    entity_type: "config",
                    entity_id: None,
                    before: Some(config_json(&before)),
                    after: Some(config_json(&after)),
                },
            )
            .await?;
            Ok(after)
        })
        .await
        .map_err(RepoError::from)
    }
}
