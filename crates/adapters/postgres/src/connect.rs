//! Connecting to PostgreSQL with libpq's TLS settings (`sslmode`, `sslrootcert`) honoured, over
//! rustls. Every connection of ours goes through here: the pool, migrations, the start-up
//! `CREATE DATABASE` and the CLI.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode as DriverSslMode;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// TLS when the server offers it (libpq's default).
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub const NAMES: &'static str = "disable, prefer, require, verify-ca or verify-full";

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }
}

impl FromStr for SslMode {
    type Err = ();

    fn from_str(value: &str) -> Result<Self, ()> {
        match value {
            "disable" => Ok(Self::Disable),
            // libpq's `allow` tries clear text first; we never prefer clear text.
            "allow" | "prefer" => Ok(Self::Prefer),
            "require" => Ok(Self::Require),
            "verify-ca" => Ok(Self::VerifyCa),
            "verify-full" => Ok(Self::VerifyFull),
            _ => Err(()),
        }
    }
}

/// Why a connection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL or its TLS settings are wrong, or the server's certificate was refused: retrying
    /// will not help, the configuration must change.
    #[error("{0}")]
    Configuration(String),
    /// The server could not be reached or refused the connection.
    #[error("{0}")]
    Unavailable(String),
}

/// Where and how to connect: the URL without the TLS parameters (which tokio-postgres does not
/// know) and the TLS policy they describe.
#[derive(Clone)]
pub struct PgTarget {
    config: tokio_postgres::Config,
    mode: SslMode,
    root_cert: Option<PathBuf>,
    tls: Arc<rustls::ClientConfig>,
}

impl fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The configuration holds the password.
        f.debug_struct("PgTarget")
            .field("sslmode", &self.mode)
            .field("sslrootcert", &self.root_cert)
            .finish_non_exhaustive()
    }
}

/// The connection tokio-postgres hands back, TLS or not.
pub type PgConnection = tokio_postgres::Connection<
    tokio_postgres::Socket,
    <MakeRustlsConnect as MakeTlsConnect<tokio_postgres::Socket>>::Stream,
>;

impl PgTarget {
    /// Parses a `postgres://` URL. Errors never repeat the URL (it may hold a password).
    pub fn parse(url: &str) -> Result<Self, ConnectError> {
        let mut parsed =
            url::Url::parse(url).map_err(|_| ConnectError::Configuration("is not a URL".into()))?;
        let mut mode = SslMode::Prefer;
        let mut root_cert = None;
        let mut kept: Vec<(String, String)> = Vec::new();
        for (key, value) in parsed.query_pairs() {
            match key.as_ref() {
                "sslmode" => {
                    mode = value.parse().map_err(|()| {
                        ConnectError::Configuration(format!(
                            "sslmode `{value}` is not one of {}",
                            SslMode::NAMES
                        ))
                    })?;
                }
                // libpq 16's `system` names the system roots, our default anyway.
                "sslrootcert" if value == "system" => root_cert = None,
                "sslrootcert" => root_cert = Some(PathBuf::from(value.as_ref())),
                "sslcert" | "sslkey" | "sslpassword" | "sslcrl" | "sslcrldir" => {
                    return Err(ConnectError::Configuration(format!(
                        "`{key}` is not supported (server certificates are checked with \
                         sslmode and sslrootcert)"
                    )));
                }
                _ => kept.push((key.into_owned(), value.into_owned())),
            }
        }
        if kept.is_empty() {
            parsed.set_query(None);
        } else {
            parsed.query_pairs_mut().clear().extend_pairs(kept);
        }
        let mut config = tokio_postgres::Config::from_str(parsed.as_str())
            .map_err(|error| ConnectError::Configuration(error.to_string()))?;
        config.ssl_mode(match mode {
            SslMode::Disable => DriverSslMode::Disable,
            SslMode::Prefer => DriverSslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => DriverSslMode::Require,
        });
        let tls = Arc::new(client_config(mode, root_cert.as_deref())?);
        Ok(Self {
            config,
            mode,
            root_cert,
            tls,
        })
    }

    pub fn ssl_mode(&self) -> SslMode {
        self.mode
    }

    /// The same server and credentials, another database (`postgres` for maintenance).
    pub fn with_database(&self, name: &str) -> Self {
        let mut other = self.clone();
        other.config.dbname(name);
        other
    }

    /// The database this target names.
    pub fn database(&self) -> Option<&str> {
        self.config.get_dbname()
    }

    /// Opens one connection; the caller drives the returned connection future.
    pub async fn connect(&self) -> Result<(tokio_postgres::Client, PgConnection), ConnectError> {
        let make_tls = MakeRustlsConnect::new((*self.tls).clone());
        self.config
            .connect(make_tls)
            .await
            .map_err(|error| self.classify(&error))
    }

