//! The session key at rest: AES-256-GCM under a key derived from the user's passphrase
//! (PBKDF2-SHA-256), both done by the browser's WebCrypto; and the browser's secure random
//! numbers.

use std::fmt;

use crynux_protocol::read::{Fields, FromJson, Read};
use js_sys::{Array, Uint8Array};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesDerivedKeyParams, AesGcmParams, CryptoKey, Pbkdf2Params, SubtleCrypto};

/// PBKDF2 iterations for new sealings (what OWASP recommends for PBKDF2-HMAC-SHA-256).
const ITERATIONS: u32 = 600_000;

/// A secret encrypted with a passphrase: everything needed to decrypt it but the passphrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct Sealed {
    /// PBKDF2 salt, hex.
    pub salt: String,
    /// PBKDF2 iterations.
    pub iterations: u32,
    /// AES-GCM nonce, hex.
    pub iv: String,
    /// The encrypted secret with its GCM tag, hex.
    pub ciphertext: String,
}

impl FromJson for Sealed {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            salt: fields.required("salt")?,
            iterations: fields.required("iterations")?,
            iv: fields.required("iv")?,
            ciphertext: fields.required("ciphertext")?,
        })
    }
}

/// Why a secret could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaultError {
    /// Decryption failed: a wrong passphrase, or a stored secret that was altered.
    WrongPassphrase,
    /// The browser offers no WebCrypto here, or it failed.
    Unavailable(String),
}

impl fmt::Display for VaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongPassphrase => f.write_str(
                "Wrong passphrase: the session wallet stays locked and nothing was changed. \
                 Check it and try again.",
            ),
            Self::Unavailable(reason) => write!(
                f,
                "This browser cannot encrypt the key here ({reason}). The page must be \
                 opened over https or from this computer."
            ),
        }
    }
}

fn unavailable(error: JsValue) -> VaultError {
    let reason = js_sys::Reflect::get(&error, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| "no WebCrypto".into());
    VaultError::Unavailable(reason)
}

fn subtle() -> Result<SubtleCrypto, VaultError> {
    let crypto = web_sys::window()
        .ok_or_else(|| VaultError::Unavailable("no window".into()))?
        .crypto()
        .map_err(unavailable)?;
    Ok(crypto.subtle())
}

/// `N` bytes from the browser's cryptographic random generator (`crypto.getRandomValues`).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], VaultError> {
    let mut bytes = [0; N];
    web_sys::window()
        .ok_or_else(|| VaultError::Unavailable("no window".into()))?
        .crypto()
        .map_err(unavailable)?
        .get_random_values_with_u8_array(&mut bytes)
        .map_err(unavailable)?;
    Ok(bytes)
}

async fn resolve(promise: Result<js_sys::Promise, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(promise?).await
}

/// The AES-GCM key derived from `passphrase` and `salt`.
async fn derive_key(
    passphrase: &str,
    salt: &[u8],
    iterations: u32,
) -> Result<CryptoKey, VaultError> {
    let subtle = subtle()?;
    let secret = Uint8Array::from(passphrase.as_bytes());
    let usages = Array::of1(&"deriveKey".into());
    let base = resolve(subtle.import_key_with_str("raw", &secret, "PBKDF2", false, &usages))
        .await
        .map_err(unavailable)?;
    let params =
        Pbkdf2Params::new_with_str("PBKDF2", "SHA-256", iterations, &Uint8Array::from(salt));
    let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
    let key = resolve(subtle.derive_key_with_object_and_object(
        &params,
        base.unchecked_ref(),
        &AesDerivedKeyParams::new("AES-GCM", 256),
        false,
        &usages,
    ))
    .await
    .map_err(unavailable)?;
    Ok(key.unchecked_into())
}

fn gcm(iv: &[u8]) -> AesGcmParams {
    AesGcmParams::new("AES-GCM", &Uint8Array::from(iv))
}

/// Encrypts `secret` with `passphrase` (a fresh salt and nonce each time).
pub async fn seal(secret: &[u8], passphrase: &str) -> Result<Sealed, VaultError> {
    let salt = random_bytes::<16>()?;
    let iv = random_bytes::<12>()?;
    let key = derive_key(passphrase, &salt, ITERATIONS).await?;
    let encrypted = resolve(subtle()?.encrypt_with_object_and_u8_array(&gcm(&iv), &key, secret))
        .await
        .map_err(unavailable)?;
    Ok(Sealed {
        salt: hex::encode(salt),
        iterations: ITERATIONS,
        iv: hex::encode(iv),
        ciphertext: hex::encode(Uint8Array::new(&encrypted).to_vec()),
    })
}

/// Decrypts `sealed` with `passphrase`; [`VaultError::WrongPassphrase`] when the passphrase
/// is wrong or anything stored was altered (the GCM tag no longer matches).
pub async fn open(sealed: &Sealed, passphrase: &str) -> Result<Vec<u8>, VaultError> {
    let decode = |text: &str| hex::decode(text).map_err(|_| VaultError::WrongPassphrase);
    let (salt, iv, ciphertext) = (
        decode(&sealed.salt)?,
        decode(&sealed.iv)?,
        decode(&sealed.ciphertext)?,
    );
    let key = derive_key(passphrase, &salt, sealed.iterations).await?;
    let plain = resolve(subtle()?.decrypt_with_object_and_u8_array(&gcm(&iv), &key, &ciphertext))
        .await
        .map_err(|_| VaultError::WrongPassphrase)?;
    Ok(Uint8Array::new(&plain).to_vec())
}
