use async_trait::async_trait;
use comanda_domain::TenantId;
use comanda_ports::RepoResult;
use comanda_ports::media::MediaRepository;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use crate::database::Database;
use crate::errors::diesel_error;
use crate::schema::media_objects;

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
}
