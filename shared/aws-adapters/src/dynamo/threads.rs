//! Case threads: table `HONA_CASE_THREADS_TABLE`, key `case_key`
//! (`{integration_id}#{case_id}`): `thread_id` (N) once created, or a creation
//! claim (`owner`, `claim_until` epoch ms) while one racer creates it
//! (a `ClaimTable` in `claims.rs`).

use super::claims::{ClaimTable, Slot};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, Utc};
use hona_domain::StoreError;
use hona_domain::ports::{CaseThreads, ThreadSlot};

pub struct DynamoThreads(ClaimTable);

impl DynamoThreads {
    pub fn new(client: Client, table: String) -> Self {
        Self(ClaimTable {
            client,
            table,
            store: "case_threads",
            key: "case_key",
            value: "thread_id",
            created_at: "created_at",
        })
    }
}

#[async_trait]
impl CaseThreads for DynamoThreads {
    async fn get(&self, key: &str) -> Result<Option<ThreadSlot>, StoreError> {
        Ok(self.0.get(key).await?.map(|slot| match slot {
            Slot::Created(thread) => ThreadSlot::Ready(thread),
            Slot::Claimed { owner, until } => ThreadSlot::Creating { owner, until },
        }))
    }

    async fn claim(
        &self,
        key: &str,
        owner: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.0.claim(key, owner, until, now).await
    }

    async fn set_ready(&self, key: &str, owner: &str, thread: i64) -> Result<(), StoreError> {
        self.0.set_created(key, owner, thread).await
    }

    async fn release(&self, key: &str, owner: &str) -> Result<(), StoreError> {
        self.0.release(key, owner).await
    }

    async fn forget(&self, key: &str, thread: i64) -> Result<(), StoreError> {
        self.0.forget(key, thread).await
    }
}
