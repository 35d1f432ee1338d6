//! JSON-RPC 2.0 as the chain clients speak it (the DApp through `fetch`, the host tools
//! through reqwest): the request body, what an answer holds, and the `eth_getLogs` filter.

use ethers_core::types::{Address, Log, H256};
use serde_json::{json, Value};

use crate::abi::Revert;
use crate::read::{Fields, FromJson, Read};

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

/// A log as the chain's RPC writes it, every field read as serde's derived reader reads it.
impl FromJson for Log {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            address: fields.required("address")?,
            topics: fields.required("topics")?,
            data: fields.required("data")?,
            block_hash: fields.optional("blockHash")?,
            block_number: fields.optional("blockNumber")?,
            transaction_hash: fields.optional("transactionHash")?,
            transaction_index: fields.optional("transactionIndex")?,
            log_index: fields.optional("logIndex")?,
            transaction_log_index: fields.optional("transactionLogIndex")?,
            log_type: fields.optional("logType")?,
            removed: fields.optional("removed")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use ethers_core::types::{Address, Bytes, Log, H256, U256, U64};

    use crate::read::{assert_read_as_serde_reads, every_kind};

    #[test]
    fn a_log_is_read_by_hand_as_serde_s_derived_reader_reads_it() {
        let mined = Log {
            address: Address::repeat_byte(0x9f),
            topics: vec![H256::repeat_byte(1), H256::repeat_byte(2)],
            data: Bytes::from(vec![0, 1, 255]),
            block_hash: Some(H256::repeat_byte(3)),
            block_number: Some(U64::from(7)),
            transaction_hash: Some(H256::repeat_byte(4)),
            transaction_index: Some(U64::zero()),
            log_index: Some(U256::from(3)),
            transaction_log_index: Some(U256::MAX),
            log_type: Some("mined".into()),
            removed: Some(false),
        };
        let bare = Log {
            address: Address::zero(),
            ..Log::default()
        };
        let (read, documents) = assert_read_as_serde_reads(&[mined, bare], &every_kind());
        // Not only refusals: an optional field absent, null or of another number is read.
        assert!(read >= 30, "only {read} of {documents} read");
    }
}
