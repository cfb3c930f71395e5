//! One integration's access token, kept fresh without ever spending a refresh token twice.
//!
//! MyCase refresh tokens are single-use and rotate (reference §2): two concurrent refreshes
//! with the same token leave one caller with `invalid_grant` and, if the loser's answer is the
//! one persisted, a dead integration. So a refresh is serialised twice over:
//!
//! 1. inside the process, by the mutex around the cached token (single flight);
//! 2. across processes (concurrent Lambda instances), by a [`RefreshLease`], after which the
//!    store is *re-read*: if its access token is no longer the stale one, another instance has
//!    already refreshed and its tokens are used as they are.
//!
//! The new token set is saved before its access token is used, and the part that spends the
//! refresh token runs in its own task, so a caller that gives up (a timeout, a dropped future)
//! cannot abandon a rotated refresh token between MyCase's answer and the save.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rand::Rng;
use tokio::time::Instant;

use crate::error::{MyCaseError, TokenStoreError};
use crate::oauth::{OAuthApp, TokenSet};
use crate::transport::Transport;

/// Access tokens expiring within this margin are refreshed before use.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Persistent storage of one integration's [`TokenSet`] (Secrets Manager in production).
#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn load(&self) -> Result<TokenSet, TokenStoreError>;
    async fn save(&self, tokens: &TokenSet) -> Result<(), TokenStoreError>;
}

/// A cross-process mutual exclusion for one integration's refresh (a DynamoDB item with a
/// conditional write and an expiry in production).
#[async_trait]
pub trait RefreshLease: Send + Sync {
    /// `Ok(true)` if this caller now holds the lease for `ttl`; `Ok(false)` if someone else
    /// holds an unexpired one.
    async fn try_acquire(&self, owner: &str, ttl: Duration) -> Result<bool, TokenStoreError>;
    /// Gives the lease up if `owner` still holds it (a no-op otherwise).
    async fn release(&self, owner: &str) -> Result<(), TokenStoreError>;
}

/// Timing of the cross-process refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTiming {
    /// How long to wait for another instance's lease before giving up (transient error).
    pub wait: Duration,
    /// Lease lifetime. Must exceed `refresh_timeout` plus the saves, so a lease cannot expire
    /// while its holder is still between spending the refresh token and storing the new one.
    pub ttl: Duration,
    /// Upper bound on the OAuth refresh call itself (all its attempts).
    pub refresh_timeout: Duration,
    /// Attempts to save the new token set.
    pub save_attempts: u32,
}

impl Default for LeaseTiming {
    fn default() -> Self {
        Self {
            wait: Duration::from_secs(15),
            ttl: Duration::from_secs(120),
            refresh_timeout: Duration::from_secs(60),
            save_attempts: 4,
        }
    }
}

/// Keeps one integration's access token. Share it through an `Arc`.
pub struct TokenManager {
    shared: Arc<Shared>,
    state: tokio::sync::Mutex<State>,
}

/// What the refresh task needs; owned so the task can outlive a cancelled caller.
struct Shared {
    app: OAuthApp,
    store: Arc<dyn TokenStore>,
    lease: Arc<dyn RefreshLease>,
    timing: LeaseTiming,
    /// Tokens MyCase issued that could not be stored: the old refresh token is spent, so
    /// these are the integration's only way forward. Saving them is retried on the next call.
    /// Kept here (not in the caller's state) so that they survive a cancelled caller.
    unsaved: std::sync::Mutex<Option<TokenSet>>,
}

#[derive(Default)]
struct State {
    current: Option<TokenSet>,
}

impl TokenManager {
    pub fn new(app: OAuthApp, store: Arc<dyn TokenStore>, lease: Arc<dyn RefreshLease>) -> Self {
        Self::with_timing(app, store, lease, LeaseTiming::default())
    }

