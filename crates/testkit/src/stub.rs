//! Stub HTTP servers on 127.0.0.1 standing in for outside services (Google Maps, Nominatim,
//! WhatsApp Graph, Telegram, push services). Each answers from a queue of canned responses (the
//! last one repeats) and records every request it received.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// A canned answer.
#[derive(Debug, Clone)]
pub struct StubResponse {
    pub status: u16,
    pub body: String,
    pub content_type: &'static str,
}

impl StubResponse {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            body: body.to_string(),
            content_type: "application/json",
        }
    }
}

/// A request the stub received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When it arrived (politeness tests measure the gaps).
    pub received_at: std::time::Instant,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// A query parameter, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

#[derive(Default)]
struct Shared {
    responses: Mutex<VecDeque<StubResponse>>,
    requests: Mutex<Vec<RecordedRequest>>,
}

pub struct StubServer {
    pub base_url: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
}

async fn answer(request: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    shared
        .requests
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(RecordedRequest {
            method: request.method().to_string(),
            path: request.path().to_owned(),
            query: request.query_string().to_owned(),
            headers: request
                .headers()
                .iter()
                .map(|(name, value)| {
                    (
                        name.to_string(),
                        value.to_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
            body: body.to_vec(),
            received_at: std::time::Instant::now(),
        });
    let response = {
        let mut responses = shared
            .responses
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if responses.len() > 1 {
            responses.pop_front()
        } else {
            responses.front().cloned()
        }
    };
    match response {
        Some(response) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(response.status)
                .unwrap_or(actix_web::http::StatusCode::OK),
        )
        .content_type(response.content_type)
        .body(response.body),
        None => HttpResponse::NotFound().finish(),
    }
}

impl StubServer {
    /// Starts a stub answering `responses` in order (the last one repeats).
    pub async fn start(responses: Vec<StubResponse>) -> Self {
        let shared = Arc::new(Shared {
            responses: Mutex::new(responses.into()),
            requests: Mutex::new(Vec::new()),
        });
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(answer))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("bind a stub server");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            base_url: format!("http://127.0.0.1:{port}"),
            shared,
            handle,
        }
    }

    /// What the stub has received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Replaces the queue of answers.
    pub fn respond_with(&self, responses: Vec<StubResponse>) {
        *self
            .shared
            .responses
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = responses.into();
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}
