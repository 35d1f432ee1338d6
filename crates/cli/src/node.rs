//! `crynux node`: simulated GPU nodes (several in one process), until Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crynux_chain::Chain;
use crynux_node::{Fault, NodeConfig};
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::signing::PrivateKey;
use crynux_protocol::to_checksum;

use crate::input::read_text;
use crate::Failure;

/// A node on the command line: `NAME:VRAM[:FAULT]`, e.g. `NVIDIA RTX 4090:24:cheat`.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    /// GPU model name.
    pub gpu_name: String,
    /// GPU memory in GB.
    pub gpu_vram: u64,
    /// How it misbehaves.
    pub fault: Fault,
}

impl FromStr for NodeSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.split(':');
        let usage =
            || format!("{s:?}: a node is NAME:VRAM[:FAULT], e.g. \"NVIDIA RTX 4090:24:cheat\"");
        let gpu_name = parts
            .next()
            .filter(|n| !n.is_empty())
            .ok_or_else(usage)?
            .to_owned();
        let gpu_vram = parts
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(usage)?;
        let fault = parts.next().map_or(Ok(Fault::Honest), Fault::from_str)?;
        if parts.next().is_some() {
            return Err(usage());
        }
        Ok(Self {
            gpu_name,
            gpu_vram,
            fault,
        })
    }
}

/// Options of `crynux node`.
#[derive(clap::Args)]
pub struct NodeArgs {
    /// The network profile.
    #[arg(long)]
    profile: PathBuf,
    /// A node: its private key, then NAME:VRAM[:FAULT]; repeat for more nodes.
    /// Faults: honest, error, cheat, no-upload, offline, slow.
    #[arg(long = "node", value_name = "KEY=NAME:VRAM[:FAULT]", required = true)]
    nodes: Vec<String>,
    /// Simulated compute time per task, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    compute_ms: u64,
    /// Seconds after a task's deadline before its first node cancels it if it is still open.
    #[arg(long, default_value_t = 60)]
    cancel_grace_secs: u64,
}

impl NodeArgs {
    /// Joins the nodes and runs them until stopped.
    pub fn run(self) -> Result<(), Failure> {
        let profile = NetworkProfile::from_json(&read_text(&self.profile)?)
            .map_err(|e| Failure::unusable(format!("{}: {e}", self.profile.display())))?;
        let mut nodes = Vec::new();
        for node in &self.nodes {
            let (key, spec) = node.split_once('=').ok_or_else(|| {
                Failure::unusable(format!("--node {node:?}: use KEY=NAME:VRAM[:FAULT]"))
            })?;
            let key =
                PrivateKey::from_hex(key).map_err(|e| Failure::unusable(format!("--node: {e}")))?;
            nodes.push(config(key, &spec.parse().map_err(Failure::unusable)?));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::unusable(format!("cannot start the async runtime: {e}")))?;
        runtime.block_on(async {
            let nodes = start(&profile, nodes).await?;
            println!("Nodes ready at {} ({} nodes). Ctrl-C stops them.", profile.rpc_url, self.nodes.len());
            tokio::select! {
                result = crynux_node::run(profile, nodes, Duration::from_millis(self.compute_ms), Duration::from_secs(self.cancel_grace_secs)) => result.map_err(Failure::unusable),
                _ = crate::stop_signal() => Ok(()),
            }
        })
    }
}

/// The node of `spec` with `key`.
pub fn config(key: PrivateKey, spec: &NodeSpec) -> NodeConfig {
    NodeConfig {
        key,
        gpu_name: spec.gpu_name.clone(),
        gpu_vram: spec.gpu_vram,
        fault: spec.fault,
    }
}

/// Joins every node (each account must hold the stake) and prints them.
pub async fn start(
    profile: &NetworkProfile,
    nodes: Vec<NodeConfig>,
) -> Result<Vec<NodeConfig>, Failure> {
    let chain = Chain::new(&profile.rpc_url);
    for node in &nodes {
        crynux_node::join(&chain, profile, node)
            .await
            .map_err(|e| {
                Failure::unusable(format!(
                    "node {}: joining failed: {e}",
                    to_checksum(&node.key.address(), None)
                ))
            })?;
        println!(
            "  node       {} {} {} GB, {}",
            to_checksum(&node.key.address(), None),
            node.gpu_name,
            node.gpu_vram,
            node.fault
        );
    }
    Ok(nodes)
}
