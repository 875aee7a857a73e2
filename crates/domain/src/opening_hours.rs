//! Weekly opening hours in a store's local time: several ranges a day, ranges past midnight.

use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

const MINUTES_PER_DAY: u16 = 24 * 60;
const MAX_RANGES_PER_DAY: usize = 6;

/// The days of the week as they appear in the JSON, Monday first.
pub const WEEKDAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A time of day as minutes since midnight; `24:00` is allowed as a closing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime(u16);

impl ClockTime {
    fn parse(raw: &str) -> Option<Self> {
        let (hours, minutes) = raw.split_once(':')?;
        if hours.len() != 2 || minutes.len() != 2 {
            return None;
        }
        let hours: u16 = hours.parse().ok()?;
        let minutes: u16 = minutes.parse().ok()?;
        let total = hours * 60 + minutes;
        (minutes < 60 && total <= MINUTES_PER_DAY).then_some(Self(total))
    }

    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One opening range. When `close` is not after `open` the range runs past midnight into the next
/// day (`18:00`–`02:00`); `00:00`–`24:00` is the whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    open: ClockTime,
    close: ClockTime,
}

impl TimeRange {
    pub fn new(open: &str, close: &str) -> Result<Self, OpeningHoursError> {
        let open_time = ClockTime::parse(open)
            .filter(|time| time.0 < MINUTES_PER_DAY)
            .ok_or_else(|| OpeningHoursError::InvalidTime(open.to_owned()))?;
        let close_time = ClockTime::parse(close)
            .ok_or_else(|| OpeningHoursError::InvalidTime(close.to_owned()))?;
        if open_time == close_time {
            return Err(OpeningHoursError::EmptyRange(format!("{open}-{close}")));
        }
        Ok(Self {
            open: open_time,
            close: close_time,
        })
    }

    pub fn open(&self) -> ClockTime {
        self.open
    }

    pub fn close(&self) -> ClockTime {
        self.close
    }

    fn crosses_midnight(&self) -> bool {
        self.close < self.open
    }

