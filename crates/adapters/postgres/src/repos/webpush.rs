//! Staff browsers subscribed to Web Push.

use async_trait::async_trait;
use comanda_domain::tenancy::{Action, Module};
use comanda_domain::{TenantId, UserId};
use comanda_ports::messaging::{
    MAX_PUSH_SUBSCRIPTIONS_PER_USER, PushSubscription, PushSubscriptionRepository,
};
use comanda_ports::{RepoError, RepoResult};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

use crate::database::Database;
use crate::errors::diesel_error;
use crate::schema::{group_permissions, user_groups, users, webpush_subscriptions};

use super::parse_uuid;

#[derive(Clone)]
pub struct PgPushSubscriptionRepository {
    db: Database,
}

impl PgPushSubscriptionRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

type PushRow = (Uuid, String, String, String);

fn push_from(row: PushRow) -> PushSubscription {
    let (id, endpoint, p256dh, auth) = row;
    PushSubscription {
        id: id.to_string(),
        endpoint,
        p256dh,
        auth,
    }
}

const PUSH_COLUMNS: (
    webpush_subscriptions::id,
    webpush_subscriptions::endpoint,
    webpush_subscriptions::p256dh,
    webpush_subscriptions::auth,
) = (
    webpush_subscriptions::id,
    webpush_subscriptions::endpoint,
    webpush_subscriptions::p256dh,
    webpush_subscriptions::auth,
);

#[async_trait]
impl PushSubscriptionRepository for PgPushSubscriptionRepository {
    async fn upsert(
        &self,
        tenant: TenantId,
        user: UserId,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
    ) -> RepoResult<PushSubscription> {
        let mut conn = self.db.conn().await?;
        let (endpoint, p256dh, auth) = (endpoint.to_owned(), p256dh.to_owned(), auth.to_owned());
        let row = conn
            .transaction::<_, diesel::result::Error, _>(async move |conn| {
                // A browser's endpoint is one subscription per tenant: re-subscribing moves it to
                // this user and makes it the newest; another tenant's subscription of the same
                // browser is another row.
                let row: PushRow = diesel::insert_into(webpush_subscriptions::table)
                    .values((
                        webpush_subscriptions::id.eq(Uuid::now_v7()),
                        webpush_subscriptions::tenant_id.eq(tenant.as_uuid()),
                        webpush_subscriptions::user_id.eq(user.as_uuid()),
                        webpush_subscriptions::endpoint.eq(&endpoint),
                        webpush_subscriptions::p256dh.eq(&p256dh),
                        webpush_subscriptions::auth.eq(&auth),
                    ))
                    .on_conflict((
                        webpush_subscriptions::tenant_id,
                        webpush_subscriptions::endpoint,
                    ))
                    .do_update()
                    .set((
                        webpush_subscriptions::user_id.eq(user.as_uuid()),
                        webpush_subscriptions::p256dh.eq(&p256dh),
                        webpush_subscriptions::auth.eq(&auth),
                        webpush_subscriptions::created_at.eq(diesel::dsl::now),
                    ))
                    .returning(PUSH_COLUMNS)
                    .get_result(conn)
                    .await?;
                // The oldest beyond the per-user limit give way.
                diesel::sql_query(
                    "DELETE FROM webpush_subscriptions WHERE tenant_id = $1 AND user_id = $2 \
                     AND id NOT IN (SELECT id FROM webpush_subscriptions \
                                    WHERE tenant_id = $1 AND user_id = $2 \
                                    ORDER BY created_at DESC, id DESC LIMIT $3)",
                )
                .bind::<SqlUuid, _>(tenant.as_uuid())
                .bind::<SqlUuid, _>(user.as_uuid())
                .bind::<BigInt, _>(MAX_PUSH_SUBSCRIPTIONS_PER_USER)
                .execute(conn)
                .await?;
                Ok(row)
            })
            .await
            .map_err(diesel_error)?;
        Ok(push_from(row))
    }

    async fn remove(&self, tenant: TenantId, user: UserId, endpoint: &str) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        let removed = diesel::delete(
            webpush_subscriptions::table
                .filter(webpush_subscriptions::tenant_id.eq(tenant.as_uuid()))
                .filter(webpush_subscriptions::user_id.eq(user.as_uuid()))
                .filter(webpush_subscriptions::endpoint.eq(endpoint)),
        )
        .execute(&mut conn)
        .await
        .map_err(diesel_error)?;
        if removed == 0 {
            Err(RepoError::NotFound("subscription"))
        } else {
            Ok(())
        }
    }

    async fn recipients(
        &self,
        tenant: TenantId,
        module: Module,
    ) -> RepoResult<Vec<PushSubscription>> {
        let mut conn = self.db.conn().await?;
        // The same rule as `Grants::allows(module, view)`, for users: active, and owner, admin
        // (not billing) or in a group granting the module's `view`.
        let roles_with_everything: &[&str] = if module == Module::Billing {
            &["owner"]
        } else {
            &["owner", "admin"]
        };
        let rows: Vec<PushRow> = webpush_subscriptions::table
            .inner_join(
                users::table.on(users::tenant_id
                    .eq(webpush_subscriptions::tenant_id)
                    .and(users::id.eq(webpush_subscriptions::user_id))),
            )
            .filter(webpush_subscriptions::tenant_id.eq(tenant.as_uuid()))
            .filter(users::is_active.eq(true))
            .filter(
                users::role
                    .eq_any(roles_with_everything)
                    .or(diesel::dsl::exists(
                        user_groups::table
                            .inner_join(
                                group_permissions::table.on(group_permissions::tenant_id
                                    .eq(user_groups::tenant_id)
                                    .and(group_permissions::group_id.eq(user_groups::group_id))),
                            )
                            .filter(user_groups::tenant_id.eq(tenant.as_uuid()))
                            .filter(user_groups::tenant_id.eq(users::tenant_id))
                            .filter(user_groups::user_id.eq(users::id))
                            .filter(group_permissions::module.eq(module.as_str()))
                            .filter(group_permissions::action.eq(Action::View.as_str())),
                    )),
            )
            .select(PUSH_COLUMNS)
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows.into_iter().map(push_from).collect())
    }

    async fn for_user(&self, tenant: TenantId, user: UserId) -> RepoResult<Vec<PushSubscription>> {
        let mut conn = self.db.conn().await?;
        let rows: Vec<PushRow> = webpush_subscriptions::table
            .filter(webpush_subscriptions::tenant_id.eq(tenant.as_uuid()))
            .filter(webpush_subscriptions::user_id.eq(user.as_uuid()))
            .select(PUSH_COLUMNS)
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows.into_iter().map(push_from).collect())
    }

    async fn delete(&self, tenant: TenantId, id: &str) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        diesel::delete(webpush_subscriptions::table.find((tenant.as_uuid(), parse_uuid(id)?)))
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(diesel_error)
    }
}