    pub fn with_timing(
        app: OAuthApp,
        store: Arc<dyn TokenStore>,
        lease: Arc<dyn RefreshLease>,
        timing: LeaseTiming,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                app,
                store,
                lease,
                timing,
                unsaved: std::sync::Mutex::new(None),
            }),
            state: tokio::sync::Mutex::new(State::default()),
        }
    }

    /// A usable access token: the cached one, else the stored one, refreshed first when it
    /// expires within [`REFRESH_MARGIN`].
    pub async fn access_token(&self, t: &Transport) -> Result<String, MyCaseError> {
        let mut state = self.state.lock().await;
        self.flush_unsaved(&mut state).await?;
        if let Some(tokens) = &state.current
            && !tokens.expires_within(REFRESH_MARGIN)
        {
            return Ok(tokens.access_token.clone());
        }
        // Not cached or about to expire: another instance may have refreshed already.
        let stored = self.shared.store.load().await?;
        if !stored.expires_within(REFRESH_MARGIN) {
            let token = stored.access_token.clone();
            state.current = Some(stored);
            return Ok(token);
        }
        tracing::info!("MyCase access token expiring; refreshing");
        self.refresh_locked(&mut state, t, &stored.access_token)
            .await
    }

    /// Called after MyCase answered 401 to `rejected_access_token`: returns a newer token,
    /// refreshing only if nobody (in this process or another) has done so already.
    pub async fn refresh_after_rejection(
        &self,
        t: &Transport,
        rejected_access_token: &str,
    ) -> Result<String, MyCaseError> {
        let mut state = self.state.lock().await;
        self.flush_unsaved(&mut state).await?;
        if let Some(tokens) = &state.current
            && tokens.access_token != rejected_access_token
            && !tokens.expires_within(REFRESH_MARGIN)
        {
            // A concurrent caller in this process refreshed while we waited for the lock.
            return Ok(tokens.access_token.clone());
        }
        tracing::info!("MyCase rejected the access token; refreshing");
        self.refresh_locked(&mut state, t, rejected_access_token)
            .await
    }

    /// Spends the refresh token for a new pair now, whatever the access token's expiry: MyCase's
    /// two-week refresh window starts again (the nightly sync's keep-alive). Same locks as any
    /// refresh; if another instance refreshed meanwhile, its tokens count as this refresh.
    pub async fn refresh_now(&self, t: &Transport) -> Result<(), MyCaseError> {
        let mut state = self.state.lock().await;
        self.flush_unsaved(&mut state).await?;
        let stored = self.shared.store.load().await?;
        self.refresh_locked(&mut state, t, &stored.access_token)
            .await
            .map(|_| ())
    }

    /// Forgets the cached token (the next call reads the store again).
    pub async fn invalidate(&self) {
        self.state.lock().await.current = None;
    }

    async fn refresh_locked(
        &self,
        state: &mut State,
        t: &Transport,
        stale_access_token: &str,
    ) -> Result<String, MyCaseError> {
        let shared = Arc::clone(&self.shared);
        let transport = t.clone();
        let stale = stale_access_token.to_owned();
        // Spawned, not awaited inline: once the refresh token is spent, the save must happen
        // even if our caller is cancelled.
        let task =
            tokio::spawn(async move { shared.refresh_across_instances(&transport, &stale).await });
        let outcome = task.await.unwrap_or_else(|_| {
            Err(MyCaseError::Unavailable {
                status: None,
                attempts: 0,
                cause: "token refresh task failed".into(),
            })
        });
        match outcome {
            Ok(tokens) => {
                let token = tokens.access_token.clone();
                state.current = Some(tokens);
                Ok(token)
            }
            Err(e) => {
                state.current = None;
                Err(e)
            }
        }
    }

    /// Retries storing tokens a previous refresh could not save, before anything else.
    async fn flush_unsaved(&self, state: &mut State) -> Result<(), MyCaseError> {
        let pending = self.shared.unsaved_slot().take();
        let Some(tokens) = pending else {
            return Ok(());
        };
        match self.shared.save_with_retries(&tokens).await {
            Ok(()) => {
                tracing::info!("previously unsaved MyCase tokens are now stored");
                state.current = Some(tokens);
                Ok(())
            }
            Err(e) => {
                self.shared.unsaved_slot().get_or_insert(tokens);
                Err(not_saved_error(&e))
            }
        }
    }
}

fn not_saved_error(e: &TokenStoreError) -> MyCaseError {
    MyCaseError::ReconnectNeeded {
        reason: format!(
            "MyCase issued new tokens but they could not be stored ({}); \
             the integration may need reconnecting",
            e.message()
        ),
    }
}

