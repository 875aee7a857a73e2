use async_trait::async_trait;
use comanda_domain::TenantId;
use comanda_ports::RepoResult;
use comanda_ports::media::MediaRepository;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::database::Database;
use crate::errors::diesel_error;
use crate::schema::{media_deletions, media_objects};

#[derive(Clone)]
pub struct PgMediaRepository {
    db: Database,
}

impl PgMediaRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl MediaRepository for PgMediaRepository {
    async fn record(
        &self,
        tenant: TenantId,
        key: &str,
        content_type: &str,
        size_bytes: i64,
        purpose: &str,
    ) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        diesel::insert_into(media_objects::table)
            .values((
                media_objects::id.eq(Uuid::now_v7()),
                media_objects::tenant_id.eq(tenant.as_uuid()),
                media_objects::object_key.eq(key),
                media_objects::content_type.eq(content_type),
                media_objects::size_bytes.eq(size_bytes),
                media_objects::purpose.eq(purpose),
            ))
            .execute(&mut conn)
            .await
            .map(|_| ())
            .map_err(diesel_error)
    }

    async fn pending_deletions(
        &self,
        after: Option<&(TenantId, String)>,
        limit: i64,
    ) -> RepoResult<Vec<(TenantId, String)>> {
        let mut conn = self.db.conn().await?;
        let mut query = media_deletions::table.into_boxed();
        if let Some((tenant, key)) = after {
            query = query.filter(
                media_deletions::tenant_id
                    .gt(tenant.as_uuid())
                    .or(media_deletions::tenant_id
                        .eq(tenant.as_uuid())
                        .and(media_deletions::object_key.gt(key.clone()))),
            );
        }
        let rows: Vec<(Uuid, String)> = query
            .order((media_deletions::tenant_id, media_deletions::object_key))
            .limit(limit)
            .select((media_deletions::tenant_id, media_deletions::object_key))
            .load(&mut conn)
            .await
            .map_err(diesel_error)?;
        Ok(rows
            .into_iter()
            .map(|(tenant, key)| (TenantId::from_uuid(tenant), key))
            .collect())
    }

    async fn deletion_done(&self, tenant: TenantId, key: &str) -> RepoResult<()> {
        let mut conn = self.db.conn().await?;
        diesel::delete(
            media_deletions::table
                .filter(media_deletions::tenant_id.eq(tenant.as_uuid()))
                .filter(media_deletions::object_key.eq(key)),
        )
        .execute(&mut conn)
        .await
        .map(|_| ())
        .map_err(diesel_error)
    }
}
