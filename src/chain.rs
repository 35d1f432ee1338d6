//! Reads from the chain through the network profile's RPC URL (balances, simulations,
//! receipts, logs), and the session wallet's signed transactions. Reads never go through
//! the wallet: it may be on another chain, and it has nothing to approve for them.

use std::fmt;

use crynux_protocol::abi::{
    allowance_calldata, balance_of_calldata, decode_uint256, Revert, TASK_GAS_BUDGET,
};
use crynux_protocol::profile::Contracts;
use crynux_protocol::read::{Fields, FromJson, Read};
use crynux_protocol::rpc::{log_filter, request_body, result_of, RpcFailure};
use crynux_protocol::transaction::Fees;
use crynux_protocol::{Address, Log, H256, U256};
use serde_json::{json, Value};

use crate::browser::{post_json, request_failure, Backoff};

/// Why a read from the chain failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainError {
    /// No answer from the RPC server.
    Unreachable(String),
    /// The call would revert.
    Reverted(Revert),
    /// The RPC server answered with an error.
    Rpc {
        /// JSON-RPC error code.
        code: i64,
        /// Its message.
        message: String,
    },
    /// The answer is not what the method returns.
    BadAnswer(String),
    /// This transaction (the approval, the transfer…) was mined but failed.
    Failed(&'static str),
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreachable(reason) => write!(
                f,
                "The network's RPC server does not answer ({reason}). Check your connection, \
                 then try again."
            ),
            Self::Reverted(revert) => write!(f, "The contract refuses: {revert}."),
            Self::Rpc { code, message } => write!(
                f,
                "The network's RPC server reported an error: {message} (code {code})."
            ),
            Self::BadAnswer(reason) => write!(
                f,
                "The network's RPC server gave an answer the app cannot read ({reason})."
            ),
            Self::Failed(what) => write!(
                f,
                "Something unexpected happened: the {what} was mined but failed."
            ),
        }
    }
}

impl std::error::Error for ChainError {}

/// A mined transaction's outcome. Read by hand (its `FromJson`): serde's derived reader is
/// the reference a test holds it equal to.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    test,
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "camelCase")
)]
pub struct Receipt {
    /// `0x1` success, `0x0` reverted.
    pub status: U256,
    /// The block it was mined in.
    pub block_number: U256,
    /// Its event logs.
    pub logs: Vec<Log>,
}

impl FromJson for Receipt {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            status: fields.required("status")?,
            block_number: fields.required("blockNumber")?,
            logs: fields.required("logs")?,
        })
    }
}

impl Receipt {
    /// Whether the transaction succeeded.
    pub fn succeeded(&self) -> bool {
        !self.status.is_zero()
    }

    /// The block number as a plain number.
    pub fn block(&self) -> u64 {
        self.block_number.low_u64()
    }
}

/// A call or transaction to simulate.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// Sender.
    pub from: Address,
    /// Contract.
    pub to: Address,
    /// Calldata.
    pub data: &'a [u8],
}

impl Call<'_> {
    /// The call as a JSON-RPC transaction object.
    pub fn to_json(&self) -> Value {
        json!({"from": self.from, "to": self.to, "data": format!("0x{}", hex::encode(self.data))})
    }
}

/// The chain behind one RPC URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReader {
    url: String,
}

