//! BACEN's standard PIX API ("API Pix"), as banks and payment institutions expose it: an OAuth2
//! client-credentials token (`POST {base_url}/oauth/token`) over mutual TLS with the tenant's
//! client certificate, then `PUT/GET /v2/cob/{txid}` and `PUT/GET
//! /v2/pix/{e2eid}/devolucao/{id}` (docs/payments.md).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use base64::Engine;
use comanda_domain::pix::{format_amount, parse_amount};
use comanda_http::WithTraceContext;
use comanda_ports::payments::{
    ApiPixCredentials, ChargeRequest, ChargeState, CreatedCharge, PixApi, PixApiError, ReceivedPix,
    RefundState,
};
use serde::Deserialize;
use serde_json::json;

/// A provider that has not answered in this long is down for this request.
const TIMEOUT: Duration = Duration::from_secs(8);

/// A token is renewed this long before the provider says it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(30);

/// One mutual-TLS client and its current token per set of credentials: the TLS session and the
/// token are reused across charges.
struct Session {
    client: reqwest::Client,
    token: Option<(String, Instant)>,
}

#[derive(Default)]
pub struct StandardPixApi {
    sessions: Mutex<HashMap<u64, Session>>,
}

impl StandardPixApi {
    pub fn new() -> Self {
        Self::default()
    }
}

fn fingerprint(credentials: &ApiPixCredentials) -> u64 {
    let mut hasher = DefaultHasher::new();
    credentials.base_url.hash(&mut hasher);
    credentials.client_id.hash(&mut hasher);
    credentials.client_secret.hash(&mut hasher);
    credentials.certificate_pem.hash(&mut hasher);
    credentials.private_key_pem.hash(&mut hasher);
    credentials.ca_certificate_pem.hash(&mut hasher);
    hasher.finish()
}

/// The client the provider will accept: our certificate and key, and its CA when it names one.
fn mutual_tls_client(credentials: &ApiPixCredentials) -> Result<reqwest::Client, PixApiError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let identity = reqwest::Identity::from_pem(
        format!(
            "{}\n{}",
            credentials.certificate_pem.trim(),
            credentials.private_key_pem.trim()
        )
        .as_bytes(),
    )
    .map_err(|error| PixApiError::Refused(format!("the client certificate or key: {error}")))?;
    let mut builder = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .user_agent(comanda_http::USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .identity(identity);
    if let Some(ca) = &credentials.ca_certificate_pem {
        let roots = reqwest::Certificate::from_pem_bundle(ca.as_bytes())
            .map_err(|error| PixApiError::Refused(format!("the provider's CA: {error}")))?;
        builder = builder.tls_certs_only(roots);
    }
    builder
        .build()
        .map_err(|error| PixApiError::Refused(format!("the TLS client: {error}")))
}

fn unavailable(error: &reqwest::Error) -> PixApiError {
    // Connection, TLS and timeout failures: the provider may be back in a moment. A handshake
    // refused for our certificate shows here too; the log line says which.
    PixApiError::Unavailable(format!("{error:#}"))
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct Amount {
    original: Option<String>,
}

#[derive(Deserialize)]
struct Location {
    location: Option<String>,
}

#[derive(Deserialize)]
struct ChargeAnswer {
    status: Option<String>,
    location: Option<String>,
    loc: Option<Location>,
    #[serde(rename = "pixCopiaECola")]
    copy_paste: Option<String>,
    valor: Option<Amount>,
    #[serde(default)]
    pix: Vec<PixAnswer>,
}

#[derive(Deserialize)]
struct PixAnswer {
    #[serde(rename = "endToEndId")]
    end_to_end_id: String,
    valor: String,
}

#[derive(Deserialize)]
struct RefundAnswer {
    status: String,
    motivo: Option<String>,
}

fn refund_state(answer: RefundAnswer) -> RefundState {
    match answer.status.as_str() {
        "DEVOLVIDO" => RefundState::Done,
        "EM_PROCESSAMENTO" => RefundState::Processing,
        other => RefundState::Refused(answer.motivo.unwrap_or_else(|| other.to_owned())),
    }
}

/// A path segment as the provider gets it: ids are letters and digits, anything else goes.
fn segment(id: &str) -> Result<&str, PixApiError> {
    if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(id)
    } else {
        Err(PixApiError::Refused(format!(
            "`{id}` is not an id the PIX API takes"
        )))
    }
}

impl StandardPixApi {
    fn client(
        &self,
        credentials: &ApiPixCredentials,
    ) -> Result<(u64, reqwest::Client), PixApiError> {
        let key = fingerprint(credentials);
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(session) = sessions.get(&key) {
            return Ok((key, session.client.clone()));
        }
        let client = mutual_tls_client(credentials)?;
        sessions.insert(
            key,
            Session {
                client: client.clone(),
                token: None,
            },
        );
        Ok((key, client))
    }

    fn cached_token(&self, key: u64) -> Option<String> {
        let sessions = self
            .sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        sessions
            .get(&key)
            .and_then(|session| session.token.as_ref())
            .filter(|(_, until)| Instant::now() < *until)
            .map(|(token, _)| token.clone())
    }

    fn forget_token(&self, key: u64) {
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(session) = sessions.get_mut(&key) {
            session.token = None;
        }
    }

