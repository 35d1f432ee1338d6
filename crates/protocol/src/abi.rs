//! The contract calls and events the clients use: calldata, return values, `Task` event logs
//! and revert data.

use std::fmt;

use ethers_core::abi;
use ethers_core::types::{Address, Log, H256, U256};

use crate::hash::keccak256;

/// The first 4 bytes of keccak256 of a function signature.
pub fn selector(signature: &str) -> [u8; 4] {
    let hash = keccak256(signature.as_bytes());
    [hash[0], hash[1], hash[2], hash[3]]
}

pub use ethers_core::abi::Token;

/// Calldata of any function: selector of `signature` followed by the encoded `args`.
pub fn encode_call(signature: &str, args: &[Token]) -> Vec<u8> {
    let mut data = selector(signature).to_vec();
    data.extend(abi::encode(args));
    data
}

// The clients' own calls take static arguments only, one word each: written word by word
// (a test holds them equal to `encode_call`), the browser needs no ABI encoder.

/// Calldata of `signature` whose arguments are all static: its selector, then the words.
fn static_call(signature: &str, words: &[[u8; 32]]) -> Vec<u8> {
    let mut data = selector(signature).to_vec();
    data.extend(words.iter().flatten());
    data
}

fn address_word(address: Address) -> [u8; 32] {
    let mut word = [0; 32];
    word[12..].copy_from_slice(address.as_bytes());
    word
}

fn uint_word(number: impl Into<U256>) -> [u8; 32] {
    let mut word = [0; 32];
    number.into().to_big_endian(&mut word);
    word
}

/// `CrynuxToken.approve(spender, amount)`
pub fn approve_calldata(spender: Address, amount: U256) -> Vec<u8> {
    static_call(
        "approve(address,uint256)",
        &[address_word(spender), uint_word(amount)],
    )
}

/// `CrynuxToken.transfer(to, amount)`
pub fn transfer_calldata(to: Address, amount: U256) -> Vec<u8> {
    static_call(
        "transfer(address,uint256)",
        &[address_word(to), uint_word(amount)],
    )
}

/// `CrynuxToken.allowance(owner, spender)`
pub fn allowance_calldata(owner: Address, spender: Address) -> Vec<u8> {
    static_call(
        "allowance(address,address)",
        &[address_word(owner), address_word(spender)],
    )
}

/// `CrynuxToken.balanceOf(account)`
pub fn balance_of_calldata(account: Address) -> Vec<u8> {
    static_call("balanceOf(address)", &[address_word(account)])
}

/// `Task.createTask(taskType, taskHash, dataHash, vramLimit)`; `dataHash` is reserved and
/// always zero.
pub fn create_task_calldata(task_type: u8, task_hash: [u8; 32], vram_limit_gb: u64) -> Vec<u8> {
    static_call(
        "createTask(uint256,bytes32,bytes32,uint256)",
        &[
            uint_word(task_type),
            task_hash,
            [0; 32],
            uint_word(vram_limit_gb),
        ],
    )
}

/// `Task.cancelTask(taskId)`
pub fn cancel_task_calldata(task_id: u64) -> Vec<u8> {
    static_call("cancelTask(uint256)", &[uint_word(task_id)])
}

/// The gas limit to send with for an `eth_estimateGas` answer: +50 % + 50 k. The estimate is
/// made against the state of one block, and the cost depends on state that other senders
/// change before ours is mined: node selection is random per block, which node leaves the
/// availability sets changes createTask's cost, and the commitment that completes a task's
/// three emits an event the others do not. Unused gas is not paid for.
pub fn gas_limit_with_margin(estimate: U256) -> U256 {
    estimate + estimate / 2 + U256::from(50_000)
}

/// Gas one task may need from its creator: `createTask` sent with its margin (about 850 k on
/// the devnet) and an approval.
pub const TASK_GAS_BUDGET: u64 = 1_000_000;

/// Why call results or logs could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode {what}: {reason}")]
pub struct DecodeError {
    what: &'static str,
    reason: String,
}

impl DecodeError {
    fn new(what: &'static str, reason: impl fmt::Display) -> Self {
        Self {
            what,
            reason: reason.to_string(),
        }
    }
}

