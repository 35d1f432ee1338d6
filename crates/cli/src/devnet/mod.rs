//! `crynux devnet`: the local Crynux network. With no subcommand it starts everything (chain,
//! relay, simulated nodes, the app); `crynux devnet chain` starts only the chain.

pub mod app_server;
pub mod chain;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Subcommand;
use crynux_chain::Chain;
use crynux_protocol::abi::transfer_calldata;
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::signing::{PrivateKey, SignScheme};
use crynux_protocol::to_checksum;
use crynux_relay::{Config, Relay};

use crate::node::NodeSpec;
use crate::Failure;

/// Options of `crynux devnet`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DevnetArgs {
    #[command(subcommand)]
    part: Option<DevnetPart>,
    #[command(flatten)]
    all: UpArgs,
}

/// One part of the local network alone.
#[derive(Subcommand)]
enum DevnetPart {
    /// Start anvil, deploy CrynuxToken, Node and Task, fund test accounts and write the
    /// network profile; runs until Ctrl-C.
    Chain(chain::ChainArgs),
    /// Serve a built app folder (`trunk build --release`) as the devnet serves its own:
    /// compressed once at start, cached by name; runs until Ctrl-C.
    App(AppArgs),
}

/// Options of `crynux devnet app`.
#[derive(clap::Args)]
struct AppArgs {
    /// The built app (it gets a `.br` and a `.gz` beside each text and wasm file).
    #[arg(long, default_value = "dist")]
    dir: PathBuf,
    /// Port on 127.0.0.1.
    #[arg(long, default_value_t = 8080)]
    port: u16,
}

/// Options of the whole local network.
#[derive(clap::Args)]
struct UpArgs {
    #[command(flatten)]
    chain: chain::ChainArgs,
    /// A simulated node, NAME:VRAM[:FAULT]; repeat for more (at most 10). Default: six
    /// "NVIDIA RTX 4090:24" and one "NVIDIA RTX 4070:12" (two tasks at a time). Faults:
    /// honest, error, cheat, no-upload, offline, slow.
    #[arg(long = "node", value_name = "NAME:VRAM[:FAULT]")]
    nodes: Vec<NodeSpec>,
    /// Simulated compute time per task, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    compute_ms: u64,
    /// Seconds after a task's deadline before its first node cancels it if it is still open
    /// (its creator can cancel it first).
    #[arg(long, default_value_t = 60)]
    cancel_grace_secs: u64,
    /// Port of the app on 127.0.0.1.
    #[arg(long, default_value_t = 8080)]
    app_port: u16,
    /// Serve the app with `trunk serve` (rebuilds on change) instead of a release build.
    #[arg(long)]
    dev: bool,
    /// Do not build or serve the app (chain, relay and nodes only).
    #[arg(long)]
    no_app: bool,
    /// Delete the state folder first (logs and the copy of the app too).
    #[arg(long)]
    fresh: bool,
    /// Do not run the relay: run `crynux relay --profile STATE_DIR/network.json` yourself on
    /// --relay-url (to stop and restart it on its own).
    #[arg(long)]
    no_relay: bool,
}

impl DevnetArgs {
    /// Runs the chosen part, or everything, until stopped.
    pub fn run(self) -> Result<(), Failure> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::unusable(format!("cannot start the async runtime: {e}")))?;
        match self.part {
            Some(DevnetPart::Chain(args)) => runtime.block_on(chain::run(args)),
            Some(DevnetPart::App(args)) => runtime.block_on(serve_built_app(args)),
            None => runtime.block_on(up(self.all)),
        }
    }
}

fn default_nodes() -> Vec<NodeSpec> {
    ["NVIDIA RTX 4090:24"; 6]
        .iter()
        .chain(&["NVIDIA RTX 4070:12"])
        .filter_map(|spec| spec.parse().ok())
        .collect()
}

