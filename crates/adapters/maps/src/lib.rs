//! Outside map services behind the shipping ports. Base URLs come from configuration, so tests
//! point them at local stub servers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use comanda_domain::geo::GeoPoint;
use comanda_domain::store::Address;
use comanda_http::WithTraceContext;
use comanda_ports::shipping::{
    CepAddress, CepLookup, Destination, DrivingDistance, Geocoder, MapsError,
};
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

/// Driving distances from Google's Routes API (`computeRouteMatrix`), the Distance Matrix's
/// replacement that new Google Cloud projects can enable.
pub struct GoogleRoutes {
    client: reqwest::Client,
    base_url: Url,
    api_key: String,
    /// A refused key is logged once, not on every quote.
    key_refusal_logged: AtomicBool,
}

impl GoogleRoutes {
    pub fn new(base_url: Url, api_key: &str) -> Result<Self, MapsError> {
        Ok(Self {
            client: client()?,
            base_url,
            api_key: api_key.to_owned(),
            key_refusal_logged: AtomicBool::new(false),
        })
    }
}

/// One element of the matrix, as the field mask asks for it.
#[derive(Deserialize)]
struct RouteElement {
    #[serde(rename = "distanceMeters")]
    distance_meters: Option<f64>,
    condition: Option<String>,
}

/// Only what is read: fewer fields, a cheaper call (Google bills by the mask).
const ROUTES_FIELD_MASK: &str = "originIndex,destinationIndex,distanceMeters,condition,status";

fn waypoint(destination: &Destination) -> serde_json::Value {
    match destination {
        Destination::Point(point) => serde_json::json!({"waypoint": {"location": {"latLng": {
            "latitude": point.lat(), "longitude": point.lng()}}}}),
        Destination::Address(address) => {
            serde_json::json!({"waypoint": {"address": address_line(address)}})
        }
    }
}

#[async_trait]
impl DrivingDistance for GoogleRoutes {
    async fn driving_km(
        &self,
        origin: GeoPoint,
        destination: &Destination,
    ) -> Result<f64, MapsError> {
        let url = endpoint(&self.base_url, "distanceMatrix/v2:computeRouteMatrix")?;
        let body = serde_json::json!({
            "origins": [waypoint(&Destination::Point(origin))],
            "destinations": [waypoint(destination)],
            "travelMode": "DRIVE",
        });
        let response = self
            .client
            .post(url)
            .header("X-Goog-Api-Key", &self.api_key)
            .header("X-Goog-FieldMask", ROUTES_FIELD_MASK)
            .json(&body)
            .with_trace_context()
            .send()
            .await
            .map_err(|error| MapsError::Provider(error.without_url().to_string()))?;
        let status = response.status();
        if status.is_client_error() {
            if !self.key_refusal_logged.swap(true, Ordering::Relaxed) {
                tracing::error!(%status, "the Routes API refused the request: check GOOGLE_MAPS_API_KEY and that the Routes API is enabled for its project (docs/operations.md); quotes use the straight-line fallback");
            }
            return Err(MapsError::Provider(format!("HTTP {status}")));
        }
        if !status.is_success() {
            return Err(MapsError::Provider(format!("HTTP {status}")));
        }
        // The answer is a JSON array of elements (streamed: one per origin and destination).
        let elements: Vec<RouteElement> = response
            .json()
            .await
            .map_err(|error| MapsError::Provider(error.without_url().to_string()))?;
        let element = elements
            .first()
            .ok_or_else(|| MapsError::Provider("empty answer".into()))?;
        match (element.condition.as_deref(), element.distance_meters) {
            (Some("ROUTE_EXISTS"), Some(meters)) if meters.is_finite() && meters >= 0.0 => {
                Ok(meters / 1000.0)
            }
            (Some("ROUTE_NOT_FOUND"), _) => Err(MapsError::NotFound),
            (condition, _) => Err(MapsError::Provider(format!(
                "element condition {}",
                condition.unwrap_or("missing")
            ))),
        }
    }
}

/// The public Nominatim server, whose policy allows one request a second.
const PUBLIC_NOMINATIM_HOST: &str = "nominatim.openstreetmap.org";

/// The longest a geocode waits for its turn; later callers get `RateLimited`.
const MOST_WAIT: Duration = Duration::from_secs(2);

/// Geocoded answers are kept this long.
const GEOCODE_TTL: Duration = Duration::from_secs(24 * 3600);
const GEOCODE_CACHE_CAPACITY: usize = 20_000;

/// Geocoding with Nominatim (OpenStreetMap), politely: a `User-Agent` that says who we are, at
/// most one request a second to the public server (a token bucket per instance), answers kept.
pub struct Nominatim {
    client: reqwest::Client,
    base_url: Url,
    interval: Duration,
    /// When the next request may go.
    next_turn: Mutex<Instant>,
    cache: Mutex<HashMap<String, (Option<GeoPoint>, Instant)>>,
}

