//! Shared application state and the router that puts every part on one port.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

use crate::auth::{self, AuthStore};
use crate::config::SandboxConfig;
use crate::faults::Faults;
use crate::ratelimit::RateLimiter;
use crate::stats::Stats;
use crate::store::Store;
use crate::{admin, gate, page, routes, s3};

pub struct AppState {
    pub config: SandboxConfig,
    /// Signs tokens, page cursors and presigned URLs; fresh for every sandbox instance.
    pub secret: [u8; 32],
    /// `http://127.0.0.1:PORT`, used when a request carries no Host header.
    pub base_url: String,
    pub store: Mutex<Store>,
    pub auth: Mutex<AuthStore>,
    pub faults: Mutex<Faults>,
    pub stats: Mutex<Stats>,
    pub limiter: Mutex<RateLimiter>,
}

pub type AppRef = Arc<AppState>;

impl AppState {
    pub fn new(config: SandboxConfig, base_url: String) -> AppState {
        let faults = Faults::defaults(config.rate_limit_per_second);
        AppState {
            config,
            secret: crate::crypto::random_bytes::<32>(),
            base_url,
            store: Mutex::new(Store::default()),
            auth: Mutex::new(AuthStore::default()),
            faults: Mutex::new(faults),
            stats: Mutex::new(Stats::default()),
            limiter: Mutex::new(RateLimiter::default()),
        }
    }

    pub fn default_faults(&self) -> Faults {
        Faults::defaults(self.config.rate_limit_per_second)
    }
}

/// Locks a mutex, ignoring poisoning: a panicked handler must not wedge the sandbox.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn router(app: AppRef) -> Router {
    let v1 = routes::v1_router().fallback(gate::v1_not_found).layer(
        axum::middleware::from_fn_with_state(app.clone(), gate::v1_gate),
    );

    Router::new()
        .nest("/v1", v1)
        .route("/login_sessions/new", get(auth::login_page))
        .route("/login_sessions/decide", get(auth::decide))
        .route("/tokens", post(auth::token))
        .route(
            "/_s3/put/{token}",
            put(s3::put_object).layer(DefaultBodyLimit::disable()),
        )
        .route("/_s3/get/{token}", get(s3::get_object))
        .route("/", get(page::index))
        .merge(admin::router())
        .with_state(app)
}
