//! Web Push: RFC 8291 payload encryption with web-push-native, and RFC 8292 VAPID signed with
//! jsonwebtoken (ES256) — both pure Rust.

use std::net::IpAddr;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use comanda_domain::messaging::{EndpointRejection, is_public_address};
use comanda_ports::messaging::{ProviderError, PushClient, PushOutcome, PushSubscription};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;
use web_push_native::p256::pkcs8::EncodePrivateKey;
use web_push_native::{Auth, WebPushBuilder, p256};

use crate::{classify, http_client, transport};

/// How long a VAPID token is good for (RFC 8292 allows at most 24 hours).
const VAPID_VALIDITY_SECONDS: i64 = 12 * 60 * 60;

/// The application server's VAPID key pair.
pub struct VapidKeys {
    signing_key: EncodingKey,
    /// The uncompressed public point, base64url: `applicationServerKey` and the `k=` of the
    /// header.
    public_key: String,
    subject: String,
}

#[derive(serde::Serialize)]
struct VapidClaims<'a> {
    aud: &'a str,
    exp: i64,
    sub: &'a str,
}

impl VapidKeys {
    /// From the base64url private key of `WEB_PUSH_VAPID_PRIVATE_KEY` (32 raw bytes, as the
    /// usual web-push tools print it) and `WEB_PUSH_SUBJECT`.
    pub fn from_private_key(private_key: &str, subject: &str) -> Result<Self, ProviderError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(private_key.trim().trim_end_matches('='))
            .map_err(|_| {
                ProviderError::Permanent("the VAPID private key is not base64url".into())
            })?;
        let secret = p256::SecretKey::from_slice(&bytes).map_err(|_| {
            ProviderError::Permanent("the VAPID private key is not a P-256 key".into())
        })?;
        let der = secret.to_pkcs8_der().map_err(|_| {
            ProviderError::Permanent("the VAPID private key cannot be encoded".into())
        })?;
        let public_key =
            URL_SAFE_NO_PAD.encode(secret.public_key().to_encoded_point(false).as_bytes());
        Ok(Self {
            signing_key: EncodingKey::from_ec_der(der.as_bytes()),
            public_key,
            subject: subject.to_owned(),
        })
    }

    /// The public key browsers subscribe with (`applicationServerKey`), base64url.
    pub fn public_key(&self) -> String {
        self.public_key.clone()
    }

    /// `vapid t=<JWT>, k=<public key>` for a push to `endpoint`: the token names the push
    /// service (`scheme://host`) and our contact, and expires in 12 hours.
    fn authorization(&self, endpoint: &url::Url, now: i64) -> Result<String, ProviderError> {
        let audience = format!(
            "{}://{}",
            endpoint.scheme(),
            endpoint.host_str().unwrap_or("")
        );
        let claims = VapidClaims {
            aud: &audience,
            exp: now + VAPID_VALIDITY_SECONDS,
            sub: &self.subject,
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &self.signing_key)
                .map_err(|error| ProviderError::Permanent(format!("signing VAPID: {error}")))?;
        Ok(format!("vapid t={token}, k={}", self.public_key))
    }
}

/// Where pushes may go: public https endpoints, plus hosts allowed for tests.
#[derive(Debug, Clone, Default)]
pub struct EndpointPolicy {
    /// `host` or `host:port` that skip the checks (tests' local push stubs).
    pub test_hosts: Vec<String>,
}

