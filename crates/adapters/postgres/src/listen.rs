//! One `LISTEN` connection per instance (SPEC §19): notifications of a channel, forwarded to
//! the instance, on a connection of its own (not the pool's) that is opened again whenever it
//! drops — a PostgreSQL restart, a failover, a killed backend. After every (re)connection the
//! receiver hears `Listening`, so it can read from the log what it may have missed.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio_postgres::AsyncMessage;

use crate::connect::{ConnectError, PgTarget};

/// What the listening connection reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// `LISTEN` is in place (again): anything sent while it was not may need reading back.
    Listening,
    /// A notification's payload.
    Payload(String),
}

/// The listening connection's `application_name`, to find it in `pg_stat_activity`.
pub const LISTENER_NAME: &str = "comanda_listen";

/// How long to wait before opening the connection again.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Starts listening on `channel` (a plain identifier); the task ends when the receiver is
/// dropped.
pub fn listen(url: &str, channel: &'static str) -> Result<mpsc::Receiver<Notice>, ConnectError> {
    let target = PgTarget::parse(url)?;
    let (sender, receiver) = mpsc::channel(1024);
    tokio::spawn(async move {
        while !sender.is_closed() {
            match listen_once(&target, channel, &sender).await {
                Ok(()) => tracing::warn!(channel, "the LISTEN connection closed; opening it again"),
                Err(error) => {
                    tracing::warn!(channel, %error, "the LISTEN connection failed; trying again")
                }
            }
            tokio::time::sleep(RECONNECT_DELAY).await;
        }
    });
    Ok(receiver)
}

async fn listen_once(
    target: &PgTarget,
    channel: &'static str,
    sender: &mpsc::Sender<Notice>,
) -> Result<(), ConnectError> {
    let (client, mut connection) = target.connect().await?;
    // The connection object does the I/O: its messages are read in a task of their own while
    // the client sends `LISTEN`.
    let forward = sender.clone();
    let reader = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(notification)) => {
                    if forward
                        .send(Notice::Payload(notification.payload().to_owned()))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "the LISTEN connection broke");
                    return;
                }
            }
        }
    });
    let listened = client
        .batch_execute(&format!(
            "SET application_name = '{LISTENER_NAME}'; LISTEN {channel}"
        ))
        .await
        .map_err(|error| ConnectError::Unavailable(error.to_string()));
    if let Err(error) = listened {
        reader.abort();
        return Err(error);
    }
    if sender.send(Notice::Listening).await.is_err() {
        reader.abort();
        return Ok(());
    }
    // The client must live as long as the connection is read.
    let _ = reader.await;
    drop(client);
    Ok(())
}
