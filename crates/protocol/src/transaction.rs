//! Transactions signed by a key the app holds (the session wallet), encoded for
//! `eth_sendRawTransaction`: EIP-1559 where the chain has a base fee, else legacy with the
//! EIP-155 chain id.

use ethers_core::types::transaction::eip2718::TypedTransaction;
use ethers_core::types::{Address, H256, U256};
use ethers_core::types::{
    Eip1559TransactionRequest, Signature as EthSignature, TransactionRequest,
};

use crate::hash::keccak256;
use crate::signing::PrivateKey;

/// Gas of a plain ETH transfer.
pub const TRANSFER_GAS: u64 = 21_000;

/// What the sender pays per unit of gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fees {
    /// EIP-1559: at most `max_fee`, of which `max_priority_fee` goes to the miner.
    Eip1559 {
        /// Ceiling per gas, base fee included.
        max_fee: U256,
        /// Tip per gas.
        max_priority_fee: U256,
    },
    /// A chain without a base fee: a fixed price per gas.
    Legacy {
        /// Price per gas.
        gas_price: U256,
    },
}

impl Fees {
    /// EIP-1559 fees on a chain whose latest block has `base_fee`, with the node's suggested
    /// `tip`: room for the base fee to double before the transaction is mined.
    pub fn eip1559(base_fee: U256, tip: U256) -> Self {
        Self::Eip1559 {
            max_fee: base_fee * 2 + tip,
            max_priority_fee: tip,
        }
    }

    /// The most a unit of gas can cost.
    pub fn max_per_gas(&self) -> U256 {
        match *self {
            Self::Eip1559 { max_fee, .. } => max_fee,
            Self::Legacy { gas_price } => gas_price,
        }
    }

    /// The same ceiling, always paid in full (the tip takes what the base fee leaves), so
    /// that a transaction's cost is known before it is mined: what sending *all* the ETH of
    /// an account needs.
    pub fn exact(self) -> Self {
        match self {
            Self::Eip1559 { max_fee, .. } => Self::Eip1559 {
                max_fee,
                max_priority_fee: max_fee,
            },
            legacy => legacy,
        }
    }
}

/// A transaction to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The chain it is valid on.
    pub chain_id: u64,
    /// The sender's nonce.
    pub nonce: u64,
    /// The recipient or contract called.
    pub to: Address,
    /// ETH sent, in wei.
    pub value: U256,
    /// Calldata.
    pub data: Vec<u8>,
    /// Gas limit.
    pub gas: U256,
    /// Price of gas.
    pub fees: Fees,
}

/// A signed transaction: the bytes for `eth_sendRawTransaction` and the transaction hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTransaction {
    /// The encoded signed transaction.
    pub raw: Vec<u8>,
    /// keccak256 of `raw`: the hash the chain knows it by.
    pub hash: H256,
}

impl Transaction {
    /// Signs with `key`.
    pub fn sign(&self, key: &PrivateKey) -> SignedTransaction {
        let mut typed: TypedTransaction = match self.fees {
            Fees::Eip1559 {
                max_fee,
                max_priority_fee,
            } => Eip1559TransactionRequest::new()
                .max_fee_per_gas(max_fee)
                .max_priority_fee_per_gas(max_priority_fee)
                .into(),
            Fees::Legacy { gas_price } => TransactionRequest::new().gas_price(gas_price).into(),
        };
        typed
            .set_to(self.to)
            .set_value(self.value)
            .set_data(self.data.clone().into())
            .set_gas(self.gas)
            .set_nonce(self.nonce)
            .set_chain_id(self.chain_id);
        let signature = key.sign_hash(&typed.sighash().0);
        let bytes = signature.to_bytes();
        let recovery = u64::from(bytes[64]);
        let v = match self.fees {
            Fees::Eip1559 { .. } => recovery,
            // EIP-155
            Fees::Legacy { .. } => recovery + 35 + 2 * self.chain_id,
        };
        let raw = typed
            .rlp_signed(&EthSignature {
                r: U256::from_big_endian(&bytes[..32]),
                s: U256::from_big_endian(&bytes[32..64]),
                v,
            })
            .to_vec();
        SignedTransaction {
            hash: H256(keccak256(&raw)),
            raw,
        }
    }
}
