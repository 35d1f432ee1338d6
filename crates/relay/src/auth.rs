//! Sign-In with Ethereum (EIP-4361) on the relay: single-use nonces, a signed message
//! checked against the relay's app origins, chain and clock, and session tokens (stored
//! only as hashes) that stand in for the era's per-request signatures.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use crynux_protocol::hash::sha256;
use crynux_protocol::signing::{SignScheme, Signature};
use crynux_protocol::Address;

/// How long a nonce may wait for its message.
pub const NONCE_TTL_SECS: u64 = 5 * 60;
/// Nonces waiting at most; the oldest is dropped for a new one.
pub const MAX_NONCES: usize = 4096;
/// How far `Issued At` may be from the relay's clock.
pub const ISSUED_AT_WINDOW_SECS: u64 = 5 * 60;
/// The longest session a message may ask for.
pub const MAX_SESSION_SECS: u64 = crynux_protocol::sign_in::SESSION_SECS;
/// Characters of a nonce (62 symbols: about 143 bits).
const NONCE_CHARS: usize = 24;

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    bytes
}

/// The nonces handed out and not used yet, oldest first, with when each was made.
#[derive(Clone, Default)]
pub struct Nonces(Arc<Mutex<VecDeque<(String, u64)>>>);

impl Nonces {
    /// A fresh alphanumeric nonce, made at `now`.
    pub fn issue(&self, now: u64) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let nonce: String = random_bytes::<NONCE_CHARS>()
            .iter()
            // 256 = 4 × 62 + 8: the first 8 symbols are a little likelier; 143 bits either way.
            .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
            .collect();
        let mut nonces = self.0.lock().unwrap_or_else(|e| e.into_inner());
        nonces.retain(|(_, made)| now.saturating_sub(*made) <= NONCE_TTL_SECS);
        while nonces.len() >= MAX_NONCES {
            nonces.pop_front();
        }
        nonces.push_back((nonce.clone(), now));
        nonce
    }

    /// Uses `nonce` up: whether it was handed out and has not expired at `now`.
    pub fn take(&self, nonce: &str, now: u64) -> bool {
        let mut nonces = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match nonces.iter().position(|(n, _)| n == nonce) {
            Some(at) => nonces
                .remove(at)
                .is_some_and(|(_, made)| now.saturating_sub(made) <= NONCE_TTL_SECS),
            None => false,
        }
    }

    /// How many nonces wait.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a sign-in must match.
#[derive(Debug, Clone)]
pub struct SignInRules {
    /// The app origins allowed to ask for sessions (`http://127.0.0.1:8080`).
    pub app_origins: Vec<String>,
    /// The network's chain id.
    pub chain_id: u64,
}

/// A refused sign-in: the request field at fault and why, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `message` or `signature`.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        field,
        message: message.into(),
    }
}

/// A session granted: who, and until when (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    /// The signer.
    pub address: Address,
    /// When the session ends: the message's expiration time.
    pub expires_at: u64,
}