async fn up(args: UpArgs) -> Result<(), Failure> {
    let state_dir = args.chain.state_dir.clone();
    if args.fresh {
        let _ = std::fs::remove_dir_all(&state_dir);
    }
    println!("Crynux devnet");
    let chain = chain::start(&args.chain).await?;
    let mut profile = chain.profile.clone();

    let specs = if args.nodes.is_empty() {
        default_nodes()
    } else {
        args.nodes
    };
    let spare = &chain.accounts.spare;
    if specs.len() > spare.len() {
        return Err(Failure::unusable(format!("at most {} nodes", spare.len())));
    }
    let rpc = Chain::new(&profile.rpc_url);
    let mut nodes = Vec::new();
    for (spec, account) in specs.iter().zip(spare) {
        rpc.transact(
            chain.accounts.deployer.address,
            Some(profile.contracts.token),
            transfer_calldata(account.address, crynux_node::stake()),
        )
        .await
        .map_err(|e| Failure::unusable(format!("funding the nodes failed: {e}")))?;
        let key = PrivateKey::from_hex(&account.private_key)
            .map_err(|e| Failure::unusable(e.to_string()))?;
        nodes.push(crate::node::config(key, spec));
    }

    let relay = if args.no_relay {
        println!(
            "  relay      not started: run it yourself on {}",
            profile.relay_url
        );
        None
    } else {
        let app = format!("http://127.0.0.1:{}", args.app_port);
        let relay = start_relay(&state_dir, &profile, app).await?;
        // The app's profile says so: it signs in once instead of signing every request.
        profile.relay_sign_in = true;
        Some(relay)
    };

    let nodes = crate::node::start(&profile, nodes).await?;
    let compute = Duration::from_millis(args.compute_ms);
    let grace = Duration::from_secs(args.cancel_grace_secs);
    let nodes = tokio::spawn(crynux_node::run(profile.clone(), nodes, compute, grace));

    let app = if args.no_app {
        None
    } else {
        Some(start_app(&state_dir, &profile, args.app_port, args.dev).await?)
    };
    print_how_to_connect(
        &profile,
        &chain.accounts,
        app.as_ref().map(|a| a.url.as_str()),
    );
    println!(
        "\nCrynux devnet ready at {}. Ctrl-C stops it.",
        app.as_ref()
            .map_or(profile.relay_url.as_str(), |a| a.url.as_str())
    );

    let stopped = chain.run_until_stopped().await;
    if let Some(relay) = relay {
        relay.abort();
    }
    nodes.abort();
    drop(app);
    println!("Crynux devnet stopped.");
    stopped
}

/// The relay on the profile's relay URL, with a new database (the chain is new too),
/// offering sign-in to the app at `app_origin`.
async fn start_relay(
    state_dir: &Path,
    profile: &NetworkProfile,
    app_origin: String,
) -> Result<tokio::task::JoinHandle<Result<(), String>>, Failure> {
    // The chain is new, so is the relay's database.
    let relay_dir = state_dir.join("relay");
    let _ = std::fs::remove_dir_all(&relay_dir);
    let listen: SocketAddr = profile
        .relay_url
        .trim_start_matches("http://")
        .parse()
        .map_err(|_| {
            Failure::unusable(format!(
                "--relay-url {} must be http://127.0.0.1:PORT",
                profile.relay_url
            ))
        })?;
    let relay = Relay::bind(Config {
        profile: profile.clone(),
        listen,
        data_dir: relay_dir,
        schemes: vec![SignScheme::Raw, SignScheme::Eip191],
        app_origins: vec![app_origin.clone()],
    })
    .await
    .map_err(Failure::unusable)?;
    println!(
        "  relay      {}, signatures raw and eip191, sign-in for {app_origin}",
        profile.relay_url
    );
    Ok(tokio::spawn(relay.run(std::future::pending())))
}

/// Compresses the app in `dir` and serves it on 127.0.0.1:`port` until the task is aborted.
async fn serve_app(dir: &Path, port: u16) -> Result<tokio::task::JoinHandle<()>, Failure> {
    app_server::precompress(dir)
        .map_err(|e| Failure::unusable(format!("cannot compress the app: {e}")))?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| Failure::unusable(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let router = app_server::router(dir);
    Ok(tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    }))
}

