//! Stores: where a tenant sells from, and whether it is open.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
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
    /// Rush mode: no new orders until then (pre-orders for later still are).
    pub paused_until: Option<DateTime<Utc>>,
    pub pause_reason: Option<String>,
    /// Added to every delivery and preparation estimate while the kitchen is slow.
    pub extra_preparation_minutes: i32,
    /// Days the store is closed whatever its hours say (holidays), in its time zone.
    pub closures: Vec<Closure>,
    /// Pre-orders by time slot with a capacity (SPEC §20); `None`: any time in the hours.
    pub scheduling: Option<Scheduling>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How pre-orders are booked: slots of `slot_minutes` from local midnight, `slot_capacity`
/// orders each (`None`: no slots), at least `lead_minutes` ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheduling {
    pub slot_minutes: u32,
    pub slot_capacity: Option<i32>,
    #[serde(default)]
    pub lead_minutes: u32,
}

impl Default for Scheduling {
    fn default() -> Self {
        Self {
            slot_minutes: 30,
            slot_capacity: None,
            lead_minutes: 0,
        }
    }
}

/// Slot lengths a store may choose.
pub const SLOT_LENGTHS: [u32; 3] = [15, 30, 60];

/// One bookable time slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A day the store is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    pub date: NaiveDate,
    #[serde(default)]
    pub reason: String,
}

/// Most closure days a store keeps.
pub const MAX_CLOSURES: usize = 100;

/// Longest pause: a rush, not a holiday (those are closures).
pub const MAX_PAUSE_MINUTES: i64 = 12 * 60;

/// Most extra preparation time.
pub const MAX_EXTRA_PREPARATION_MINUTES: i32 = 240;

/// Whether a store takes orders now, and when it next opens if it does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenStatus {
    pub is_open: bool,
    /// `None` while open, for a store closed by hand, or for one with no hours.
    pub next_opening_at: Option<DateTime<Utc>>,
    /// Until when a paused store takes no new orders (rush mode); `None` unless paused now.
    pub paused_until: Option<DateTime<Utc>>,
}

/// How far ahead the next opening is looked for (closures can add up to a long break).
const OPENING_SEARCH_STEPS: usize = 500;

impl Store {
    pub fn open_status(&self, now: DateTime<Utc>) -> OpenStatus {
        let paused_until = self.paused_until.filter(|until| now < *until);
        if self.manually_closed || !self.is_active {
            return OpenStatus {
                is_open: false,
                next_opening_at: None,
                paused_until,
            };
        }
        if self.serves_at(now) {
            return OpenStatus {
                is_open: true,
                next_opening_at: None,
                paused_until,
            };
        }
        OpenStatus {
            is_open: false,
            next_opening_at: self.next_serving_after(now),
            paused_until,
        }
    }

    /// Whether orders are taken for `at`: inside the hours, not on a closure day, not paused
    /// then (the manual switch aside).
    pub fn serves_at(&self, at: DateTime<Utc>) -> bool {
        self.opening_hours.is_open_at(at, self.time_zone)
            && !self.closed_on(at)
            && self.paused_until.is_none_or(|until| at >= until)
    }

    /// The slots when slots are on (a capacity is set).
    pub fn slot_rules(&self) -> Option<(Scheduling, i32)> {
        let scheduling = self.scheduling?;
        Some((scheduling, scheduling.slot_capacity?))
    }

    /// The day's slots in the store's time zone: every `slot_minutes` from local midnight
    /// (wall clock, so a DST change shifts no slot), kept when the whole slot is served and it
    /// starts at least `lead_minutes` after `now`.
    pub fn slots_on(&self, date: NaiveDate, now: DateTime<Utc>) -> Vec<Slot> {
        let Some((scheduling, _)) = self.slot_rules() else {
            return Vec::new();
        };
        let step = i64::from(scheduling.slot_minutes.max(1));
        let earliest = now + Duration::minutes(i64::from(scheduling.lead_minutes));
        (0..24 * 60 / step)
            .filter_map(|index| {
                let local = date.and_time(NaiveTime::MIN) + Duration::minutes(index * step);
                // A wall time skipped by a DST jump has no slot; a repeated one, its first.
                let start = self
                    .time_zone
                    .from_local_datetime(&local)
                    .earliest()?
                    .to_utc();
                Some(Slot {
                    start,
                    end: start + Duration::minutes(step),
                })
            })
            .filter(|slot| {
                slot.start >= earliest
                    && !self.manually_closed
                    && self.serves_at(slot.start)
                    && self.serves_at(slot.end - Duration::minutes(1))
            })
            .collect()
    }

    /// Whether `at` is the start of one of its day's slots (lead time counted from `now`).
    pub fn is_slot_start(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        let date = at.with_timezone(&self.time_zone).date_naive();
        self.slots_on(date, now).iter().any(|slot| slot.start == at)
    }

    pub fn is_paused(&self, now: DateTime<Utc>) -> bool {
        self.paused_until.is_some_and(|until| now < until)
    }

    fn closed_on(&self, at: DateTime<Utc>) -> bool {
        let date = at.with_timezone(&self.time_zone).date_naive();
        self.closures.iter().any(|closure| closure.date == date)
    }

