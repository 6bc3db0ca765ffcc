//! Webhook rules: target URLs and the addresses they may not reach, secrets, the Standard
//! Webhooks signature, and the retry schedule.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Longest target URL accepted.
pub const MAX_URL_LEN: usize = 2000;
/// The longest gap between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);
const SECRET_PREFIX: &str = "whsec_";

/// A target URL: absolute `http` or `https`, with a host, without credentials or a fragment.
pub fn check_url(raw: &str) -> Result<url::Url, String> {
    if raw.len() > MAX_URL_LEN {
        return Err(format!("must be at most {MAX_URL_LEN} characters"));
    }
    let url = url::Url::parse(raw).map_err(|e| format!("is not an absolute URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("must be http or https, not {}", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("may not carry credentials; authenticate by the signature".into());
    }
    if url.fragment().is_some() {
        return Err("may not have a fragment".into());
    }
    Ok(url)
}

/// Addresses a webhook may not reach unless configured to: loopback, private, link-local,
/// carrier-grade NAT, unspecified, broadcast, multicast, and IPv6 unique-local and the IPv4
/// addresses mapped into IPv6.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).expect("the operating system provides randomness");
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The key bytes of a secret; a supplied one must be `whsec_` and 24 to 64 bytes in base64.
pub fn secret_key(secret: &str) -> Result<Vec<u8>, String> {
    let key = secret
        .strip_prefix(SECRET_PREFIX)
        .and_then(|b| STANDARD.decode(b).ok())
        .ok_or_else(|| "must be whsec_ followed by base64".to_string())?;
    if !(24..=64).contains(&key.len()) {
        return Err(format!(
            "must hold 24 to 64 bytes of key, not {}",
            key.len()
        ));
    }
    Ok(key)
}

/// The `webhook-signature` header value: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` (Standard Webhooks).
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The wait before attempt `attempts + 1`, after `attempts` failed ones: `base`, doubling, up to
/// an hour.
pub fn backoff(attempts: i32, base: Duration) -> Duration {
    let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
    base.saturating_mul(1 << doublings).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(check_url("https://hooks.example.org/chub").is_ok());
        assert!(check_url("ftp://example.org").is_err());
        assert!(check_url("https://u:p@example.org").is_err());
        assert!(check_url("/relative").is_err());
        assert!(check_url("https://example.org/#x").is_err());
    }

    #[test]
    fn internal_addresses_are_known() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "100.128.0.1"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn secrets_round_trip_and_backoff_doubles() {
        let s = new_secret();
        assert_eq!(secret_key(&s).unwrap().len(), 32);
        assert!(secret_key("whsec_c2hvcnQ=").is_err());
        assert!(secret_key("nope").is_err());
        let base = Duration::from_secs(10);
        assert_eq!(backoff(1, base), base);
        assert_eq!(backoff(3, base), Duration::from_secs(40));
        assert_eq!(backoff(30, base), MAX_BACKOFF);
    }

    #[test]
    fn the_signature_matches_the_standard_webhooks_example() {
        // The example in the Standard Webhooks specification.
        let key = secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
