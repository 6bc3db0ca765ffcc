//! The per-caller rate limit: a token bucket per token subject, kept in this process.
//!
//! Kept per instance, not in the database (DESIGN.md §5 asks for shared state there): a limit
//! checked in PostgreSQL is a write on a hot row per request, which would cost more than the
//! requests it protects (see bench/results.md). The limit protects one instance's capacity from a
//! runaway caller; with N instances a caller gets at most N times the limit, so configure it per
//! instance. Losing the buckets on a restart only forgives callers, and correctness state
//! (idempotency keys, the change feed) stays in the database.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::error::ApiError;

/// How many requests a caller may make: `per_minute` on average, up to `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_minute: u32,
    pub burst: u32,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Beyond this many callers tracked, callers whose buckets have refilled are forgotten.
const MAX_TRACKED: usize = 10_000;

/// Token buckets by caller; `None` limit lets everything through.
pub struct RateLimiter {
    limit: Option<RateLimit>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// A limiter for `limit`; a limit of zero per minute (or none) turns it off.
    pub fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit: limit.filter(|l| l.per_minute > 0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn unlimited() -> Self {
        Self::new(None)
    }

    /// Take one request from `caller`'s bucket, or 429 saying when the next one is allowed.
    pub fn check(&self, caller: &str) -> Result<(), ApiError> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let burst = f64::from(limit.burst.max(1));
        let per_second = f64::from(limit.per_minute) / 60.0;
        let now = Instant::now();
        let refill = |b: &mut Bucket| {
            let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
            b.tokens = (b.tokens + elapsed * per_second).min(burst);
            b.at = now;
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(caller) {
            buckets.retain(|_, b| {
                refill(b);
                b.tokens < burst
            });
        }
        let bucket = match buckets.get_mut(caller) {
            Some(b) => {
                refill(b);
                b
            }
            None => buckets.entry(caller.to_string()).or_insert(Bucket {
                tokens: burst,
                at: now,
            }),
        };
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / per_second;
            Err(ApiError::RateLimited {
                retry_after: (wait.ceil() as u64).max(1),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_gets_its_burst_then_waits_while_others_go_on() {
        let limiter = RateLimiter::new(Some(RateLimit {
            per_minute: 6,
            burst: 2,
        }));
        assert!(limiter.check("RCH/a").is_ok());
        assert!(limiter.check("RCH/a").is_ok());
        match limiter.check("RCH/a") {
            Err(ApiError::RateLimited { retry_after }) => assert!((1..=10).contains(&retry_after)),
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(limiter.check("RCH/b").is_ok());
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let limiter = RateLimiter::new(Some(RateLimit {
            per_minute: 0,
            burst: 0,
        }));
        for _ in 0..1000 {
            assert!(limiter.check("RCH/a").is_ok());
        }
    }
}