/// Checks the EIP-4361 `text` and its EIP-191 `signature` at `now`, using its nonce up.
pub fn check_sign_in(
    text: &str,
    signature: &str,
    rules: &SignInRules,
    nonces: &Nonces,
    now: u64,
) -> Result<Grant, Refusal> {
    let message: siwe::Message = text
        .parse()
        .map_err(|e| refuse("message", format!("Not an EIP-4361 message: {e}")))?;
    let domain = message.domain.as_str();
    let origin = rules
        .app_origins
        .iter()
        .find(|origin| origin.split_once("://").map(|(_, host)| host) == Some(domain))
        .ok_or_else(|| {
            refuse(
                "message",
                format!("Domain {domain} is not an app of this relay"),
            )
        })?;
    let uri = message.uri.as_str();
    if !(uri == origin || uri.starts_with(&format!("{origin}/"))) {
        return Err(refuse("message", format!("URI {uri} is not on {origin}")));
    }
    if message.chain_id != rules.chain_id {
        return Err(refuse(
            "message",
            format!(
                "Chain ID {} is not this relay's network ({})",
                message.chain_id, rules.chain_id
            ),
        ));
    }
    let issued_at = unix(&message.issued_at);
    if issued_at.abs_diff(now) > ISSUED_AT_WINDOW_SECS {
        return Err(refuse(
            "message",
            "Issued At is too far from the relay's clock",
        ));
    }
    let expires_at = message
        .expiration_time
        .as_ref()
        .map(unix)
        .ok_or_else(|| refuse("message", "Expiration Time is missing"))?;
    if expires_at <= now {
        return Err(refuse("message", "Expiration Time has passed"));
    }
    // From Issued At, so that a clock a little behind the app's does not refuse a full day.
    if expires_at > issued_at + MAX_SESSION_SECS {
        return Err(refuse(
            "message",
            "Expiration Time is more than 24 hours ahead of Issued At",
        ));
    }
    let address = Address::from(message.address);
    let signer = Signature::from_hex(signature)
        .ok()
        .filter(|s| !s.was_high_s())
        .and_then(|s| s.recover(&SignScheme::Eip191.hash(text.as_bytes())).ok());
    if signer != Some(address) {
        return Err(refuse("signature", "The signature is not the address's"));
    }
    // Last, so that a message refused for another reason leaves its nonce usable.
    if !nonces.take(&message.nonce, now) {
        return Err(refuse("message", "Nonce unknown, used or expired"));
    }
    Ok(Grant {
        address,
        expires_at,
    })
}

/// Unix seconds of an EIP-4361 time (0 before 1970).
fn unix(t: &siwe::TimeStamp) -> u64 {
    u64::try_from(t.as_ref().unix_timestamp()).unwrap_or(0)
}

/// A new session token (256 random bits, hex) and the hash the store keeps of it.
pub fn new_token() -> (String, String) {
    let token = hex::encode(random_bytes::<32>());
    let hash = token_hash(&token);
    (token, hash)
}

/// What the store keeps of `token`.
pub fn token_hash(token: &str) -> String {
    hex::encode(sha256(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use crynux_protocol::sign_in::SignIn;
    use crynux_protocol::signing::PrivateKey;

    use super::*;

    #[test]
    fn the_dapps_message_parses_round_trips_and_is_accepted() {
        let key = PrivateKey::from_bytes(&[7; 32]).unwrap();
        let (nonces, now) = (Nonces::default(), 1_796_094_245);
        let nonce = nonces.issue(now);
        let rules = SignInRules {
            app_origins: vec!["http://127.0.0.1:8080".into()],
            chain_id: 31337,
        };
        let sign_in = SignIn {
            domain: "127.0.0.1:8080",
            uri: "http://127.0.0.1:8080",
            address: key.address(),
            chain_id: 31337,
            nonce: &nonce,
            issued_at: now,
        };
        let text = sign_in.message();
        let parsed: siwe::Message = text.parse().unwrap();
        assert_eq!(parsed.to_string(), text);
        assert_eq!(
            parsed.statement.as_deref(),
            Some(crynux_protocol::sign_in::STATEMENT)
        );
        let signature = key.sign_hash(&SignScheme::Eip191.hash(text.as_bytes()));
        let grant = check_sign_in(&text, &signature.to_hex(), &rules, &nonces, now + 1).unwrap();
        assert_eq!(grant.address, key.address());
        assert_eq!(grant.expires_at, sign_in.expires_at());
        assert_eq!(grant.expires_at - now, MAX_SESSION_SECS);
    }

    #[test]
    fn nonces_are_single_use_expire_and_stay_bounded() {
        let nonces = Nonces::default();
        let first = nonces.issue(1_000);
        assert!(first.len() == NONCE_CHARS && first.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(nonces.take(&first, 1_000));
        assert!(!nonces.take(&first, 1_000), "used once");
        let late = nonces.issue(1_000);
        assert!(!nonces.take(&late, 1_000 + NONCE_TTL_SECS + 1), "expired");
        for _ in 0..MAX_NONCES + 100 {
            nonces.issue(2_000);
        }
        assert_eq!(nonces.len(), MAX_NONCES);
    }
}
