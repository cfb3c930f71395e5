//! The client index: each integration's MyCase clients by normalised email and E.164
//! phone, so a lead is matched in one store read instead of a dozen MyCase lookups
//! (an email filter, then four spellings of the number on each of three phone fields).
//!
//! - Built once from every page of `GET /v1/clients` (1,000 a page), a few pages per
//!   call, resumable: the next page's token is kept with the build.
//! - Kept fresh with `filter[updated_after]` before each lookup (one request when nothing
//!   changed), by the nightly sync, and by the bundle's own creates.
//! - It only *nominates*: the one candidate is read back from MyCase and checked by the
//!   same rules as before (its email equal ignoring case, or one of its numbers equal once
//!   in E.164) before a lead links to it. A stale entry therefore costs a request, never
//!   a wrong link; a client MyCase no longer has is dropped.
//! - While the index is being built, MyCase is asked directly, as before it existed.
//!
//! MyCase's filter has no "deleted" view; the confirmation read catches deletions.

use super::matching::{has_phone, oldest_first};
use crate::error::PushError;
use crate::ids::{ClientId, E164Phone, EmailAddress, IntegrationId};
use crate::integration::Integration;
use crate::ports::{
    ClientContact, ClientIndex, Clients, Connect, IndexKey, IndexProgress, IndexedClient,
};
use crate::reason::Reason;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tracing::info;

/// Pages of the build one lead may spend (a firm with up to 3,000 clients is indexed by
/// its first lead; a larger one over its next few, asking MyCase directly meanwhile).
pub const BUILD_PAGES_PER_LEAD: usize = 3;
/// Pages of the build one nightly run may spend per integration.
pub const BUILD_PAGES_NIGHTLY: usize = 20;
/// Pages of changes one catch-up reads at most (1,000 changed clients each).
const CATCH_UP_PAGES: usize = 20;
/// Changes are read from this long before the build began, for the gap between our
/// clock and MyCase's.
const CLOCK_MARGIN: chrono::Duration = chrono::Duration::minutes(5);

/// The keys a MyCase client is filed under: its email (lower case) and each of its
/// numbers that reads as a phone number (in E.164).
pub fn keys_of(client: &ClientContact) -> IndexedClient {
    let mut keys = std::collections::BTreeSet::new();
    if let Some(email) = client.email.as_deref().and_then(email_key) {
        keys.insert(email);
    }
    for phone in &client.phones {
        if let Ok(p) = E164Phone::parse(phone) {
            keys.insert(phone_key(&p));
        }
    }
    IndexedClient {
        id: client.id,
        keys,
        updated_at: client.updated_at,
    }
}

fn email_key(raw: &str) -> Option<IndexKey> {
    let e = raw.trim();
    (!e.is_empty()).then(|| IndexKey::Email(e.to_ascii_lowercase()))
}

pub fn lead_email_key(email: &EmailAddress) -> IndexKey {
    IndexKey::Email(email.as_str().trim().to_ascii_lowercase())
}

pub fn phone_key(phone: &E164Phone) -> IndexKey {
    IndexKey::Phone(phone.as_str().to_owned())
}

/// Brings the integration's index up to date with MyCase, spending at most
/// `build_pages` pages on a build. `true` when the index is complete afterwards.
pub async fn refresh(
    index: &dyn ClientIndex,
    mycase: &dyn Clients,
    integration: &IntegrationId,
    build_pages: usize,
) -> Result<bool, PushError> {
    match index.progress(integration).await? {
        Some(IndexProgress::Ready { watermark }) => {
            catch_up(index, mycase, integration, watermark).await?;
            Ok(true)
        }
        Some(IndexProgress::Building { page_token, since }) => {
            build(index, mycase, integration, (page_token, since), build_pages).await
        }
        None => {
            let since = Utc::now() - CLOCK_MARGIN;
            build(index, mycase, integration, (None, since), build_pages).await
        }
    }
}

