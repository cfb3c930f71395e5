//! Connecting a firm's MyCase account (reference §2): a signed, expiring, single-use
//! `state` names the integration across the browser round trip to MyCase's authorize
//! page, and the callback exchanges the code, stores the tokens and records the firm.

use crate::ports::{IntegrationAdmin, MyCaseOAuth, StateNonces, TokenVault};
use crate::settings::Connection;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::Mac;
use hona_domain::error::StoreError;
use hona_domain::ids::{IntegrationId, OrgId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tracing::{info, warn};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// How long a firm admin has to get through MyCase's authorize page.
pub const STATE_TTL: Duration = Duration::minutes(15);

/// What the `state` carries through the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectState {
    #[serde(rename = "i")]
    pub integration_id: IntegrationId,
    #[serde(rename = "o")]
    pub org_id: OrgId,
    /// Random, so each state is used once (see [`StateNonces`]).
    #[serde(rename = "n")]
    pub nonce: String,
    /// Unix seconds.
    #[serde(rename = "e")]
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("the state is not one Hona issued")]
    Malformed,
    #[error("the state's signature does not match")]
    BadSignature,
    #[error("the state has expired")]
    Expired,
}

/// Signs and checks `state` with HMAC-SHA256 (key from Secrets Manager).
pub struct StateSigner {
    key: Vec<u8>,
}

impl StateSigner {
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    fn mac(&self) -> HmacSha256 {
        <HmacSha256 as Mac>::new_from_slice(&self.key).expect("HMAC takes any key length")
    }

    /// `base64url(json).base64url(hmac)`: URL-safe, opaque to the browser.
    pub fn sign(&self, state: &ConnectState) -> String {
        let payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(state).expect("a state serialises"));
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{payload}.{sig}")
    }

    /// Checks the signature (in constant time) before reading anything, then the expiry.
    pub fn verify(&self, raw: &str, now: DateTime<Utc>) -> Result<ConnectState, StateError> {
        let (payload, sig) = raw.split_once('.').ok_or(StateError::Malformed)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| StateError::Malformed)?;
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        mac.verify_slice(&sig)
            .map_err(|_| StateError::BadSignature)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| StateError::Malformed)?;
        let state: ConnectState =
            serde_json::from_slice(&json).map_err(|_| StateError::Malformed)?;
        if state.expires_at <= now.timestamp() {
            return Err(StateError::Expired);
        }
        Ok(state)
    }
}

/// Why a connection did not happen. Each has a plain sentence for the firm admin's
/// browser; none leaks a token or MyCase's own error text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error("This connection link is not valid ({0}). Start again from Hona's settings page.")]
    BadState(StateError),
    #[error(
        "This connection link was already used. Start again from Hona's settings page if MyCase is not connected."
    )]
    StateReplayed,
    #[error("MyCase access was not granted, so nothing was connected. Start again to connect.")]
    Denied,
    #[error("MyCase answered {0:?}; nothing was connected. Start again, or contact Hona support.")]
    MyCaseRefused(String),
    #[error("The redirect from MyCase carried no authorization code.")]
    MissingCode,
    #[error(
        "This integration is connected to a different MyCase firm. Connect that firm's account, or ask Hona support to create a new integration."
    )]
    OtherFirm,
    #[error("MyCase did not accept the authorization ({0}). Start again to connect.")]
    Exchange(String),
    #[error("Hona could not save the connection; try again in a minute ({0}).")]
    Store(String),
}

impl ConnectError {
    /// Machine-readable, for JSON answers and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectError::BadState(StateError::Malformed) => "state_malformed",
            ConnectError::BadState(StateError::BadSignature) => "state_bad_signature",
            ConnectError::BadState(StateError::Expired) => "state_expired",
            ConnectError::StateReplayed => "state_replayed",
            ConnectError::Denied => "access_denied",
            ConnectError::MyCaseRefused(_) => "mycase_refused",
            ConnectError::MissingCode => "missing_code",
            ConnectError::OtherFirm => "other_firm",
            ConnectError::Exchange(_) => "exchange_failed",
            ConnectError::Store(_) => "store_unavailable",
        }
    }

    /// The HTTP status the callback answers with.
    pub fn status(&self) -> u16 {
        match self {
            ConnectError::Store(_) => 503,
            ConnectError::Exchange(_) => 502,
            ConnectError::Denied => 403,
            ConnectError::OtherFirm => 409,
            _ => 400,
        }
    }
}

