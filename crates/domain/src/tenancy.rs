//! Tenancy rules (docs/api.md#tenancy): which tenant a request belongs to, and what it may use.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::TenantId;

/// A tenant's URL-safe short name: lowercase letters, digits and inner hyphens, 1 to 63 long.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct TenantSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a slug is 1 to 63 lowercase letters, digits or inner hyphens")]
pub struct InvalidSlug;

impl TenantSlug {
    pub fn parse(raw: &str) -> Result<Self, InvalidSlug> {
        let raw = raw.trim();
        let well_formed = (1..=63).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-');
        if well_formed {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidSlug)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TenantSlug {
    type Err = InvalidSlug;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

impl<'de> Deserialize<'de> for TenantSlug {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// Where a tenant's subscription stands. Only `trialing` and `active` give access to modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Trialing,
    Active,
    PastDue,
    Suspended,
    Canceled,
}

impl SubscriptionStatus {
    pub const ALL: [SubscriptionStatus; 5] = [
        Self::Trialing,
        Self::Active,
        Self::PastDue,
        Self::Suspended,
        Self::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trialing => "trialing",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Suspended => "suspended",
            Self::Canceled => "canceled",
        }
    }

    /// Whether the tenant may use its modules (take orders, run the portal).
    pub fn grants_access(self) -> bool {
        matches!(self, Self::Trialing | Self::Active)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown subscription status `{0}`")]
pub struct UnknownSubscriptionStatus(pub String);

impl FromStr for SubscriptionStatus {
    type Err = UnknownSubscriptionStatus;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == raw)
            .ok_or_else(|| UnknownSubscriptionStatus(raw.to_owned()))
    }
}

/// A feature area a tenant can have enabled, and that permissions are granted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Module {
    Orders,
    Catalog,
    Config,
    Customers,
    Campaigns,
    Stores,
    Shipping,
    Inventory,
    Users,
    Groups,
    Insights,
    Billing,
    Whatsapp,
    Onboarding,
    Payments,
}

impl Module {
    pub const ALL: [Module; 15] = [
        Self::Orders,
        Self::Catalog,
        Self::Config,
        Self::Customers,
        Self::Campaigns,
        Self::Stores,
        Self::Shipping,
        Self::Inventory,
        Self::Users,
        Self::Groups,
        Self::Insights,
        Self::Billing,
        Self::Whatsapp,
        Self::Onboarding,
        Self::Payments,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Orders => "orders",
            Self::Catalog => "catalog",
            Self::Config => "config",
            Self::Customers => "customers",
            Self::Campaigns => "campaigns",
            Self::Stores => "stores",
            Self::Shipping => "shipping",
            Self::Inventory => "inventory",
            Self::Users => "users",
            Self::Groups => "groups",
            Self::Insights => "insights",
            Self::Billing => "billing",
            Self::Whatsapp => "whatsapp",
            Self::Onboarding => "onboarding",
            Self::Payments => "payments",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown module `{0}`")]
pub struct UnknownModule(pub String);

impl FromStr for Module {
    type Err = UnknownModule;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|module| module.as_str() == raw)
            .ok_or_else(|| UnknownModule(raw.to_owned()))
    }
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a permission allows on a module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    View,
    Create,
    Update,
    Delete,
}

impl Action {
    pub const ALL: [Action; 4] = [Self::View, Self::Create, Self::Update, Self::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action `{0}`")]
pub struct UnknownAction(pub String);

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == raw)
            .ok_or_else(|| UnknownAction(raw.to_owned()))
    }
}

/// A tenant as stored: what the repository hands back before the access rule is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRecord {
    pub id: TenantId,
    pub slug: TenantSlug,
    pub name: String,
    pub subscription_status: SubscriptionStatus,
    /// Modules enabled for the tenant, whatever its subscription says.
    pub enabled_modules: BTreeSet<Module>,
    pub users_limit: i32,
    pub stores_limit: i32,
    /// Moves whenever the tenant, its subscription or modules, or anything its public catalog
    /// shows changes (kept by the database): what caches of the tenant are checked against.
    pub version: i64,
}

