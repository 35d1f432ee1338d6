//! Relay request signatures: what is signed, the two schemes, and the 65-byte form the era
//! relay accepts (low-s, recovery id 0/1, no `0x1b` offset).

use std::fmt;
use std::str::FromStr;

use ethers_core::k256::ecdsa::{RecoveryId, Signature as EcdsaSignature, SigningKey, VerifyingKey};
use ethers_core::types::Address;
use ethers_core::utils::{hash_message, public_key_to_address};

use crate::gojson::{go_json_object, GoValue};
use crate::hash::keccak256;

/// How the signed bytes are hashed before signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignScheme {
    /// keccak256 of the sign bytes: what the era relay checks (wallets cannot sign this).
    Raw,
    /// EIP-191 `personal_sign` of the sign bytes: what MetaMask can sign.
    Eip191,
}

impl SignScheme {
    /// The name used in network profiles and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Eip191 => "eip191",
        }
    }

    /// The 32-byte hash that is signed for `sign_bytes`.
    pub fn hash(self, sign_bytes: &[u8]) -> [u8; 32] {
        match self {
            Self::Raw => keccak256(sign_bytes),
            Self::Eip191 => hash_message(sign_bytes).0,
        }
    }
}

impl FromStr for SignScheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "raw" => Ok(Self::Raw),
            "eip191" => Ok(Self::Eip191),
            other => Err(format!(
                "unknown signature scheme {other:?}: use raw or eip191"
            )),
        }
    }
}

/// A relay request, as far as its signature is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayRequest<'a> {
    /// `POST /v1/inference_tasks`
    UploadArgs {
        /// The on-chain task id.
        task_id: u64,
        /// The exact arguments string whose keccak256 is the task hash.
        task_args: &'a str,
    },
    /// `GET /v1/inference_tasks/{task_id}`
    GetTask {
        /// The on-chain task id.
        task_id: u64,
    },
    /// `POST /v1/inference_tasks/{task_id}/results` (the result node)
    UploadResults {
        /// The on-chain task id.
        task_id: u64,
    },
    /// `GET /v1/inference_tasks/{task_id}/results/{image_num}`
    GetResult {
        /// The on-chain task id.
        task_id: u64,
        /// Which result file (GPT: 0).
        image_num: u32,
    },
}

impl RelayRequest<'_> {
    /// The signed parameters as the relay's Go code marshals them.
    pub fn params_json(&self) -> String {
        match *self {
            Self::UploadArgs { task_id, task_args } => go_json_object(&[
                ("task_args", GoValue::Str(task_args.as_bytes())),
                ("task_id", GoValue::Uint(task_id)),
            ]),
            Self::GetTask { task_id } | Self::UploadResults { task_id } => {
                go_json_object(&[("task_id", GoValue::Uint(task_id))])
            }
            Self::GetResult { task_id, image_num } => {
                // `image_num` is a string in the relay's signed struct.
                let image_num = image_num.to_string();
                go_json_object(&[
                    ("image_num", GoValue::Str(image_num.as_bytes())),
                    ("task_id", GoValue::Uint(task_id)),
                ])
            }
        }
    }

    /// The request's path on the relay.
    pub fn path(&self) -> String {
        match *self {
            Self::UploadArgs { .. } => "/v1/inference_tasks".into(),
            Self::GetTask { task_id } => format!("/v1/inference_tasks/{task_id}"),
            Self::UploadResults { task_id } => format!("/v1/inference_tasks/{task_id}/results"),
            Self::GetResult { task_id, image_num } => {
                format!("/v1/inference_tasks/{task_id}/results/{image_num}")
            }
        }
    }

    /// Path and query of a signed GET: `PATH?timestamp=T&signature=0x…`.
    pub fn signed_get_path(&self, timestamp: u64, signature: &Signature) -> String {
        format!(
            "{}?timestamp={timestamp}&signature={}",
            self.path(),
            signature.to_hex()
        )
    }

    /// `params_json + decimal unix timestamp`: the bytes that are hashed and signed.
    pub fn sign_bytes(&self, timestamp: u64) -> Vec<u8> {
        format!("{}{timestamp}", self.params_json()).into_bytes()
    }
}

/// Why a signature or key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not `0x` + hex.
    #[error("not hexadecimal: {0}")]
    NotHex(String),
    /// Not 65 bytes (130 hex digits).
    #[error("a signature is 65 bytes, this one is {0}")]
    WrongLength(usize),
    /// The last byte is not 0, 1, 27 or 28.
    #[error("recovery byte v must be 0, 1, 27 or 28, not {0}")]
    BadRecoveryByte(u8),
    /// r or s is zero or not below the curve order.
    #[error("r or s is out of range")]
    OutOfRange,
    /// No public key recovers from this signature and hash.
    #[error("no signer can be recovered from this signature")]
    Unrecoverable,
    /// Not a valid secp256k1 private key.
    #[error("not a valid private key (32 bytes, non-zero, below the curve order)")]
    BadKey,
}