impl From<StoreError> for ConnectError {
    fn from(e: StoreError) -> Self {
        ConnectError::Store(format!("{} {}", e.store, e.operation))
    }
}

/// The query of MyCase's redirect back to us.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// The connected integration, for the success page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connected {
    pub integration_id: IntegrationId,
    pub firm_uuid: String,
    /// Whether this replaced an earlier connection.
    pub reconnected: bool,
    pub active: bool,
}

pub struct ConnectFlow {
    pub signer: StateSigner,
    pub nonces: Arc<dyn StateNonces>,
    pub oauth: Arc<dyn MyCaseOAuth>,
    pub tokens: Arc<dyn TokenVault>,
    pub admin: Arc<dyn IntegrationAdmin>,
}

impl ConnectFlow {
    /// The MyCase authorize URL to send the firm admin's browser to.
    pub async fn start(
        &self,
        integration_id: IntegrationId,
        org_id: OrgId,
        now: DateTime<Utc>,
    ) -> Result<String, ConnectError> {
        if let Some(existing) = self.admin.record(&integration_id).await?
            && existing.integration.org_id != org_id
        {
            // Never let one org connect (and so take over) another org's integration.
            return Err(ConnectError::BadState(StateError::Malformed));
        }
        let state = ConnectState {
            integration_id,
            org_id,
            nonce: format!("{:032x}", rand::random::<u128>()),
            expires_at: (now + STATE_TTL).timestamp(),
        };
        self.oauth
            .authorize_url(&self.signer.sign(&state))
            .await
            .map_err(|e| ConnectError::Store(e.reason.to_string()))
    }

    /// MyCase's redirect: check the state, exchange the code, store tokens, record the firm.
    pub async fn callback(
        &self,
        callback: &Callback,
        now: DateTime<Utc>,
    ) -> Result<Connected, ConnectError> {
        let (state, code) = self.checked_redirect(callback, now).await?;
        let tokens = self
            .oauth
            .exchange_code(code)
            .await
            .map_err(|e| ConnectError::Exchange(e.reason.to_string()))?;
        let firm_uuid = tokens
            .firm_uuid
            .clone()
            .ok_or_else(|| ConnectError::Exchange("no firm_uuid".into()))?;
        let existing = self.admin.record(&state.integration_id).await?;
        if let Some(record) = &existing
            && let Some(known) = &record.integration.firm_uuid
            && *known != firm_uuid
        {
            // Never send one firm's data to another firm's MyCase account.
            warn!(integration_id = %state.integration_id, "connect refused: a different MyCase firm");
            return Err(ConnectError::OtherFirm);
        }
        let authorised_by = self
            .oauth
            .authorised_by(&tokens)
            .await
            .map_err(|e| ConnectError::Exchange(e.reason.to_string()))?;
        // Tokens before the record: a record pointing at missing tokens would fail every push.
        self.tokens.store(&state.integration_id, &tokens).await?;
        self.admin
            .connected(&Connection {
                integration_id: state.integration_id.clone(),
                org_id: state.org_id.clone(),
                firm_uuid: firm_uuid.clone(),
                authorised_by,
            })
            .await?;
        let reconnected = existing.is_some();
        info!(integration_id = %state.integration_id, reconnected, "MyCase connected");
        Ok(Connected {
            integration_id: state.integration_id,
            firm_uuid,
            reconnected,
            active: existing.is_some_and(|r| r.integration.active),
        })
    }

