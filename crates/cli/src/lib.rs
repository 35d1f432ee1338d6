//! The `crynux` command: task arguments, relay signatures and the local network. Its
//! subcommands and exit codes are a stable interface that scripts and tests call.

mod args;
pub mod devnet;
mod input;
pub mod node;
mod relay;
mod sign;

use clap::{Parser, Subcommand};

/// The command line.
#[derive(Parser)]
#[command(
    name = "crynux",
    version,
    about = "Tools for the Crynux Network (createTask era)"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check and hash task arguments.
    #[command(subcommand)]
    Args(args::ArgsCommand),
    /// Sign a relay request; prints the signature (0x + 65 bytes, low s, v 0/1).
    Sign(sign::SignCommand),
    /// The local Crynux network: chain, relay, simulated nodes and the app.
    Devnet(devnet::DevnetArgs),
    /// Simulated GPU nodes.
    Node(node::NodeArgs),
    /// The relay: task arguments and results between the app and the nodes (API v1).
    Relay(relay::RelayArgs),
}

/// A failure the user can fix, with its exit status: 1 = the input is invalid, 2 = it could not
/// be read or used at all.
pub struct Failure {
    /// The process exit code.
    pub code: u8,
    /// What to print on stderr.
    pub lines: Vec<String>,
}

impl Failure {
    /// Exit 1 with one message per line.
    pub fn invalid(lines: Vec<String>) -> Self {
        Self { code: 1, lines }
    }

    /// Exit 2 with one message.
    pub fn unusable(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            lines: vec![message.into()],
        }
    }
}

impl Cli {
    /// Runs the command; the failure carries its exit code and its lines for stderr.
    pub fn run(self) -> Result<(), Failure> {
        match self.command {
            Command::Args(command) => command.run(),
            Command::Sign(command) => command.run(),
            Command::Devnet(args) => args.run(),
            Command::Node(args) => args.run(),
            Command::Relay(args) => args.run(),
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM: how the long-running subcommands are asked to stop.
pub async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate()).ok();
    let sigterm = async {
        match terminate.as_mut() {
            Some(terminate) => terminate.recv().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = sigterm => {}
    }
}
