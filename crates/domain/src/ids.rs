//! Typed identifiers. Ids are UUIDs (v7 for new rows) and opaque strings to clients.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered id (UUIDv7).
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(raw.trim()).map(Self).map_err(|_| InvalidId)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

/// The text given is not an id of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id")]
pub struct InvalidId;

typed_id!(
    /// A tenant: one business.
    TenantId
);
typed_id!(
    /// One of a tenant's stores.
    StoreId
);
typed_id!(
    /// A menu category.
    CategoryId
);
typed_id!(
    /// A product of the catalog.
    ProductId
);
typed_id!(
    /// A size of a pizza product ("Grande").
    PizzaSizeId
);
typed_id!(
    /// A slot of a combo ("choose a drink").
    ComboSlotId
);
typed_id!(
    /// A group of add-ons of a product ("choose your sauce").
    AddonGroupId
);
typed_id!(
    /// One add-on.
    AddonId
);
typed_id!(
    /// A store's distance band.
    BandId
);
typed_id!(
    /// A store's delivery area (a neighbourhood list or a polygon).
    AreaId
);
typed_id!(
    /// A discount or free-shipping campaign.
    CampaignId
);
typed_id!(
    /// A customer of a tenant (found by phone).
    CustomerId
);
typed_id!(
    /// An order.
    OrderId
);
typed_id!(
    /// A staff member of a tenant (portal user).
    UserId
);
typed_id!(
    /// A server-side login session.
    SessionId
);
typed_id!(
    /// A group of permissions.
    GroupId
);
typed_id!(
    /// A subscription plan of the SaaS catalogue.
    PlanId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = TenantId::generate();
        assert_eq!(id.to_string().parse::<TenantId>(), Ok(id));
    }

    #[test]
    fn garbage_is_not_an_id() {
        assert_eq!("1; drop table".parse::<StoreId>(), Err(InvalidId));
        assert_eq!("".parse::<StoreId>(), Err(InvalidId));
    }

    #[test]
    fn generated_ids_are_time_ordered() {
        let first = StoreId::generate();
        let second = StoreId::generate();
        assert!(first < second);
    }
}