// Return values, events and reverts are read by hand, as `ethabi` reads them (the `decode`
// fuzz target holds the two equal): its decoder then stays out of the browser's modules.

/// Decodes a single `uint256` return value (`balanceOf`, `allowance`): its first word.
pub fn decode_uint256(data: &[u8]) -> Result<U256, DecodeError> {
    match data.get(..32) {
        Some(word) => Ok(U256::from_big_endian(word)),
        None => Err(DecodeError::new(
            "uint256",
            format_args!("{} bytes, not 32", data.len()),
        )),
    }
}

/// The word at `at` as an offset or a length, below 2³² as `ethabi` reads it: `None` past
/// the end or above.
fn word_as_usize(data: &[u8], at: usize) -> Option<usize> {
    let (high, low) = data.get(at..at.checked_add(32)?)?.split_at(28);
    let low = usize::try_from(u32::from_be_bytes(low.try_into().ok()?)).ok()?;
    high.iter().all(|&b| b == 0).then_some(low)
}

/// The `bytes` or `string` whose offset is the word at `at`.
fn dynamic_bytes(data: &[u8], at: usize) -> Option<&[u8]> {
    let offset = word_as_usize(data, at)?;
    let len = word_as_usize(data, offset)?;
    let start = offset.checked_add(32)?;
    data.get(start..start.checked_add(len)?)
}

/// Decodes a lone `string` (the body of `Error(string)`); invalid UTF-8 is replaced.
fn decode_string(data: &[u8]) -> Option<String> {
    dynamic_bytes(data, 0).map(|bytes| String::from_utf8_lossy(bytes).into_owned())
}

/// An event's data, read word by word; `what` names the event in errors.
struct EventData<'a> {
    what: &'static str,
    data: &'a [u8],
}

impl<'a> EventData<'a> {
    fn word(&self, index: usize) -> Result<&'a [u8], DecodeError> {
        let end = (index + 1) * 32;
        self.data.get(end - 32..end).ok_or_else(|| {
            DecodeError::new(
                self.what,
                format_args!("{} bytes, not {end}", self.data.len()),
            )
        })
    }

    /// A `uint256` that must be below 2⁶⁴ (an id, a type, a round).
    fn uint(&self, index: usize) -> Result<u64, DecodeError> {
        let (high, low) = self.word(index)?.split_at(24);
        match <[u8; 8]>::try_from(low) {
            Ok(low) if high.iter().all(|&b| b == 0) => Ok(u64::from_be_bytes(low)),
            _ => Err(DecodeError::new(self.what, "not a number below 2^64")),
        }
    }

    fn bytes32(&self, index: usize) -> Result<H256, DecodeError> {
        Ok(H256::from_slice(self.word(index)?))
    }

    /// The `bytes` or `string` whose offset is word `index`.
    fn dynamic(&self, index: usize) -> Result<&'a [u8], DecodeError> {
        dynamic_bytes(self.data, index * 32)
            .ok_or_else(|| DecodeError::new(self.what, "no bytes where its offset points"))
    }
}

/// Event signatures of the `Task` contract, whose keccak256 is each log's topic0.
pub mod event_signatures {
    /// `TaskCreated`
    pub const TASK_CREATED: &str =
        "TaskCreated(uint256,uint256,address,address,bytes32,bytes32,uint256)";
    /// `TaskResultCommitmentsReady`
    pub const TASK_RESULT_COMMITMENTS_READY: &str = "TaskResultCommitmentsReady(uint256)";
    /// `TaskSuccess`
    pub const TASK_SUCCESS: &str = "TaskSuccess(uint256,bytes,address)";
    /// `TaskAborted`
    pub const TASK_ABORTED: &str = "TaskAborted(uint256,string)";
}

/// The reasons of `TaskAborted`.
pub mod abort_reasons {
    /// `cancelTask` after the deadline: the unspent fee goes back to the creator.
    pub const CANCELLED: &str = "Task Cancelled";
    /// Three different results: the fee goes back to the creator.
    pub const RESULT_ILLEGAL: &str = "Task result illegal";
    /// The nodes could not run the task: the fee pays the reporters.
    pub const ERROR_REPORTED: &str = "Task error reported";
}

