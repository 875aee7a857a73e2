//! The tenant's operational settings (`/admin/config`): orders on or off, minimum order,
//! preparation time, pre-orders, message templates.

use std::sync::Arc;

use comanda_domain::TenantId;
use comanda_domain::messaging;
use comanda_ports::Actor;
use comanda_ports::config::{ConfigRepository, TenantConfig};

use crate::{FieldProblem, ServiceError};

#[derive(Clone)]
pub struct ConfigService {
    config: Arc<dyn ConfigRepository>,
}

impl ConfigService {
    pub fn new(config: Arc<dyn ConfigRepository>) -> Self {
        Self { config }
    }

    pub async fn get(&self, tenant: TenantId) -> Result<TenantConfig, ServiceError> {
        Ok(self.config.get(tenant).await?)
    }

    pub async fn put(
        &self,
        tenant: TenantId,
        config: TenantConfig,
        actor: &Actor,
    ) -> Result<TenantConfig, ServiceError> {
        if config.min_order_cents < 0 {
            return Err(ServiceError::field(
                "min_order_cents",
                "must not be negative",
            ));
        }
        if !(0..=600).contains(&config.preparation_minutes) {
            return Err(ServiceError::field(
                "preparation_minutes",
                "0 to 600 minutes",
            ));
        }
        if config.message_templates.len() > 50
            || config
                .message_templates
                .values()
                .any(|text| text.chars().count() > 2000)
        {
            return Err(ServiceError::field(
                "message_templates",
                "at most 50 templates of 2000 characters",
            ));
        }
        // A placeholder the messages do not fill would reach customers as written.
        let problems: Vec<FieldProblem> = config
            .message_templates
            .iter()
            .filter_map(|(name, text)| {
                let unknown = messaging::unknown_placeholders(text, messaging::ORDER_PLACEHOLDERS);
                (!unknown.is_empty()).then(|| {
                    FieldProblem::new(
                        &format!("message_templates.{name}"),
                        format!(
                            "unknown placeholder {}; known: {}",
                            unknown
                                .iter()
                                .map(|name| format!("{{{name}}}"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            messaging::ORDER_PLACEHOLDERS
                                .iter()
                                .map(|name| format!("{{{name}}}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })
            })
            .collect();
        if !problems.is_empty() {
            return Err(ServiceError::Validation(problems));
        }
        Ok(self.config.put(tenant, config, actor).await?)
    }
}
