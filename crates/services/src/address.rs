//! Address autofill from a CEP (`GET /address/{cep}`, SPEC §6): the CEP directory's answer,
//! kept a day per CEP (found or not) so a storefront typing addresses does not hammer it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use comanda_domain::address::Cep;
use comanda_ports::Clock;
use comanda_ports::shipping::{CepAddress, CepLookup, MapsError};

use crate::{ErrorCode, ServiceError};

const CACHE_TTL: TimeDelta = TimeDelta::hours(24);
const CACHE_CAPACITY: usize = 50_000;

type Cached = (Option<CepAddress>, DateTime<Utc>);

#[derive(Clone)]
pub struct AddressService {
    directory: Arc<dyn CepLookup>,
    clock: Arc<dyn Clock>,
    cache: Arc<Mutex<HashMap<String, Cached>>>,
}

impl AddressService {
    pub fn new(directory: Arc<dyn CepLookup>, clock: Arc<dyn Clock>) -> Self {
        Self {
            directory,
            clock,
            cache: Arc::default(),
        }
    }

    /// The CEP's street, district, city and state: 422 `invalid_address` for a malformed CEP,
    /// 404 `cep_not_found` for one the directory does not know, 503 when it is down.
    pub async fn lookup(&self, raw: &str) -> Result<CepAddress, ServiceError> {
        let cep = Cep::parse(raw).map_err(|error| ServiceError::Invalid {
            code: ErrorCode::InvalidAddress,
            message: error.to_string(),
        })?;
        let digits = cep.digits().to_owned();
        let now = self.clock.now();
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&digits)
            .filter(|(_, at)| now - *at < CACHE_TTL)
            .map(|(found, _)| found.clone());
        let found = match cached {
            Some(found) => found,
            None => {
                let found = match self.directory.lookup(&digits).await {
                    Ok(found) => found,
                    Err(MapsError::NotFound) => None,
                    Err(error) => {
                        return Err(ServiceError::Unavailable(format!("CEP lookup: {error}")));
                    }
                };
                let mut cache = self
                    .cache
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if cache.len() >= CACHE_CAPACITY {
                    cache.clear();
                }
                cache.insert(digits, (found.clone(), now));
                found
            }
        };
        found.ok_or_else(|| ServiceError::NotFoundWith {
            code: ErrorCode::CepNotFound,
            message: "No address has this CEP".into(),
        })
    }
}