    /// Minutes after its own day's midnight at which the range ends (past 1440 when it crosses).
    fn end_minute(&self) -> u16 {
        if self.crosses_midnight() {
            MINUTES_PER_DAY + self.close.0
        } else {
            self.close.0
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpeningHoursError {
    #[error("`{0}` is not a time of day (HH:MM, 00:00 to 24:00)")]
    InvalidTime(String),
    #[error("range {0} opens and closes at the same time")]
    EmptyRange(String),
    #[error("{day} has overlapping ranges")]
    Overlap { day: &'static str },
    #[error("{day} has more than {MAX_RANGES_PER_DAY} ranges")]
    TooManyRanges { day: &'static str },
    #[error("unknown day `{0}` (use monday to sunday)")]
    UnknownDay(String),
}

/// A store's week, Monday first. A day without ranges is closed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpeningHours {
    days: [Vec<TimeRange>; 7],
}

impl OpeningHours {
    /// Builds a week from its days (index 0 is Monday), checking each day's ranges.
    pub fn new(mut days: [Vec<TimeRange>; 7]) -> Result<Self, OpeningHoursError> {
        for (index, ranges) in days.iter_mut().enumerate() {
            let day = WEEKDAY_NAMES[index];
            if ranges.len() > MAX_RANGES_PER_DAY {
                return Err(OpeningHoursError::TooManyRanges { day });
            }
            ranges.sort_by_key(|range| range.open);
            for pair in ranges.windows(2) {
                if pair[1].open.0 < pair[0].end_minute() {
                    return Err(OpeningHoursError::Overlap { day });
                }
            }
        }
        Ok(Self { days })
    }

    /// The same ranges every day of the week.
    pub fn every_day(ranges: Vec<TimeRange>) -> Result<Self, OpeningHoursError> {
        Self::new(std::array::from_fn(|_| ranges.clone()))
    }

    pub fn day(&self, weekday_from_monday: usize) -> &[TimeRange] {
        self.days
            .get(weekday_from_monday)
            .map_or(&[], Vec::as_slice)
    }

    pub fn is_always_closed(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }

    /// Whether the store is inside one of its ranges at `at`, read in `time_zone`.
    pub fn is_open_at(&self, at: DateTime<Utc>, time_zone: Tz) -> bool {
        let local = at.with_timezone(&time_zone);
        let today = local.weekday().num_days_from_monday() as usize;
        let yesterday = (today + 6) % 7;
        let minute = (local.hour() * 60 + local.minute()) as u16;
        let open_today = self.days[today]
            .iter()
            .any(|range| range.open.0 <= minute && minute < range.end_minute());
        let still_open_from_yesterday = self.days[yesterday]
            .iter()
            .any(|range| range.crosses_midnight() && minute < range.close.0);
        open_today || still_open_from_yesterday
    }

    /// The first instant strictly after `at` at which a range opens or closes: until then,
    /// `is_open_at` answers the same. `None` for a week without ranges.
    pub fn next_change_after(&self, at: DateTime<Utc>, time_zone: Tz) -> Option<DateTime<Utc>> {
        let local_date = at.with_timezone(&time_zone).date_naive();
        // From yesterday (a range still open past midnight) to the same weekday next week.
        (-1..=8)
            .filter_map(|offset| local_date.checked_add_signed(Duration::days(offset)))
            .flat_map(|date| {
                let weekday = date.weekday().num_days_from_monday() as usize;
                self.days[weekday].iter().flat_map(move |range| {
                    [
                        local_minute(date, range.open.0, time_zone),
                        local_minute(date, range.end_minute(), time_zone),
                    ]
                })
            })
            .flatten()
            .filter(|instant| *instant > at)
            .min()
    }

    /// The first opening strictly after `at`, or `None` for a store that never opens.
    pub fn next_opening_after(&self, at: DateTime<Utc>, time_zone: Tz) -> Option<DateTime<Utc>> {
        let local_date = at.with_timezone(&time_zone).date_naive();
        // Eight days cover "later today" through "the same weekday next week".
        (0..=8)
            .filter_map(|offset| local_date.checked_add_signed(Duration::days(offset)))
            .flat_map(|date| {
                let weekday = date.weekday().num_days_from_monday() as usize;
                self.days[weekday]
                    .iter()
                    .filter_map(move |range| local_instant(date, range.open, time_zone))
            })
            .find(|opening| *opening > at)
    }
}

/// The UTC instant of a local wall-clock time; a time skipped by a DST jump opens at the first
/// instant after the gap.
fn local_instant(date: NaiveDate, time: ClockTime, time_zone: Tz) -> Option<DateTime<Utc>> {
    local_minute(date, time.0, time_zone)
}

/// The UTC instant `minutes` after `date`'s local midnight on the wall clock (past 1440: the
/// next day), moved past a DST gap like [`local_instant`].
fn local_minute(date: NaiveDate, minutes: u16, time_zone: Tz) -> Option<DateTime<Utc>> {
    let naive = date.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minutes));
    match time_zone.from_local_datetime(&naive) {
        LocalResult::Single(instant) | LocalResult::Ambiguous(instant, _) => Some(instant.to_utc()),
        LocalResult::None => (1..=4)
            .map(|quarter_hours| naive + Duration::minutes(15 * quarter_hours))
            .find_map(|shifted| time_zone.from_local_datetime(&shifted).earliest())
            .map(|instant| instant.to_utc()),
    }
}

/// JSON shape: `{"monday": [{"open": "11:00", "close": "15:00"}], ...}`, every day present.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RangeJson {
    open: String,
    close: String,
}

impl Serialize for OpeningHours {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(7))?;
        for (name, ranges) in WEEKDAY_NAMES.iter().zip(&self.days) {
            let ranges: Vec<RangeJson> = ranges
                .iter()
                .map(|range| RangeJson {
                    open: range.open.to_string(),
                    close: range.close.to_string(),
                })
                .collect();
            map.serialize_entry(name, &ranges)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for OpeningHours {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let raw: std::collections::BTreeMap<String, Vec<RangeJson>> =
            Deserialize::deserialize(deserializer)?;
        let mut days: [Vec<TimeRange>; 7] = Default::default();
        for (name, ranges) in raw {
            let index = WEEKDAY_NAMES
                .iter()
                .position(|day| *day == name.to_ascii_lowercase())
                .ok_or_else(|| D::Error::custom(OpeningHoursError::UnknownDay(name.clone())))?;
            days[index] = ranges
                .iter()
                .map(|range| TimeRange::new(&range.open, &range.close))
                .collect::<Result<_, _>>()
                .map_err(D::Error::custom)?;
        }
        OpeningHours::new(days).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;
    use chrono_tz::America::Sao_Paulo;

    fn range(open: &str, close: &str) -> TimeRange {
        TimeRange::new(open, close).expect("valid range")
    }

    /// A UTC instant for a São Paulo wall-clock time (UTC-3, no DST since 2019).
    fn sao_paulo(date: &str, time: &str) -> DateTime<Utc> {
        let naive =
            chrono::NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M")
                .expect("valid date");
        Sao_Paulo
            .from_local_datetime(&naive)
            .single()
            .expect("unambiguous")
            .to_utc()
    }

    /// Lunch and a dinner past midnight, closed on Mondays.
    fn restaurant_week() -> OpeningHours {
        let mut days: [Vec<TimeRange>; 7] = Default::default();
        for day in days.iter_mut().skip(1) {
            *day = vec![range("11:00", "15:00"), range("18:00", "02:00")];
        }
        OpeningHours::new(days).expect("valid week")
    }

    #[test]
    fn the_next_change_is_the_next_opening_or_closing() {
        let week = restaurant_week();
        // Monday closed; Tuesday opens at 11:00.
        assert_eq!(
            week.next_change_after(sao_paulo("2026-11-30", "20:00"), Sao_Paulo),
            Some(sao_paulo("2026-12-01", "11:00"))
        );
        // Inside lunch: it closes at 15:00.
        assert_eq!(
            week.next_change_after(sao_paulo("2026-12-01", "12:30"), Sao_Paulo),
            Some(sao_paulo("2026-12-01", "15:00"))
        );
        // Past midnight, inside Tuesday's dinner: it closes at 02:00 on Wednesday.
        assert_eq!(
            week.next_change_after(sao_paulo("2026-12-02", "01:00"), Sao_Paulo),
            Some(sao_paulo("2026-12-02", "02:00"))
        );
        assert_eq!(
            OpeningHours::default().next_change_after(sao_paulo("2026-12-02", "01:00"), Sao_Paulo),
            None
        );
    }

    #[test]
    fn the_next_change_across_a_dst_change_is_the_local_wall_clock_time() {
        // New York moves its clocks back on 2026-11-01 (02:00 EDT → 01:00 EST): a lunch menu
        // ending at 15:00 ends at 20:00 UTC after the change, 19:00 UTC before it.
        let lunch = OpeningHours::every_day(vec![range("11:00", "15:00")]).expect("week");
        let before = Utc
            .with_ymd_and_hms(2026, 10, 31, 16, 0, 0)
            .single()
            .expect("time");
        let after = Utc
            .with_ymd_and_hms(2026, 11, 2, 17, 0, 0)
            .single()
            .expect("time");
        assert_eq!(
            lunch.next_change_after(before, New_York),
            Utc.with_ymd_and_hms(2026, 10, 31, 19, 0, 0).single()
        );
        assert_eq!(
            lunch.next_change_after(after, New_York),
            Utc.with_ymd_and_hms(2026, 11, 2, 20, 0, 0).single()
        );
    }

    // 2026-11-30 is a Monday.
    #[test]
    fn open_inside_a_range_and_closed_between_ranges() {
        let week = restaurant_week();
        assert!(week.is_open_at(sao_paulo("2026-12-01", "12:00"), Sao_Paulo));
        assert!(!week.is_open_at(sao_paulo("2026-12-01", "16:00"), Sao_Paulo));
        assert!(week.is_open_at(sao_paulo("2026-12-01", "11:00"), Sao_Paulo));
        assert!(
            !week.is_open_at(sao_paulo("2026-12-01", "15:00"), Sao_Paulo),
            "close is exclusive"
        );
    }

    #[test]
    fn a_range_past_midnight_keeps_the_store_open_the_next_morning() {
        let week = restaurant_week();
        // Tuesday 18:00-02:00 is still open early on Wednesday.
        assert!(week.is_open_at(sao_paulo("2026-12-02", "01:30"), Sao_Paulo));
        assert!(!week.is_open_at(sao_paulo("2026-12-02", "02:00"), Sao_Paulo));
        // Sunday's dinner runs into Monday, the closed day.
        assert!(week.is_open_at(sao_paulo("2026-11-30", "01:00"), Sao_Paulo));
        assert!(!week.is_open_at(sao_paulo("2026-11-30", "12:00"), Sao_Paulo));
    }

    #[test]
    fn next_opening_later_the_same_day() {
        let week = restaurant_week();
        let next = week.next_opening_after(sao_paulo("2026-12-01", "16:00"), Sao_Paulo);
        assert_eq!(next, Some(sao_paulo("2026-12-01", "18:00")));
    }

    #[test]
    fn next_opening_skips_the_closed_day_across_the_week_end() {
        let week = restaurant_week();
        // Monday noon: closed all Monday, opens Tuesday 11:00.
        let next = week.next_opening_after(sao_paulo("2026-11-30", "12:00"), Sao_Paulo);
        assert_eq!(next, Some(sao_paulo("2026-12-01", "11:00")));
        // Sunday 03:00 (after Saturday's late close): opens Sunday 11:00.
        let next = week.next_opening_after(sao_paulo("2026-12-06", "03:00"), Sao_Paulo);
        assert_eq!(next, Some(sao_paulo("2026-12-06", "11:00")));
    }

    #[test]
    fn a_store_open_one_day_a_week_opens_again_next_week() {
        let mut days: [Vec<TimeRange>; 7] = Default::default();
        days[2] = vec![range("10:00", "12:00")]; // Wednesdays
        let week = OpeningHours::new(days).expect("valid week");
        let next = week.next_opening_after(sao_paulo("2026-12-02", "10:30"), Sao_Paulo);
        assert_eq!(next, Some(sao_paulo("2026-12-09", "10:00")));
    }

    #[test]
    fn a_store_without_hours_never_opens() {
        let week = OpeningHours::default();
        assert!(week.is_always_closed());
        assert!(!week.is_open_at(sao_paulo("2026-12-01", "12:00"), Sao_Paulo));
        assert_eq!(
            week.next_opening_after(sao_paulo("2026-12-01", "12:00"), Sao_Paulo),
            None
        );
    }

    #[test]
    fn whole_day_ranges() {
        let week = OpeningHours::every_day(vec![range("00:00", "24:00")]).expect("valid week");
        assert!(week.is_open_at(sao_paulo("2026-12-01", "00:00"), Sao_Paulo));
        assert!(week.is_open_at(sao_paulo("2026-12-01", "23:59"), Sao_Paulo));
    }

    #[test]
    fn hours_are_read_in_the_store_time_zone() {
        let week = OpeningHours::every_day(vec![range("09:00", "17:00")]).expect("valid week");
        // 13:00 UTC in December: 10:00 in São Paulo, 08:00 in New York.
        let at = "2026-12-01T13:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("instant");
        assert!(week.is_open_at(at, Sao_Paulo));
        assert!(!week.is_open_at(at, New_York));
    }

    #[test]
    fn an_opening_inside_a_dst_gap_moves_to_the_end_of_the_gap() {
        // New York skips 02:00-03:00 on 2026-03-08.
        let week = OpeningHours::every_day(vec![range("02:30", "05:00")]).expect("valid week");
        let before = "2026-03-08T05:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("instant"); // 00:00 EST
        let next = week.next_opening_after(before, New_York).expect("opens");
        assert_eq!(
            next,
            "2026-03-08T07:00:00Z"
                .parse::<DateTime<Utc>>()
                .expect("instant")
        ); // 03:00 EDT
    }

    #[test]
    fn invalid_ranges_are_refused() {
        assert!(TimeRange::new("25:00", "26:00").is_err());
        assert!(TimeRange::new("10:60", "11:00").is_err());
        assert!(TimeRange::new("24:00", "10:00").is_err());
        assert!(TimeRange::new("9:00", "10:00").is_err());
        assert!(TimeRange::new("10:00", "10:00").is_err());
        let overlapping =
            OpeningHours::every_day(vec![range("10:00", "14:00"), range("13:00", "15:00")]);
        assert_eq!(
            overlapping,
            Err(OpeningHoursError::Overlap { day: "monday" })
        );
        let overnight_overlap =
            OpeningHours::every_day(vec![range("18:00", "02:00"), range("20:00", "21:00")]);
        assert!(overnight_overlap.is_err());
    }

    #[test]
    fn json_round_trip_lists_every_day() {
        let week = restaurant_week();
        let json = serde_json::to_value(&week).expect("serializes");
        assert_eq!(json["monday"], serde_json::json!([]));
        assert_eq!(
            json["tuesday"],
            serde_json::json!([{"open": "11:00", "close": "15:00"}, {"open": "18:00", "close": "02:00"}])
        );
        let back: OpeningHours = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, week);
    }

    #[test]
    fn json_with_an_unknown_day_or_bad_time_is_refused() {
        assert!(serde_json::from_value::<OpeningHours>(serde_json::json!({"funday": []})).is_err());
        assert!(
            serde_json::from_value::<OpeningHours>(
                serde_json::json!({"monday": [{"open": "8h", "close": "10:00"}]})
            )
            .is_err()
        );
    }
}
