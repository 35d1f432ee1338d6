//! Why a task, an approval or a transfer cannot go on: one error for everything that pays
//! or signs, below the task flow, the payer and the session wallet that all report it.

use std::fmt;

use crate::chain::ChainError;
use crate::lazy::PartMissing;
use crate::relay::RelayError;
use crate::session::SessionError;
use crate::wallet::WalletError;

/// Why a task cannot go on for now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// The wallet refused or failed.
    Wallet(WalletError),
    /// The session wallet is locked or failed.
    Session(SessionError),
    /// Reading the chain failed.
    Chain(ChainError),
    /// The relay refused or failed.
    Relay(RelayError),
    /// The contract would refuse `createTask`; the reason in words.
    Refused(String),
    /// The wallet is on another chain.
    WrongChain(String),
    /// The wallet's account is not the task's creator.
    WrongAccount,
    /// The relay accepts no signature a browser wallet can make.
    RawSignaturesOnly,
    /// The relay kept failing while signatures expired.
    RelayUnavailable,
    /// The chain or the relay gave something that cannot be right.
    Unexpected(String),
    /// The task ended (it was cancelled) while a step waited.
    Ended,
    /// The part of the app that runs the steps could not be fetched.
    PartMissing(PartMissing),
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Wallet(e) => e.fmt(f),
            Self::Session(e) => e.fmt(f),
            Self::Chain(e) => e.fmt(f),
            Self::Relay(e) => e.fmt(f),
            Self::Refused(words) => f.write_str(words),
            Self::WrongChain(network) => write!(f, "Your wallet is on another network. Switch it to {network} first."),
            Self::WrongAccount => f.write_str("Your wallet's account is not the one that created this task. Switch back to that account to go on."),
            Self::RawSignaturesOnly => f.write_str(
                "This network's relay only accepts raw-hash signatures, which browser wallets \
                 such as MetaMask cannot make. Create a session wallet (Wallet & settings): \
                 it signs them, and pays for tasks without a prompt.",
            ),
            Self::RelayUnavailable => f.write_str("The relay kept failing. Your task is safe on chain; press Retry when the relay is back."),
            Self::Unexpected(what) => write!(f, "Something unexpected happened: {what}."),
            Self::Ended => f.write_str("The task ended while this step waited."),
            Self::PartMissing(missing) => missing.fmt(f),
        }
    }
}

impl std::error::Error for TaskError {}

impl From<PartMissing> for TaskError {
    fn from(missing: PartMissing) -> Self {
        Self::PartMissing(missing)
    }
}

impl From<WalletError> for TaskError {
    fn from(e: WalletError) -> Self {
        Self::Wallet(e)
    }
}

impl From<SessionError> for TaskError {
    fn from(e: SessionError) -> Self {
        Self::Session(e)
    }
}

impl From<ChainError> for TaskError {
    fn from(e: ChainError) -> Self {
        Self::Chain(e)
    }
}
