//! A stub PIX provider (BACEN's standard PIX API) for tests: HTTPS on 127.0.0.1 with the test
//! CA `scripts/services` makes, requiring a client certificate from that CA (mutual TLS, as
//! banks do). It keeps charges and refunds in memory, records every request, and lets the test
//! pay a charge, take the provider down, or choose how refunds end.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::stub::RecordedRequest;

/// The PEM files `scripts/services` writes for the stub provider.
#[derive(Debug, Clone)]
pub struct PspTls {
    pub ca_pem: String,
    /// A client certificate and key the stub trusts.
    pub client_cert_pem: String,
    pub client_key_pem: String,
    /// A client certificate from another CA: refused.
    pub stranger_cert_pem: String,
    pub stranger_key_pem: String,
    dir: PathBuf,
}

/// The stub provider's certificates (panics with what to run when they are missing).
pub fn psp_tls() -> PspTls {
    let dir = PathBuf::from(
        std::env::var("COMANDA_TEST_PSP_TLS_DIR")
            .unwrap_or_else(|_| "/var/lib/comanda-test-psp-tls".into()),
    );
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|error| {
            panic!(
                "{}: {error}; run scripts/services to make the stub PIX provider's certificates",
                dir.join(name).display()
            )
        })
    };
    PspTls {
        ca_pem: read("ca.crt"),
        client_cert_pem: read("client.crt"),
        client_key_pem: read("client.key"),
        stranger_cert_pem: read("stranger.crt"),
        stranger_key_pem: read("stranger.key"),
        dir,
    }
}

pub const PSP_CLIENT_ID: &str = "comanda-client";
pub const PSP_CLIENT_SECRET: &str = "psp-client-secret";

#[derive(Debug, Clone)]
struct Charge {
    amount: String,
    status: String,
    pix: Vec<Value>,
}

#[derive(Default)]
struct Shared {
    charges: Mutex<HashMap<String, Charge>>,
    refunds: Mutex<HashMap<String, Value>>,
    requests: Mutex<Vec<RecordedRequest>>,
    down: AtomicBool,
    /// How a new refund ends: `DEVOLVIDO` (default), `EM_PROCESSAMENTO` or `NAO_REALIZADO`.
    refund_status: Mutex<Option<String>>,
    /// Whether `PUT /v2/cob` answers `pixCopiaECola` besides `location`.
    copy_paste: AtomicBool,
    handshakes_refused: AtomicUsize,
    next_e2e: AtomicUsize,
}

