//! A JSON-RPC client for the chain, for the host-side tools: enough to deploy and drive the
//! contracts from anvil's unlocked accounts, and to follow their logs.

use std::time::Duration;

use crynux_protocol::abi::{gas_limit_with_margin, Revert};
use crynux_protocol::rpc::{log_filter, request_body, result_of, RpcFailure};
use crynux_protocol::{Address, Log, U256};
use ethers_core::types::{Bytes, TransactionReceipt, H256};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// Why a chain request failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// No answer: the node is down or unreachable.
    #[error("the chain at {url} did not answer: {reason}")]
    Unreachable {
        /// The RPC URL.
        url: String,
        /// What the HTTP client said.
        reason: String,
    },
    /// A JSON-RPC error other than a revert.
    #[error("the chain refused {method}: {message} (code {code})")]
    Rpc {
        /// The JSON-RPC method.
        method: String,
        /// The error code.
        code: i64,
        /// The error message.
        message: String,
    },
    /// The call or transaction reverted.
    #[error("reverted: {0}")]
    Reverted(Revert),
    /// The answer did not have the expected shape.
    #[error("unexpected answer to {method}: {reason}")]
    Decode {
        /// The JSON-RPC method.
        method: String,
        /// What did not fit.
        reason: String,
    },
    /// A transaction was not mined in time.
    #[error("transaction {0:?} was not mined in time")]
    NotMined(H256),
    /// The transaction failed, but replaying it does not revert: it ran out of gas (maybe
    /// inside a sub-call, where the 63/64 rule leaves gas unspent) or the state it
    /// depended on changed before it was mined.
    #[error("transaction {hash:?} failed without a reason (gas limit {gas}, used {used})")]
    FailedWithoutReason {
        /// The transaction.
        hash: H256,
        /// Its gas limit.
        gas: U256,
        /// Gas it used.
        used: U256,
    },
}

/// The chain behind one RPC URL.
#[derive(Clone)]
pub struct Chain {
    http: reqwest::Client,
    url: String,
}

impl Chain {
    /// A client for `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: url.into(),
        }
    }

    /// Any JSON-RPC method; the result read as `T`.
    pub async fn request<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, ChainError> {
        let body = request_body(method, params);
        let unreachable = |e: reqwest::Error| ChainError::Unreachable {
            url: self.url.clone(),
            reason: e.to_string(),
        };
        let answer: Value = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(unreachable)?
            .json()
            .await
            .map_err(unreachable)?;
        let result = result_of(answer).map_err(|failure| match failure {
            RpcFailure::Reverted(revert) => ChainError::Reverted(revert),
            RpcFailure::Error { code, message } => ChainError::Rpc {
                method: method.into(),
                code,
                message,
            },
        })?;
        serde_json::from_value(result).map_err(|e| ChainError::Decode {
            method: method.into(),
            reason: e.to_string(),
        })
    }

    /// Waits until the chain answers, for at most `timeout`; returns its chain id.
    pub async fn wait_until_ready(&self, timeout: Duration) -> Result<u64, ChainError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match self.chain_id().await {
                Ok(id) => return Ok(id),
                Err(e) if tokio::time::Instant::now() >= deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// `eth_chainId`
    pub async fn chain_id(&self) -> Result<u64, ChainError> {
        let id: U256 = self.request("eth_chainId", json!([])).await?;
        Ok(id.low_u64())
    }

    /// `eth_blockNumber`
    pub async fn block_number(&self) -> Result<u64, ChainError> {
        let number: U256 = self.request("eth_blockNumber", json!([])).await?;
        Ok(number.low_u64())
    }

    /// `eth_getLogs` of `address` whose topic0 is one of `topics0`, blocks `from..=to`.
    pub async fn logs(
        &self,
        address: Address,
        topics0: &[H256],
        from: u64,
        to: u64,
    ) -> Result<Vec<Log>, ChainError> {
        let filter = log_filter(address, topics0, None, from, to);
        self.request("eth_getLogs", json!([filter])).await
    }

    /// `eth_getBalance` at the latest block.
    pub async fn balance(&self, account: Address) -> Result<U256, ChainError> {
        self.request("eth_getBalance", json!([account, "latest"]))
            .await
    }

    /// `eth_call` at the latest block.
    pub async fn call(
        &self,
        from: Address,
        to: Address,
        data: Vec<u8>,
    ) -> Result<Vec<u8>, ChainError> {
        let tx = json!({"from": from, "to": to, "data": Bytes::from(data)});
        let result: Bytes = self.request("eth_call", json!([tx, "latest"])).await?;
        Ok(result.to_vec())
    }

    /// Simulates, then sends a transaction from an account the node holds the key of
    /// (anvil's dev accounts) with the estimated gas plus a margin, and waits for its
    /// receipt. A transaction that would revert is not sent: the error carries the reason.
    /// `to: None` deploys `data` as a contract.
    pub async fn transact(
        &self,
        from: Address,
        to: Option<Address>,
        data: Vec<u8>,
    ) -> Result<TransactionReceipt, ChainError> {
        let estimate: U256 = self
            .request("eth_estimateGas", json!([tx(from, to, &data)]))
            .await?;
        let gas = gas_limit_with_margin(estimate);
        self.transact_with_gas(from, to, data, gas).await
    }

    /// Sends a transaction with a fixed gas limit, for calls whose cost depends on what
    /// others do meanwhile (a node's call may become the one that settles a task).
    pub async fn transact_with_gas(
        &self,
        from: Address,
        to: Option<Address>,
        data: Vec<u8>,
        gas: U256,
    ) -> Result<TransactionReceipt, ChainError> {
        let mut tx = tx(from, to, &data);
        tx["gas"] = json!(gas);
        let hash: H256 = self.request("eth_sendTransaction", json!([tx])).await?;
        let receipt = self.receipt(hash).await?;
        if receipt.status.map(|s| s.low_u64()) == Some(0) {
            // Replaying the call at that block gives the reason, if it was a revert.
            let block = receipt.block_number.map(|b| b.as_u64()).unwrap_or_default();
            let replay: Result<Bytes, _> = self
                .request("eth_call", json!([tx, format!("{block:#x}")]))
                .await;
            return Err(match replay {
                Err(e @ ChainError::Reverted(_)) => e,
                _ => ChainError::FailedWithoutReason {
                    hash,
                    gas,
                    used: receipt.gas_used.unwrap_or_default(),
                },
            });
        }
        Ok(receipt)
    }

    /// Waits (a few seconds at most) for the receipt of transaction `hash`.
    pub async fn receipt(&self, hash: H256) -> Result<TransactionReceipt, ChainError> {
        for attempt in 0..100u64 {
            let receipt: Option<TransactionReceipt> = self
                .request("eth_getTransactionReceipt", json!([hash]))
                .await?;
            if let Some(receipt) = receipt {
                return Ok(receipt);
            }
            tokio::time::sleep(Duration::from_millis(10 * attempt.min(20))).await;
        }
        Err(ChainError::NotMined(hash))
    }
}

fn tx(from: Address, to: Option<Address>, data: &[u8]) -> Value {
    let mut tx = json!({"from": from, "data": Bytes::from(data.to_vec())});
    if let Some(to) = to {
        tx["to"] = json!(to);
    }
    tx
}
