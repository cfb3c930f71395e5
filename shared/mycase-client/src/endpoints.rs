//! Where MyCase lives: the API host and the OAuth host (reference §1–2, SPEC §5).
//!
//! Both are configurable so the same binaries run against MyCase and the local sandbox.

use url::Url;

pub const DEFAULT_API_URL: &str = "https://external-integrations.mycase.com";
pub const DEFAULT_AUTH_URL: &str = "https://auth.mycase.com";

/// A configuration value that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{var} is not a usable http(s) URL: {reason}")]
    InvalidUrl { var: &'static str, reason: String },
}

/// Base URLs of the MyCase Open API (`/v1/...` is appended) and of its OAuth server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyCaseEndpoints {
    pub api_url: Url,
    pub auth_url: Url,
}

impl Default for MyCaseEndpoints {
    fn default() -> Self {
        Self {
            api_url: Url::parse(DEFAULT_API_URL).expect("default API URL is valid"),
            auth_url: Url::parse(DEFAULT_AUTH_URL).expect("default auth URL is valid"),
        }
    }
}

impl MyCaseEndpoints {
    /// Reads `MYCASE_API_URL` and `MYCASE_AUTH_URL` from `lookup` (the functions' own
    /// configuration reads them with [`parse_base`], to name every bad one at once);
    /// unset or empty means the real MyCase.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |var: &'static str, default: &str| -> Result<Url, ConfigError> {
            let raw = lookup(var)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_owned());
            parse_base(var, &raw)
        };
        Ok(Self {
            api_url: read("MYCASE_API_URL", DEFAULT_API_URL)?,
            auth_url: read("MYCASE_AUTH_URL", DEFAULT_AUTH_URL)?,
        })
    }

    /// `{api_url}/v1/{path}` (a path prefix on `api_url` is kept, e.g. a sandbox mount point).
    pub fn api(&self, path: &str) -> Url {
        join(
            &self.api_url,
            &format!("v1/{}", path.trim_start_matches('/')),
        )
    }

    /// `{auth_url}/{path}`.
    pub fn auth(&self, path: &str) -> Url {
        join(&self.auth_url, path)
    }
}

/// `raw` as a base URL for `var`: http(s), able to take a path.
pub fn parse_base(var: &'static str, raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw).map_err(|e| ConfigError::InvalidUrl {
        var,
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(ConfigError::InvalidUrl {
            var,
            reason: format!("scheme {:?} is not http or https", url.scheme()),
        });
    }
    Ok(url)
}

/// Appends `path` to `base`'s path whether or not `base` ends in a slash, dropping any query
/// or fragment of `base` (`Url::join` would instead replace the last segment).
fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!(
        "{}/{}",
        base.path().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    url.set_path(&joined);
    url.set_query(None);
    url.set_fragment(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let e = MyCaseEndpoints::from_lookup(|_| None).unwrap();
        assert_eq!(e, MyCaseEndpoints::default());
        assert_eq!(
            e.api("/cases/5/notes").as_str(),
            "https://external-integrations.mycase.com/v1/cases/5/notes"
        );
        assert_eq!(e.auth("tokens").as_str(), "https://auth.mycase.com/tokens");

        let e = MyCaseEndpoints::from_lookup(|v| match v {
            "MYCASE_API_URL" => Some("http://127.0.0.1:9000/mycase/".into()),
            "MYCASE_AUTH_URL" => Some("  ".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            e.api("firm").as_str(),
            "http://127.0.0.1:9000/mycase/v1/firm"
        );
        assert_eq!(e.auth_url.as_str(), "https://auth.mycase.com/");
    }

    #[test]
    fn rejects_bad_urls() {
        let err = MyCaseEndpoints::from_lookup(|v| {
            (v == "MYCASE_AUTH_URL").then(|| "ftp://x".to_owned())
        })
        .unwrap_err();
        assert!(err.to_string().contains("MYCASE_AUTH_URL"));
        assert!(MyCaseEndpoints::from_lookup(|_| Some("not a url".into())).is_err());
    }
}
