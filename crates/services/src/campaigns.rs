use crate::ErrorCode;
use std::sync::Arc;

use comanda_domain::media::{MediaSlot, check_upload};
use comanda_domain::pricing::{Campaign, CampaignKind};
use comanda_domain::{CampaignId, TenantId};
use comanda_ports::campaigns::CampaignRepository;
use comanda_ports::media::{MediaRepository, MediaStorage};
use comanda_ports::{Actor, RepoError};

use crate::media::rejection;
use crate::{FieldProblem, ServiceError};

#[derive(Clone)]
pub struct CampaignService {
    campaigns: Arc<dyn CampaignRepository>,
    storage: Arc<dyn MediaStorage>,
    records: Arc<dyn MediaRepository>,
}

fn repo_error(error: RepoError) -> ServiceError {
    match error {
        RepoError::Conflict(_) => ServiceError::conflict(
            ErrorCode::CouponCodeTaken,
            "Another campaign uses this coupon code",
        ),
        // Ids of another tenant, or of nothing: the same answer, so nothing is learnt.
        RepoError::InvalidReference(field) => ServiceError::field(
            &field,
            "names a store, product or category that does not exist",
        ),
        other => other.into(),
    }
}

/// The rules of docs/api.md#tenant-portal for a campaign's settings.
fn validate(campaign: &mut Campaign) -> Result<(), ServiceError> {
    let mut problems = Vec::new();
    let mut problem = |field: &str, message: &str| {
        problems.push(FieldProblem {
            field: field.to_owned(),
            message: message.to_owned(),
        })
    };
    campaign.name = campaign.name.trim().to_owned();
    if campaign.name.is_empty() {
        problem("name", "must not be empty");
    }
    match campaign.kind {
        CampaignKind::Percentage(percent) if !(1..=100).contains(&percent) => {
            problem("value", "a percentage is 1 to 100")
        }
        CampaignKind::Fixed(cents) if cents <= 0 => {
            problem("value", "a fixed discount is more than zero cents")
        }
        _ => {}
    }
    if let Some(code) = &campaign.coupon_code {
        let code = code.trim().to_uppercase();
        let valid = (3..=30).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            problem("coupon_code", "3 to 30 letters, digits, - or _");
        }
        campaign.coupon_code = Some(code);
    }
    if let (Some(start), Some(end)) = (campaign.starts_at, campaign.ends_at)
        && end <= start
    {
        problem("ends_at", "must be after starts_at");
    }
    if campaign.min_subtotal_cents < 0 {
        problem("min_subtotal_cents", "must not be negative");
    }
    if campaign.usage_limit.is_some_and(|limit| limit < 1)
        || campaign.per_customer_limit.is_some_and(|limit| limit < 1)
    {
        problem("usage_limit", "limits are at least 1");
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Validation(problems))
    }
}

impl CampaignService {
    pub fn new(
        campaigns: Arc<dyn CampaignRepository>,
        storage: Arc<dyn MediaStorage>,
        records: Arc<dyn MediaRepository>,
    ) -> Self {
        Self {
            campaigns,
            storage,
            records,
        }
    }

    pub async fn list(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<(Campaign, Option<String>)>, ServiceError> {
        Ok(self.campaigns.list(tenant).await?)
    }

    pub async fn get(
        &self,
        tenant: TenantId,
        id: CampaignId,
    ) -> Result<(Campaign, Option<String>), ServiceError> {
        self.campaigns
            .find(tenant, id)
            .await?
            .ok_or(ServiceError::NotFound("campaign"))
    }

    pub async fn create(
        &self,
        tenant: TenantId,
        mut campaign: Campaign,
        actor: &Actor,
    ) -> Result<Campaign, ServiceError> {
        validate(&mut campaign)?;
        self.campaigns
            .create(tenant, campaign, actor)
            .await
            .map_err(repo_error)
    }

    pub async fn update(
        &self,
        tenant: TenantId,
        mut campaign: Campaign,
        actor: &Actor,
    ) -> Result<Campaign, ServiceError> {
        validate(&mut campaign)?;
        self.campaigns
            .update(tenant, campaign, actor)
            .await
            .map_err(repo_error)
    }

    pub async fn delete(
        &self,
        tenant: TenantId,
        id: CampaignId,
        actor: &Actor,
    ) -> Result<(), ServiceError> {
        self.campaigns
            .delete(tenant, id, actor)
            .await
            .map_err(repo_error)
    }

    /// A campaign's banner: an image checked by its bytes, like every upload.
    pub async fn upload_image(
        &self,
        tenant: TenantId,
        id: CampaignId,
        bytes: Vec<u8>,
        actor: &Actor,
    ) -> Result<String, ServiceError> {
        self.get(tenant, id).await?;
        let kind = check_upload(MediaSlot::Image, &bytes).map_err(rejection)?;
        let key = format!(
            "{tenant}/campaign_image/{}.{}",
            uuid::Uuid::now_v7().simple(),
            kind.extension()
        );
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let url = self
            .storage
            .put(&key, bytes, kind.content_type())
            .await
            .map_err(|error| ServiceError::Unavailable(error.to_string()))?;
        self.records
            .record(tenant, &key, kind.content_type(), size, "campaign_image")
            .await?;
        self.campaigns
            .set_image(tenant, id, &url, actor)
            .await
            .map_err(repo_error)?;
        Ok(url)
    }
}
