//! Talking to people outside (docs/api.md#tenant-portal, docs/api.md#messaging): the outbox dispatcher, the WhatsApp webhook and
//! portal, Web Push subscriptions and the WhatsApp media clean-up.

pub mod cleanup;
pub mod dispatcher;
#[cfg(test)]
mod dispatcher_tests;
pub mod push;
pub mod whatsapp;

use std::sync::Arc;

use comanda_domain::TenantId;
use comanda_domain::tenancy::TenantSlug;
use comanda_ports::TenantRepository;
use comanda_ports::central::CentralRepository;
use comanda_ports::messaging::{WhatsAppCredentials, WhatsAppRepository};

use crate::ServiceError;

/// Credentials from the environment, for tenants without their own.
#[derive(Debug, Clone, Default)]
pub struct GlobalChannels {
    /// `WHATSAPP_PHONE_NUMBER_ID`: the original single-tenant deployment's number, which belongs
    /// to `legacy_tenant`.
    pub whatsapp_phone_number_id: Option<String>,
    /// `WHATSAPP_ACCESS_TOKEN`: used by every tenant that has a number but no token of its own
    /// (one system-user token can serve many numbers).
    pub whatsapp_access_token: Option<String>,
    /// `WHATSAPP_VERIFY_TOKEN`.
    pub whatsapp_verify_token: Option<String>,
    /// `TELEGRAM_BOT_TOKEN`: the bot every tenant's store chats get messages from, unless the
    /// tenant has its own.
    pub telegram_bot_token: Option<String>,
    /// `LEGACY_TENANT_SLUG`.
    pub legacy_tenant: Option<TenantSlug>,
}

/// Which credentials each tenant sends with, and which tenant a WhatsApp number belongs to.
#[derive(Clone)]
pub struct Channels {
    tenants: Arc<dyn TenantRepository>,
    admin: Arc<dyn CentralRepository>,
    whatsapp: Arc<dyn WhatsAppRepository>,
    global: Arc<GlobalChannels>,
}

impl Channels {
    pub fn new(
        tenants: Arc<dyn TenantRepository>,
        admin: Arc<dyn CentralRepository>,
        whatsapp: Arc<dyn WhatsAppRepository>,
        global: GlobalChannels,
    ) -> Self {
        Self {
            tenants,
            admin,
            whatsapp,
            global: Arc::new(global),
        }
    }

    async fn legacy_tenant(&self) -> Result<Option<TenantId>, ServiceError> {
        let Some(slug) = &self.global.legacy_tenant else {
            return Ok(None);
        };
        Ok(self
            .tenants
            .find_by_slug(slug)
            .await?
            .map(|tenant| tenant.id))
    }

    /// The tenant's WhatsApp number and token; `None` when it cannot send.
    pub async fn whatsapp(
        &self,
        tenant: TenantId,
    ) -> Result<Option<WhatsAppCredentials>, ServiceError> {
        let own = self.admin.messaging(tenant).await?;
        let phone_number_id = match own.whatsapp_phone_number_id {
            Some(id) => Some(id),
            None if self.legacy_tenant().await? == Some(tenant) => {
                self.global.whatsapp_phone_number_id.clone()
            }
            None => None,
        };
        let access_token = own
            .whatsapp_access_token
            .or_else(|| self.global.whatsapp_access_token.clone());
        Ok(phone_number_id
            .zip(access_token)
            .map(|(phone_number_id, access_token)| WhatsAppCredentials {
                phone_number_id,
                access_token,
            }))
    }

    /// Whether the tenant's plan and subscription give it `module` now.
    pub async fn module_enabled(
        &self,
        tenant: TenantId,
        module: comanda_domain::tenancy::Module,
    ) -> Result<bool, ServiceError> {
        Ok(self
            .tenants
            .find_by_id(tenant)
            .await?
            .is_some_and(|record| {
                comanda_domain::tenancy::TenantContext::from(record)
                    .modules
                    .contains(&module)
            }))
    }

    /// The bot token the tenant's Telegram messages go through.
    pub async fn telegram_token(&self, tenant: TenantId) -> Result<Option<String>, ServiceError> {
        let own = self.admin.messaging(tenant).await?;
        Ok(own
            .telegram_bot_token
            .or_else(|| self.global.telegram_bot_token.clone()))
    }

    /// The tenant a webhook's `metadata.phone_number_id` belongs to.
    pub async fn tenant_for_phone_number_id(
        &self,
        phone_number_id: &str,
    ) -> Result<Option<TenantId>, ServiceError> {
        if let Some(tenant) = self
            .whatsapp
            .tenant_for_phone_number_id(phone_number_id)
            .await?
        {
            return Ok(Some(tenant));
        }
        if self.global.whatsapp_phone_number_id.as_deref() == Some(phone_number_id) {
            return self.legacy_tenant().await;
        }
        Ok(None)
    }

    /// Whether `token` is the global verify token or, when given, the tenant's.
    pub async fn verify_token_matches(
        &self,
        tenant: Option<TenantId>,
        token: &str,
    ) -> Result<bool, ServiceError> {
        if token.is_empty() {
            return Ok(false);
        }
        if self
            .global
            .whatsapp_verify_token
            .as_deref()
            .is_some_and(|expected| constant_time_eq(expected, token))
        {
            return Ok(true);
        }
        let Some(tenant) = tenant else {
            return Ok(false);
        };
        let own = self.admin.messaging(tenant).await?;
        Ok(own
            .whatsapp_verify_token
            .as_deref()
            .is_some_and(|expected| constant_time_eq(expected, token)))
    }
}

/// Compares secrets without an early exit that would time how much of them matched.
fn constant_time_eq(expected: &str, given: &str) -> bool {
    let (expected, given) = (expected.as_bytes(), given.as_bytes());
    if expected.len() != given.len() {
        return false;
    }
    expected
        .iter()
        .zip(given)
        .fold(0u8, |difference, (a, b)| difference | (a ^ b))
        == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(constant_time_eq("token-123", "token-123"));
        assert!(!constant_time_eq("token-123", "token-124"));
        assert!(!constant_time_eq("token-123", "token-12"));
        assert!(!constant_time_eq("", "x"));
    }
}
