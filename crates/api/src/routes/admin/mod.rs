//! The tenant portal (`/admin/*`): every route checks the tenant, role, module and action.

pub mod audit;
pub mod billing;
pub mod campaigns;
pub mod catalog;
pub mod central;
pub mod config;
pub mod customer_data;
pub mod customers;
pub mod delivery_areas;
pub mod groups;
pub mod insights;
pub mod inventory;
pub mod modules;
pub mod onboarding;
pub mod orders;
pub mod payments;
pub mod shipping;
pub mod stores;
pub mod users;
pub mod webpush;
pub mod whatsapp;

use comanda_domain::identity::Permission;
use comanda_domain::tenancy::{Action, Module};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

/// One `(module, action)` grant as JSON.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PermissionInput {
    #[schema(example = "orders")]
    pub module: String,
    #[schema(example = "view")]
    pub action: String,
}

/// Parses permissions, naming the entry at fault.
pub fn parse_permissions(
    inputs: &[PermissionInput],
    field: &str,
) -> Result<std::collections::BTreeSet<Permission>, ApiError> {
    inputs
        .iter()
        .enumerate()
        .map(|(index, input)| {
            let module = input.module.parse::<Module>().map_err(|error| {
                ApiError::field(&format!("{field}[{index}].module"), error.to_string())
            })?;
            let action = input.action.parse::<Action>().map_err(|error| {
                ApiError::field(&format!("{field}[{index}].action"), error.to_string())
            })?;
            Ok(Permission { module, action })
        })
        .collect()
}

/// Parses ids given as text, naming the entry at fault.
pub fn parse_ids<T: std::str::FromStr>(raw: &[String], field: &str) -> Result<Vec<T>, ApiError> {
    raw.iter()
        .enumerate()
        .map(|(index, value)| {
            value
                .parse::<T>()
                .map_err(|_| ApiError::field(&format!("{field}[{index}]"), "not a valid id"))
        })
        .collect()
}
