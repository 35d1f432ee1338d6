//! JSON-RPC 2.0 as the chain clients speak it (the DApp through `fetch`, the host tools
//! through reqwest): the request body, what an answer holds, and the `eth_getLogs` filter.

use ethers_core::types::{Address, H256};
use serde_json::{json, Value};

use crate::abi::Revert;

/// The body of a request for `method` with `params`.
pub fn request_body(method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
}

/// Why an answer holds no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpcFailure {
    /// The call reverted (the revert data in the error decoded).
    Reverted(Revert),
    /// Any other JSON-RPC error.
    Error {
        /// The error code.
        code: i64,
        /// The error message.
        message: String,
    },
}

/// The `result` of an answer (`null` when absent), or its `error`.
pub fn result_of(mut answer: Value) -> Result<Value, RpcFailure> {
    if let Some(error) = answer.get("error") {
        let message = error["message"].as_str().unwrap_or_default();
        return Err(match Revert::from_rpc_error(message, error.get("data")) {
            Some(revert) => RpcFailure::Reverted(revert),
            None => RpcFailure::Error {
                code: error["code"].as_i64().unwrap_or_default(),
                message: message.to_owned(),
            },
        });
    }
    Ok(answer
        .get_mut("result")
        .map(Value::take)
        .unwrap_or(Value::Null))
}

/// The `eth_getLogs` filter for logs of `address` whose topic0 is one of `topics0` (and whose
/// topic1 is `topic1`, when given), in blocks `from..=to`.
pub fn log_filter(
    address: Address,
    topics0: &[H256],
    topic1: Option<H256>,
    from: u64,
    to: u64,
) -> Value {
    let topics = match topic1 {
        Some(topic1) => json!([topics0, topic1]),
        None => json!([topics0]),
    };
    json!({
        "address": address,
        "topics": topics,
        "fromBlock": format!("{from:#x}"),
        "toBlock": format!("{to:#x}"),
    })
}