    /// The redirect's state (signed, unexpired, first use) and its code, or why not.
    async fn checked_redirect<'a>(
        &self,
        callback: &'a Callback,
        now: DateTime<Utc>,
    ) -> Result<(ConnectState, &'a str), ConnectError> {
        // The state first, even on a denial: an unsigned redirect is not ours to act on.
        let raw = callback
            .state
            .as_deref()
            .ok_or(ConnectError::BadState(StateError::Malformed))?;
        let state = self
            .signer
            .verify(raw, now)
            .map_err(ConnectError::BadState)?;
        let expires = DateTime::<Utc>::from_timestamp(state.expires_at, 0).unwrap_or(now);
        if !self.nonces.consume(&state.nonce, expires).await? {
            warn!(integration_id = %state.integration_id, "connect state replayed; refused");
            return Err(ConnectError::StateReplayed);
        }
        match callback.error.as_deref() {
            Some("access_denied") => return Err(ConnectError::Denied),
            Some(other) => return Err(ConnectError::MyCaseRefused(short(other))),
            None => {}
        }
        let code = callback
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or(ConnectError::MissingCode)?;
        Ok((state, code))
    }
}

/// MyCase's error code, bounded and without anything but a code's characters.
fn short(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{FakeOAuth, MemoryAdmin, MemoryNonces, MemoryVault};

    fn state(expires_in: Duration) -> ConnectState {
        ConnectState {
            integration_id: IntegrationId::parse("int_a").unwrap(),
            org_id: OrgId::parse("org_a").unwrap(),
            nonce: "n1".into(),
            expires_at: (Utc::now() + expires_in).timestamp(),
        }
    }

    #[test]
    fn a_signed_state_verifies_and_any_change_is_refused() {
        let signer = StateSigner::new(b"key-one".to_vec());
        let s = state(Duration::minutes(5));
        let raw = signer.sign(&s);
        assert_eq!(signer.verify(&raw, Utc::now()), Ok(s.clone()));

        let other_key = StateSigner::new(b"key-two".to_vec());
        assert_eq!(
            other_key.verify(&raw, Utc::now()),
            Err(StateError::BadSignature)
        );

        // Naming another integration with the same signature.
        let (_, sig) = raw.split_once('.').unwrap();
        let mut forged = s.clone();
        forged.integration_id = IntegrationId::parse("int_b").unwrap();
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(
            signer.verify(&format!("{payload}.{sig}"), Utc::now()),
            Err(StateError::BadSignature)
        );
        assert_eq!(
            signer.verify("garbage", Utc::now()),
            Err(StateError::Malformed)
        );
        assert_eq!(
            signer.verify("a.AAAA", Utc::now()),
            Err(StateError::BadSignature)
        );

        let expired = signer.sign(&state(Duration::seconds(-1)));
        assert_eq!(
            signer.verify(&expired, Utc::now()),
            Err(StateError::Expired)
        );
    }

    fn flow() -> (
        ConnectFlow,
        Arc<MemoryAdmin>,
        Arc<MemoryVault>,
        Arc<FakeOAuth>,
    ) {
        let admin = Arc::new(MemoryAdmin::default());
        let vault = Arc::new(MemoryVault::default());
        let oauth = Arc::new(FakeOAuth::new("firm-1"));
        let flow = ConnectFlow {
            signer: StateSigner::new(b"k".to_vec()),
            nonces: Arc::new(MemoryNonces::default()),
            oauth: oauth.clone(),
            tokens: vault.clone(),
            admin: admin.clone(),
        };
        (flow, admin, vault, oauth)
    }

    fn state_of(url: &str) -> String {
        url.split_once("state=").unwrap().1.to_owned()
    }

    #[tokio::test]
    async fn connect_records_the_firm_once_and_refuses_a_replayed_state() {
        let (flow, admin, vault, _) = flow();
        let id = IntegrationId::parse("int_a").unwrap();
        let url = flow
            .start(id.clone(), OrgId::parse("org_a").unwrap(), Utc::now())
            .await
            .unwrap();
        let cb = Callback {
            code: Some("c1".into()),
            state: Some(state_of(&url)),
            error: None,
        };
        let connected = flow.callback(&cb, Utc::now()).await.unwrap();
        assert_eq!(connected.firm_uuid, "firm-1");
        assert!(!connected.reconnected);
        let record = admin.get("int_a").unwrap();
        assert!(
            !record.integration.active,
            "a new integration starts inactive"
        );
        assert_eq!(
            record.integration.sender_staff_id.get(),
            77,
            "sends as the authorising user"
        );
        assert_eq!(vault.0.lock().unwrap()[&id].access_token, "at-1");

        assert_eq!(
            flow.callback(&cb, Utc::now()).await,
            Err(ConnectError::StateReplayed)
        );
        assert_eq!(
            vault.0.lock().unwrap()[&id].access_token,
            "at-1",
            "nothing replaced"
        );

        // Re-connecting replaces the tokens and clears needs_reconnect.
        admin
            .mark_needs_reconnect(&id, "invalid_grant")
            .await
            .unwrap();
        let url = flow
            .start(id.clone(), OrgId::parse("org_a").unwrap(), Utc::now())
            .await
            .unwrap();
        let again = Callback {
            code: Some("c2".into()),
            state: Some(state_of(&url)),
            error: None,
        };
        assert!(flow.callback(&again, Utc::now()).await.unwrap().reconnected);
        assert_eq!(vault.0.lock().unwrap()[&id].access_token, "at-2");
        assert_eq!(
            admin.get("int_a").unwrap().integration.needs_reconnect,
            None
        );
    }

    #[tokio::test]
    async fn denial_bad_state_and_another_firm_store_nothing() {
        let (flow, admin, vault, oauth) = flow();
        let id = IntegrationId::parse("int_a").unwrap();
        let org = OrgId::parse("org_a").unwrap();
        let url = flow
            .start(id.clone(), org.clone(), Utc::now())
            .await
            .unwrap();
        let denied = Callback {
            code: None,
            state: Some(state_of(&url)),
            error: Some("access_denied".into()),
        };
        assert_eq!(
            flow.callback(&denied, Utc::now()).await,
            Err(ConnectError::Denied)
        );

        let tampered = Callback {
            code: Some("c".into()),
            state: Some(format!("{}x", state_of(&url))),
            error: None,
        };
        assert!(matches!(
            flow.callback(&tampered, Utc::now()).await,
            Err(ConnectError::BadState(_))
        ));
        let no_state = Callback {
            code: Some("c".into()),
            state: None,
            error: None,
        };
        assert!(matches!(
            flow.callback(&no_state, Utc::now()).await,
            Err(ConnectError::BadState(_))
        ));
        let url = flow
            .start(id.clone(), org.clone(), Utc::now())
            .await
            .unwrap();
        let late = Callback {
            code: Some("c".into()),
            state: Some(state_of(&url)),
            error: None,
        };
        let later = Utc::now() + STATE_TTL + Duration::seconds(1);
        assert_eq!(
            flow.callback(&late, later).await,
            Err(ConnectError::BadState(StateError::Expired))
        );
        assert!(vault.0.lock().unwrap().is_empty() && admin.get("int_a").is_none());

        // Connected to firm-1; a later grant for another firm is refused.
        flow.callback(&late, Utc::now()).await.unwrap();
        *oauth.firm_uuid.lock().unwrap() = "firm-2".into();
        let url = flow.start(id.clone(), org, Utc::now()).await.unwrap();
        let other = Callback {
            code: Some("c3".into()),
            state: Some(state_of(&url)),
            error: None,
        };
        assert_eq!(
            flow.callback(&other, Utc::now()).await,
            Err(ConnectError::OtherFirm)
        );
        assert_eq!(vault.0.lock().unwrap()[&id].access_token, "at-1");

        // Another org cannot start a connection for this integration.
        assert!(
            flow.start(id, OrgId::parse("org_b").unwrap(), Utc::now())
                .await
                .is_err()
        );
    }
}
