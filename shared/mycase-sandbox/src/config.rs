//! Configuration of one sandbox instance.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// An OAuth client registered with the fake authorization server. In real life MyCase
/// support issues these and fixes the redirect URI; here the test or demo decides.
#[derive(Debug, Clone)]
pub struct OAuthClientReg {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen. Port 0 picks a free port (see [`crate::Sandbox::base_url`]).
    pub addr: SocketAddr,
    pub oauth_clients: Vec<OAuthClientReg>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// The starting value of the `rate_limit_per_second` fault switch; `None` = no limit.
    pub rate_limit_per_second: Option<f64>,
    /// Where uploaded document bytes are written.
    pub data_dir: PathBuf,
    /// Fake-S3 PUTs larger than this get 413 `EntityTooLarge`.
    pub max_upload_bytes: u64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            oauth_clients: vec![OAuthClientReg {
                client_id: "hona-local-client".into(),
                client_secret: "hona-local-secret".into(),
                redirect_uri: "http://127.0.0.1:8787/oauth/callback".into(),
            }],
            access_token_ttl: Duration::from_secs(86_400),
            refresh_token_ttl: Duration::from_secs(14 * 86_400),
            rate_limit_per_second: Some(25.0),
            // Unique per config so parallel test sandboxes never share upload files.
            data_dir: std::env::temp_dir().join(format!(
                "mycase-sandbox-{}-{}",
                std::process::id(),
                crate::crypto::random_hex(6)
            )),
            max_upload_bytes: 100 * 1024 * 1024,
        }
    }
}
