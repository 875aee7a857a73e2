use crate::ErrorCode;
use std::sync::Arc;

use comanda_domain::identity::Email;
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

/// What `comanda normalize-phones` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NormalizeReport {
    /// Customers whose phone was already E.164.
    pub already: usize,
    /// (tenant, customer, stored phone, new phone).
    pub rewritten: Vec<(TenantId, CustomerId, String, String)>,
    /// (tenant, customer, stored phone): not a Brazilian number.
    pub unparseable: Vec<(TenantId, CustomerId, String)>,
    /// (tenant, customer, stored phone, normalized phone): another customer has it already;
    /// `comanda merge-customers` resolves these.
    pub conflicts: Vec<(TenantId, CustomerId, String, String)>,
}

/// Customers of one tenant sharing a normalized phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeGroup {
    pub tenant: TenantId,
    pub phone: Phone,
    /// The one holding the normalized phone already, else the oldest.
    pub survivor: CustomerId,
    pub merged: Vec<CustomerId>,
}

fn repo_error(error: RepoError) -> ServiceError {
    match error {
        RepoError::Conflict(_) => ServiceError::conflict(
            ErrorCode::PhoneTaken,
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
        // `Some(None)` or an empty string clears the e-mail; anything else must be one.
        let email = edit
            .email
            .map(|email| {
                email
                    .filter(|e| !e.trim().is_empty())
                    .map(|e| Email::parse(&e).map(|email| email.as_str().to_owned()))
                    .transpose()
            })
            .transpose()
            .map_err(|_| ServiceError::field("email", "not an e-mail address"))?;
        let changes = CustomerChanges {
            name: edit.name.map(|name| name.trim().to_owned()),
            phone,
            email,
            notes: edit.notes,
        };
        self.customers
            .update(tenant, id, changes, actor)
            .await
            .map_err(repo_error)
    }

    /// Rewrites stored phones to E.164 (`comanda normalize-phones`), one customer at a time;
    /// every tenant's when `tenant` is `None`.
    pub async fn normalize_phones(
        &self,
        tenant: Option<TenantId>,
        actor: &Actor,
    ) -> Result<NormalizeReport, ServiceError> {
        let mut report = NormalizeReport::default();
        for stored in self.customers.phones(tenant).await? {
            let Ok(phone) = Phone::parse(&stored.phone) else {
                report
                    .unparseable
                    .push((stored.tenant_id, stored.customer_id, stored.phone));
                continue;
            };
            if phone.as_str() == stored.phone {
                report.already += 1;
                continue;
            }
            let changes = CustomerChanges {
                phone: Some(phone.clone()),
                ..CustomerChanges::default()
            };
            match self
                .customers
                .update(stored.tenant_id, stored.customer_id, changes, actor)
                .await
            {
                Ok(_) => report.rewritten.push((
                    stored.tenant_id,
                    stored.customer_id,
                    stored.phone,
                    phone.as_str().to_owned(),
                )),
                Err(RepoError::Conflict(_)) => report.conflicts.push((
                    stored.tenant_id,
                    stored.customer_id,
                    stored.phone,
                    phone.as_str().to_owned(),
                )),
                Err(other) => return Err(other.into()),
            }
        }
        Ok(report)
    }

    /// Customers that are one person: same tenant, same phone once normalized.
    pub async fn duplicate_groups(
        &self,
        tenant: Option<TenantId>,
    ) -> Result<Vec<MergeGroup>, ServiceError> {
        let mut groups: std::collections::BTreeMap<(TenantId, Phone), Vec<(CustomerId, bool)>> =
            std::collections::BTreeMap::new();
        // Oldest first, so the first of a group is the oldest.
        for stored in self.customers.phones(tenant).await? {
            if let Ok(phone) = Phone::parse(&stored.phone) {
                let exact = phone.as_str() == stored.phone;
                groups
                    .entry((stored.tenant_id, phone))
                    .or_default()
                    .push((stored.customer_id, exact));
            }
        }
        Ok(groups
            .into_iter()
            .filter(|(_, members)| members.len() > 1)
            .map(|((tenant, phone), members)| {
                let survivor = members
                    .iter()
                    .find(|(_, exact)| *exact)
                    .or(members.first())
                    .map(|(id, _)| *id)
                    .unwrap_or_else(CustomerId::generate);
                MergeGroup {
                    tenant,
                    phone,
                    survivor,
                    merged: members
                        .into_iter()
                        .map(|(id, _)| id)
                        .filter(|id| *id != survivor)
                        .collect(),
                }
            })
            .collect())
    }

    /// Merges a group into its survivor, which ends with the normalized phone.
    pub async fn merge_group(&self, group: &MergeGroup, actor: &Actor) -> Result<(), ServiceError> {
        for merged in &group.merged {
            self.customers
                .merge(group.tenant, group.survivor, *merged, actor)
                .await
                .map_err(repo_error)?;
        }
        let survivor = self
            .customers
            .find(group.tenant, group.survivor)
            .await?
            .ok_or(ServiceError::NotFound("customer"))?;
        if survivor.phone != group.phone.as_str() {
            let changes = CustomerChanges {
                phone: Some(group.phone.clone()),
                ..CustomerChanges::default()
            };
            self.customers
                .update(group.tenant, group.survivor, changes, actor)
                .await
                .map_err(repo_error)?;
        }
        Ok(())
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