impl EndpointPolicy {
    /// Checks the endpoint's scheme and every address its host resolves to.
    pub async fn check(&self, endpoint: &str) -> Result<(), EndpointRejection> {
        let url = url::Url::parse(endpoint).map_err(|_| EndpointRejection::NotHttps)?;
        let host = url
            .host_str()
            .ok_or(EndpointRejection::NotHttps)?
            .to_ascii_lowercase();
        let port = url.port_or_known_default().unwrap_or(443);
        let authority = format!("{host}:{port}");
        if self
            .test_hosts
            .iter()
            .any(|allowed| *allowed == host || *allowed == authority)
        {
            return Ok(());
        }
        if url.scheme() != "https" || !url.username().is_empty() || url.password().is_some() {
            return Err(EndpointRejection::NotHttps);
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addresses: Vec<IpAddr> = match bare.parse::<IpAddr>() {
            Ok(address) => vec![address],
            Err(_) => tokio::net::lookup_host((bare, port))
                .await
                .map_err(|_| EndpointRejection::PrivateAddress)?
                .map(|socket| socket.ip())
                .collect(),
        };
        if addresses.is_empty() || !addresses.into_iter().all(is_public_address) {
            return Err(EndpointRejection::PrivateAddress);
        }
        Ok(())
    }
}

pub struct WebPushClient {
    client: reqwest::Client,
    vapid: VapidKeys,
    policy: EndpointPolicy,
}

impl WebPushClient {
    pub fn new(vapid: VapidKeys, policy: EndpointPolicy) -> Result<Self, ProviderError> {
        Ok(Self {
            client: http_client()?,
            vapid,
            policy,
        })
    }
}

fn decode_key(value: &str, what: &str) -> Result<Vec<u8>, ProviderError> {
    URL_SAFE_NO_PAD
        .decode(value.trim().trim_end_matches('='))
        .map_err(|_| {
            ProviderError::Permanent(format!("the subscription's {what} is not base64url"))
        })
}

#[async_trait]
impl PushClient for WebPushClient {
    async fn check_subscription(
        &self,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
    ) -> Result<(), EndpointRejection> {
        let key_ok = decode_key(p256dh, "p256dh")
            .is_ok_and(|bytes| p256::PublicKey::from_sec1_bytes(&bytes).is_ok());
        let auth_ok = decode_key(auth, "auth").is_ok_and(|bytes| bytes.len() == 16);
        if !key_ok || !auth_ok {
            return Err(EndpointRejection::BadKeys);
        }
        self.policy.check(endpoint).await
    }

    fn public_key(&self) -> String {
        self.vapid.public_key()
    }

    async fn send(
        &self,
        subscription: &PushSubscription,
        payload: &[u8],
    ) -> Result<PushOutcome, ProviderError> {
        // Checked again at send time: a name may resolve elsewhere since it was subscribed.
        self.policy
            .check(&subscription.endpoint)
            .await
            .map_err(|rejection| ProviderError::Permanent(rejection.to_string()))?;
        let ua_public =
            p256::PublicKey::from_sec1_bytes(&decode_key(&subscription.p256dh, "p256dh")?)
                .map_err(|_| {
                    ProviderError::Permanent("the subscription's p256dh is not a P-256 key".into())
                })?;
        let auth_bytes = decode_key(&subscription.auth, "auth")?;
        if auth_bytes.len() != 16 {
            return Err(ProviderError::Permanent(
                "the subscription's auth secret is not 16 bytes".into(),
            ));
        }
        let auth = Auth::clone_from_slice(&auth_bytes);
        let not_a_url = || ProviderError::Permanent("the endpoint is not a URL".into());
        let endpoint_url = url::Url::parse(&subscription.endpoint).map_err(|_| not_a_url())?;
        let endpoint = subscription.endpoint.parse().map_err(|_| not_a_url())?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX / 2))
            .unwrap_or_default();
        let authorization = self.vapid.authorization(&endpoint_url, now)?;
        let request = WebPushBuilder::new(endpoint, ua_public, auth)
            .build(payload.to_vec())
            .map_err(|error| ProviderError::Permanent(error.to_string()))?;
        let mut request = reqwest::Request::try_from(request)
            .map_err(|error| ProviderError::Permanent(error.to_string()))?;
        let headers = request.headers_mut();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            authorization
                .parse()
                .map_err(|_| ProviderError::Permanent("a VAPID header that is not ASCII".into()))?,
        );
        if let Some(traceparent) = comanda_http::traceparent()
            && let Ok(value) = traceparent.parse()
        {
            headers.insert("traceparent", value);
        }
        let response = self.client.execute(request).await.map_err(transport)?;
        let status = response.status();
        match status.as_u16() {
            200..=299 => Ok(PushOutcome::Delivered),
            404 | 410 => Ok(PushOutcome::Gone),
            _ => Err(classify(status, &response.text().await.unwrap_or_default())),
        }
    }
}
