//! Coordinates and great-circle distance.

use serde::{Deserialize, Serialize};

/// A point on Earth, valid by construction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    lat: f64,
    lng: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("latitude must be within ±90 and longitude within ±180")]
pub struct InvalidCoordinates;

impl GeoPoint {
    pub fn new(lat: f64, lng: f64) -> Result<Self, InvalidCoordinates> {
        if lat.is_finite()
            && lng.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lng)
        {
            Ok(Self { lat, lng })
        } else {
            Err(InvalidCoordinates)
        }
    }

    pub fn lat(&self) -> f64 {
        self.lat
    }

    pub fn lng(&self) -> f64 {
        self.lng
    }

    /// Great-circle distance in kilometres (Haversine, mean Earth radius).
    pub fn haversine_km(&self, other: &GeoPoint) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6371.0088;
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = (other.lat - self.lat).to_radians();
        let dlng = (other.lng - self.lng).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlng / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        let paulista = GeoPoint::new(-23.5614, -46.6559).expect("valid");
        let se = GeoPoint::new(-23.5505, -46.6333).expect("valid");
        let distance = paulista.haversine_km(&se);
        assert!((2.5..2.8).contains(&distance), "{distance}");
        assert_eq!(paulista.haversine_km(&paulista), 0.0);
        let rio = GeoPoint::new(-22.9068, -43.1729).expect("valid");
        let far = paulista.haversine_km(&rio);
        assert!((355.0..365.0).contains(&far), "{far}");
    }

    #[test]
    fn out_of_range_coordinates_are_refused() {
        assert!(GeoPoint::new(91.0, 0.0).is_err());
        assert!(GeoPoint::new(0.0, -181.0).is_err());
        assert!(GeoPoint::new(f64::NAN, 0.0).is_err());
    }
}
