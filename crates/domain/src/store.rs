//! Stores: where a tenant sells from, and whether it is open.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::ids::{StoreId, TenantId};
use crate::opening_hours::OpeningHours;

/// The time zone stores use unless they say otherwise.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::America::Sao_Paulo;

/// A postal address as customers and stores write it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub cep: String,
    pub street: String,
    pub number: String,
    #[serde(default)]
    pub complement: String,
    pub district: String,
    pub city: String,
    pub state: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    pub id: StoreId,
    pub tenant_id: TenantId,
    pub name: String,
    pub phone: Option<String>,
    pub address: Address,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub time_zone: Tz,
    pub opening_hours: OpeningHours,
    pub is_active: bool,
    /// The staff's "closed now" switch, whatever the hours say.
    pub manually_closed: bool,
    pub delivery_enabled: bool,
    pub pickup_enabled: bool,
    pub accepts_preorders: bool,
    pub telegram_chat_id: Option<String>,
    pub image_url: Option<String>,
    /// Orders whose subtotal reaches this ship free.
    pub free_shipping_above_cents: Option<i64>,
    /// Leave unavailable items out of the menu instead of marking them.
    pub hide_unavailable_items: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Whether a store takes orders now, and when it next opens if it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenStatus {
    pub is_open: bool,
    /// `None` while open, for a store closed by hand, or for one with no hours.
    pub next_opening_at: Option<DateTime<Utc>>,
}

impl Store {
    pub fn open_status(&self, now: DateTime<Utc>) -> OpenStatus {
        if self.manually_closed || !self.is_active {
            return OpenStatus {
                is_open: false,
                next_opening_at: None,
            };
        }
        if self.opening_hours.is_open_at(now, self.time_zone) {
            return OpenStatus {
                is_open: true,
                next_opening_at: None,
            };
        }
        OpenStatus {
            is_open: false,
            next_opening_at: self.opening_hours.next_opening_after(now, self.time_zone),
        }
    }
}

/// What a new store needs; the rest takes defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct NewStore {
    pub name: String,
    pub phone: Option<String>,
    pub address: Address,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub time_zone: Tz,
    pub opening_hours: OpeningHours,
    pub delivery_enabled: bool,
    pub pickup_enabled: bool,
    pub accepts_preorders: bool,
    pub telegram_chat_id: Option<String>,
    pub free_shipping_above_cents: Option<i64>,
    pub hide_unavailable_items: bool,
}

impl Store {
    pub fn location(&self) -> Option<crate::geo::GeoPoint> {
        crate::geo::GeoPoint::new(self.latitude?, self.longitude?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opening_hours::TimeRange;

    fn store(manually_closed: bool) -> Store {
        let hours = OpeningHours::every_day(vec![TimeRange::new("10:00", "22:00").expect("range")])
            .expect("week");
        Store {
            id: StoreId::generate(),
            tenant_id: TenantId::generate(),
            name: "Centro".into(),
            phone: None,
            address: Address::default(),
            latitude: None,
            longitude: None,
            time_zone: DEFAULT_TIME_ZONE,
            opening_hours: hours,
            is_active: true,
            manually_closed,
            delivery_enabled: true,
            pickup_enabled: true,
            accepts_preorders: false,
            telegram_chat_id: None,
            image_url: None,
            free_shipping_above_cents: None,
            hide_unavailable_items: false,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    fn at(instant: &str) -> DateTime<Utc> {
        instant.parse().expect("instant")
    }

    #[test]
    fn open_store_has_no_next_opening() {
        let status = store(false).open_status(at("2026-12-01T15:00:00Z")); // 12:00 local
        assert_eq!(
            status,
            OpenStatus {
                is_open: true,
                next_opening_at: None
            }
        );
    }

    #[test]
    fn closed_by_hours_tells_the_next_opening() {
        let status = store(false).open_status(at("2026-12-02T03:00:00Z")); // 00:00 local
        assert!(!status.is_open);
        assert_eq!(status.next_opening_at, Some(at("2026-12-02T13:00:00Z")));
    }

    #[test]
    fn manual_switch_closes_an_open_store() {
        let status = store(true).open_status(at("2026-12-01T15:00:00Z"));
        assert!(!status.is_open);
        assert_eq!(status.next_opening_at, None);
    }
}