impl ChainReader {
    /// Reads from `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into() }
    }

    async fn request<T: FromJson>(&self, method: &str, params: Value) -> Result<T, ChainError> {
        let unreachable = |e: gloo_net::Error| ChainError::Unreachable(request_failure(e));
        let response = post_json(&self.url, &request_body(method, params), None)
            .await
            .map_err(unreachable)?;
        // A failing server (a gateway's 502, a 429 rate limit) is as good as down: try again.
        if response.status() >= 500 || response.status() == 429 {
            return Err(ChainError::Unreachable(format!(
                "HTTP {}",
                response.status()
            )));
        }
        let text = response.text().await.map_err(unreachable)?;
        let answer: Value =
            serde_json::from_str(&text).map_err(|e| ChainError::BadAnswer(e.to_string()))?;
        T::from_json(result_of(answer)?, "")
            .map_err(|e| ChainError::BadAnswer(format!("{method}: {e}")))
    }

    /// The latest block number.
    pub async fn block_number(&self) -> Result<u64, ChainError> {
        let number: U256 = self.request("eth_blockNumber", json!([])).await?;
        Ok(number.low_u64())
    }

    /// The account's ETH balance in wei.
    pub async fn balance(&self, account: Address) -> Result<U256, ChainError> {
        self.request("eth_getBalance", json!([account, "latest"]))
            .await
    }

    /// Runs `call` without sending it, at `block` (default latest); returns its output.
    pub async fn call(&self, call: Call<'_>, block: Option<u64>) -> Result<Vec<u8>, ChainError> {
        let block = block.map_or("latest".to_owned(), |b| format!("{b:#x}"));
        let output: String = self
            .request("eth_call", json!([call.to_json(), block]))
            .await?;
        hex::decode(output.trim_start_matches("0x"))
            .map_err(|e| ChainError::BadAnswer(e.to_string()))
    }

    /// A call that returns one `uint256`.
    pub async fn call_uint(&self, call: Call<'_>) -> Result<U256, ChainError> {
        decode_uint256(&self.call(call, None).await?)
            .map_err(|e| ChainError::BadAnswer(e.to_string()))
    }

    /// The gas `call` would use as a transaction; a revert comes back as its reason.
    pub async fn estimate_gas(&self, call: Call<'_>) -> Result<U256, ChainError> {
        self.request("eth_estimateGas", json!([call.to_json()]))
            .await
    }

    /// The receipt of a transaction, `None` while it is not mined.
    pub async fn receipt(&self, hash: H256) -> Result<Option<Receipt>, ChainError> {
        self.request("eth_getTransactionReceipt", json!([hash]))
            .await
    }

    /// Logs of `address` whose topic0 is one of `topics` (and topic1 is `topic1`, when
    /// given), in blocks `from..=to`.
    pub async fn logs(
        &self,
        address: Address,
        topics: &[H256],
        topic1: Option<H256>,
        from: u64,
        to: u64,
    ) -> Result<Vec<Log>, ChainError> {
        let filter = log_filter(address, topics, topic1, from, to);
        self.request("eth_getLogs", json!([filter])).await
    }

    /// The `token` balance (ERC-20 `balanceOf`) of `account`.
    pub async fn token_balance(
        &self,
        token: Address,
        account: Address,
    ) -> Result<U256, ChainError> {
        self.call_uint(Call {
            from: account,
            to: token,
            data: &balance_of_calldata(account),
        })
        .await
    }

    /// The Unix time of block `number`.
    pub async fn block_time(&self, number: u64) -> Result<u64, ChainError> {
        let header: Value = self
            .request(
                "eth_getBlockByNumber",
                json!([format!("{number:#x}"), false]),
            )
            .await?;
        if header.is_null() {
            return Err(ChainError::BadAnswer(format!("no block {number}")));
        }
        let timestamp = U256::from_json(header["timestamp"].clone(), "/timestamp")
            .map_err(|e| ChainError::BadAnswer(format!("block {number}: {e}")))?;
        Ok(timestamp.low_u64())
    }

    /// Transactions sent by `account`: mined ones only, or with those still pending.
    pub async fn transaction_count(
        &self,
        account: Address,
        pending: bool,
    ) -> Result<u64, ChainError> {
        let tag = if pending { "pending" } else { "latest" };
        let count: U256 = self
            .request("eth_getTransactionCount", json!([account, tag]))
            .await?;
        Ok(count.low_u64())
    }

    /// The fees to offer now: EIP-1559 when the latest block has a base fee, else legacy.
    pub async fn fees(&self) -> Result<Fees, ChainError> {
        let block: Value = self
            .request("eth_getBlockByNumber", json!(["latest", false]))
            .await?;
        match U256::from_json(block["baseFeePerGas"].clone(), "") {
            Ok(base_fee) => {
                let tip = self.request("eth_maxPriorityFeePerGas", json!([])).await?;
                Ok(Fees::eip1559(base_fee, tip))
            }
            Err(_) => Ok(Fees::Legacy {
                gas_price: self.request("eth_gasPrice", json!([])).await?,
            }),
        }
    }

    /// Whether the RPC server knows transaction `hash` (pending or mined).
    pub async fn transaction_known(&self, hash: H256) -> Result<bool, ChainError> {
        let tx: Value = self
            .request("eth_getTransactionByHash", json!([hash]))
            .await?;
        Ok(!tx.is_null())
    }

    /// Broadcasts a signed transaction; its hash.
    pub async fn send_raw_transaction(&self, raw: &[u8]) -> Result<H256, ChainError> {
        self.request(
            "eth_sendRawTransaction",
            json!([format!("0x{}", hex::encode(raw))]),
        )
        .await
    }
}

