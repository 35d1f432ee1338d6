//! `crynux`: one command for the tools around the Crynux protocol. Its subcommands and exit
//! codes are a stable interface that scripts and tests call.

mod args;
mod input;
mod sign;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "crynux",
    version,
    about = "Tools for the Crynux Network (createTask era)"
)]
struct Cli {
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
}

/// Exit status of a failure the user can fix: 1 = the input is invalid, 2 = it could not
/// be read or used at all.
pub struct Failure {
    code: u8,
    lines: Vec<String>,
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

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Args(command) => command.run(),
        Command::Sign(command) => command.run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            for line in &failure.lines {
                eprintln!("{line}");
            }
            ExitCode::from(failure.code)
        }
    }
}
