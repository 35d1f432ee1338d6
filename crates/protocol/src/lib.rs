//! The Crynux application protocol of the four-argument `createTask` era, written once for
//! the DApp, the relay, the nodes and the CLI: task arguments and their validation, task
//! hashes, relay request signatures, transactions signed by a local key, contract calldata and events, results.
//!
//! Pure logic: no I/O, no wasm or UI dependency.

pub mod abi;
pub mod args;
pub mod gojson;
pub mod hash;
pub mod phash;
pub mod profile;
pub mod read;
pub mod relay;
pub mod results;
pub mod rpc;
pub mod sign_in;
pub mod signing;
pub mod transaction;
pub mod units;

pub use ethers_core::types::{Address, Log, H256, U256};
pub use ethers_core::utils::to_checksum;
