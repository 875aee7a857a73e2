use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use comanda_domain::pricing::{Campaign, CampaignKind};
use comanda_domain::{CampaignId, CategoryId, ProductId, StoreId, TenantId};
use comanda_ports::campaigns::CampaignRepository;
use comanda_ports::{Actor, RepoError, RepoResult};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::{TxError, corrupt, diesel_error};
use crate::repos::audit::{self, Change};
use crate::schema::{campaigns, categories, products, stores};

#[derive(Clone)]
pub struct PgCampaignRepository {
    db: Database,
}

impl PgCampaignRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = campaigns, check_for_backend(diesel::pg::Pg))]
struct CampaignRow {
    id: Uuid,
    name: String,
    kind: String,
    value: i64,
    coupon_code: Option<String>,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    min_subtotal_cents: i64,
    store_ids: Vec<Uuid>,
    product_ids: Vec<Uuid>,
    category_ids: Vec<Uuid>,
    usage_limit: Option<i32>,
    per_customer_limit: Option<i32>,
    uses: i32,
    is_active: bool,
    image_url: Option<String>,
}

fn from_row(row: CampaignRow) -> RepoResult<(Campaign, Option<String>)> {
    let kind = match row.kind.as_str() {
        "percentage" => CampaignKind::Percentage(
            u32::try_from(row.value).map_err(|e| corrupt("campaign value", e))?,
        ),
        "fixed" => CampaignKind::Fixed(row.value),
        "free_shipping" => CampaignKind::FreeShipping,
        other => return Err(corrupt("campaign kind", other)),
    };
    Ok((
        Campaign {
            id: CampaignId::from_uuid(row.id),
            name: row.name,
            kind,
            coupon_code: row.coupon_code,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            min_subtotal_cents: row.min_subtotal_cents,
            store_ids: row.store_ids.into_iter().map(StoreId::from_uuid).collect(),
            product_ids: row
                .product_ids
                .into_iter()
                .map(ProductId::from_uuid)
                .collect(),
            category_ids: row
                .category_ids
                .into_iter()
                .map(CategoryId::from_uuid)
                .collect(),
            usage_limit: row.usage_limit,
            per_customer_limit: row.per_customer_limit,
            uses: row.uses,
            is_active: row.is_active,
        },
        row.image_url,
    ))
}

fn kind_value(kind: CampaignKind) -> (&'static str, i64) {
    match kind {
        CampaignKind::Percentage(percent) => ("percentage", i64::from(percent)),
        CampaignKind::Fixed(cents) => ("fixed", cents),
        CampaignKind::FreeShipping => ("free_shipping", 0),
    }
}

fn uuids<T: Copy, F: Fn(&T) -> Uuid>(ids: &BTreeSet<T>, f: F) -> Vec<Uuid> {
    ids.iter().map(f).collect()
}

fn campaign_json(campaign: &Campaign) -> serde_json::Value {
    let (kind, value) = kind_value(campaign.kind);
    serde_json::json!({
        "id": campaign.id, "name": campaign.name, "kind": kind, "value": value, "coupon_code": campaign.coupon_code,
        "starts_at": campaign.starts_at, "ends_at": campaign.ends_at, "min_subtotal_cents": campaign.min_subtotal_cents,
        "usage_limit": campaign.usage_limit, "per_customer_limit": campaign.per_customer_limit, "is_active": campaign.is_active,
    })
}