async fn serve_built_app(args: AppArgs) -> Result<(), Failure> {
    if !args.dir.join("index.html").is_file() {
        return Err(Failure::unusable(format!(
            "{} has no index.html: run trunk build --release first",
            args.dir.display()
        )));
    }
    let server = serve_app(&args.dir, args.port).await?;
    println!(
        "App ready at http://127.0.0.1:{} ({}, brotli and gzip). Ctrl-C stops it.",
        args.port,
        args.dir.display()
    );
    let _ = tokio::signal::ctrl_c().await;
    server.abort();
    Ok(())
}

/// The app being served; stopped when dropped.
struct App {
    url: String,
    _server: AppServer,
}

enum AppServer {
    Trunk(#[allow(dead_code, reason = "killed on drop")] tokio::process::Child),
    Static(tokio::task::JoinHandle<()>),
}

impl Drop for AppServer {
    fn drop(&mut self) {
        if let Self::Static(task) = self {
            task.abort();
        }
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// trunk, with the project's npm tools (wasm-opt 132) first on PATH.
fn trunk(args: &[&str]) -> tokio::process::Command {
    let root = repo_root();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let tools = std::iter::once(root.join("node_modules/.bin")).chain(std::env::split_paths(&path));
    let mut command = tokio::process::Command::new("trunk");
    command.args(args).current_dir(root).kill_on_drop(true);
    if let Ok(path) = std::env::join_paths(tools) {
        command.env("PATH", path);
    }
    command
}

async fn start_app(
    state_dir: &Path,
    profile: &NetworkProfile,
    port: u16,
    dev: bool,
) -> Result<App, Failure> {
    let url = format!("http://127.0.0.1:{port}");
    let trunk_failed =
        |e: std::io::Error| Failure::unusable(format!("cannot run trunk ({e}): run scripts/setup"));
    if dev {
        // The port as an environment variable: the CSP hook (scripts/csp.mjs) reads it too,
        // to allow the reload script trunk serves with it.
        let child = trunk(&["serve"])
            .env("TRUNK_SERVE_PORT", port.to_string())
            .spawn()
            .map_err(trunk_failed)?;
        println!("  app        {url} (trunk serve; the first build takes a minute)");
        return Ok(App {
            url,
            _server: AppServer::Trunk(child),
        });
    }
    let dist =
        std::path::absolute(state_dir.join("app")).map_err(|e| Failure::unusable(e.to_string()))?;
    println!("  app        building the release build (trunk build --release)…");
    let dist_arg = dist.display().to_string();
    let status = trunk(&["build", "--release", "--dist", &dist_arg])
        .status()
        .await
        .map_err(trunk_failed)?;
    if !status.success() {
        return Err(Failure::unusable(format!("trunk build failed ({status})")));
    }
    // The app reads the profile of this very network, fee and timeout included.
    let profile_json = serde_json::to_string_pretty(profile).unwrap_or_default();
    std::fs::write(dist.join("networks/devnet.json"), profile_json)
        .map_err(|e| Failure::unusable(format!("cannot write the app's profile: {e}")))?;
    let server = serve_app(&dist, port).await?;
    println!(
        "  app        {url} (release build in {}, brotli and gzip)",
        dist.display()
    );
    Ok(App {
        url,
        _server: AppServer::Static(server),
    })
}

fn print_how_to_connect(
    profile: &NetworkProfile,
    accounts: &chain::DevnetAccounts,
    app_url: Option<&str>,
) {
    println!("\nTo use it with MetaMask:");
    println!("  1. Networks → Add a network manually: name \"Crynux devnet\", RPC URL {}, chain ID {}, currency ETH.", profile.rpc_url, profile.chain_id);
    if let Some(user) = accounts.users.first() {
        println!(
            "  2. Import an account with a user's private key, e.g. user 1: {}",
            user.private_key
        );
    }
    println!(
        "  3. Import the CNX token {} (18 decimals).",
        to_checksum(&profile.contracts.token, None)
    );
    if let Some(url) = app_url {
        println!("  4. Open {url}.");
    }
}