async fn build(
    index: &dyn ClientIndex,
    mycase: &dyn Clients,
    integration: &IntegrationId,
    (mut token, since): (Option<String>, DateTime<Utc>),
    pages: usize,
) -> Result<bool, PushError> {
    for _ in 0..pages {
        let page = match mycase.client_page(None, token.as_deref()).await {
            Ok(page) => page,
            Err(e) if e.reason == Reason::PageTokenExpired => {
                // The build paused longer than MyCase keeps a cursor: start it again.
                info!(integration_id = %integration, "client index cursor expired; rebuilding");
                let restart = IndexProgress::Building {
                    page_token: None,
                    since: Utc::now() - CLOCK_MARGIN,
                };
                index.set_progress(integration, &restart).await?;
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        for client in &page.clients {
            index.put_client(integration, &keys_of(client)).await?;
        }
        token = page.next;
        let progress = match &token {
            None => IndexProgress::Ready { watermark: since },
            Some(_) => IndexProgress::Building {
                page_token: token.clone(),
                since,
            },
        };
        index.set_progress(integration, &progress).await?;
        if token.is_none() {
            info!(integration_id = %integration, "client index built");
            return Ok(true);
        }
    }
    Ok(false)
}

/// Files every client changed at or after `watermark`, then moves the watermark to the
/// latest change MyCase reported (its own clock, so ours cannot skip a change).
async fn catch_up(
    index: &dyn ClientIndex,
    mycase: &dyn Clients,
    integration: &IntegrationId,
    watermark: DateTime<Utc>,
) -> Result<(), PushError> {
    let mut token: Option<String> = None;
    let mut newest = watermark;
    for _ in 0..CATCH_UP_PAGES {
        let page = mycase
            .client_page(Some(watermark), token.as_deref())
            .await?;
        for client in &page.clients {
            index.put_client(integration, &keys_of(client)).await?;
            newest = newest.max(client.updated_at.unwrap_or(watermark));
        }
        token = page.next;
        if token.is_none() {
            break;
        }
    }
    // Pages come in id order, not time order: only a complete read moves the watermark.
    if token.is_none() && newest > watermark {
        let ready = IndexProgress::Ready { watermark: newest };
        index.set_progress(integration, &ready).await?;
    }
    Ok(())
}

/// The oldest client filed under `key` that MyCase confirms `fits`. Each candidate read
/// back is re-filed as MyCase has it now (or dropped when MyCase no longer has it).
pub async fn confirm_oldest(
    index: &dyn ClientIndex,
    mycase: &dyn Clients,
    integration: &IntegrationId,
    key: &IndexKey,
    fits: impl Fn(&ClientContact) -> bool,
) -> Result<Option<ClientId>, PushError> {
    for id in oldest_first(index.clients_with(integration, key).await?) {
        match mycase.client(id).await? {
            Some(client) => {
                index.put_client(integration, &keys_of(&client)).await?;
                if fits(&client) {
                    return Ok(Some(id));
                }
            }
            None => index.remove_client(integration, id).await?,
        }
    }
    Ok(None)
}

/// Email first, then phone, against the index (SPEC §4, as [`super::matching`]).
pub async fn find_indexed(
    index: &dyn ClientIndex,
    mycase: &dyn Clients,
    integration: &IntegrationId,
    email: Option<&EmailAddress>,
    phone: Option<&E164Phone>,
) -> Result<Option<(ClientId, super::matching::MatchedBy)>, PushError> {
    use super::matching::MatchedBy;
    if let Some(email) = email {
        let key = lead_email_key(email);
        let fits = |c: &ClientContact| c.email.as_deref().is_some_and(|e| email.matches(e));
        if let Some(id) = confirm_oldest(index, mycase, integration, &key, fits).await? {
            return Ok(Some((id, MatchedBy::Email)));
        }
    }
    if let Some(phone) = phone {
        let fits = |c: &ClientContact| has_phone(c, phone);
        let key = phone_key(phone);
        if let Some(id) = confirm_oldest(index, mycase, integration, &key, fits).await? {
            return Ok(Some((id, MatchedBy::Phone)));
        }
    }
    Ok(None)
}

/// The nightly's part: bring each integration's client index up to date (or carry
/// its build on), within [`BUILD_PAGES_NIGHTLY`] pages.
#[derive(Clone)]
pub struct ClientIndexUpkeep {
    pub index: Arc<dyn ClientIndex>,
    pub mycase: Arc<dyn Connect<dyn Clients>>,
}

impl ClientIndexUpkeep {
    /// `true` when the index is complete afterwards.
    pub async fn refresh(
        &self,
        integration: &Integration,
        deadline: tokio::time::Instant,
    ) -> Result<bool, PushError> {
        let mycase = self.mycase.connect(integration, deadline).await?;
        refresh(
            self.index.as_ref(),
            mycase.as_ref(),
            &integration.id,
            BUILD_PAGES_NIGHTLY,
        )
        .await
    }
}
