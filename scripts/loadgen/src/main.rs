//! Open-loop HTTP load for the benchmark (docs/performance.md): requests are sent at a constant
//! rate whatever the answers, and each latency is counted from when its request was due, not
//! from when a connection was free, so slow answers cannot hide by slowing the sender.
//!
//! ```text
//! comanda-loadgen --target 127.0.0.1:18080 --method POST --path /checkout \
//!     --header 'X-Tenant: demo' --bodies bodies.jsonl --rate 300 --duration 15 [--connections 64]
//! ```
//!
//! Bodies are one per line, used in turn. Prints one line:
//! `LOADGEN due=… answered=… failed=… ok2xx=… status409=… other=… p50_us=… p99_us=… max_us=…
//! behind_us=…` (`behind_us`: how late the sender itself ever was, to show it kept up).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

struct Settings {
    target: String,
    method: String,
    path: String,
    headers: Vec<String>,
    bodies: Vec<String>,
    rate: f64,
    duration: f64,
    connections: usize,
}

fn settings() -> Result<Settings, String> {
    let mut args = std::env::args().skip(1);
    let mut settings = Settings {
        target: String::new(),
        method: "GET".into(),
        path: "/".into(),
        headers: Vec::new(),
        bodies: Vec::new(),
        rate: 0.0,
        duration: 0.0,
        connections: 64,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--target" => settings.target = value,
            "--method" => settings.method = value,
            "--path" => settings.path = value,
            "--header" => settings.headers.push(value),
            "--bodies" => {
                let text = std::fs::read_to_string(&value).map_err(|e| format!("{value}: {e}"))?;
                settings.bodies = text.lines().map(str::to_owned).collect();
            }
            "--rate" => settings.rate = value.parse().map_err(|_| "--rate: a number")?,
            "--duration" => {
                settings.duration = value.parse().map_err(|_| "--duration: a number")?
            }
            "--connections" => {
                settings.connections = value.parse().map_err(|_| "--connections: a number")?
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if settings.target.is_empty() || settings.rate <= 0.0 || settings.duration <= 0.0 {
        return Err("--target, --rate and --duration are needed".into());
    }
    Ok(settings)
}

fn request_bytes(settings: &Settings, body: Option<&str>) -> Vec<u8> {
    let mut request = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\n",
        settings.method, settings.path, settings.target
    );
    for header in &settings.headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    match body {
        Some(body) => {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ));
        }
        None => request.push_str("\r\n"),
    }
    request.into_bytes()
}

/// Sends one request on the connection and reads its answer: the status.
async fn exchange(connection: &mut BufReader<TcpStream>, request: &[u8]) -> std::io::Result<u16> {
    connection.get_mut().write_all(request).await?;
    let mut line = String::new();
    connection.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        line.clear();
        connection.read_line(&mut line).await?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().map_err(std::io::Error::other)?;
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
    }
    if chunked {
        loop {
            line.clear();
            connection.read_line(&mut line).await?;
            let size = usize::from_str_radix(line.trim(), 16).map_err(std::io::Error::other)?;
            let mut chunk = vec![0; size + 2];
            connection.read_exact(&mut chunk).await?;
            if size == 0 {
                break;
            }
        }
    } else {
        let mut body = vec![0; length];
        connection.read_exact(&mut body).await?;
    }
    Ok(status)
}

/// Latency in microseconds and status (0: no answer).
type Outcome = (u64, u16);

fn percentile(sorted: &[u64], fraction: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((sorted.len() as f64) * fraction).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let settings = match settings() {
        Ok(settings) => settings,
        Err(problem) => {
            eprintln!("comanda-loadgen: {problem}");
            std::process::exit(2);
        }
    };
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(if settings.bodies.is_empty() {
        vec![request_bytes(&settings, None)]
    } else {
        settings
            .bodies
            .iter()
            .map(|body| request_bytes(&settings, Some(body)))
            .collect()
    });
    let due = (settings.rate * settings.duration).round() as usize;
    let interval = Duration::from_secs_f64(1.0 / settings.rate);
    let (sender, receiver) = mpsc::unbounded_channel::<(Instant, usize)>();
    let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::new(Mutex::new(Vec::with_capacity(due)));

    let mut workers = Vec::new();
    for _ in 0..settings.connections {
        let receiver = receiver.clone();
        let outcomes = outcomes.clone();
        let requests = requests.clone();
        let target = settings.target.clone();
        workers.push(tokio::spawn(async move {
            let mut connection: Option<BufReader<TcpStream>> = None;
            loop {
                let next = receiver.lock().await.recv().await;
                let Some((due_at, index)) = next else { break };
                let request = &requests[index % requests.len()];
                if connection.is_none() {
                    connection = TcpStream::connect(&target).await.ok().map(|stream| {
                        let _ = stream.set_nodelay(true);
                        BufReader::new(stream)
                    });
                }
                let status = match connection.as_mut() {
                    Some(open) => exchange(open, request).await.unwrap_or(0),
                    None => 0,
                };
                if status == 0 {
                    connection = None;
                }
                let latency = Instant::now().duration_since(due_at).as_micros() as u64;
                if let Ok(mut outcomes) = outcomes.lock() {
                    outcomes.push((latency, status));
                }
            }
        }));
    }

    let start = Instant::now() + Duration::from_millis(100);
    let mut behind = Duration::ZERO;
    for index in 0..due {
        let due_at = start + interval.mul_f64(index as f64);
        tokio::time::sleep_until(due_at).await;
        behind = behind.max(Instant::now().duration_since(due_at));
        if sender.send((due_at, index)).is_err() {
            break;
        }
    }
    drop(sender);
    for worker in workers {
        let _ = worker.await;
    }

    let outcomes = outcomes.lock().map(|o| o.clone()).unwrap_or_default();
    let mut latencies: Vec<u64> = outcomes.iter().map(|(latency, _)| *latency).collect();
    latencies.sort_unstable();
    let count =
        |matches: &dyn Fn(u16) -> bool| outcomes.iter().filter(|(_, s)| matches(*s)).count();
    println!(
        "LOADGEN due={due} answered={} failed={} ok2xx={} status409={} other={} p50_us={} p99_us={} max_us={} behind_us={}",
        count(&|s| s != 0),
        count(&|s| s == 0),
        count(&|s| (200..300).contains(&s)),
        count(&|s| s == 409),
        count(&|s| s != 0 && s != 409 && !(200..300).contains(&s)),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0),
        behind.as_micros(),
    );
}