pub struct PspStub {
    pub base_url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for PspStub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl PspStub {
    pub async fn start() -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls = psp_tls();
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(tls.dir.join("server.crt"))
                .expect("server.crt")
                .collect::<Result<_, _>>()
                .expect("server certificates");
        let key = PrivateKeyDer::from_pem_file(tls.dir.join("server.key")).expect("server.key");
        let mut roots = rustls::RootCertStore::empty();
        for ca in CertificateDer::pem_slice_iter(tls.ca_pem.as_bytes()) {
            roots.add(ca.expect("the CA")).expect("a CA rustls takes");
        }
        let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
            .build()
            .expect("a client verifier");
        let config = rustls::ServerConfig::builder()
            .with_client_cert_verifier(verifier)
            .with_single_cert(certs, key)
            .expect("the server's certificate");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let shared = Arc::new(Shared::default());
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let shared = serving.clone();
                tokio::spawn(async move {
                    match acceptor.accept(stream).await {
                        Ok(tls) => serve(tls, &shared).await,
                        Err(_) => {
                            shared.handshakes_refused.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        Self {
            base_url: format!("https://127.0.0.1:{port}"),
            shared,
            task,
        }
    }

    /// The payer pays the charge: it becomes `CONCLUIDA` with one PIX of this amount; answers
    /// the PIX's end-to-end id.
    pub fn pay(&self, txid: &str, amount: &str) -> String {
        let e2e = format!(
            "E1234567820261130{:014}",
            self.shared.next_e2e.fetch_add(1, Ordering::SeqCst)
        );
        let mut charges = lock(&self.shared.charges);
        let charge = charges.get_mut(txid).expect("a charge with this txid");
        charge.status = "CONCLUIDA".into();
        charge.pix.push(json!({
            "endToEndId": e2e, "txid": txid, "valor": amount,
            "horario": "2026-11-30T12:00:00.000Z",
        }));
        e2e
    }

    /// The charge's status and amount, as the stub holds them.
    pub fn charge(&self, txid: &str) -> Option<(String, String)> {
        lock(&self.shared.charges)
            .get(txid)
            .map(|charge| (charge.status.clone(), charge.amount.clone()))
    }

    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }

    pub fn answer_copy_paste(&self, on: bool) {
        self.shared.copy_paste.store(on, Ordering::SeqCst);
    }

    pub fn set_refund_outcome(&self, status: &str) {
        *lock(&self.shared.refund_status) = Some(status.to_owned());
    }

    /// Moves every refund to this status (the provider finished processing).
    pub fn settle_refunds(&self, status: &str) {
        for refund in lock(&self.shared.refunds).values_mut() {
            refund["status"] = json!(status);
        }
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// TLS handshakes the stub refused (no or an untrusted client certificate).
    pub fn handshakes_refused(&self) -> usize {
        self.shared.handshakes_refused.load(Ordering::SeqCst)
    }
}

async fn serve<S>(mut stream: S, shared: &Shared)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
        }
        if buffer.len() > 1 << 20 {
            return;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(read) => body.extend_from_slice(&chunk[..read]),
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let request = RecordedRequest {
        method: method.clone(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body,
        received_at: std::time::Instant::now(),
    };
    lock(&shared.requests).push(request.clone());
    let (status, answer) = respond(shared, &request);
    let reason = match status {
        200 => "OK",
        201 => "Created",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Error",
    };
    let text = answer.to_string();
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn respond(shared: &Shared, request: &RecordedRequest) -> (u16, Value) {
    if shared.down.load(Ordering::SeqCst) {
        return (503, json!({"title": "Serviço indisponível"}));
    }
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    if request.method == "POST" && request.path == "/oauth/token" {
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{PSP_CLIENT_ID}:{PSP_CLIENT_SECRET}"))
        );
        return if request.header("authorization") == Some(expected.as_str()) {
            (
                200,
                json!({"access_token": "stub-token", "token_type": "Bearer", "expires_in": 3600}),
            )
        } else {
            (401, json!({"error": "invalid_client"}))
        };
    }
    if request.header("authorization") != Some("Bearer stub-token") {
        return (401, json!({"title": "Não autorizado"}));
    }
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    match (request.method.as_str(), segments.as_slice()) {
        ("PUT", ["v2", "cob", txid]) => {
            let amount = body["valor"]["original"]
                .as_str()
                .unwrap_or("0.00")
                .to_owned();
            lock(&shared.charges).insert(
                (*txid).to_owned(),
                Charge {
                    amount: amount.clone(),
                    status: "ATIVA".into(),
                    pix: Vec::new(),
                },
            );
            let location = format!("pix.stub.example/qr/v2/{txid}");
            let mut answer = json!({
                "txid": txid, "status": "ATIVA", "calendario": body["calendario"],
                "valor": {"original": amount}, "chave": body["chave"],
                "location": location, "loc": {"location": location, "tipoCob": "cob"},
            });
            if shared.copy_paste.load(Ordering::SeqCst) {
                answer["pixCopiaECola"] = json!(format!("00020101021226stub-code-for-{txid}"));
            }
            (201, answer)
        }
        ("GET", ["v2", "cob", txid]) => match lock(&shared.charges).get(*txid) {
            Some(charge) => (
                200,
                json!({
                    "txid": txid, "status": charge.status,
                    "valor": {"original": charge.amount}, "pix": charge.pix,
                }),
            ),
            None => (404, json!({"title": "Cobrança não encontrada"})),
        },
        ("PUT", ["v2", "pix", e2e, "devolucao", id]) => {
            let status = lock(&shared.refund_status)
                .clone()
                .unwrap_or_else(|| "DEVOLVIDO".into());
            let refund = json!({
                "id": id, "rtrId": format!("D{e2e}"), "valor": body["valor"], "status": status,
            });
            lock(&shared.refunds).insert(format!("{e2e}/{id}"), refund.clone());
            (201, refund)
        }
        ("GET", ["v2", "pix", e2e, "devolucao", id]) => {
            match lock(&shared.refunds).get(&format!("{e2e}/{id}")) {
                Some(refund) => (200, refund.clone()),
                None => (404, json!({"title": "Devolução não encontrada"})),
            }
        }
        _ => (404, json!({"title": "Não encontrado"})),
    }
}
