//! Counters of `/v1` traffic and OAuth activity, for tests and benchmarks to read back
//! (`GET /_sandbox/stats`). Only ids, routes and statuses are counted, never contents.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use crate::app::{AppRef, lock};
use crate::wire;

#[derive(Debug, Default)]
pub struct Stats {
    requests_total: u64,
    by_status: BTreeMap<String, u64>,
    by_route: BTreeMap<String, u64>,
    pub token_exchanges: u64,
    pub token_refreshes: u64,
    pub refresh_rejected: u64,
    in_flight: HashMap<u64, Instant>,
    max_in_flight: usize,
    next_id: u64,
    first_request_at_ms: Option<i64>,
    last_request_at_ms: Option<i64>,
}

impl Stats {
    /// What `GET /_sandbox/stats` answers (the same type the typed client reads).
    pub fn snapshot(&self) -> wire::Stats {
        let now = Instant::now();
        let oldest = self
            .in_flight
            .values()
            .map(|t| now.saturating_duration_since(*t).as_millis() as u64)
            .max()
            .unwrap_or(0);
        wire::Stats {
            requests_total: self.requests_total,
            by_status: self.by_status.clone(),
            by_route: self.by_route.clone(),
            token_exchanges: self.token_exchanges,
            token_refreshes: self.token_refreshes,
            refresh_rejected: self.refresh_rejected,
            in_flight: self.in_flight.len() as u64,
            max_in_flight: self.max_in_flight as u64,
            oldest_in_flight_ms: oldest,
            first_request_at_ms: self.first_request_at_ms,
            last_request_at_ms: self.last_request_at_ms,
        }
    }

    pub fn reset(&mut self) {
        // Requests still in flight stay tracked, so in_flight stays truthful.
        let in_flight = std::mem::take(&mut self.in_flight);
        let next_id = self.next_id;
        *self = Stats {
            max_in_flight: in_flight.len(),
            in_flight,
            next_id,
            ..Stats::default()
        };
    }
}

/// Counts one `/v1` request from its arrival; dropping the guard (normally, or because
/// the client went away and hyper dropped the future) ends its time in flight.
pub struct RequestGuard {
    app: AppRef,
    id: u64,
}

impl RequestGuard {
    pub fn begin(app: &AppRef, route: &str) -> RequestGuard {
        let mut s = lock(&app.stats);
        let ms = chrono::Utc::now().timestamp_millis();
        s.requests_total += 1;
        *s.by_route.entry(route.to_string()).or_default() += 1;
        s.first_request_at_ms.get_or_insert(ms);
        s.last_request_at_ms = Some(ms);
        s.next_id += 1;
        let id = s.next_id;
        s.in_flight.insert(id, Instant::now());
        s.max_in_flight = s.max_in_flight.max(s.in_flight.len());
        RequestGuard {
            app: app.clone(),
            id,
        }
    }

    pub fn finish(&self, status: u16) {
        *lock(&self.app.stats)
            .by_status
            .entry(status.to_string())
            .or_default() += 1;
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        lock(&self.app.stats).in_flight.remove(&self.id);
    }
}
