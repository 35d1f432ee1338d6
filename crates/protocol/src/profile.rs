//! The network profile: which chain, contracts and relay a client talks to. The DApp, the
//! relay, the nodes and the CLI all read the same JSON file.

use ethers_core::types::{Address, U256};
use serde::Serialize;
use serde_json::Value;

use crate::args::SchemaIssue;
use crate::read::{self, unreadable, Fields, FromJson, Read};
use crate::signing::SignScheme;

/// One Crynux deployment. Read by hand ([`NetworkProfile::from_json`]): serde's derived reader,
/// the reference a test holds the reading equal to, made the first screen carry serde's typed
/// reading (1.4 KB brotli of its module).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
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
    #[cfg_attr(test, serde(default))]
    pub relay_sign_in: bool,
}

/// Contract addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
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
        let profile: Self = read::from_text(text, "network profile")?;
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

impl FromJson for NetworkProfile {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        let name = fields.required("name")?;
        let chain_id = fields.required("chain_id")?;
        let rpc_url = fields.required("rpc_url")?;
        let contracts = fields.required("contracts")?;
        let deployment_block = fields.required("deployment_block")?;
        let fee: String = fields.required("task_fee")?;
        let Ok(task_fee) = U256::from_dec_str(&fee) else {
            let message = format!("is not a decimal amount: {fee:?}");
            return unreadable(&format!("{pointer}/task_fee"), &message);
        };
        Ok(Self {
            name,
            chain_id,
            rpc_url,
            contracts,
            deployment_block,
            task_fee,
            task_timeout_secs: fields.required("task_timeout_secs")?,
            relay_url: fields.required("relay_url")?,
            relay_signature_schemes: fields.required("relay_signature_schemes")?,
            relay_sign_in: fields.take("relay_sign_in")?.unwrap_or_default(),
        })
    }
}

impl FromJson for Contracts {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            token: fields.required("token")?,
            node: fields.required("node")?,
            task: fields.required("task")?,
        })
    }
}

impl FromJson for SignScheme {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        String::from_json(value, pointer)?
            .parse()
            .map_err(|message| SchemaIssue {
                pointer: pointer.to_owned(),
                message,
            })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::NetworkProfile;

    /// The shipped profile with each of `edits` applied (a key's new value, `null` to remove
    /// it), one document per edit.
    fn edited(edits: &[(&str, Value)]) -> Vec<Value> {
        let shipped: Value =
            serde_json::from_str(include_str!("../../../public/networks/devnet.json")).unwrap();
        let mut documents = vec![shipped.clone()];
        for (pointer, new) in edits {
            documents.push(crate::read::edited(
                &shipped,
                pointer,
                (!new.is_null()).then(|| new.clone()),
            ));
        }
        documents
    }

    #[test]
    fn the_reading_by_hand_equals_serde_s_derived_reader() {
        let token = "/contracts/token";
        let mut documents = edited(&[
            ("/relay_sign_in", Value::Null),
            ("/relay_sign_in", json!(false)),
            ("/relay_sign_in", json!("yes")),
            ("/unknown", json!({"a": 1})),
            ("/contracts/unknown", json!(1)),
            ("/name", json!(7)),
            ("/chain_id", json!(1)),
            ("/chain_id", json!("31337")),
            ("/chain_id", json!(1.5)),
            ("/chain_id", json!(-1)),
            ("/chain_id", json!(18446744073709551615_u64)),
            ("/deployment_block", json!(0)),
            ("/task_timeout_secs", json!(true)),
            ("/task_fee", json!("1")),
            ("/task_fee", json!("0x10")),
            ("/task_fee", json!(30)),
            ("/task_fee", json!("115792089237316195423570985008687907853269984665640564039457584007913129639936")),
            (token, json!("5fbdb2315678afecb367f032d93f642f64180aa3")),
            (token, json!("0x5FbDB2315678afecb367f032d93F642f64180aa3")),
            (token, json!("0x5fbdb2315678afecb367f032d93f642f64180a")),
            (token, json!("0x5fbdb2315678afecb367f032d93f642f64180aa3aa")),
            (token, json!("0xzzbdb2315678afecb367f032d93f642f64180aa3")),
            (token, json!(5)),
            ("/contracts", json!([])),
            ("/relay_signature_schemes", json!(["eip191"])),
            ("/relay_signature_schemes", json!(["raw", "raw"])),
            ("/relay_signature_schemes", json!(["RAW"])),
            ("/relay_signature_schemes", json!("raw")),
            ("/relay_signature_schemes", json!([])),
            ("/rpc_url", json!("https://rpc.example")),
        ]);
        for key in [
            "name",
            "chain_id",
            "rpc_url",
            "contracts",
            "deployment_block",
            "task_fee",
            "task_timeout_secs",
            "relay_url",
            "relay_signature_schemes",
            "/contracts/task",
        ] {
            let pointer = if key.starts_with('/') {
                key.to_owned()
            } else {
                format!("/{key}")
            };
            documents.extend(edited(&[(&pointer, Value::Null)]).pop());
        }
        documents.extend([json!(null), json!([]), json!("profile")]);
        let mut read = 0;
        for document in &documents {
            let text = document.to_string();
            let by_hand = NetworkProfile::from_json(&text).ok();
            let derived = serde_json::from_str::<NetworkProfile>(&text)
                .ok()
                .filter(|profile| profile.check().is_ok());
            assert_eq!(by_hand, derived, "{text}");
            read += usize::from(by_hand.is_some());
        }
        // Not only refusals: the documents that are profiles are read.
        assert!(read >= 12, "only {read} of {} read", documents.len());
    }

    #[test]
    fn a_field_that_cannot_be_read_is_named() {
        let profile = |edit: (&str, Value)| {
            let text = edited(&[edit]).pop().unwrap().to_string();
            NetworkProfile::from_json(&text).unwrap_err()
        };
        assert_eq!(
            profile(("/chain_id", Value::Null)),
            "not a network profile: /chain_id: is required"
        );
        assert_eq!(
            profile(("/contracts/node", json!("0x12"))),
            "not a network profile: /contracts/node: must be an address: 0x and 40 hexadecimal \
             digits"
        );
        assert!(profile(("/relay_signature_schemes", json!(["sha"])))
            .starts_with("not a network profile: /relay_signature_schemes/0: unknown signature"));
    }
}
