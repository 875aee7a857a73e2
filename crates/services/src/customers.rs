use std::sync::Arc;

use comanda_domain::pagination::{Page, PageRequest};
use comanda_domain::phone::Phone;
use comanda_domain::{CustomerId, TenantId};
use comanda_ports::customers::{Customer, CustomerChanges, CustomerRepository};
use comanda_ports::orders::OrderSummary;
use comanda_ports::{Actor, RepoError};

use crate::ServiceError;

#[derive(Clone)]
pub struct CustomerService {
    customers: Arc<dyn CustomerRepository>,
}

/// What the portal edits of a customer.
#[derive(Debug, Clone, Default)]
pub struct CustomerEdit {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<Option<String>>,
    pub notes: Option<String>,
}

fn repo_error(error: RepoError) -> ServiceError {
    match error {
        RepoError::NotFound => ServiceError::NotFound("customer"),
        RepoError::Conflict(_) => ServiceError::conflict(
            "phone_taken",
            "Another customer has this phone: merge them instead",
        ),
        other => other.into(),
    }
}

impl CustomerService {
    pub fn new(customers: Arc<dyn CustomerRepository>) -> Self {
        Self { customers }
    }

    pub async fn list(
        &self,
        tenant: TenantId,
        search: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Customer>, ServiceError> {
        // A search that is a phone number finds it however it was typed.
        let search =
            search
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| match Phone::parse(s) {
                    Ok(phone) => phone.to_string(),
                    Err(_) => s.to_owned(),
                });
        Ok(self.customers.list(tenant, search.as_deref(), page).await?)
    }

    pub async fn get(
        &self,
        tenant: TenantId,
        id: CustomerId,
    ) -> Result<(Customer, Page<OrderSummary>), ServiceError> {
        let customer = self
            .customers
            .find(tenant, id)
            .await?
            .ok_or(ServiceError::NotFound("customer"))?;
        let orders = self
            .customers
            .orders(tenant, id, PageRequest::default())
            .await?;
        Ok((customer, orders))
    }

    pub async fn update(
        &self,
        tenant: TenantId,
        id: CustomerId,
        edit: CustomerEdit,
        actor: &Actor,
    ) -> Result<Customer, ServiceError> {
        if edit
            .name
            .as_deref()
            .is_some_and(|name| name.trim().is_empty())
        {
            return Err(ServiceError::field("name", "must not be empty"));
        }
        let phone = edit
            .phone
            .as_deref()
            .map(Phone::parse)
            .transpose()
            .map_err(|error| ServiceError::field("phone", error))?;
        let changes = CustomerChanges {
            name: edit.name.map(|name| name.trim().to_owned()),
            phone,
            email: edit.email.map(|email| {
                email
                    .map(|e| e.trim().to_lowercase())
                    .filter(|e| !e.is_empty())
            }),
            notes: edit.notes,
        };
        self.customers
            .update(tenant, id, changes, actor)
            .await
            .map_err(repo_error)
    }

    /// Keeps `survivor`; `merged`'s orders move to it and `merged` is removed.
    pub async fn merge(
        &self,
        tenant: TenantId,
        survivor: CustomerId,
        merged: CustomerId,
        actor: &Actor,
    ) -> Result<Customer, ServiceError> {
        if survivor == merged {
            return Err(ServiceError::field(
                "merged_id",
                "cannot merge a customer into itself",
            ));
        }
        self.customers
            .merge(tenant, survivor, merged, actor)
            .await
            .map_err(repo_error)
    }
}
