//! Token-bucket rate limit per OAuth `client_id` (MyCase: "25 requests per second per
//! client", reference §3.5). All firms that authorized one client share its bucket, as
//! one integration serving many firms would on the real API.

use std::collections::HashMap;
use std::time::Instant;

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    rate: f64,
    last: Instant,
}

#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: HashMap<String, Bucket>,
}

impl RateLimiter {
    /// Takes one token for `client_id`. The burst capacity is one second's worth, so a
    /// client that stays under the rate never sees a 429. `None` = unlimited.
    pub fn allow(&mut self, client_id: &str, rate: Option<f64>, now: Instant) -> bool {
        let Some(rate) = rate.filter(|r| *r > 0.0) else {
            return true;
        };
        let capacity = rate.max(1.0);
        let b = self.buckets.entry(client_id.to_string()).or_insert(Bucket {
            tokens: capacity,
            rate,
            last: now,
        });
        if b.rate != rate {
            // The limit was changed through the fault switches: start over, full.
            *b = Bucket {
                tokens: capacity,
                rate,
                last: now,
            };
        }
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(capacity);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    pub fn reset(&mut self) {
        self.buckets.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_refills_at_rate() {
        let mut rl = RateLimiter::default();
        let t0 = Instant::now();
        let allowed = (0..10).filter(|_| rl.allow("c", Some(5.0), t0)).count();
        assert_eq!(allowed, 5);
        assert!(!rl.allow("c", Some(5.0), t0));
        assert!(rl.allow("other", Some(5.0), t0), "buckets are per client");
        assert!(rl.allow("c", Some(5.0), t0 + Duration::from_millis(210)));
        assert!(rl.allow("c", None, t0));
    }
}