/// A recoverable secp256k1 signature, always held in low-s form.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    inner: EcdsaSignature,
    recovery_id: RecoveryId,
    was_high_s: bool,
}

impl Signature {
    /// Parses `0x` + 65 bytes `r‖s‖v`, v 0/1/27/28. A high-s signature is accepted and
    /// normalized (the same signer recovers); [`Signature::was_high_s`] tells a strict relay.
    pub fn from_hex(text: &str) -> Result<Self, SignatureError> {
        let digits = text.strip_prefix("0x").unwrap_or(text);
        let bytes = hex::decode(digits).map_err(|e| SignatureError::NotHex(e.to_string()))?;
        let bytes: [u8; 65] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| SignatureError::WrongLength(bytes.len()))?;
        let v = match bytes[64] {
            v @ (0 | 1) => v,
            v @ (27 | 28) => v - 27,
            other => return Err(SignatureError::BadRecoveryByte(other)),
        };
        let inner =
            EcdsaSignature::from_slice(&bytes[..64]).map_err(|_| SignatureError::OutOfRange)?;
        let recovery_id = RecoveryId::new(v == 1, false);
        Ok(match inner.normalize_s() {
            // Negating s mirrors R's y parity.
            Some(low) => Self {
                inner: low,
                recovery_id: RecoveryId::new(v == 0, false),
                was_high_s: true,
            },
            None => Self {
                inner,
                recovery_id,
                was_high_s: false,
            },
        })
    }

    /// `0x` + r‖s‖v with v 0 or 1, low s: the form the era relay accepts.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.to_bytes()))
    }

    /// r‖s‖v with v 0 or 1, low s.
    pub fn to_bytes(&self) -> [u8; 65] {
        let mut bytes = [0; 65];
        bytes[..64].copy_from_slice(&self.inner.to_bytes());
        bytes[64] = self.recovery_id.to_byte();
        bytes
    }

    /// Whether the parsed signature had s above n/2 (the era relay rejects those).
    pub fn was_high_s(&self) -> bool {
        self.was_high_s
    }

    /// The address whose key signed `hash`.
    pub fn recover(&self, hash: &[u8; 32]) -> Result<Address, SignatureError> {
        VerifyingKey::recover_from_prehash(hash, &self.inner, self.recovery_id)
            .map(|key| public_key_to_address(&key))
            .map_err(|_| SignatureError::Unrecoverable)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A secp256k1 private key.
#[derive(Clone)]
pub struct PrivateKey(SigningKey);

impl PrivateKey {
    /// Parses 32 bytes of hex, with or without `0x`.
    pub fn from_hex(text: &str) -> Result<Self, SignatureError> {
        let digits = text.trim().strip_prefix("0x").unwrap_or(text.trim());
        let bytes = hex::decode(digits).map_err(|e| SignatureError::NotHex(e.to_string()))?;
        Self::from_bytes(&bytes.try_into().map_err(|_| SignatureError::BadKey)?)
    }

    /// The key of 32 bytes; an error for zero or a value not below the curve order.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, SignatureError> {
        SigningKey::from_slice(bytes)
            .map(Self)
            .map_err(|_| SignatureError::BadKey)
    }

    /// `0x` + the 32 key bytes.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.to_bytes()))
    }

    /// The 32 key bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes().into()
    }

    /// The account address of this key.
    pub fn address(&self) -> Address {
        public_key_to_address(self.0.verifying_key())
    }

    /// Signs a 32-byte hash deterministically (RFC 6979), low s.
    pub fn sign_hash(&self, hash: &[u8; 32]) -> Signature {
        let (inner, recovery_id) = self
            .0
            .sign_prehash_recoverable(hash)
            // Only fails for a zero hash-derived nonce, which RFC 6979 never yields.
            .expect("RFC 6979 signing of a 32-byte hash");
        Signature {
            inner,
            recovery_id,
            was_high_s: false,
        }
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({:?})", self.address())
    }
}

/// Signs `request` at `timestamp` with `scheme`.
pub fn sign_request(
    key: &PrivateKey,
    scheme: SignScheme,
    request: &RelayRequest<'_>,
    timestamp: u64,
) -> Signature {
    key.sign_hash(&scheme.hash(&request.sign_bytes(timestamp)))
}

/// The address that signed `request` at `timestamp` with `scheme`.
pub fn recover_request_signer(
    scheme: SignScheme,
    request: &RelayRequest<'_>,
    timestamp: u64,
    signature: &Signature,
) -> Result<Address, SignatureError> {
    signature.recover(&scheme.hash(&request.sign_bytes(timestamp)))
}