/// `Comanda/<version> (<contact>)`, as Nominatim's usage policy asks.
pub fn nominatim_user_agent(contact: Option<&str>) -> String {
    let version = env!("CARGO_PKG_VERSION");
    match contact.map(str::trim).filter(|contact| !contact.is_empty()) {
        Some(contact) => format!("Comanda/{version} ({contact})"),
        None => format!("Comanda/{version}"),
    }
}

impl Nominatim {
    /// `requests_per_second` applies to a self-hosted server; the public one gets 1 whatever.
    pub fn new(
        base_url: Url,
        contact: Option<&str>,
        requests_per_second: u32,
    ) -> Result<Self, MapsError> {
        let public = base_url.host_str() == Some(PUBLIC_NOMINATIM_HOST);
        let per_second = if public {
            1
        } else {
            requests_per_second.max(1)
        };
        Ok(Self {
            client: comanda_http::client_with_agent(TIMEOUT, &nominatim_user_agent(contact))
                .map_err(|error| MapsError::Provider(error.to_string()))?,
            base_url,
            interval: Duration::from_secs(1) / per_second,
            next_turn: Mutex::new(Instant::now()),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Waits for this caller's turn, or refuses when it is more than two seconds away.
    async fn wait_turn(&self) -> Result<(), MapsError> {
        let turn = {
            let mut next = self
                .next_turn
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = Instant::now();
            let turn = (*next).max(now);
            if turn - now > MOST_WAIT {
                return Err(MapsError::RateLimited);
            }
            *next = turn + self.interval;
            turn
        };
        tokio::time::sleep_until(turn.into()).await;
        Ok(())
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
        let key = address_line(address).to_lowercase();
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&key)
            .filter(|(_, at)| at.elapsed() < GEOCODE_TTL)
            .map(|(found, _)| *found);
        if let Some(found) = cached {
            return found.ok_or(MapsError::NotFound);
        }
        self.wait_turn().await?;
        let found = self.search(address).await;
        // Found or not found is an answer to keep; a failure is asked again next time.
        if matches!(found, Ok(_) | Err(MapsError::NotFound)) {
            let mut cache = self
                .cache
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if cache.len() >= GEOCODE_CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(key, (found.as_ref().ok().copied(), Instant::now()));
        }
        found
    }
}

impl Nominatim {
    async fn search(&self, address: &Address) -> Result<GeoPoint, MapsError> {
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

/// The CEP directory's answer (ViaCEP's shape: `{"cep", "logradouro", "bairro", "localidade",
/// "uf"}`, or `{"erro": true}` for an unknown CEP).
#[derive(Deserialize)]
struct ViaCepAnswer {
    #[serde(default)]
    erro: Option<serde_json::Value>,
    cep: Option<String>,
    #[serde(default)]
    logradouro: String,
    #[serde(default)]
    bairro: String,
    localidade: Option<String>,
    uf: Option<String>,
}

/// CEP lookups from ViaCEP (or a service answering the same shape): `{base}/{cep}/json/`.
pub struct ViaCep {
    client: reqwest::Client,
    base_url: Url,
}

impl ViaCep {
    pub fn new(base_url: Url) -> Result<Self, MapsError> {
        Ok(Self {
            client: client()?,
            base_url,
        })
    }
}

#[async_trait]
impl CepLookup for ViaCep {
    async fn lookup(&self, cep: &str) -> Result<Option<CepAddress>, MapsError> {
        let url = endpoint(&self.base_url, &format!("{cep}/json/"))?;
        let response = self
            .client
            .get(url)
            .with_trace_context()
            .send()
            .await
            .map_err(|error| MapsError::Provider(error.without_url().to_string()))?;
        // ViaCEP answers 400 for a malformed CEP; ours are checked before asking.
        if response.status().as_u16() == 404 {
            return Ok(None);
        }
        if !response.status().is_success() {
            return Err(MapsError::Provider(format!("HTTP {}", response.status())));
        }
        let answer: ViaCepAnswer = response
            .json()
            .await
            .map_err(|error| MapsError::Provider(error.without_url().to_string()))?;
        let unknown = answer
            .erro
            .as_ref()
            .is_some_and(|erro| erro == &serde_json::Value::Bool(true) || erro == "true");
        if unknown {
            return Ok(None);
        }
        let (Some(found_cep), Some(city), Some(state)) = (answer.cep, answer.localidade, answer.uf)
        else {
            return Err(MapsError::Provider(
                "an answer without cep, city or state".into(),
            ));
        };
        Ok(Some(CepAddress {
            cep: found_cep,
            street: answer.logradouro,
            district: answer.bairro,
            city,
            state,
        }))
    }
}