async fn load(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<(Campaign, Option<String>)>, TxError> {
    let row: Option<CampaignRow> = campaigns::table
        .filter(campaigns::tenant_id.eq(tenant.as_uuid()))
        .filter(campaigns::id.eq(id))
        .select(CampaignRow::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(row.map(from_row).transpose()?)
}

fn code_conflict(error: RepoError) -> RepoError {
    match error {
        RepoError::Conflict(_) => RepoError::Conflict("coupon_code".into()),
        other => other,
    }
}

/// Every store, product and category a campaign names must be the tenant's:
/// `InvalidReference("store_ids")` (or products, categories) otherwise.
async fn check_scope(
    conn: &mut AsyncPgConnection,
    tenant: TenantId,
    campaign: &Campaign,
) -> Result<(), TxError> {
    let distinct = |ids: Vec<Uuid>| -> Vec<Uuid> {
        let set: BTreeSet<Uuid> = ids.into_iter().collect();
        set.into_iter().collect()
    };
    let stores = distinct(uuids(&campaign.store_ids, StoreId::as_uuid));
    let products = distinct(uuids(&campaign.product_ids, ProductId::as_uuid));
    let categories = distinct(uuids(&campaign.category_ids, CategoryId::as_uuid));
    if !stores.is_empty() {
        let known: i64 = stores::table
            .filter(stores::tenant_id.eq(tenant.as_uuid()))
            .filter(stores::id.eq_any(&stores))
            .count()
            .get_result(conn)
            .await?;
        if known != i64::try_from(stores.len()).unwrap_or(i64::MAX) {
            return Err(RepoError::InvalidReference("store_ids".into()).into());
        }
    }
    if !products.is_empty() {
        let known: i64 = products::table
            .filter(products::tenant_id.eq(tenant.as_uuid()))
            .filter(products::id.eq_any(&products))
            .count()
            .get_result(conn)
            .await?;
        if known != i64::try_from(products.len()).unwrap_or(i64::MAX) {
            return Err(RepoError::InvalidReference("product_ids".into()).into());
        }
    }
    if !categories.is_empty() {
        let known: i64 = categories::table
            .filter(categories::tenant_id.eq(tenant.as_uuid()))
            .filter(categories::id.eq_any(&categories))
            .count()
            .get_result(conn)
            .await?;
        if known != i64::try_from(categories.len()).unwrap_or(i64::MAX) {
            return Err(RepoError::InvalidReference("category_ids".into()).into());
        }
    }
    Ok(())
}

#[async_trait]
impl CampaignRepository for PgCampaignRepository {
    async fn list(&self, tenant: TenantId) -> RepoResult<Vec<(Campaign, Option<String>)>> {
        let mut conn = self.db.conn().await?;
        let rows: Vec<CampaignRow> = campaigns::table
            .filter(campaigns::tenant_id.eq(tenant.as_uuid()))
            .order(campaigns::created_at.desc())
            .select(CampaignRow::as_select())
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        rows.into_iter().map(from_row).collect()
    }

    async fn active(&self, tenant: TenantId) -> RepoResult<Vec<Campaign>> {
        let mut conn = self.db.conn().await?;
        let rows: Vec<CampaignRow> = campaigns::table
            .filter(campaigns::tenant_id.eq(tenant.as_uuid()))
            .filter(campaigns::is_active.eq(true))
            .select(CampaignRow::as_select())
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        rows.into_iter()
            .map(|row| from_row(row).map(|(campaign, _)| campaign))
            .collect()
    }

    async fn find(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> RepoResult<Option<(Campaign, Option<String>)>> {
        let mut conn = self.db.conn().await?;
        Ok(load(&mut conn, tenant, id.as_uuid()).await?)
    }

    async fn create(
        &self,
        tenant: TenantId,
        campaign: Campaign,
        actor: &Actor,
    ) -> RepoResult<Campaign> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            check_scope(conn, tenant, &campaign).await?;
            let (kind, value) = kind_value(campaign.kind);
            diesel::insert_into(campaigns::table)
                .values((
                    campaigns::id.eq(campaign.id.as_uuid()),
                    campaigns::tenant_id.eq(tenant.as_uuid()),
                    campaigns::name.eq(&campaign.name),
                    campaigns::kind.eq(kind),
                    campaigns::value.eq(value),
                    campaigns::coupon_code.eq(&campaign.coupon_code),
                    campaigns::starts_at.eq(campaign.starts_at),
                    campaigns::ends_at.eq(campaign.ends_at),
                    campaigns::min_subtotal_cents.eq(campaign.min_subtotal_cents),
                    campaigns::store_ids.eq(uuids(&campaign.store_ids, StoreId::as_uuid)),
                    campaigns::product_ids.eq(uuids(&campaign.product_ids, ProductId::as_uuid)),
                    campaigns::category_ids.eq(uuids(&campaign.category_ids, CategoryId::as_uuid)),
                    campaigns::usage_limit.eq(campaign.usage_limit),
                    campaigns::per_customer_limit.eq(campaign.per_customer_limit),
                    campaigns::is_active.eq(campaign.is_active),
                ))
                .execute(conn)
                .await?;
            let (created, _) = load(conn, tenant, campaign.id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("campaign"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "campaign.create",
                    entity_type: "campaign",
                    entity_id: Some(created.id.to_string()),
                    before: None,
                    after: Some(campaign_json(&created)),
                },
            )
            .await?;
            Ok(created)
        })
        .await
        .map_err(|error| code_conflict(error.into()))
    }

    async fn update(
        &self,
        tenant: TenantId,
        campaign: Campaign,
        actor: &Actor,
    ) -> RepoResult<Campaign> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let (before, _) = load(conn, tenant, campaign.id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("campaign"))?;
            check_scope(conn, tenant, &campaign).await?;
            let (kind, value) = kind_value(campaign.kind);
            diesel::update(
                campaigns::table
                    .filter(campaigns::tenant_id.eq(tenant.as_uuid()))
                    .filter(campaigns::id.eq(campaign.id.as_uuid())),
            )
            .set((
                campaigns::name.eq(&campaign.name),
                campaigns::kind.eq(kind),
                campaigns::value.eq(value),
                campaigns::coupon_code.eq(&campaign.coupon_code),
                campaigns::starts_at.eq(campaign.starts_at),
                campaigns::ends_at.eq(campaign.ends_at),
                campaigns::min_subtotal_cents.eq(campaign.min_subtotal_cents),
                campaigns::store_ids.eq(uuids(&campaign.store_ids, StoreId::as_uuid)),
                campaigns::product_ids.eq(uuids(&campaign.product_ids, ProductId::as_uuid)),
                campaigns::category_ids.eq(uuids(&campaign.category_ids, CategoryId::as_uuid)),
                campaigns::usage_limit.eq(campaign.usage_limit),
                campaigns::per_customer_limit.eq(campaign.per_customer_limit),
                campaigns::is_active.eq(campaign.is_active),
                campaigns::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
            let (after, _) = load(conn, tenant, campaign.id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("campaign"))?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "campaign.update",
                    entity_type: "campaign",
                    entity_id: Some(after.id.to_string()),
                    before: Some(campaign_json(&before)),
                    after: Some(campaign_json(&after)),
                },
            )
            .await?;
            Ok(after)
        })
        .await
        .map_err(|error| code_conflict(error.into()))
    }

    async fn set_image(
        &self,
        tenant: TenantId,
        id: CampaignId,
        url: &str,
        actor: &Actor,
    ) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        let url = url.to_owned();
        conn.transaction::<_, TxError, _>(async move |conn| {
            let changed = diesel::update(
                campaigns::table
                    .filter(campaigns::tenant_id.eq(tenant.as_uuid()))
                    .filter(campaigns::id.eq(id.as_uuid())),
            )
            .set((
                campaigns::image_url.eq(&url),
                campaigns::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
            if changed == 0 {
                return Err(RepoError::NotFound("campaign").into());
            }
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "campaign.image",
                    entity_type: "campaign",
                    entity_id: Some(id.to_string()),
                    before: None,
                    after: Some(serde_json::json!({"image_url": url})),
                },
            )
            .await?;
            Ok(())
        })
        .await
        .map_err(RepoError::from)
    }

    async fn delete(&self, tenant: TenantId, id: CampaignId, actor: &Actor) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        conn.transaction::<_, TxError, _>(async move |conn| {
            let (before, _) = load(conn, tenant, id.as_uuid())
                .await?
                .ok_or(RepoError::NotFound("campaign"))?;
            diesel::delete(
                campaigns::table
                    .filter(campaigns::tenant_id.eq(tenant.as_uuid()))
                    .filter(campaigns::id.eq(id.as_uuid())),
            )
            .execute(conn)
            .await?;
            audit::record(
                conn,
                actor,
                Change {
                    tenant: Some(tenant),
                    action: "campaign.delete",
                    entity_type: "campaign",
                    entity_id: Some(id.to_string()),
                    before: Some(campaign_json(&before)),
                    after: None,
                },
            )
            .await?;
            Ok(())
        })
        .await
        .map_err(RepoError::from)
    }
}