impl Shared {
    fn unsaved_slot(&self) -> std::sync::MutexGuard<'_, Option<TokenSet>> {
        self.unsaved.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn refresh_across_instances(
        &self,
        t: &Transport,
        stale: &str,
    ) -> Result<TokenSet, MyCaseError> {
        let owner = format!("mycase-refresh-{:016x}", rand::random::<u64>());
        if !self.acquire_lease(&owner).await? {
            // Still held elsewhere: perhaps its holder has saved and not yet released.
            let stored = self.store.load().await?;
            if is_newer(&stored, stale) {
                return Ok(stored);
            }
            tracing::warn!("timed out waiting for another instance's MyCase refresh lease");
            return Err(MyCaseError::Token(TokenStoreError::transient(
                "timed out waiting for the token refresh lease",
            )));
        }
        let result = self.refresh_holding_lease(t, stale).await;
        if let Err(e) = self.lease.release(&owner).await {
            // It expires on its own; the next refresher just waits a little longer.
            tracing::warn!(error = %e, "could not release the MyCase refresh lease");
        }
        result
    }

    /// Polls the lease with jitter until held or `timing.wait` has passed.
    async fn acquire_lease(&self, owner: &str) -> Result<bool, MyCaseError> {
        let give_up = Instant::now() + self.timing.wait;
        loop {
            if self.lease.try_acquire(owner, self.timing.ttl).await? {
                return Ok(true);
            }
            if Instant::now() >= give_up {
                return Ok(false);
            }
            let pause = Duration::from_millis(rand::rng().random_range(100..=200));
            tokio::time::sleep_until((Instant::now() + pause).min(give_up)).await;
        }
    }

    async fn refresh_holding_lease(
        &self,
        t: &Transport,
        stale: &str,
    ) -> Result<TokenSet, MyCaseError> {
        let stored = self.store.load().await?;
        if is_newer(&stored, stale) {
            tracing::info!("MyCase tokens were already refreshed by another instance");
            return Ok(stored);
        }

        let refreshed = tokio::time::timeout(
            self.timing.refresh_timeout,
            self.app.refresh(t, &stored.refresh_token),
        )
        .await
        .unwrap_or_else(|_| {
            Err(MyCaseError::Unavailable {
                status: None,
                attempts: 0,
                cause: "token refresh timed out".into(),
            })
        });
        let mut new = match refreshed {
            Ok(new) => new,
            Err(MyCaseError::ReconnectNeeded { reason }) => {
                // Our lease may have expired under a very slow call and someone else rotated
                // the token meanwhile: their result is as good as ours.
                if let Ok(again) = self.store.load().await
                    && again.refresh_token != stored.refresh_token
                    && is_newer(&again, stale)
                {
                    return Ok(again);
                }
                tracing::warn!(reason = %reason, "MyCase refused the refresh token");
                return Err(MyCaseError::ReconnectNeeded { reason });
            }
            Err(e) => return Err(e),
        };
        if new.firm_uuid.is_none() {
            new.firm_uuid = stored.firm_uuid.clone();
        }
        match self.save_with_retries(&new).await {
            Ok(()) => {
                tracing::info!("MyCase tokens refreshed and stored");
                Ok(new)
            }
            Err(e) => {
                tracing::error!(error = %e, "MyCase tokens refreshed but could not be stored");
                *self.unsaved_slot() = Some(new);
                Err(not_saved_error(&e))
            }
        }
    }

    async fn save_with_retries(&self, tokens: &TokenSet) -> Result<(), TokenStoreError> {
        let attempts = self.timing.save_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.store.save(tokens).await {
                Ok(()) => return Ok(()),
                Err(e) if attempt >= attempts => return Err(e),
                Err(e) => {
                    let pause = Duration::from_millis(100 << (attempt - 1).min(5))
                        + Duration::from_millis(rand::rng().random_range(0..=100));
                    tracing::warn!(attempt, error = %e, "saving MyCase tokens failed; retrying");
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }
}

/// `stored` holds tokens other than the stale ones, and they are not about to expire.
fn is_newer(stored: &TokenSet, stale_access_token: &str) -> bool {
    stored.access_token != stale_access_token && !stored.expires_within(REFRESH_MARGIN)
}
