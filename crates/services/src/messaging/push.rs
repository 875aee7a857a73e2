//! Staff browsers' Web Push subscriptions (`/admin/webpush/subscriptions`).

use crate::ErrorCode;
use std::sync::Arc;

use comanda_domain::messaging::EndpointRejection;
use comanda_domain::{TenantId, UserId};

use comanda_ports::messaging::{PushClient, PushSubscription, PushSubscriptionRepository};

use crate::ServiceError;

/// Endpoints are URLs of the browser vendor's push service; none is near this long.
const MAX_ENDPOINT_LEN: usize = 2048;

#[derive(Clone)]
pub struct PushService {
    subscriptions: Arc<dyn PushSubscriptionRepository>,
    /// `None` without VAPID keys.
    push: Option<Arc<dyn PushClient>>,
}

impl PushService {
    pub fn new(
        subscriptions: Arc<dyn PushSubscriptionRepository>,
        push: Option<Arc<dyn PushClient>>,
    ) -> Self {
        Self {
            subscriptions,
            push,
        }
    }

    fn client(&self) -> Result<&Arc<dyn PushClient>, ServiceError> {
        self.push.as_ref().ok_or_else(|| ServiceError::Invalid {
            code: ErrorCode::WebpushNotConfigured,
            message: "Web Push is not configured on this server (VAPID keys)".into(),
        })
    }

    /// The key browsers subscribe with (`applicationServerKey`).
    pub fn public_key(&self) -> Result<String, ServiceError> {
        Ok(self.client()?.public_key())
    }

    /// Saves this browser's subscription for the user. The endpoint must be https and must
    /// not resolve to a loopback, private or link-local address (422 `invalid_endpoint`).
    pub async fn subscribe(
        &self,
        tenant: TenantId,
        user: UserId,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
    ) -> Result<PushSubscription, ServiceError> {
        let client = self.client()?;
        let endpoint = endpoint.trim();
        if endpoint.is_empty() || endpoint.len() > MAX_ENDPOINT_LEN {
            return Err(ServiceError::field(
                "endpoint",
                format!("an https URL of at most {MAX_ENDPOINT_LEN} characters"),
            ));
        }
        client
            .check_subscription(endpoint, p256dh.trim(), auth.trim())
            .await
            .map_err(|rejection| match rejection {
                EndpointRejection::BadKeys => ServiceError::field("keys", rejection),
                EndpointRejection::NotHttps | EndpointRejection::PrivateAddress => {
                    ServiceError::Invalid {
                        code: ErrorCode::InvalidEndpoint,
                        message: rejection.to_string(),
                    }
                }
            })?;
        Ok(self
            .subscriptions
            .upsert(tenant, user, endpoint, p256dh.trim(), auth.trim())
            .await?)
    }

    pub async fn unsubscribe(
        &self,
        tenant: TenantId,
        user: UserId,
        endpoint: &str,
    ) -> Result<(), ServiceError> {
        self.subscriptions
            .remove(tenant, user, endpoint.trim())
            .await
            .map_err(ServiceError::from)
    }

    pub async fn list(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<PushSubscription>, ServiceError> {
        Ok(self.subscriptions.for_user(tenant, user).await?)
    }
}
