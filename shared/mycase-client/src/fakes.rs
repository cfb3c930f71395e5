//! In-memory [`TokenStore`] and [`RefreshLease`] for tests (feature `fakes`).
//!
//! Share one of each between several [`crate::TokenManager`]s to simulate concurrent Lambda
//! instances of one integration.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::error::TokenStoreError;
use crate::oauth::TokenSet;
use crate::tokens::{RefreshLease, TokenStore};

/// A token store in memory, with counters and failure injection.
#[derive(Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<Option<TokenSet>>,
    loads: AtomicUsize,
    saves: AtomicUsize,
    fail_saves: AtomicU32,
}

impl MemoryTokenStore {
    pub fn new(tokens: TokenSet) -> Self {
        Self {
            tokens: Mutex::new(Some(tokens)),
            ..Self::default()
        }
    }

    /// A store with nothing in it: `load` fails (permanently), as for a never-connected firm.
    pub fn empty() -> Self {
        Self::default()
    }

    /// What is stored now.
    pub fn current(&self) -> Option<TokenSet> {
        self.tokens.lock().unwrap().clone()
    }

    /// Replaces the stored tokens without counting a save (test setup).
    pub fn set(&self, tokens: TokenSet) {
        *self.tokens.lock().unwrap() = Some(tokens);
    }

    /// Successful saves so far.
    pub fn save_count(&self) -> usize {
        self.saves.load(Ordering::SeqCst)
    }

    pub fn load_count(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }

    /// Makes the next `n` saves fail with a transient error.
    pub fn fail_next_saves(&self, n: u32) {
        self.fail_saves.store(n, Ordering::SeqCst);
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self) -> Result<TokenSet, TokenStoreError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.current()
            .ok_or_else(|| TokenStoreError::permanent("no tokens stored for this integration"))
    }

    async fn save(&self, tokens: &TokenSet) -> Result<(), TokenStoreError> {
        let failing = self
            .fail_saves
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(TokenStoreError::transient("injected save failure"));
        }
        *self.tokens.lock().unwrap() = Some(tokens.clone());
        self.saves.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A lease in memory with expiry (on tokio's clock, so paused-time tests work).
#[derive(Default)]
pub struct MemoryLease {
    holder: Mutex<Option<(String, Instant)>>,
    acquisitions: AtomicUsize,
    releases: AtomicUsize,
}

impl MemoryLease {
    pub fn new() -> Self {
        Self::default()
    }

    /// Times the lease was granted.
    pub fn acquire_count(&self) -> usize {
        self.acquisitions.load(Ordering::SeqCst)
    }

    pub fn release_count(&self) -> usize {
        self.releases.load(Ordering::SeqCst)
    }

    /// The current holder, if its lease has not expired.
    pub fn holder(&self) -> Option<String> {
        let holder = self.holder.lock().unwrap();
        holder
            .as_ref()
            .filter(|(_, until)| *until > Instant::now())
            .map(|(owner, _)| owner.clone())
    }

    /// Makes `owner` hold the lease for `ttl` regardless (simulates another instance).
    pub fn force_hold(&self, owner: &str, ttl: Duration) {
        *self.holder.lock().unwrap() = Some((owner.to_owned(), Instant::now() + ttl));
    }
}

#[async_trait]
impl RefreshLease for MemoryLease {
    async fn try_acquire(&self, owner: &str, ttl: Duration) -> Result<bool, TokenStoreError> {
        let mut holder = self.holder.lock().unwrap();
        let now = Instant::now();
        let free = match holder.as_ref() {
            None => true,
            Some((current, until)) => current == owner || *until <= now,
        };
        if free {
            *holder = Some((owner.to_owned(), now + ttl));
            self.acquisitions.fetch_add(1, Ordering::SeqCst);
        }
        Ok(free)
    }

    async fn release(&self, owner: &str) -> Result<(), TokenStoreError> {
        let mut holder = self.holder.lock().unwrap();
        if holder.as_ref().is_some_and(|(current, _)| current == owner) {
            *holder = None;
            self.releases.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}