    async fn token(
        &self,
        credentials: &ApiPixCredentials,
        key: u64,
        client: &reqwest::Client,
    ) -> Result<String, PixApiError> {
        if let Some(token) = self.cached_token(key) {
            return Ok(token);
        }
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            credentials.client_id, credentials.client_secret
        ));
        let response = client
            .post(format!(
                "{}/oauth/token",
                credentials.base_url.trim_end_matches('/')
            ))
            .header("Authorization", format!("Basic {basic}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .with_trace_context()
            .send()
            .await
            .map_err(|error| unavailable(&error))?;
        let answer: TokenAnswer = read(response).await?;
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(300))
            .saturating_sub(TOKEN_MARGIN)
            .max(Duration::from_secs(1));
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(session) = sessions.get_mut(&key) {
            session.token = Some((answer.access_token.clone(), Instant::now() + lifetime));
        }
        Ok(answer.access_token)
    }

    /// One authorised call; a 401 drops the token and tries once more with a new one.
    async fn call(
        &self,
        credentials: &ApiPixCredentials,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Option<reqwest::Response>, PixApiError> {
        let (key, client) = self.client(credentials)?;
        let url = format!("{}{path}", credentials.base_url.trim_end_matches('/'));
        for attempt in 0..2 {
            let token = self.token(credentials, key, &client).await?;
            let mut request = client
                .request(method.clone(), &url)
                .bearer_auth(&token)
                .with_trace_context();
            if let Some(body) = &body {
                request = request.json(body);
            }
            let response = request.send().await.map_err(|error| unavailable(&error))?;
            match response.status().as_u16() {
                401 if attempt == 0 => self.forget_token(key),
                404 => return Ok(None),
                _ => return Ok(Some(response)),
            }
        }
        Err(PixApiError::Refused(
            "the provider refused our token twice".into(),
        ))
    }
}

/// The answer's JSON, or the error its status means.
async fn read<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, PixApiError> {
    let status = response.status();
    let body = response.text().await.map_err(|error| unavailable(&error))?;
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(PixApiError::Unavailable(format!(
            "{status}: {}",
            excerpt(&body)
        )));
    }
    if !status.is_success() {
        return Err(PixApiError::Refused(format!(
            "{status}: {}",
            excerpt(&body)
        )));
    }
    serde_json::from_str(&body).map_err(|error| PixApiError::Malformed(error.to_string()))
}

fn excerpt(body: &str) -> String {
    body.chars().take(300).collect()
}

#[async_trait]
impl PixApi for StandardPixApi {
    async fn create_charge(
        &self,
        credentials: &ApiPixCredentials,
        charge: &ChargeRequest,
    ) -> Result<CreatedCharge, PixApiError> {
        let body = json!({
            "calendario": {"expiracao": charge.expiry_seconds},
            "valor": {"original": format_amount(charge.amount_cents)},
            "chave": charge.key,
            "solicitacaoPagador": charge.description.chars().take(140).collect::<String>(),
        });
        let path = format!("/v2/cob/{}", segment(&charge.txid)?);
        let response = self
            .call(credentials, reqwest::Method::PUT, &path, Some(body))
            .await?
            .ok_or_else(|| PixApiError::Refused("404 on PUT /v2/cob".into()))?;
        let answer: ChargeAnswer = read(response).await?;
        Ok(CreatedCharge {
            copy_paste: answer.copy_paste.filter(|code| !code.is_empty()),
            location: answer
                .location
                .or_else(|| answer.loc.and_then(|loc| loc.location)),
        })
    }

    async fn charge(
        &self,
        credentials: &ApiPixCredentials,
        txid: &str,
    ) -> Result<ChargeState, PixApiError> {
        let path = format!("/v2/cob/{}", segment(txid)?);
        let response = self
            .call(credentials, reqwest::Method::GET, &path, None)
            .await?
            .ok_or_else(|| PixApiError::Refused(format!("no charge {txid} at the provider")))?;
        let answer: ChargeAnswer = read(response).await?;
        let received = answer
            .pix
            .into_iter()
            .map(|pix| {
                parse_amount(&pix.valor)
                    .map(|amount_cents| ReceivedPix {
                        end_to_end_id: pix.end_to_end_id,
                        amount_cents,
                    })
                    .ok_or_else(|| PixApiError::Malformed(format!("amount `{}`", pix.valor)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ChargeState {
            status: answer
                .status
                .ok_or_else(|| PixApiError::Malformed("a charge without status".into()))?,
            amount_cents: answer
                .valor
                .and_then(|valor| valor.original)
                .and_then(|original| parse_amount(&original)),
            received,
        })
    }

    async fn request_refund(
        &self,
        credentials: &ApiPixCredentials,
        end_to_end_id: &str,
        refund_id: &str,
        amount_cents: i64,
    ) -> Result<RefundState, PixApiError> {
        let path = format!(
            "/v2/pix/{}/devolucao/{}",
            segment(end_to_end_id)?,
            segment(refund_id)?
        );
        let body = json!({"valor": format_amount(amount_cents)});
        let response = self
            .call(credentials, reqwest::Method::PUT, &path, Some(body))
            .await?
            .ok_or_else(|| PixApiError::Refused(format!("no PIX {end_to_end_id} to refund")))?;
        Ok(refund_state(read(response).await?))
    }

    async fn refund(
        &self,
        credentials: &ApiPixCredentials,
        end_to_end_id: &str,
        refund_id: &str,
    ) -> Result<RefundState, PixApiError> {
        let path = format!(
            "/v2/pix/{}/devolucao/{}",
            segment(end_to_end_id)?,
            segment(refund_id)?
        );
        match self
            .call(credentials, reqwest::Method::GET, &path, None)
            .await?
        {
            None => Ok(RefundState::Unknown),
            Some(response) => Ok(refund_state(read(response).await?)),
        }
    }
}
