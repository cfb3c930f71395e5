//! Secrets Manager: the OAuth app's credentials and each integration's tokens.
//!
//! Tokens are a JSON `TokenSet` at `{prefix}/tokens/{integration_id}`. A refresh
//! writes the new pair with `PutSecretValue` before the access token is used, so a
//! crash right after a refresh never loses the (single-use) new refresh token.

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use mycase_client::{OAuthApp, TokenSet, TokenStore, TokenStoreError};
use serde::Deserialize;

fn describe<E: std::error::Error + 'static>(e: E) -> String {
    aws_smithy_types::error::display::DisplayErrorContext(&e).to_string()
}

async fn read_secret(client: &Client, name: &str) -> Result<String, TokenStoreError> {
    let out = client
        .get_secret_value()
        .secret_id(name)
        .send()
        .await
        .map_err(|e| {
            let missing = e
                .as_service_error()
                .is_some_and(|se| se.is_resource_not_found_exception());
            if missing {
                TokenStoreError::permanent(format!("secret {name} does not exist"))
            } else {
                TokenStoreError::transient(format!("reading secret {name}: {}", describe(e)))
            }
        })?;
    out.secret_string
        .ok_or_else(|| TokenStoreError::permanent(format!("secret {name} has no string value")))
}

/// One integration's tokens.
pub struct SecretsTokenStore {
    client: Client,
    name: String,
}

impl SecretsTokenStore {
    pub fn new(client: Client, name: String) -> Self {
        Self { client, name }
    }
}

#[async_trait]
impl TokenStore for SecretsTokenStore {
    async fn load(&self) -> Result<TokenSet, TokenStoreError> {
        let raw = read_secret(&self.client, &self.name).await?;
        // The error names the secret, never its content.
        serde_json::from_str(&raw).map_err(|_| {
            TokenStoreError::permanent(format!("secret {} is not a token set", self.name))
        })
    }

    async fn save(&self, tokens: &TokenSet) -> Result<(), TokenStoreError> {
        let raw = serde_json::to_string(tokens)
            .map_err(|_| TokenStoreError::permanent("token set did not serialise"))?;
        self.client
            .put_secret_value()
            .secret_id(&self.name)
            .secret_string(raw)
            .send()
            .await
            .map_err(|e| {
                TokenStoreError::transient(format!("writing secret {}: {}", self.name, describe(e)))
            })?;
        Ok(())
    }
}

#[derive(Deserialize)]
struct OAuthClientSecret {
    client_id: String,
    client_secret: String,
    #[serde(default)]
    redirect_uri: String,
}

/// Reads the OAuth app's credentials (`{prefix}/oauth-client`).
pub async fn load_oauth_app(client: &Client, name: &str) -> Result<OAuthApp, TokenStoreError> {
    let raw = read_secret(client, name).await?;
    let secret: OAuthClientSecret = serde_json::from_str(&raw)
        .map_err(|_| TokenStoreError::permanent(format!("secret {name} is not an OAuth client")))?;
    Ok(OAuthApp {
        client_id: secret.client_id,
        client_secret: secret.client_secret,
        redirect_uri: secret.redirect_uri,
    })
}

/// Every integration's tokens: the connect flow creates or replaces them.
pub struct SecretsTokenVault {
    client: Client,
    names: crate::config::ResourceNames,
}

impl SecretsTokenVault {
    pub fn new(client: Client, names: crate::config::ResourceNames) -> Self {
        Self { client, names }
    }
}

#[async_trait]
impl hona_operations::ports::TokenVault for SecretsTokenVault {
    async fn store(
        &self,
        integration: &hona_domain::ids::IntegrationId,
        tokens: &TokenSet,
    ) -> Result<(), hona_domain::StoreError> {
        let name = self.names.tokens_secret(integration.as_str());
        let fail = |operation, e: String| hona_domain::StoreError::new("secrets", operation, e);
        let raw = serde_json::to_string(tokens)
            .map_err(|_| fail("serialise", "token set did not serialise".into()))?;
        let put = self
            .client
            .put_secret_value()
            .secret_id(&name)
            .secret_string(&raw)
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_not_found_exception()) =>
            {
                // A first connection: the secret does not exist yet.
                self.client
                    .create_secret()
                    .name(&name)
                    .secret_string(raw)
                    .send()
                    .await
                    .map_err(|e| fail("create", describe(e)))?;
                Ok(())
            }
            Err(e) => Err(fail("put", describe(e))),
        }
    }
}

/// The connect `state` signing key (`{prefix}/state-signing-key`), as bytes.
pub async fn load_state_signing_key(
    client: &Client,
    name: &str,
) -> Result<Vec<u8>, TokenStoreError> {
    let raw = read_secret(client, name).await?;
    if raw.trim().len() < 16 {
        return Err(TokenStoreError::permanent(format!(
            "secret {name} must hold at least 16 characters"
        )));
    }
    Ok(raw.trim().as_bytes().to_vec())
}