/// What an account holds, as far as tasks are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountInfo {
    /// ETH for gas, in wei.
    pub eth: U256,
    /// CNX, in wei.
    pub cnx: U256,
    /// CNX the Task contract may take.
    pub allowance: U256,
    /// The most one task's gas costs at today's fees, in wei.
    pub gas_per_task: U256,
}

/// Reads `account`'s ETH, CNX and allowance to the Task contract.
pub async fn read_account(
    chain: &ChainReader,
    contracts: &Contracts,
    account: Address,
) -> Result<AccountInfo, ChainError> {
    Ok(AccountInfo {
        eth: chain.balance(account).await?,
        cnx: chain.token_balance(contracts.token, account).await?,
        allowance: chain
            .call_uint(Call {
                from: account,
                to: contracts.token,
                data: &allowance_calldata(account, contracts.task),
            })
            .await?,
        gas_per_task: chain.fees().await?.max_per_gas() * TASK_GAS_BUDGET,
    })
}

impl From<RpcFailure> for ChainError {
    fn from(failure: RpcFailure) -> Self {
        match failure {
            RpcFailure::Reverted(revert) => Self::Reverted(revert),
            // The server is failing (internal error, limit exceeded), not refusing: the same
            // request may succeed later, as after no answer at all.
            RpcFailure::Error {
                code: -32603 | -32005,
                message,
            } => Self::Unreachable(message),
            RpcFailure::Error { code, message } => Self::Rpc { code, message },
        }
    }
}

/// Waits for the receipt of the `what` transaction; an error if it failed.
pub async fn wait_for_success(
    chain: &ChainReader,
    hash: H256,
    what: &'static str,
) -> Result<Receipt, ChainError> {
    match wait_for_receipt(chain, hash).await? {
        receipt if receipt.succeeded() => Ok(receipt),
        _ => Err(ChainError::Failed(what)),
    }
}

/// Polls for a transaction's receipt with growing intervals, riding out RPC hiccups.
pub async fn wait_for_receipt(chain: &ChainReader, hash: H256) -> Result<Receipt, ChainError> {
    let mut backoff = Backoff::new(250, 3_000);
    let mut failures = 0;
    loop {
        match chain.receipt(hash).await {
            Ok(Some(receipt)) => return Ok(receipt),
            Ok(None) => {}
            Err(ChainError::Unreachable(_)) if failures < 10 => failures += 1,
            Err(e) => return Err(e),
        }
        backoff.pause().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc_error(error: &Value) -> ChainError {
        result_of(json!({ "error": error })).unwrap_err().into()
    }

    #[test]
    fn revert_data_in_an_rpc_error_is_decoded() {
        // What anvil answers to eth_estimateGas for a user without CNX.
        let error = json!({"code": 3, "message": "execution reverted: Not enough tokens for task",
            "data": "0x08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000001a4e6f7420656e6f75676820746f6b656e7320666f72207461736b000000000000"});
        assert_eq!(
            rpc_error(&error),
            ChainError::Reverted(Revert::Error("Not enough tokens for task".into()))
        );
        let other = json!({"code": -32000, "message": "header not found"});
        assert_eq!(
            rpc_error(&other),
            ChainError::Rpc {
                code: -32000,
                message: "header not found".into()
            }
        );
    }

    #[test]
    fn a_failing_server_is_unreachable() {
        let internal = rpc_error(&json!({"code": -32603, "message": "internal error"}));
        assert_eq!(internal, ChainError::Unreachable("internal error".into()));
        let limited = rpc_error(&json!({"code": -32005, "message": "limit exceeded"}));
        assert_eq!(limited, ChainError::Unreachable("limit exceeded".into()));
    }

    #[test]
    fn a_receipt_is_read_by_hand_as_serde_s_derived_reader_reads_it() {
        let log = Log {
            address: Address::repeat_byte(0x9f),
            topics: vec![H256::repeat_byte(1)],
            data: vec![7; 40].into(),
            block_number: Some(5.into()),
            ..Log::default()
        };
        let mined = Receipt {
            status: U256::one(),
            block_number: U256::from(5),
            logs: vec![log],
        };
        let reverted = Receipt {
            status: U256::zero(),
            logs: Vec::new(),
            ..mined.clone()
        };
        let (read, documents) =
            crynux_protocol::read::assert_read_as_serde_reads(&[mined, reverted], &[json!("0x10")]);
        assert!(read >= 10, "only {read} of {documents} read");
    }
}
