//! `crynux args`: validate and hash task-argument files.

use std::path::PathBuf;

use clap::Subcommand;
use crynux_protocol::args::{task_hash, validate, ArgsError, TaskType};

use crate::input::{read_bytes, read_text};
use crate::Failure;

#[derive(Subcommand)]
pub enum ArgsCommand {
    /// Exit 0 if FILE is valid for the task type; 1 with `pointer: message` lines on stderr
    /// if not; 2 if FILE cannot be read or is not JSON.
    Validate {
        /// sd (or 0) for Stable Diffusion, gpt (or 1) for GPT.
        #[arg(long = "type", value_name = "TYPE")]
        task_type: TaskType,
        /// The arguments file; `-` for standard input.
        file: PathBuf,
    },
    /// Print 0x + keccak256 of FILE's exact bytes: the `taskHash` of `createTask`.
    Hash {
        /// The arguments file; `-` for standard input.
        file: PathBuf,
    },
}

impl ArgsCommand {
    pub fn run(self) -> Result<(), Failure> {
        match self {
            Self::Validate { task_type, file } => {
                let text = read_text(&file)?;
                match validate(task_type, &text) {
                    Ok(_) => Ok(()),
                    Err(ArgsError::Invalid(issues)) => Err(Failure::invalid(
                        issues.iter().map(ToString::to_string).collect(),
                    )),
                    Err(not_json) => {
                        Err(Failure::unusable(format!("{}: {not_json}", file.display())))
                    }
                }
            }
            Self::Hash { file } => {
                println!("0x{}", hex::encode(task_hash(&read_bytes(&file)?)));
                Ok(())
            }
        }
    }
}
