//! `/admin/onboarding` (module `onboarding`): the first-access checklist.

use actix_web::get;
use actix_web::web;
use comanda_domain::tenancy::{Action, Module};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::CurrentUser;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct OnboardingStepView {
    /// `store`, `products`, `shipping_bands`, `whatsapp` or `first_order`.
    pub key: String,
    pub title: String,
    /// As the portal shows it: every step is undone while the first-access test mode is on.
    pub done: bool,
    /// What the tenant's data says, whatever the mode.
    pub done_in_data: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OnboardingView {
    pub steps: Vec<OnboardingStepView>,
    pub completed: usize,
    pub total: usize,
    /// Set by the central admin: the checklist is shown afresh, no data is deleted.
    pub first_access_test_mode: bool,
    /// Whether the portal should show the checklist.
    pub show: bool,
}

/// The checklist, computed from the tenant's data: a store, products, delivery bands, a
/// WhatsApp number, a first order.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = OnboardingView), (status = 403, body = ErrorBody))
)]
#[get("/admin/onboarding")]
pub async fn checklist(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<web::Json<OnboardingView>, ApiError> {
    let scope = user.allow(Module::Onboarding, Action::View)?;
    let checklist = state.onboarding.checklist(scope.tenant).await?;
    Ok(web::Json(OnboardingView {
        completed: checklist.completed(),
        total: checklist.steps.len(),
        first_access_test_mode: checklist.test_mode,
        show: checklist.show,
        steps: checklist
            .steps
            .into_iter()
            .map(|step| OnboardingStepView {
                key: step.key.to_owned(),
                title: step.title.to_owned(),
                done: step.done,
                done_in_data: step.done_in_data,
            })
            .collect(),
    }))
}