    /// A TLS failure is a configuration problem (refused certificate, a server without TLS
    /// under `require`); anything else is the server being unavailable.
    fn classify(&self, error: &tokio_postgres::Error) -> ConnectError {
        let message = error.to_string();
        if !message.starts_with("error performing TLS handshake") {
            return ConnectError::Unavailable(with_causes(error));
        }
        let cause = std::error::Error::source(error)
            .map(with_causes)
            .unwrap_or(message);
        ConnectError::Configuration(format!(
            "TLS with the database failed (sslmode={}): {cause}",
            self.mode.as_str()
        ))
    }
}

/// An error and its causes on one line (`a: b: c`), each said once.
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        let text = next.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = next.source();
    }
    line
}

/// The rustls configuration for a mode: what libpq checks, we check.
fn client_config(
    mode: SslMode,
    root_cert: Option<&Path>,
) -> Result<rustls::ClientConfig, ConnectError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|error| ConnectError::Configuration(error.to_string()))?;
    let verifier: Arc<dyn ServerCertVerifier> = match (mode, root_cert) {
        // libpq: without a root certificate, `prefer` and `require` encrypt without checking
        // who answers.
        (SslMode::Disable | SslMode::Prefer | SslMode::Require, None) => {
            Arc::new(AnyCertificate::new(&provider))
        }
        // With one, `require` checks the chain as `verify-ca` does.
        (SslMode::Disable | SslMode::Prefer | SslMode::Require | SslMode::VerifyCa, _) => {
            Arc::new(ChainOnly(web_pki(roots(root_cert)?, &provider)?))
        }
        (SslMode::VerifyFull, _) => web_pki(roots(root_cert)?, &provider)?,
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

fn web_pki(
    roots: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, ConnectError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|error| ConnectError::Configuration(format!("sslrootcert: {error}")))
}

/// The certificates of `sslrootcert`, or the system's roots.
fn roots(root_cert: Option<&Path>) -> Result<RootCertStore, ConnectError> {
    let mut roots = RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let certificates = CertificateDer::pem_file_iter(path)
                .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
                .map_err(|error| {
                    ConnectError::Configuration(format!(
                        "sslrootcert `{}` cannot be read as PEM certificates: {error}",
                        path.display()
                    ))
                })?;
            let (added, _ignored) = roots.add_parsable_certificates(certificates);
            if added == 0 {
                return Err(ConnectError::Configuration(format!(
                    "sslrootcert `{}` holds no usable certificate",
                    path.display()
                )));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
            if roots.is_empty() {
                return Err(ConnectError::Configuration(
                    "no system root certificates found: set sslrootcert".into(),
                ));
            }
        }
    }
    Ok(roots)
}

/// `verify-ca`: the chain must lead to a trusted root; the name in it is not compared.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer` and `require` without a root certificate: encrypted, whoever answers (libpq's
/// behaviour). The handshake's signatures are still checked.
#[derive(Debug)]
struct AnyCertificate(WebPkiSupportedAlgorithms);

impl AnyCertificate {
    fn new(provider: &CryptoProvider) -> Self {
        Self(provider.signature_verification_algorithms)
    }
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_are_taken_out_of_the_url() {
        let target = PgTarget::parse(
            "postgres://app:p%2Bw@db:5432/comanda?sslmode=require&application_name=x",
        )
        .expect("parses");
        assert_eq!(target.ssl_mode(), SslMode::Require);
        assert_eq!(target.database(), Some("comanda"));
        assert_eq!(target.config.get_password(), Some(&b"p+w"[..]));
        assert_eq!(target.config.get_application_name(), Some("x"));
    }

    #[test]
    fn prefer_is_the_default() {
        let target = PgTarget::parse("postgres://db/comanda").expect("parses");
        assert_eq!(target.ssl_mode(), SslMode::Prefer);
    }

    #[test]
    fn unknown_modes_and_unreadable_roots_are_configuration_errors() {
        let error = PgTarget::parse("postgres://u:hunter2@db/x?sslmode=always").expect_err("bad");
        assert!(matches!(error, ConnectError::Configuration(_)));
        assert!(!error.to_string().contains("hunter2"));
        let error = PgTarget::parse("postgres://db/x?sslmode=verify-full&sslrootcert=/nonexistent")
            .expect_err("bad");
        assert!(
            error.to_string().contains("sslrootcert `/nonexistent`"),
            "{error}"
        );
        assert!(matches!(
            PgTarget::parse("postgres://db/x?sslcert=/a.crt"),
            Err(ConnectError::Configuration(_))
        ));
    }

    #[test]
    fn another_database_keeps_the_rest() {
        let target = PgTarget::parse("postgres://u@db:6432/app?sslmode=disable").expect("parses");
        let maintenance = target.with_database("postgres");
        assert_eq!(maintenance.database(), Some("postgres"));
        assert_eq!(maintenance.ssl_mode(), SslMode::Disable);
        assert_eq!(maintenance.config.get_ports(), &[6432]);
    }
}
