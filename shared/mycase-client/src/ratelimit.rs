//! Client-side request budget (SPEC §5: stay under 20/s of MyCase's 25/s per OAuth client).
//!
//! MyCase counts requests per OAuth *client*, shared by every firm, so one limiter is created
//! per process and shared by every integration's [`crate::MyCaseClient`].
//!
//! The limiter spaces requests evenly (a token bucket holding a single token, i.e. GCRA with
//! no burst): MyCase's window is one second and unknown in alignment, so a burst of `rate`
//! requests at the end of one second followed by another at the start of the next could
//! exceed it. Even spacing never does.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

pub const DEFAULT_RATE_PER_SECOND: f64 = 20.0;

/// An async rate limiter. Share it through an `Arc`.
#[derive(Debug)]
pub struct RateLimiter {
    /// Time between two permits; `None` means unlimited.
    interval: Option<Duration>,
    /// Earliest instant the next permit may be handed out.
    next_free: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// At most `rate` permits per second, evenly spaced. A non-positive or non-finite rate
    /// falls back to the default of 20/s rather than silently disabling the budget.
    pub fn per_second(rate: f64) -> Self {
        let rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            tracing::warn!(rate, "invalid MyCase rate limit; using the default");
            DEFAULT_RATE_PER_SECOND
        };
        Self {
            interval: Some(Duration::from_secs_f64(1.0 / rate)),
            next_free: Mutex::new(None),
        }
    }

    /// No limit (tests, or a caller that limits elsewhere).
    pub fn unlimited() -> Self {
        Self {
            interval: None,
            next_free: Mutex::new(None),
        }
    }

    /// The configured rate, `None` when unlimited.
    pub fn rate_per_second(&self) -> Option<f64> {
        self.interval.map(|i| 1.0 / i.as_secs_f64())
    }

    /// Waits for a permit.
    ///
    /// The slot is reserved before waiting, so callers are served in arrival order and a
    /// cancelled wait only leaves an unused slot (more conservative, never over budget).
    pub async fn acquire(&self) {
        let Some(interval) = self.interval else {
            return;
        };
        let slot = {
            let mut next = self.next_free.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = match *next {
                Some(t) if t > now => t,
                _ => now,
            };
            *next = Some(slot + interval);
            slot
        };
        let wait = slot.saturating_duration_since(Instant::now());
        tokio::time::sleep_until(slot).await;
        if !wait.is_zero() {
            crate::metrics::permit_waited(wait);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn spaces_permits_evenly() {
        let limiter = RateLimiter::per_second(10.0);
        let start = Instant::now();
        for _ in 0..20 {
            limiter.acquire().await;
        }
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(1900), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(2000), "{elapsed:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_never_waits() {
        let limiter = RateLimiter::unlimited();
        let start = Instant::now();
        for _ in 0..1000 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(limiter.rate_per_second(), None);
    }

    #[test]
    fn invalid_rate_falls_back() {
        let l = RateLimiter::per_second(0.0);
        assert!((l.rate_per_second().unwrap() - 20.0).abs() < 1e-9);
    }
}
