//! `crynux devnet`: the local Crynux network.

pub mod chain;

use clap::Subcommand;

use crate::Failure;

/// The parts of the local network that can be started.
#[derive(Subcommand)]
pub enum DevnetCommand {
    /// Start anvil, deploy CrynuxToken, Node and Task, fund test accounts and write the
    /// network profile; runs until Ctrl-C.
    Chain(chain::ChainArgs),
}

impl DevnetCommand {
    /// Runs the part until it is stopped.
    pub fn run(self) -> Result<(), Failure> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::unusable(format!("cannot start the async runtime: {e}")))?;
        match self {
            Self::Chain(args) => runtime.block_on(chain::run(args)),
        }
    }
}