/// The tenant a request runs for, with what it may use right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantContext {
    pub id: TenantId,
    pub slug: TenantSlug,
    pub name: String,
    pub subscription_status: SubscriptionStatus,
    /// Empty unless the subscription is `active` or `trialing`.
    pub modules: BTreeSet<Module>,
    pub users_limit: i32,
    pub stores_limit: i32,
    /// The record's `version` when this context was read.
    #[serde(skip)]
    pub version: i64,
}

impl From<TenantRecord> for TenantContext {
    fn from(record: TenantRecord) -> Self {
        let modules = if record.subscription_status.grants_access() {
            record.enabled_modules
        } else {
            BTreeSet::new()
        };
        Self {
            id: record.id,
            slug: record.slug,
            name: record.name,
            subscription_status: record.subscription_status,
            modules,
            users_limit: record.users_limit,
            stores_limit: record.stores_limit,
            version: record.version,
        }
    }
}

impl TenantContext {
    pub fn has_module(&self, module: Module) -> bool {
        self.modules.contains(&module)
    }

    /// Whether the storefront may take orders for this tenant.
    pub fn takes_orders(&self) -> bool {
        self.subscription_status.grants_access()
    }
}

/// How a request names its tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantSelector {
    Id(TenantId),
    Slug(TenantSlug),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenancyError {
    #[error("tenant not found")]
    NotFound,
    #[error("this request needs a tenant: send the X-Tenant or X-Tenant-Id header")]
    Required,
    #[error("the tenant named in the request is not the tenant of the signed-in user")]
    Mismatch,
}

/// The tenant headers of a request, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct TenantHeaders<'a> {
    /// `X-Tenant-Id`
    pub id: Option<&'a str>,
    /// `X-Tenant`
    pub slug: Option<&'a str>,
}

/// Picks how a request names its tenant: `X-Tenant-Id`, else `X-Tenant`, else the legacy
/// fallback. A header that is present but blank counts as absent; a header that cannot name any
/// tenant (not an id, not a slug) is an unknown tenant, not a fallback.
pub fn select_tenant(
    headers: TenantHeaders<'_>,
    legacy_fallback: Option<&TenantSlug>,
) -> Result<TenantSelector, TenancyError> {
    if let Some(raw_id) = present(headers.id) {
        return raw_id
            .parse::<TenantId>()
            .map(TenantSelector::Id)
            .map_err(|_| TenancyError::NotFound);
    }
    if let Some(raw_slug) = present(headers.slug) {
        // Slugs are matched case-insensitively: `X-Tenant: Demo` names `demo`.
        return TenantSlug::parse(&raw_slug.to_ascii_lowercase())
            .map(TenantSelector::Slug)
            .map_err(|_| TenancyError::NotFound);
    }
    legacy_fallback
        .cloned()
        .map(TenantSelector::Slug)
        .ok_or(TenancyError::Required)
}

fn present(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|value| !value.is_empty())
}

