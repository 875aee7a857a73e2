//! Against the real Redis on 127.0.0.1:6379 (`REDIS_URL` overrides).

use std::time::Duration;

use comanda_ports::{RateLimitPolicy, RateLimitStore};
use comanda_ratelimit::{RedisRateLimitStore, ResilientRateLimitStore};

fn redis_url() -> String {
    std::env::var("COMANDA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn unique_key() -> String {
    format!("comanda-test:{}", uuid::Uuid::new_v4())
}

async fn connected_store() -> RedisRateLimitStore {
    let store = RedisRateLimitStore::connect(&redis_url()).expect("valid url");
    assert!(
        store.wait_connected(Duration::from_secs(5)).await,
        "Redis must be running for these tests (scripts/test starts it)"
    );
    store
}

fn policy(limit: u32) -> RateLimitPolicy {
    RateLimitPolicy {
        name: "test",
        limit,
        window: Duration::from_secs(60),
    }
}

#[tokio::test]
async fn redis_store_refuses_past_the_limit() {
    let store = connected_store().await;
    let key = unique_key();
    let limit = policy(3);
    let mut allowed = Vec::new();
    for _ in 0..4 {
        allowed.push(
            store
                .check(&key, &limit)
                .await
                .expect("redis answers")
                .allowed,
        );
    }
    assert_eq!(allowed, vec![true, true, true, false]);
    let refused = store.check(&key, &limit).await.expect("redis answers");
    assert!(refused.retry_after > Duration::from_secs(15), "{refused:?}");
    assert!(
        refused.retry_after <= Duration::from_secs(20),
        "{refused:?}"
    );
}

#[tokio::test]
async fn two_clients_share_one_limit() {
    let first = connected_store().await;
    let second = connected_store().await;
    let key = unique_key();
    let limit = policy(4);
    for _ in 0..2 {
        assert!(first.check(&key, &limit).await.expect("answers").allowed);
        assert!(second.check(&key, &limit).await.expect("answers").allowed);
    }
    assert!(!first.check(&key, &limit).await.expect("answers").allowed);
    assert!(!second.check(&key, &limit).await.expect("answers").allowed);
}

#[tokio::test]
async fn unreachable_redis_falls_back_to_counting_in_process() {
    // Port 1 on loopback: nothing listens there.
    let redis = RedisRateLimitStore::connect("redis://127.0.0.1:1").expect("valid url");
    let store = ResilientRateLimitStore::new(redis);
    let key = unique_key();
    let limit = policy(2);
    let first = store.check(&key, &limit).await.expect("fallback answers");
    let second = store.check(&key, &limit).await.expect("fallback answers");
    let third = store.check(&key, &limit).await.expect("fallback answers");
    assert!(first.allowed && second.allowed);
    assert!(!third.allowed, "the fallback still limits");
}
