//! Outside map services behind the shipping ports. Base URLs come from configuration, so tests
//! point them at local stub servers.

use std::time::Duration;

use async_trait::async_trait;
use comanda_domain::geo::GeoPoint;
use comanda_domain::store::Address;
use comanda_http::WithTraceContext;
use comanda_ports::shipping::{Destination, DrivingDistance, Geocoder, MapsError};
use serde::Deserialize;
use url::Url;

const TIMEOUT: Duration = Duration::from_secs(5);

fn client() -> Result<reqwest::Client, MapsError> {
    comanda_http::client(TIMEOUT).map_err(|error| MapsError::Provider(error.to_string()))
}

fn endpoint(base: &Url, path: &str) -> Result<Url, MapsError> {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        url.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    Ok(url)
}

/// One line for an address, as map services read it.
fn address_line(address: &Address) -> String {
    format!(
        "{} {}, {}, {} - {}, {}, Brasil",
        address.street, address.number, address.district, address.city, address.state, address.cep
    )
}

/// Driving distances from Google Maps' Distance Matrix API.
pub struct GoogleDistanceMatrix {
    client: reqwest::Client,
    base_url: Url,
    api_key: String,
}

impl GoogleDistanceMatrix {
    pub fn new(base_url: Url, api_key: &str) -> Result<Self, MapsError> {
        Ok(Self {
            client: client()?,
            base_url,
            api_key: api_key.to_owned(),
        })
    }
}

#[derive(Deserialize)]
struct MatrixResponse {
    status: String,
    #[serde(default)]
    rows: Vec<MatrixRow>,
}

#[derive(Deserialize)]
struct MatrixRow {
    elements: Vec<MatrixElement>,
}

#[derive(Deserialize)]
struct MatrixElement {
    status: String,
    distance: Option<MatrixValue>,
}

#[derive(Deserialize)]
struct MatrixValue {
    value: f64,
}

#[async_trait]
impl DrivingDistance for GoogleDistanceMatrix {
    async fn driving_km(
        &self,
        origin: GeoPoint,
        destination: &Destination,
    ) -> Result<f64, MapsError> {
        let destination = match destination {
            Destination::Point(point) => format!("{},{}", point.lat(), point.lng()),
            Destination::Address(address) => address_line(address),
        };
        let mut url = endpoint(&self.base_url, "maps/api/distancematrix/json")?;
        url.query_pairs_mut()
            .append_pair("origins", &format!("{},{}", origin.lat(), origin.lng()))
            .append_pair("destinations", &destination)
            .append_pair("mode", "driving")
            .append_pair("units", "metric")
            .append_pair("key", &self.api_key);
        let response = self
            .client
            .get(url)
            .with_trace_context()
            .send()
            .await
            .map_err(|error| MapsError::Provider(error.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(MapsError::Provider(format!("HTTP {}", response.status())));
        }
        let body: MatrixResponse = response
            .json()
            .await
            .map_err(|error| MapsError::Provider(error.without_url().to_string()))?;
        if body.status != "OK" {
            return Err(MapsError::Provider(format!("status {}", body.status)));
        }
        let element = body
            .rows
            .first()
            .and_then(|row| row.elements.first())
            .ok_or_else(|| MapsError::Provider("empty answer".into()))?;
        match (element.status.as_str(), &element.distance) {
            ("OK", Some(distance)) if distance.value.is_finite() && distance.value >= 0.0 => {
                Ok(distance.value / 1000.0)
            }
            ("NOT_FOUND" | "ZERO_RESULTS", _) => Err(MapsError::NotFound),
            (status, _) => Err(MapsError::Provider(format!("element status {status}"))),
        }
    }
}

/// Geocoding with Nominatim (OpenStreetMap).
pub struct Nominatim {
    client: reqwest::Client,
    base_url: Url,
}

impl Nominatim {
    pub fn new(base_url: Url) -> Result<Self, MapsError> {
        Ok(Self {
            client: client()?,
            base_url,
        })
    }
}

#[derive(Deserialize)]
struct Place {
    lat: String,
    lon: String,
}

#[async_trait]
impl Geocoder for Nominatim {
    async fn geocode(&self, address: &Address) -> Result<GeoPoint, MapsError> {
        let mut url = endpoint(&self.base_url, "search")?;
        url.query_pairs_mut()
            .append_pair("format", "jsonv2")
            .append_pair("limit", "1")
            .append_pair("countrycodes", "br")
            .append_pair("street", &format!("{} {}", address.number, address.street))
            .append_pair("city", &address.city)
            .append_pair("state", &address.state)
            .append_pair("postalcode", &address.cep);
        let response = self
            .client
            .get(url)
            .with_trace_context()
            .send()
            .await
            .map_err(|error| MapsError::Provider(error.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(MapsError::Provider(format!("HTTP {}", response.status())));
        }
        let places: Vec<Place> = response
            .json()
            .await
            .map_err(|error| MapsError::Provider(error.without_url().to_string()))?;
        let place = places.first().ok_or(MapsError::NotFound)?;
        let lat = place
            .lat
            .parse::<f64>()
            .map_err(|_| MapsError::Provider("bad latitude".into()))?;
        let lng = place
            .lon
            .parse::<f64>()
            .map_err(|_| MapsError::Provider("bad longitude".into()))?;
        GeoPoint::new(lat, lng).map_err(|_| MapsError::Provider("coordinates out of range".into()))
    }
}
