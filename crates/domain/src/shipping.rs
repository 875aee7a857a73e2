//! Distance bands: how much delivery costs, and how long it takes, by distance.

use crate::geo::GeoPoint;

/// One band: deliveries up to `max_km` cost `fee_cents` and take about `eta_minutes`.
#[derive(Debug, Clone, PartialEq)]
pub struct DistanceBand<Id> {
    pub id: Id,
    pub max_km: f64,
    pub fee_cents: i64,
    pub eta_minutes: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BandError {
    #[error("bands[{0}].max_km must be greater than zero and than the band before")]
    NotIncreasing(usize),
    #[error("bands[{0}].fee_cents must not be negative")]
    NegativeFee(usize),
    #[error("bands[{0}].eta_minutes must be positive")]
    NonPositiveEta(usize),
    #[error("at most 50 bands")]
    TooMany,
}

/// A store's bands, ordered by `max_km` strictly increasing.
#[derive(Debug, Clone, PartialEq)]
pub struct ShippingBands<Id> {
    bands: Vec<DistanceBand<Id>>,
}

impl<Id> ShippingBands<Id> {
    /// Checks bands as given: the order is the caller's, and it must increase.
    pub fn new(bands: Vec<DistanceBand<Id>>) -> Result<Self, BandError> {
        if bands.len() > 50 {
            return Err(BandError::TooMany);
        }
        let mut previous = 0.0;
        for (index, band) in bands.iter().enumerate() {
            if !band.max_km.is_finite() || band.max_km <= previous {
                return Err(BandError::NotIncreasing(index));
            }
            if band.fee_cents < 0 {
                return Err(BandError::NegativeFee(index));
            }
            if band.eta_minutes <= 0 {
                return Err(BandError::NonPositiveEta(index));
            }
            previous = band.max_km;
        }
        Ok(Self { bands })
    }

    /// The first band that covers `distance_km` (a distance exactly on `max_km` is inside);
    /// `None` beyond the last band.
    pub fn band_for(&self, distance_km: f64) -> Option<&DistanceBand<Id>> {
        self.bands.iter().find(|band| distance_km <= band.max_km)
    }

    pub fn bands(&self) -> &[DistanceBand<Id>] {
        &self.bands
    }
}

/// Where a distance came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DistanceSource {
    /// Driving distance from Google Maps.
    Google,
    /// Straight line to the address geocoded by Nominatim.
    Nominatim,
    /// Straight line to the coordinates the client sent.
    Coordinates,
    /// Priced by the store's delivery area (neighbourhood or polygon), not by distance.
    Area,
}

impl DistanceSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Google => "google",
            Self::Nominatim => "nominatim",
            Self::Coordinates => "coordinates",
            Self::Area => "area",
        }
    }
}

/// Distances are quoted to the metre above, so a band edge is never missed by rounding.
pub fn round_km(distance_km: f64) -> f64 {
    (distance_km * 1000.0).ceil() / 1000.0
}

/// Straight-line distance, rounded like every quoted distance.
pub fn straight_line_km(from: &GeoPoint, to: &GeoPoint) -> f64 {
    round_km(from.haversine_km(to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band(max_km: f64, fee_cents: i64) -> DistanceBand<u8> {
        DistanceBand {
            id: 0,
            max_km,
            fee_cents,
            eta_minutes: 30,
        }
    }

    fn bands() -> ShippingBands<u8> {
        ShippingBands::new(vec![band(2.0, 500), band(5.0, 800), band(8.0, 1200)]).expect("valid")
    }

    #[test]
    fn exactly_on_max_km_is_inside_the_band() {
        assert_eq!(bands().band_for(2.0).map(|b| b.fee_cents), Some(500));
        assert_eq!(bands().band_for(2.001).map(|b| b.fee_cents), Some(800));
        assert_eq!(bands().band_for(0.0).map(|b| b.fee_cents), Some(500));
        assert_eq!(bands().band_for(8.0).map(|b| b.fee_cents), Some(1200));
    }

    #[test]
    fn just_over_the_last_band_is_out_of_the_area() {
        assert_eq!(bands().band_for(8.001), None);
        assert!(
            ShippingBands::<u8>::new(vec![])
                .expect("empty")
                .band_for(0.1)
                .is_none()
        );
    }

    #[test]
    fn bands_must_increase_and_cost_something_sane() {
        assert_eq!(
            ShippingBands::new(vec![band(5.0, 1), band(5.0, 2)]),
            Err(BandError::NotIncreasing(1))
        );
        assert_eq!(
            ShippingBands::new(vec![band(3.0, 1), band(2.0, 2)]),
            Err(BandError::NotIncreasing(1))
        );
        assert_eq!(
            ShippingBands::new(vec![band(0.0, 1)]),
            Err(BandError::NotIncreasing(0))
        );
        assert_eq!(
            ShippingBands::new(vec![band(1.0, -1)]),
            Err(BandError::NegativeFee(0))
        );
        let mut slow = band(1.0, 0);
        slow.eta_minutes = 0;
        assert_eq!(
            ShippingBands::new(vec![slow]),
            Err(BandError::NonPositiveEta(0))
        );
    }

    #[test]
    fn distances_round_up_to_the_metre() {
        assert_eq!(round_km(1.0001), 1.001);
        assert_eq!(round_km(2.0), 2.0);
    }
}
