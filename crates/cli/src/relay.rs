//! `crynux relay`: the era's relay API v1 for one network profile, until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;

use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::signing::SignScheme;
use crynux_relay::{Config, Relay};

use crate::input::read_text;
use crate::Failure;

/// Options of `crynux relay`.
#[derive(clap::Args)]
pub struct RelayArgs {
    /// The network profile (chain RPC, Task contract, deployment block).
    #[arg(long)]
    profile: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// Folder for the database and the result files.
    #[arg(long, default_value = "target/relay")]
    data_dir: PathBuf,
    /// Signature schemes accepted: raw (the era relay's), eip191 (what MetaMask signs).
    #[arg(long, value_delimiter = ',', default_value = "raw,eip191")]
    signature_schemes: Vec<SignScheme>,
    /// An app origin that may sign in (Sign-In with Ethereum), `http://127.0.0.1:8080`;
    /// repeat for more. None: sign-in is not offered.
    #[arg(long = "app-origin", value_name = "ORIGIN")]
    app_origins: Vec<String>,
}

impl RelayArgs {
    /// Runs the relay until it is stopped.
    pub fn run(self) -> Result<(), Failure> {
        let profile = NetworkProfile::from_json(&read_text(&self.profile)?)
            .map_err(|e| Failure::unusable(format!("{}: {e}", self.profile.display())))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::unusable(format!("cannot start the async runtime: {e}")))?;
        let schemes: Vec<&str> = self.signature_schemes.iter().map(|s| s.as_str()).collect();
        let config = Config {
            profile,
            listen: self.listen,
            data_dir: self.data_dir,
            schemes: self.signature_schemes,
            app_origins: self.app_origins,
        };
        runtime
            .block_on(async {
                let relay = Relay::bind(config).await?;
                println!(
                    "Relay ready at http://{} (signatures: {}). Ctrl-C stops it.",
                    relay.local_addr(),
                    schemes.join(", ")
                );
                relay.run(crate::stop_signal()).await
            })
            .map_err(Failure::unusable)?;
        println!("Relay stopped.");
        Ok(())
    }
}
