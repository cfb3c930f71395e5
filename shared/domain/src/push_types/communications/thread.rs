//! One Communications thread per case, whoever logs first.
//!
//! Messages and notifications arrive on two queues, so the first message and the
//! first notification of a case can race. The thread id lives in a store keyed by
//! (integration, case); creating it needs a claim there first, so only one racer
//! ever calls MyCase. The claim lapses, so a racer that died mid-creation does not
//! block the case forever.
//!
//! The thread opens with a fixed header message rather than with the first entry:
//! creating the thread is then not tied to any one event, and an entry's
//! exactly-once bookkeeping stays the plain "one message per event".

use crate::error::PushError;
use crate::ids::{CaseId, IntegrationId, StaffId};
use crate::ports::{CaseThreads, Communications, ThreadSlot};
use crate::reason::Reason;
use chrono::Utc;
use std::time::Duration;

pub const THREAD_SUBJECT: &str = "Hona: texts, portal messages and notifications";
pub const THREAD_HEADER: &str = "Hona logs this case's text messages, portal messages and notifications in this thread, each with when it was sent, who sent it and the full text.";

/// How long a creation claim holds before another racer may take over.
const CLAIM_FOR: chrono::Duration = chrono::Duration::seconds(30);
/// How often a waiting racer looks again.
const POLL_EVERY: Duration = Duration::from_millis(150);

pub fn thread_key(integration: &IntegrationId, case: CaseId) -> String {
    format!("{integration}#{case}")
}

/// Returns the case's thread, creating it if this is the first entry.
pub async fn thread_for_case(
    threads: &dyn CaseThreads,
    mycase: &dyn Communications,
    integration: &IntegrationId,
    case: CaseId,
    sender: StaffId,
    owner: &str,
    wait_until: tokio::time::Instant,
) -> Result<i64, PushError> {
    let key = thread_key(integration, case);
    loop {
        match threads.get(&key).await? {
            Some(ThreadSlot::Ready(thread)) => return Ok(thread),
            Some(ThreadSlot::Creating { until, .. }) if until > Utc::now() => {
                // Someone else is creating it right now: wait for them.
            }
            _ => {
                let now = Utc::now();
                if threads.claim(&key, owner, now + CLAIM_FOR, now).await? {
                    let created = mycase
                        .create_case_thread(case, THREAD_SUBJECT, THREAD_HEADER, sender)
                        .await;
                    let thread = match created {
                        Ok(thread) => thread,
                        Err(e) => {
                            // Best effort: if this fails too, the claim lapses on its own.
                            let _ = threads.release(&key, owner).await;
                            return Err(e);
                        }
                    };
                    threads.set_ready(&key, owner, thread).await?;
                    return Ok(thread);
                }
                // Lost the race for the claim: loop and read the winner's slot.
                continue;
            }
        }
        if tokio::time::Instant::now() + POLL_EVERY >= wait_until {
            return Err(PushError::transient(
                Reason::ThreadBeingCreated,
                "Another invocation is creating this case's thread; the entry will be retried.",
            ));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Remembers threads once they are ready, so a warm instance does not read the
/// store for every entry of a case: a ready thread id never changes, and the only
/// way it goes away is [`CaseThreads::forget`], which this cache passes on.
pub struct ReadyThreadCache<T> {
    inner: T,
    ready: std::sync::Mutex<std::collections::HashMap<String, i64>>,
}

impl<T> ReadyThreadCache<T> {
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            ready: Default::default(),
        }
    }
}

#[async_trait::async_trait]
impl<T: CaseThreads> CaseThreads for ReadyThreadCache<T> {
    async fn get(&self, key: &str) -> Result<Option<ThreadSlot>, crate::StoreError> {
        if let Some(thread) = self.ready.lock().expect("not poisoned").get(key) {
            return Ok(Some(ThreadSlot::Ready(*thread)));
        }
        let slot = self.inner.get(key).await?;
        if let Some(ThreadSlot::Ready(thread)) = slot {
            self.ready
                .lock()
                .expect("not poisoned")
                .insert(key.to_owned(), thread);
        }
        Ok(slot)
    }

    async fn claim(
        &self,
        key: &str,
        owner: &str,
        until: chrono::DateTime<Utc>,
        now: chrono::DateTime<Utc>,
    ) -> Result<bool, crate::StoreError> {
        self.inner.claim(key, owner, until, now).await
    }

    async fn set_ready(
        &self,
        key: &str,
        owner: &str,
        thread: i64,
    ) -> Result<(), crate::StoreError> {
        self.inner.set_ready(key, owner, thread).await?;
        self.ready
            .lock()
            .expect("not poisoned")
            .insert(key.to_owned(), thread);
        Ok(())
    }

    async fn release(&self, key: &str, owner: &str) -> Result<(), crate::StoreError> {
        self.inner.release(key, owner).await
    }

    async fn forget(&self, key: &str, thread: i64) -> Result<(), crate::StoreError> {
        {
            let mut ready = self.ready.lock().expect("not poisoned");
            if ready.get(key) == Some(&thread) {
                ready.remove(key);
            }
        }
        self.inner.forget(key, thread).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::MemoryThreads;

    #[tokio::test]
    async fn a_ready_thread_is_read_once_and_forgetting_it_reaches_the_store() {
        let cache = ReadyThreadCache::new(MemoryThreads::default());
        let now = Utc::now();
        assert!(
            cache
                .claim("k", "evt_1", now + chrono::Duration::seconds(30), now)
                .await
                .unwrap()
        );
        cache.set_ready("k", "evt_1", 7).await.unwrap();
        // Gone from the store behind the cache's back: the cache still answers…
        cache.inner.0.lock().unwrap().clear();
        assert_eq!(cache.get("k").await.unwrap(), Some(ThreadSlot::Ready(7)));
        // …until the thread is forgotten (MyCase said it is gone).
        cache.forget("k", 7).await.unwrap();
        assert_eq!(cache.get("k").await.unwrap(), None);
    }

    #[tokio::test]
    async fn slots_still_being_created_are_never_cached() {
        let cache = ReadyThreadCache::new(MemoryThreads::default());
        let now = Utc::now();
        assert!(
            cache
                .claim("k", "evt_1", now + chrono::Duration::seconds(30), now)
                .await
                .unwrap()
        );
        assert!(matches!(
            cache.get("k").await.unwrap(),
            Some(ThreadSlot::Creating { .. })
        ));
        cache.inner.set_ready("k", "evt_1", 9).await.unwrap();
        assert_eq!(cache.get("k").await.unwrap(), Some(ThreadSlot::Ready(9)));
    }
}
