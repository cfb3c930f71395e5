//! Connects an integration to MyCase: its own tokens (Secrets Manager), its own
//! refresh lease (DynamoDB), the process-wide transport and rate limiter.
//!
//! Clients are kept per integration for the life of the Lambda instance, so a warm
//! instance reuses the access token it already has instead of reading the secret
//! on every event.

use crate::config::ResourceNames;
use crate::dynamo::lease::DynamoRefreshLease;
use crate::secrets::{SecretsTokenStore, load_oauth_app};
use async_trait::async_trait;
use hona_domain::PushError;
use hona_domain::Reason;
use hona_domain::ids::IntegrationId;
use hona_domain::integration::Integration;
use hona_domain::ports::Connect;
use mycase_adapter::{MyCase, MyCasePort};
use mycase_client::{MyCaseClient, OAuthApp, TokenManager, Transport};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

pub struct MyCaseConnector {
    transport: Arc<Transport>,
    secrets: aws_sdk_secretsmanager::Client,
    dynamo: aws_sdk_dynamodb::Client,
    names: ResourceNames,
    app: OnceCell<OAuthApp>,
    clients: Mutex<HashMap<IntegrationId, MyCaseClient>>,
}

impl MyCaseConnector {
    pub fn new(
        transport: Arc<Transport>,
        secrets: aws_sdk_secretsmanager::Client,
        dynamo: aws_sdk_dynamodb::Client,
        names: ResourceNames,
    ) -> Self {
        Self {
            transport,
            secrets,
            dynamo,
            names,
            app: OnceCell::new(),
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The MyCase client of one integration (created on first use).
    pub async fn client(&self, integration: &Integration) -> Result<MyCaseClient, PushError> {
        if let Some(client) = self
            .clients
            .lock()
            .expect("not poisoned")
            .get(&integration.id)
        {
            return Ok(client.clone());
        }
        let app = oauth_app(&self.app, &self.secrets, &self.names).await?;
        let id = integration.id.as_str();
        let store = SecretsTokenStore::new(self.secrets.clone(), self.names.tokens_secret(id));
        let lease =
            DynamoRefreshLease::new(self.dynamo.clone(), self.names.leases_table.clone(), id);
        let tokens = TokenManager::new(app.clone(), Arc::new(store), Arc::new(lease));
        let client = MyCaseClient::new(self.transport.clone(), Arc::new(tokens));
        let mut clients = self.clients.lock().expect("not poisoned");
        // Another task may have raced us here; keep the first so both share one token cache.
        Ok(clients
            .entry(integration.id.clone())
            .or_insert(client)
            .clone())
    }
}

/// The connector hands out one integration's MyCase client, scoped to the invocation's
/// deadline, behind whichever port a push type needs ([`MyCasePort`] lists them): one
/// body for every port.
#[async_trait]
impl<Port: ?Sized + MyCasePort> Connect<Port> for MyCaseConnector {
    async fn connect(
        &self,
        integration: &Integration,
        deadline: tokio::time::Instant,
    ) -> Result<Arc<Port>, PushError> {
        let client = self.client(integration).await?;
        Ok(Port::behind(MyCase::new(client.with_deadline(deadline))))
    }
}

/// The nightly keep-alive and connection check, with the integration's own tokens.
#[async_trait]
impl hona_operations::ports::MyCaseHealth for MyCaseConnector {
    async fn keep_alive(&self, integration: &Integration) -> Result<(), PushError> {
        let client = self.client(integration).await?;
        client
            .tokens()
            .refresh_now(client.transport())
            .await
            .map_err(mycase_adapter::push_error)
    }

    async fn check(&self, integration: &Integration) -> Result<(), PushError> {
        let client = self.client(integration).await?;
        client
            .firm()
            .await
            .map(|_| ())
            .map_err(mycase_adapter::push_error)
    }
}

/// MyCase's OAuth server for the connect flow: the app's credentials (read once) and
/// the shared transport (so token calls count against the same rate budget).
pub struct MyCaseOAuthApp {
    transport: Arc<Transport>,
    secrets: aws_sdk_secretsmanager::Client,
    names: ResourceNames,
    app: OnceCell<OAuthApp>,
}

impl MyCaseOAuthApp {
    pub fn new(
        transport: Arc<Transport>,
        secrets: aws_sdk_secretsmanager::Client,
        names: ResourceNames,
    ) -> Self {
        Self {
            transport,
            secrets,
            names,
            app: OnceCell::new(),
        }
    }

    async fn app(&self) -> Result<&OAuthApp, PushError> {
        oauth_app(&self.app, &self.secrets, &self.names).await
    }
}

/// The MyCase OAuth app's credentials, read from Secrets Manager on first use into `app`
/// and kept there for the life of the instance.
async fn oauth_app<'a>(
    app: &'a OnceCell<OAuthApp>,
    secrets: &aws_sdk_secretsmanager::Client,
    names: &ResourceNames,
) -> Result<&'a OAuthApp, PushError> {
    app.get_or_try_init(|| async { load_oauth_app(secrets, &names.oauth_client_secret()).await })
        .await
        .map_err(|e| {
            PushError::transient(
                Reason::OauthClientUnavailable,
                format!(
                    "The MyCase OAuth client credentials could not be read: {}",
                    e.message()
                ),
            )
        })
}

#[async_trait]
impl hona_operations::ports::MyCaseOAuth for MyCaseOAuthApp {
    async fn authorize_url(&self, state: &str) -> Result<String, PushError> {
        Ok(self
            .app()
            .await?
            .authorize_url(self.transport.endpoints(), state)
            .to_string())
    }

    async fn exchange_code(&self, code: &str) -> Result<mycase_client::TokenSet, PushError> {
        self.app()
            .await?
            .exchange_code(&self.transport, code)
            .await
            .map_err(mycase_adapter::push_error)
    }

    async fn authorised_by(
        &self,
        tokens: &mycase_client::TokenSet,
    ) -> Result<hona_domain::ids::StaffId, PushError> {
        let me = MyCaseClient::me_with_access_token(&self.transport, &tokens.access_token)
            .await
            .map_err(mycase_adapter::push_error)?;
        hona_domain::ids::StaffId::new(me.id).map_err(|_| {
            PushError::permanent(
                Reason::InvalidStaff,
                "MyCase answered /me without a staff id.",
            )
        })
    }
}
