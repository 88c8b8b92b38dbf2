//! Per-client limits: on report posts, and on console sign-in attempts.

use crate::config::RateLimit;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;

/// A per-client (IP) rate limit, for `klaxon serve`. In AWS, API
/// Gateway's throttling does this job.
pub struct ClientLimiter {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl ClientLimiter {
    pub fn new(limit: RateLimit) -> Self {
        let per_minute = NonZeroU32::new(limit.per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limit.burst).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            ),
        }
    }

    /// Ten token sign-ins a minute from one address, after a burst of ten:
    /// enough for a team behind one NAT, too few to guess a token.
    pub fn sign_in() -> Self {
        Self::new(RateLimit {
            per_minute: 10,
            burst: 10,
        })
    }

    /// Ok, or the seconds until this client may post again.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&ip).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        })
    }
}