/// Whether a request may run for `named` (the tenant its headers name) while authenticated for
/// `authenticated`. The token's tenant wins; a header naming another tenant is refused.
pub fn check_authenticated_tenant(
    authenticated: TenantId,
    named: Option<TenantId>,
) -> Result<(), TenancyError> {
    match named {
        Some(named) if named != authenticated => Err(TenancyError::Mismatch),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(raw: &str) -> TenantSlug {
        TenantSlug::parse(raw).expect("valid slug")
    }

    fn record(status: SubscriptionStatus) -> TenantRecord {
        TenantRecord {
            id: TenantId::generate(),
            slug: slug("demo"),
            name: "Demo".into(),
            subscription_status: status,
            enabled_modules: [Module::Orders, Module::Catalog].into_iter().collect(),
            users_limit: 5,
            stores_limit: 1,
            version: 0,
        }
    }

    #[test]
    fn tenant_id_header_wins_over_slug_and_fallback() {
        let id = TenantId::generate();
        let id_text = id.to_string();
        let selector = select_tenant(
            TenantHeaders {
                id: Some(&id_text),
                slug: Some("other"),
            },
            Some(&slug("legacy")),
        );
        assert_eq!(selector, Ok(TenantSelector::Id(id)));
    }

    #[test]
    fn slug_header_is_used_without_an_id() {
        let selector = select_tenant(
            TenantHeaders {
                id: None,
                slug: Some("demo"),
            },
            Some(&slug("legacy")),
        );
        assert_eq!(selector, Ok(TenantSelector::Slug(slug("demo"))));
    }

    #[test]
    fn slug_header_is_case_insensitive_and_trimmed() {
        let selector = select_tenant(
            TenantHeaders {
                id: None,
                slug: Some("  Demo "),
            },
            None,
        );
        assert_eq!(selector, Ok(TenantSelector::Slug(slug("demo"))));
    }

    #[test]
    fn legacy_fallback_is_used_without_headers() {
        let selector = select_tenant(TenantHeaders::default(), Some(&slug("legacy")));
        assert_eq!(selector, Ok(TenantSelector::Slug(slug("legacy"))));
    }

    #[test]
    fn blank_headers_count_as_absent() {
        let selector = select_tenant(
            TenantHeaders {
                id: Some("  "),
                slug: Some(""),
            },
            Some(&slug("legacy")),
        );
        assert_eq!(selector, Ok(TenantSelector::Slug(slug("legacy"))));
    }

    #[test]
    fn no_tenant_and_no_fallback_is_required() {
        assert_eq!(
            select_tenant(TenantHeaders::default(), None),
            Err(TenancyError::Required)
        );
    }

    #[test]
    fn malformed_id_is_an_unknown_tenant_not_a_fallback() {
        let selector = select_tenant(
            TenantHeaders {
                id: Some("not-a-uuid"),
                slug: None,
            },
            Some(&slug("legacy")),
        );
        assert_eq!(selector, Err(TenancyError::NotFound));
    }

    #[test]
    fn malformed_slug_is_an_unknown_tenant() {
        let selector = select_tenant(
            TenantHeaders {
                id: None,
                slug: Some("../etc/passwd"),
            },
            None,
        );
        assert_eq!(selector, Err(TenancyError::NotFound));
    }

    #[test]
    fn active_and_trialing_subscriptions_keep_their_modules() {
        for status in [SubscriptionStatus::Active, SubscriptionStatus::Trialing] {
            let context = TenantContext::from(record(status));
            assert!(context.has_module(Module::Orders), "{status:?}");
            assert!(context.takes_orders());
        }
    }

    #[test]
    fn other_subscriptions_have_no_modules() {
        for status in [
            SubscriptionStatus::PastDue,
            SubscriptionStatus::Suspended,
            SubscriptionStatus::Canceled,
        ] {
            let context = TenantContext::from(record(status));
            assert!(context.modules.is_empty(), "{status:?}");
            assert!(!context.takes_orders());
        }
    }

    #[test]
    fn token_tenant_must_match_the_named_tenant() {
        let mine = TenantId::generate();
        let other = TenantId::generate();
        assert_eq!(check_authenticated_tenant(mine, None), Ok(()));
        assert_eq!(check_authenticated_tenant(mine, Some(mine)), Ok(()));
        assert_eq!(
            check_authenticated_tenant(mine, Some(other)),
            Err(TenancyError::Mismatch)
        );
    }

    #[test]
    fn slugs_are_validated() {
        assert!(TenantSlug::parse("pizzaria-do-ze").is_ok());
        assert!(TenantSlug::parse("loja1").is_ok());
        for bad in ["", "-a", "a-", "Upper", "a b", "a_b", &"x".repeat(64)] {
            assert_eq!(TenantSlug::parse(bad), Err(InvalidSlug), "{bad:?}");
        }
    }

    #[test]
    fn module_and_status_names_round_trip() {
        for module in Module::ALL {
            assert_eq!(module.as_str().parse::<Module>(), Ok(module));
        }
        for status in SubscriptionStatus::ALL {
            assert_eq!(status.as_str().parse::<SubscriptionStatus>(), Ok(status));
        }
        for action in Action::ALL {
            assert_eq!(action.as_str().parse::<Action>(), Ok(action));
        }
        assert!("payment".parse::<Module>().is_err());
    }
}
