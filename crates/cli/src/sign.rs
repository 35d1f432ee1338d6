//! `crynux sign`: signatures for relay requests, as the DApp and the nodes make them.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand};
use crynux_protocol::signing::{sign_request, PrivateKey, RelayRequest, SignScheme};

use crate::input::read_text;
use crate::Failure;

#[derive(Args)]
pub struct SignCommand {
    /// The signer's private key (hex, 32 bytes).
    #[arg(long, env = "CRYNUX_PRIVATE_KEY", hide_env_values = true)]
    key: Option<String>,
    /// raw (keccak256 of the sign bytes, what the era relay checks) or eip191 (personal_sign).
    #[arg(long, default_value = "raw")]
    scheme: SignScheme,
    /// Unix time in seconds; default now. The relay accepts ±60 s.
    #[arg(long)]
    timestamp: Option<u64>,
    /// Print the sign bytes (params JSON + timestamp) instead of the signature.
    #[arg(long)]
    print_message: bool,
    #[command(subcommand)]
    request: RequestCommand,
}

#[derive(Subcommand)]
enum RequestCommand {
    /// POST /v1/inference_tasks
    Upload {
        #[arg(long)]
        task_id: u64,
        /// The exact arguments string that was hashed; `-` for standard input.
        #[arg(long)]
        task_args_file: PathBuf,
    },
    /// GET /v1/inference_tasks/{task_id}
    Task {
        #[arg(long)]
        task_id: u64,
    },
    /// GET /v1/inference_tasks/{task_id}/results/{image_num}
    Result {
        #[arg(long)]
        task_id: u64,
        #[arg(long)]
        image_num: u32,
    },
}

impl SignCommand {
    pub fn run(self) -> Result<(), Failure> {
        let task_args;
        let request = match self.request {
            RequestCommand::Upload {
                task_id,
                task_args_file,
            } => {
                task_args = read_text(&task_args_file)?;
                RelayRequest::UploadArgs {
                    task_id,
                    task_args: &task_args,
                }
            }
            RequestCommand::Task { task_id } => RelayRequest::GetTask { task_id },
            RequestCommand::Result { task_id, image_num } => {
                RelayRequest::GetResult { task_id, image_num }
            }
        };
        let timestamp = self.timestamp.unwrap_or_else(now);
        if self.print_message {
            println!(
                "{}",
                String::from_utf8_lossy(&request.sign_bytes(timestamp))
            );
            return Ok(());
        }
        let key = self
            .key
            .ok_or_else(|| Failure::unusable("--key (or CRYNUX_PRIVATE_KEY) is needed to sign"))?;
        let key =
            PrivateKey::from_hex(&key).map_err(|e| Failure::unusable(format!("--key: {e}")))?;
        println!(
            "{}",
            sign_request(&key, self.scheme, &request, timestamp).to_hex()
        );
        Ok(())
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
