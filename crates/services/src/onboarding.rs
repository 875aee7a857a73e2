//! The first-access checklist (`/admin/onboarding`), computed from the tenant's data.

use std::sync::Arc;

use comanda_domain::TenantId;
use comanda_ports::onboarding::OnboardingRepository;

use crate::ServiceError;
use crate::messaging::Channels;

/// One step, in the order a new tenant takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// `store`, `products`, `shipping_bands`, `whatsapp`, `first_order`.
    pub key: &'static str,
    pub title: &'static str,
    /// As shown: `false` for every step while the first-access test mode is on.
    pub done: bool,
    /// What the data says, whatever the mode.
    pub done_in_data: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checklist {
    pub steps: Vec<Step>,
    pub test_mode: bool,
    /// Whether the portal should show the checklist: a step is left, or the test mode is on.
    pub show: bool,
}

impl Checklist {
    pub fn completed(&self) -> usize {
        self.steps.iter().filter(|step| step.done).count()
    }
}

#[derive(Clone)]
pub struct OnboardingService {
    facts: Arc<dyn OnboardingRepository>,
    channels: Channels,
}

impl OnboardingService {
    pub fn new(facts: Arc<dyn OnboardingRepository>, channels: Channels) -> Self {
        Self { facts, channels }
    }

    pub async fn checklist(&self, tenant: TenantId) -> Result<Checklist, ServiceError> {
        let facts = self.facts.facts(tenant).await?;
        let whatsapp = self.channels.whatsapp(tenant).await?.is_some();
        let steps = [
            ("store", "Cadastre sua loja", facts.stores > 0),
            ("products", "Cadastre seus produtos", facts.products > 0),
            (
                "shipping_bands",
                "Configure as faixas de entrega",
                facts.shipping_bands > 0,
            ),
            ("whatsapp", "Conecte o WhatsApp", whatsapp),
            ("first_order", "Receba o primeiro pedido", facts.orders > 0),
        ]
        .into_iter()
        .map(|(key, title, done_in_data)| Step {
            key,
            title,
            done: done_in_data && !facts.test_mode,
            done_in_data,
        })
        .collect::<Vec<_>>();
        let show = facts.test_mode || steps.iter().any(|step| !step.done);
        Ok(Checklist {
            steps,
            test_mode: facts.test_mode,
            show,
        })
    }
}
