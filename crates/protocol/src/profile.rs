//! The network profile: which chain, contracts and relay a client talks to. The DApp, the
//! relay, the nodes and the CLI all read the same JSON file.

use ethers_core::types::{Address, U256};
use serde::{Deserialize, Serialize};

use crate::signing::SignScheme;

/// One Crynux deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkProfile {
    /// Shown to the user ("Local devnet").
    pub name: String,
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// JSON-RPC endpoint of the chain.
    pub rpc_url: String,
    /// The three contracts.
    pub contracts: Contracts,
    /// Block of the contracts' deployment: history and log scans start here.
    pub deployment_block: u64,
    /// CNX (in wei, 18 decimals) paid per task: `taskFeePerNode × 3`. The contract has no
    /// getter, so it is configuration.
    #[serde(with = "crate::units::decimal_u256")]
    pub task_fee: U256,
    /// Seconds after creation before a task can be cancelled.
    pub task_timeout_secs: u64,
    /// Base URL of the relay.
    pub relay_url: String,
    /// Signature schemes the relay accepts.
    pub relay_signature_schemes: Vec<SignScheme>,
    /// Whether the relay offers Sign-In with Ethereum (`/v1/auth/*`, bearer tokens). Absent
    /// in the era's profiles: per-request signatures only.
    #[serde(default)]
    pub relay_sign_in: bool,
}

/// Contract addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contracts {
    /// `CrynuxToken` (CNX).
    pub token: Address,
    /// `Node`.
    pub node: Address,
    /// `Task`.
    pub task: Address,
}

impl NetworkProfile {
    /// Reads and checks a profile.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let profile: Self =
            serde_json::from_str(text).map_err(|e| format!("not a network profile: {e}"))?;
        profile.check()?;
        Ok(profile)
    }

    fn check(&self) -> Result<(), String> {
        for (field, url) in [("rpc_url", &self.rpc_url), ("relay_url", &self.relay_url)] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!("{field} must be an http(s) URL, not {url:?}"));
            }
        }
        if self.chain_id == 0 {
            return Err("chain_id must not be 0".into());
        }
        if self.relay_signature_schemes.is_empty() {
            return Err("relay_signature_schemes must name at least one scheme".into());
        }
        Ok(())
    }
}
