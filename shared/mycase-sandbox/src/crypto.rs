//! Small crypto helpers: HMAC-SHA256 (for JWT-shaped tokens, page tokens and presigned
//! fake-S3 URLs), base64url, random tokens and v4 UUIDs. HMAC is written out here because
//! it is a dozen lines on top of `sha2` and saves a dependency.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .into()
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
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
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
        let uuid = uuid_v4();
        assert_eq!(uuid.len(), 36);
        assert_eq!(&uuid[14..15], "4");
    }
}
