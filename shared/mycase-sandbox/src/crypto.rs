//! Small crypto helpers: HMAC-SHA256 (for JWT-shaped tokens, page tokens and presigned
//! fake-S3 URLs), base64url, random tokens and v4 UUIDs, on the workspace's `hmac`,
//! `sha2` and `uuid` crates.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// Compares without early exit, so signature checks don't leak timing.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rng().fill_bytes(&mut b);
    b
}

pub fn random_token() -> String {
    b64url(&random_bytes::<24>())
}

pub fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub fn uuid_v4() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `payload.signature`, both base64url, the signature being a truncated HMAC. Used for
/// opaque tokens the sandbox hands out and must later trust (page tokens, S3 grants).
pub fn seal(secret: &[u8], payload: &[u8]) -> String {
    let p = b64url(payload);
    let sig = hmac_sha256(secret, p.as_bytes());
    format!("{p}.{}", b64url(&sig[..18]))
}

pub fn unseal(secret: &[u8], token: &str) -> Option<Vec<u8>> {
    let (p, s) = token.split_once('.')?;
    let sig = hmac_sha256(secret, p.as_bytes());
    if !ct_eq(&b64url_decode(s)?, &sig[..18]) {
        return None;
    }
    b64url_decode(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn seal_roundtrip_and_tamper() {
        let t = seal(b"k", b"hello");
        assert_eq!(unseal(b"k", &t).unwrap(), b"hello");
        assert!(unseal(b"other", &t).is_none());
    }

    #[test]
    fn uuid_is_a_lowercase_hyphenated_v4() {
        let uuid = uuid_v4();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
        assert!(matches!(&uuid[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(uuid, uuid.to_lowercase());
    }
}