    /// The first instant after `now` when the store serves: serving changes only when a range
    /// opens or closes, a pause ends or a day begins, so those are the instants tried.
    fn next_serving_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut at = now;
        for _ in 0..OPENING_SEARCH_STEPS {
            let next = [
                self.opening_hours.next_change_after(at, self.time_zone),
                self.paused_until.filter(|until| *until > at),
                self.next_midnight_after(at),
            ]
            .into_iter()
            .flatten()
            .min()?;
            if self.serves_at(next) {
                return Some(next);
            }
            at = next;
        }
        None
    }

    fn next_midnight_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let tomorrow = at
            .with_timezone(&self.time_zone)
            .date_naive()
            .checked_add_signed(Duration::days(1))?;
        self.time_zone
            .from_local_datetime(&tomorrow.and_time(NaiveTime::MIN))
            .earliest()
            .map(|midnight| midnight.to_utc())
            .or_else(|| {
                // Midnight skipped by a DST jump: the day starts an hour later.
                self.time_zone
                    .from_local_datetime(&(tomorrow.and_time(NaiveTime::MIN) + Duration::hours(1)))
                    .earliest()
                    .map(|start| start.to_utc())
            })
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
            paused_until: None,
            pause_reason: None,
            extra_preparation_minutes: 0,
            closures: Vec::new(),
            scheduling: None,
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
                next_opening_at: None,
                paused_until: None,
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
    fn a_paused_store_opens_again_when_the_pause_ends() {
        let mut paused = store(false);
        paused.paused_until = Some(at("2026-12-01T15:30:00Z")); // 12:30 local
        let status = paused.open_status(at("2026-12-01T15:00:00Z"));
        assert!(!status.is_open);
        assert_eq!(status.next_opening_at, Some(at("2026-12-01T15:30:00Z")));
        assert!(paused.open_status(at("2026-12-01T15:30:00Z")).is_open);
        // A pause past closing time: the next opening is the next day's.
        paused.paused_until = Some(at("2026-12-02T02:00:00Z")); // 23:00 local
        let status = paused.open_status(at("2026-12-01T23:00:00Z"));
        assert_eq!(status.next_opening_at, Some(at("2026-12-02T13:00:00Z")));
    }

    #[test]
    fn closure_days_are_skipped_by_is_open_and_the_next_opening() {
        let mut holiday = store(false);
        holiday.closures = vec![
            Closure {
                date: "2026-12-24".parse().expect("date"),
                reason: "Véspera".into(),
            },
            Closure {
                date: "2026-12-25".parse().expect("date"),
                reason: "Natal".into(),
            },
        ];
        let noon_24 = at("2026-12-24T15:00:00Z");
        let status = holiday.open_status(noon_24);
        assert!(!status.is_open);
        assert_eq!(status.next_opening_at, Some(at("2026-12-26T13:00:00Z")));
        assert!(!holiday.serves_at(at("2026-12-25T20:00:00Z")));
        assert!(holiday.serves_at(at("2026-12-23T20:00:00Z")));
        // The night before the holiday the next opening is the day after it.
        let status = holiday.open_status(at("2026-12-24T02:00:00Z")); // 23:00 on the 23rd
        assert_eq!(status.next_opening_at, Some(at("2026-12-26T13:00:00Z")));
    }

    #[test]
    fn slots_follow_the_hours_the_lead_time_and_the_wall_clock() {
        let mut slotted = store(false);
        slotted.scheduling = Some(Scheduling {
            slot_minutes: 60,
            slot_capacity: Some(3),
            lead_minutes: 90,
        });
        // 10:00–22:00 local: 12 one-hour slots; at 12:10 local the lead time drops 10:00–13:00.
        let now = at("2026-12-01T15:10:00Z");
        let date: NaiveDate = "2026-12-01".parse().expect("date");
        let slots = slotted.slots_on(date, now);
        assert_eq!(slots.len(), 8);
        assert_eq!(slots[0].start, at("2026-12-01T17:00:00Z")); // 14:00 local
        assert_eq!(slots[7].end, at("2026-12-02T01:00:00Z")); // 22:00 local
        assert!(slotted.is_slot_start(at("2026-12-01T17:00:00Z"), now));
        assert!(!slotted.is_slot_start(at("2026-12-01T17:15:00Z"), now));
        assert!(
            !slotted.is_slot_start(at("2026-12-01T15:00:00Z"), now),
            "inside the lead time"
        );
        // A time zone with DST: New York's slots stay on the hour in local time.
        slotted.time_zone = chrono_tz::America::New_York;
        let spring: NaiveDate = "2026-03-08".parse().expect("date");
        let slots = slotted.slots_on(spring, at("2026-03-01T00:00:00Z"));
        assert!(slots.iter().all(|slot| {
            slot.start
                .with_timezone(&chrono_tz::America::New_York)
                .format("%M")
                .to_string()
                == "00"
        }));
        assert_eq!(slots.len(), 12);
        slotted.scheduling = None;
        assert!(slotted.slots_on(date, now).is_empty());
    }

    #[test]
    fn manual_switch_closes_an_open_store() {
        let status = store(true).open_status(at("2026-12-01T15:00:00Z"));
        assert!(!status.is_open);
        assert_eq!(status.next_opening_at, None);
    }
}
