#![allow(dead_code, reason = "each test binary uses a part of it")]
//! Running `crynux` subcommands as the tests' servers: started on free loopback ports, ready
//! when they print their ready line, stopped by PID with SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running `crynux` subcommand, stopped with SIGTERM when dropped.
pub struct Server {
    child: Child,
    /// Its stdout up to the ready line.
    pub output: Vec<String>,
}

impl Server {
    /// Starts `crynux ARGS` and waits (at most 60 s) for a stdout line containing `ready`.
    pub fn start(args: &[String], ready: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crynux"))
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let (lines, received) = mpsc::channel();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            stdout
                .lines()
                .map_while(Result::ok)
                .for_each(|l| drop(lines.send(l)))
        });
        let mut output: Vec<String> = Vec::new();
        while !output.last().is_some_and(|l| l.contains(ready)) {
            match received.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => output.push(line),
                Err(_) => panic!(
                    "crynux {args:?} never printed {ready:?}:\n{}",
                    output.join("\n")
                ),
            }
        }
        Self { child, output }
    }

    /// Stops it with SIGTERM and waits.
    pub fn stop(&mut self) -> ExitStatus {
        self.signal("-TERM");
        self.child.wait().unwrap()
    }

    /// Kills it with SIGKILL, as a crash would, and waits.
    pub fn crash(&mut self) {
        self.signal("-KILL");
        self.child.wait().unwrap();
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        Command::new("kill").args([signal, &pid]).status().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

/// A free port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A fresh folder under the target dir.
pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", free_port()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `crynux devnet chain` on a free port, with its state dir.
pub fn devnet(extra_args: &[&str]) -> (Server, PathBuf) {
    devnet_on(free_port(), extra_args)
}

/// `crynux devnet chain` on `port`, with its state dir.
pub fn devnet_on(port: u16, extra_args: &[&str]) -> (Server, PathBuf) {
    let state_dir = fresh_dir("devnet");
    let port = port.to_string();
    let mut args: Vec<String> = ["devnet", "chain", "--port", &port, "--state-dir"]
        .iter()
        .map(ToString::to_string)
        .collect();
    args.push(state_dir.display().to_string());
    args.extend(extra_args.iter().map(ToString::to_string));
    (Server::start(&args, "ready at"), state_dir)
}

/// Reads a JSON file.
pub fn read_json<T: serde::de::DeserializeOwned>(path: PathBuf) -> T {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Reads a network profile file.
pub fn read_profile(path: PathBuf) -> crynux_protocol::profile::NetworkProfile {
    let text = std::fs::read_to_string(path).unwrap();
    crynux_protocol::profile::NetworkProfile::from_json(&text).unwrap()
}

/// Gives each of `nodes` the 400 CNX stake from the deployer and joins it with one GPU model.
pub async fn join_nodes(
    chain: &crynux_chain::Chain,
    contracts: &crynux_protocol::profile::Contracts,
    deployer: crynux_protocol::Address,
    nodes: &[crynux_protocol::Address],
) -> Vec<(&'static str, crynux_protocol::U256)> {
    use crynux_protocol::abi::{approve_calldata, encode_call, transfer_calldata, Token};
    let stake = crynux_protocol::U256::exp10(18) * 400;
    let mut gas = Vec::new();
    for &node in nodes {
        chain
            .transact(
                deployer,
                Some(contracts.token),
                transfer_calldata(node, stake),
            )
            .await
            .unwrap();
        let approve = approve_calldata(contracts.node, stake);
        let r = chain
            .transact(node, Some(contracts.token), approve)
            .await
            .unwrap();
        gas.push(("node: approve stake", r.gas_used.unwrap()));
        let gpu = [
            Token::String("NVIDIA RTX 4090".into()),
            Token::Uint(24.into()),
        ];
        let join = encode_call("join(string,uint256)", &gpu);
        let r = chain
            .transact(node, Some(contracts.node), join)
            .await
            .unwrap();
        gas.push(("node: join", r.gas_used.unwrap()));
    }
    gas
}

/// Polls `check` every 50 ms until it gives a value; at most 20 s.
pub async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    for _ in 0..400 {
        if let Some(value) = check().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within 20 s");
}
