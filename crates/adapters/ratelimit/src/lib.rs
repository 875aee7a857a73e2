//! Rate-limit stores implementing the GCRA (generic cell rate algorithm): `limit` requests may
//! arrive at once, then one every `window / limit`. Unlike a fixed window there is no double
//! burst at a window edge.

mod gcra;
mod memory;
mod redis;

pub use memory::InMemoryRateLimitStore;
pub use redis::{RedisRateLimitStore, ResilientRateLimitStore};