/// topic0 of an event signature.
pub fn event_topic(signature: &str) -> H256 {
    H256(keccak256(signature.as_bytes()))
}

/// A decoded `Task` contract event. `taskId` is not indexed in any of them: logs are found by
/// topic0 and the id is read from the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskEvent {
    /// One per selected node, `round` 0, 1, 2.
    Created {
        /// The task.
        task_id: u64,
        /// 0 Stable Diffusion, 1 GPT.
        task_type: u64,
        /// Who paid (indexed: topic1).
        creator: Address,
        /// The node of this round (indexed: topic2).
        selected_node: Address,
        /// keccak256 of the arguments string.
        task_hash: H256,
        /// Reserved, zero.
        data_hash: H256,
        /// 0, 1 or 2.
        round: u64,
    },
    /// All three nodes committed; disclosures follow.
    ResultCommitmentsReady {
        /// The task.
        task_id: u64,
    },
    /// Two results agreed.
    Success {
        /// The task.
        task_id: u64,
        /// The on-chain proof: 8-byte pHash per image (SD) or sha256 of the result file (GPT).
        result: Vec<u8>,
        /// The node that uploads the files (indexed: topic1).
        result_node: Address,
    },
    /// The task ended without a result.
    Aborted {
        /// The task.
        task_id: u64,
        /// `Task Cancelled`, `Task error reported` or `Task result illegal`.
        reason: String,
    },
}

impl TaskEvent {
    /// Decodes a log of the `Task` contract; `None` when its topic0 is none of these events.
    pub fn decode(log: &Log) -> Option<Result<Self, DecodeError>> {
        use event_signatures::*;
        let topic0 = *log.topics.first()?;
        let data = |what| EventData {
            what,
            data: log.data.as_ref(),
        };
        let decoded = if topic0 == event_topic(TASK_CREATED) {
            decode_created(&log.topics, data("TaskCreated"))
        } else if topic0 == event_topic(TASK_RESULT_COMMITMENTS_READY) {
            data("TaskResultCommitmentsReady")
                .uint(0)
                .map(|task_id| Self::ResultCommitmentsReady { task_id })
        } else if topic0 == event_topic(TASK_SUCCESS) {
            decode_success(&log.topics, data("TaskSuccess"))
        } else if topic0 == event_topic(TASK_ABORTED) {
            decode_aborted(data("TaskAborted"))
        } else {
            return None;
        };
        Some(decoded)
    }

    /// The task the event is about.
    pub fn task_id(&self) -> u64 {
        match self {
            Self::Created { task_id, .. }
            | Self::ResultCommitmentsReady { task_id }
            | Self::Success { task_id, .. }
            | Self::Aborted { task_id, .. } => *task_id,
        }
    }
}

/// `TaskCreated(uint256 taskId, uint256 taskType, address indexed creator, address indexed
/// selectedNode, bytes32 taskHash, bytes32 dataHash, uint256 round)`.
fn decode_created(topics: &[H256], data: EventData<'_>) -> Result<TaskEvent, DecodeError> {
    Ok(TaskEvent::Created {
        task_id: data.uint(0)?,
        task_type: data.uint(1)?,
        creator: indexed_address(topics, 1)?,
        selected_node: indexed_address(topics, 2)?,
        task_hash: data.bytes32(2)?,
        data_hash: data.bytes32(3)?,
        round: data.uint(4)?,
    })
}

/// `TaskSuccess(uint256 taskId, bytes result, address indexed resultNode)`.
fn decode_success(topics: &[H256], data: EventData<'_>) -> Result<TaskEvent, DecodeError> {
    Ok(TaskEvent::Success {
        task_id: data.uint(0)?,
        result: data.dynamic(1)?.to_vec(),
        result_node: indexed_address(topics, 1)?,
    })
}

/// `TaskAborted(uint256 taskId, string reason)`; invalid UTF-8 is replaced.
fn decode_aborted(data: EventData<'_>) -> Result<TaskEvent, DecodeError> {
    Ok(TaskEvent::Aborted {
        task_id: data.uint(0)?,
        reason: String::from_utf8_lossy(data.dynamic(1)?).into_owned(),
    })
}

fn indexed_address(topics: &[H256], index: usize) -> Result<Address, DecodeError> {
    topics
        .get(index)
        .map(|topic| Address::from_slice(&topic.0[12..]))
        .ok_or_else(|| DecodeError::new("indexed address", format!("topic {index} is missing")))
}

/// The selector of `Error(string)`, written out: decoding a revert (which the first screen
/// does when the wallet refuses) then needs no keccak. A test keeps it equal to
/// [`selector`]'s.
pub const ERROR_SELECTOR: [u8; 4] = [0x08, 0xc3, 0x79, 0xa0];
/// The selector of `Panic(uint256)`, written out as [`ERROR_SELECTOR`].
pub const PANIC_SELECTOR: [u8; 4] = [0x4e, 0x48, 0x7b, 0x71];

/// Why a call reverted, decoded from its revert data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revert {
    /// `require(cond, "reason")` / `revert("reason")`: `Error(string)`, [`ERROR_SELECTOR`].
    Error(String),
    /// A Solidity panic (`assert`, overflow, …): `Panic(uint256)`, [`PANIC_SELECTOR`].
    Panic(U256),
    /// Reverted with no data.
    Empty,
    /// Data of another shape (a custom error), as `0x` hex.
    Unknown(String),
}

impl Revert {
    /// Decodes revert data.
    pub fn decode(data: &[u8]) -> Self {
        if data.is_empty() {
            return Self::Empty;
        }
        let (head, body) = data.split_at(data.len().min(4));
        if head == ERROR_SELECTOR {
            if let Some(reason) = decode_string(body) {
                return Self::Error(reason);
            }
        } else if head == PANIC_SELECTOR {
            if let Ok(code) = decode_uint256(body) {
                return Self::Panic(code);
            }
        }
        Self::Unknown(format!("0x{}", hex::encode(data)))
    }

    /// Decodes revert data given as hex (`0x08c379a0…`), as JSON-RPC errors carry it.
    pub fn from_hex(data: &str) -> Self {
        match hex::decode(data.strip_prefix("0x").unwrap_or(data)) {
            Ok(bytes) => Self::decode(&bytes),
            Err(_) => Self::Unknown(data.to_owned()),
        }
    }

    /// The revert in a JSON-RPC error (`message` and `data` of `{code, message, data}`),
    /// wherever nodes and wallets put its data: `data` itself (anvil, geth: code 3), or nested
    /// in `data.data`, `data.originalError` or `data.cause` (MetaMask's -32603 wrappers). A
    /// message saying "execution reverted" without data is a revert without data. `None`
    /// when the error is not a revert.
    pub fn from_rpc_error(message: &str, data: Option<&serde_json::Value>) -> Option<Self> {
        match data.and_then(nested_revert_data) {
            Some(hex) => Some(Self::from_hex(hex)),
            None => message
                .contains("execution reverted")
                .then_some(Self::Empty),
        }
    }
}

/// Revert data (`0x` + at least a selector) in an error's `data`, searched depth first.
fn nested_revert_data(data: &serde_json::Value) -> Option<&str> {
    use serde_json::Value;
    match data {
        Value::String(hex) if hex.starts_with("0x") && hex.len() >= 10 => Some(hex),
        Value::Object(map) => ["data", "originalError", "cause"]
            .iter()
            .filter_map(|key| map.get(*key))
            .find_map(nested_revert_data),
        _ => None,
    }
}

impl fmt::Display for Revert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Error(reason) => f.write_str(reason),
            Self::Panic(code) => {
                let known = *code <= U256::from(0xff);
                let meaning = match code.low_u64() {
                    _ if !known => "unknown panic",
                    0x01 => "an assertion failed",
                    0x11 => "arithmetic overflow or underflow",
                    0x12 => "division by zero",
                    0x21 => "invalid enum value",
                    0x22 => "invalid storage byte array",
                    0x31 => "pop on an empty array",
                    0x32 => "array index out of bounds",
                    0x41 => "out of memory",
                    0x51 => "call to an uninitialized function",
                    _ => "unknown panic",
                };
                write!(f, "contract panic {code:#x}: {meaning}")
            }
            Self::Empty => f.write_str("reverted without a reason"),
            Self::Unknown(hex) => write!(f, "reverted with unrecognised data {hex}"),
        }
    }
}
