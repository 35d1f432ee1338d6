//! `crynux devnet chain`: anvil on 127.0.0.1 with our CrynuxToken, Node and Task deployed,
//! wired and owned by anvil's first dev account, test users funded with CNX, and the network
//! profile written for the DApp, the relay and the nodes.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use crynux_protocol::abi::{
    allowance_calldata, balance_of_calldata, decode_uint256, encode_call, Token,
};
use crynux_protocol::profile::{Contracts, NetworkProfile};
use crynux_protocol::signing::{PrivateKey, SignScheme};
use crynux_protocol::units::{decimal_u256, format_units, format_units_truncated, DECIMALS};
use crynux_protocol::{to_checksum, Address, U256};
use ethers_core::types::TransactionReceipt;
use serde::{Deserialize, Serialize};
use tokio::process::{Child, Command};

use crate::Failure;
use crynux_chain::{Chain, ChainError};

/// anvil's chain id.
pub const CHAIN_ID: u64 = 31337;
/// Dev accounts created beyond the deployer and the users, for the nodes.
const SPARE_ACCOUNTS: usize = 10;
/// ETH anvil gives every dev account.
const ETH_PER_ACCOUNT: u64 = 10_000;

const TOKEN_BYTECODE: &str = include_str!("../../../../contracts/bytecode/CrynuxToken.hex");
const NODE_BYTECODE: &str = include_str!("../../../../contracts/bytecode/Node.hex");
const TASK_BYTECODE: &str = include_str!("../../../../contracts/bytecode/Task.hex");

/// Options of `crynux devnet chain`.
#[derive(clap::Args)]
pub struct ChainArgs {
    /// Port of the chain's JSON-RPC on 127.0.0.1.
    #[arg(long, default_value_t = 8545)]
    pub(crate) port: u16,
    /// User accounts funded with CNX (anvil dev accounts 1..=N).
    #[arg(long, default_value_t = 3)]
    pub(crate) users: usize,
    /// CNX given to each user.
    #[arg(long, default_value_t = 1000)]
    pub(crate) cnx_per_user: u64,
    /// CNX paid to each of a task's three nodes; the task fee is three times this.
    #[arg(long, default_value_t = 10)]
    pub(crate) fee_per_node: u64,
    /// Seconds after creation before a task can be cancelled.
    #[arg(long, default_value_t = 900)]
    pub(crate) task_timeout: u64,
    /// Relay URL written into the network profile.
    #[arg(long, default_value = "http://127.0.0.1:8081")]
    pub(crate) relay_url: String,
    /// Folder for network.json (the profile), accounts.json and anvil.log.
    #[arg(long, default_value = "target/devnet")]
    pub(crate) state_dir: PathBuf,
}

/// `accounts.json`: the dev accounts with their keys and the balances read back after setup.
#[derive(Debug, Serialize, Deserialize)]
pub struct DevnetAccounts {
    /// Deployed the contracts and owns them; holds the rest of the CNX supply.
    pub deployer: Account,
    /// Funded with CNX for creating tasks.
    pub users: Vec<Account>,
    /// Funded with ETH only, for the nodes.
    pub spare: Vec<Account>,
}

/// One dev account.
#[derive(Debug, Serialize, Deserialize)]
pub struct Account {
    /// Its address.
    pub address: Address,
    /// Its private key (a public anvil dev key: for local testing only).
    pub private_key: String,
    /// ETH balance in wei.
    #[serde(with = "decimal_u256")]
    pub eth: U256,
    /// CNX balance in wei.
    #[serde(with = "decimal_u256")]
    pub cnx: U256,
    /// CNX the Task contract may spend for it, in wei.
    #[serde(with = "decimal_u256")]
    pub cnx_allowance_to_task: U256,
}

/// A set-up chain: anvil running with the contracts deployed and the accounts funded.
pub struct RunningChain {
    anvil: Child,
    log: PathBuf,
    /// The profile written to the state dir.
    pub profile: NetworkProfile,
    /// The accounts written to the state dir.
    pub accounts: DevnetAccounts,
}

impl RunningChain {
    /// Waits for Ctrl-C or SIGTERM, or for anvil to stop by itself (an error), then stops
    /// anvil.
    pub async fn run_until_stopped(mut self) -> Result<(), Failure> {
        let stopped_by_itself = tokio::select! {
            _ = crate::stop_signal() => None,
            status = self.anvil.wait() => Some(status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string())),
        };
        let _ = self.anvil.kill().await;
        match stopped_by_itself {
            Some(reason) => Err(Failure::unusable(format!(
                "anvil stopped unexpectedly ({reason}); see {}",
                self.log.display()
            ))),
            None => Ok(()),
        }
    }
}

/// Starts the chain, sets it up, and runs until Ctrl-C or SIGTERM.
pub async fn run(args: ChainArgs) -> Result<(), Failure> {
    println!("Crynux devnet chain");
    let chain = start(&args).await?;
    println!(
        "\nDevnet chain ready at {}. Ctrl-C stops it.",
        chain.profile.rpc_url
    );
    chain.run_until_stopped().await?;
    println!("Devnet chain stopped.");
    Ok(())
}

/// Starts anvil, deploys and funds, writes `network.json` and `accounts.json`, and prints
/// what it did.
pub async fn start(args: &ChainArgs) -> Result<RunningChain, Failure> {
    std::fs::create_dir_all(&args.state_dir).map_err(|e| {
        Failure::unusable(format!("cannot create {}: {e}", args.state_dir.display()))
    })?;
    let rpc_url = format!("http://127.0.0.1:{}", args.port);
    let anvil_config = args.state_dir.join("anvil.json");
    let anvil_log = args.state_dir.join("anvil.log");
    let mut anvil = start_anvil(args, &anvil_config, &anvil_log)?;
    let chain = Chain::new(&rpc_url);
    tokio::select! {
        ready = chain.wait_until_ready(Duration::from_secs(20)) => {
            ready.map_err(|e| Failure::unusable(format!("{e}; see {}", anvil_log.display())))?;
        }
        status = anvil.wait() => {
            return Err(Failure::unusable(format!(
                "anvil stopped at start ({}): is port {} in use? See {}",
                status.map(|s| s.to_string()).unwrap_or_default(), args.port, anvil_log.display()
            )));
        }
    }
    println!(
        "  anvil      {rpc_url}, chain id {CHAIN_ID}, log {}",
        anvil_log.display()
    );

    let keys = read_anvil_keys(&anvil_config)?;
    let setup = set_up(&chain, args, &keys).await.map_err(chain_failure)?;
    let accounts = read_back_accounts(&chain, &setup.profile.contracts, &keys, args.users)
        .await
        .map_err(chain_failure)?;

    let profile_path = args.state_dir.join("network.json");
    let accounts_path = args.state_dir.join("accounts.json");
    write_json(&profile_path, &setup.profile)?;
    write_json(&accounts_path, &accounts)?;
    print_accounts(&accounts);
    println!("\nNetwork profile  {}", profile_path.display());
    println!("Accounts         {}", accounts_path.display());
    Ok(RunningChain {
        anvil,
        log: anvil_log,
        profile: setup.profile,
        accounts,
    })
}

/// anvil from the project's node_modules (or PATH), killed when the handle drops.
fn start_anvil(args: &ChainArgs, config: &Path, log: &Path) -> Result<Child, Failure> {
    let log_file = std::fs::File::create(log)
        .map_err(|e| Failure::unusable(format!("cannot create {}: {e}", log.display())))?;
    let accounts = 1 + args.users + SPARE_ACCOUNTS;
    Command::new(find_anvil())
        .args(["--host", "127.0.0.1", "--port", &args.port.to_string()])
        .args(["--chain-id", &CHAIN_ID.to_string()])
        .args(["--accounts", &accounts.to_string()])
        .args(["--balance", &ETH_PER_ACCOUNT.to_string()])
        .arg("--config-out")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::from(
            log_file
                .try_clone()
                .map_err(|e| Failure::unusable(e.to_string()))?,
        ))
        .stderr(Stdio::from(log_file))
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            Failure::unusable(format!(
                "cannot start anvil ({e}): run scripts/setup to install it (npm ci)"
            ))
        })
}

fn find_anvil() -> PathBuf {
    let in_repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../node_modules/.bin/anvil");
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("anvil"))
            .find(|candidate| candidate.is_file())
    });
    on_path.unwrap_or(in_repo)
}

fn read_anvil_keys(config: &Path) -> Result<Vec<PrivateKey>, Failure> {
    #[derive(Deserialize)]
    struct AnvilConfig {
        private_keys: Vec<String>,
    }
    let text = std::fs::read_to_string(config)
        .map_err(|e| Failure::unusable(format!("cannot read {}: {e}", config.display())))?;
    let parsed: AnvilConfig = serde_json::from_str(&text).map_err(|e| {
        Failure::unusable(format!("{} is not anvil's config: {e}", config.display()))
    })?;
    parsed
        .private_keys
        .iter()
        .map(|key| PrivateKey::from_hex(key).map_err(|e| Failure::unusable(e.to_string())))
        .collect()
}

struct Setup {
    profile: NetworkProfile,
}

/// Deploys in a fixed order from a fresh deployer (nonces 0, 1, 2), so the addresses are
/// the same on every start.
async fn set_up(chain: &Chain, args: &ChainArgs, keys: &[PrivateKey]) -> Result<Setup, ChainError> {
    let deployer = keys[0].address();
    let deploy = |name: &'static str, bytecode: &str, constructor: Vec<Token>| {
        let mut code = hex::decode(bytecode.trim().trim_start_matches("0x")).unwrap_or_default();
        code.extend(ethers_core::abi::encode(&constructor));
        async move {
            let receipt = chain.transact(deployer, None, code).await?;
            let address = receipt.contract_address.unwrap_or_default();
            report(
                &format!("deployed {name} {}", to_checksum(&address, None)),
                &receipt,
            );
            Ok::<_, ChainError>((address, receipt))
        }
    };
    let (token, token_receipt) = deploy("CrynuxToken", TOKEN_BYTECODE, vec![]).await?;
    let (node, _) = deploy("Node", NODE_BYTECODE, vec![Token::Address(token)]).await?;
    let (task, _) = deploy(
        "Task",
        TASK_BYTECODE,
        vec![Token::Address(node), Token::Address(token)],
    )
    .await?;

    let call = |to: Address, signature: &'static str, args: Vec<Token>| async move {
        let receipt = chain
            .transact(deployer, Some(to), encode_call(signature, &args))
            .await?;
        Ok::<_, ChainError>(receipt)
    };
    let wired = call(
        node,
        "updateTaskContractAddress(address)",
        vec![Token::Address(task)],
    )
    .await?;
    report("wired Node to Task", &wired);
    let fee_per_node = cnx(args.fee_per_node);
    if args.fee_per_node != 10 {
        let r = call(
            task,
            "updateTaskFeePerNode(uint256)",
            vec![Token::Uint(fee_per_node)],
        )
        .await?;
        report(
            &format!("set the fee per node to {} CNX", args.fee_per_node),
            &r,
        );
    }
    if args.task_timeout != 900 {
        let r = call(
            task,
            "updateTimeout(uint256)",
            vec![Token::Uint(args.task_timeout.into())],
        )
        .await?;
        report(
            &format!("set the task timeout to {} s", args.task_timeout),
            &r,
        );
    }
    for user in &keys[1..=args.users] {
        let amount = Token::Uint(cnx(args.cnx_per_user));
        let r = call(
            token,
            "transfer(address,uint256)",
            vec![Token::Address(user.address()), amount],
        )
        .await?;
        report(
            &format!(
                "sent {} CNX to {}",
                args.cnx_per_user,
                to_checksum(&user.address(), None)
            ),
            &r,
        );
    }

    let profile = NetworkProfile {
        name: "Local devnet".into(),
        chain_id: CHAIN_ID,
        rpc_url: format!("http://127.0.0.1:{}", args.port),
        contracts: Contracts { token, node, task },
        deployment_block: token_receipt
            .block_number
            .map(|b| b.as_u64())
            .unwrap_or_default(),
        task_fee: fee_per_node * 3,
        task_timeout_secs: args.task_timeout,
        relay_url: args.relay_url.clone(),
        relay_signature_schemes: vec![SignScheme::Raw, SignScheme::Eip191],
        relay_sign_in: false,
    };
    Ok(Setup { profile })
}

fn report(what: &str, receipt: &TransactionReceipt) {
    let block = receipt.block_number.map(|b| b.as_u64()).unwrap_or_default();
    let gas = receipt.gas_used.unwrap_or_default();
    println!("  {what} (block {block}, gas {gas})");
}

/// Balances and allowances as the chain reports them now.
async fn read_back_accounts(
    chain: &Chain,
    contracts: &Contracts,
    keys: &[PrivateKey],
    users: usize,
) -> Result<DevnetAccounts, ChainError> {
    let mut all = Vec::with_capacity(keys.len());
    for key in keys {
        let address = key.address();
        let uint = |data: Vec<u8>| {
            decode_uint256(&data).map_err(|e| ChainError::Decode {
                method: "eth_call".into(),
                reason: e.to_string(),
            })
        };
        let cnx = uint(
            chain
                .call(address, contracts.token, balance_of_calldata(address))
                .await?,
        )?;
        let allowance = chain
            .call(
                address,
                contracts.token,
                allowance_calldata(address, contracts.task),
            )
            .await?;
        all.push(Account {
            address,
            private_key: key.to_hex(),
            eth: chain.balance(address).await?,
            cnx,
            cnx_allowance_to_task: uint(allowance)?,
        });
    }
    let mut rest = all.into_iter();
    let deployer = rest.next().ok_or_else(|| ChainError::Decode {
        method: "anvil config".into(),
        reason: "no accounts".into(),
    })?;
    let users = rest.by_ref().take(users).collect();
    Ok(DevnetAccounts {
        deployer,
        users,
        spare: rest.collect(),
    })
}

fn print_accounts(accounts: &DevnetAccounts) {
    println!("\nAccounts (public anvil dev keys: for this local network only)");
    println!(
        "  {:<9} {:<42}  {:<66}  {:>12}  {:>12}  {:>9}",
        "role", "address", "private key", "ETH", "CNX", "allowance"
    );
    let roles = std::iter::once(("deployer".to_owned(), &accounts.deployer))
        .chain(
            accounts
                .users
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("user {}", i + 1), a)),
        )
        .chain(
            accounts
                .spare
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("spare {}", i + 1), a)),
        );
    for (role, account) in roles {
        println!(
            "  {role:<9} {}  {}  {:>12}  {:>12}  {:>9}",
            to_checksum(&account.address, None),
            account.private_key,
            format_units_truncated(account.eth, DECIMALS, 4),
            format_units(account.cnx, DECIMALS),
            format_units(account.cnx_allowance_to_task, DECIMALS),
        );
    }
}

fn write_json(path: &Path, value: &impl Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    std::fs::write(path, text + "\n")
        .map_err(|e| Failure::unusable(format!("cannot write {}: {e}", path.display())))
}

fn cnx(whole: u64) -> U256 {
    U256::from(whole) * U256::exp10(DECIMALS)
}

fn chain_failure(e: ChainError) -> Failure {
    Failure::unusable(format!("devnet setup failed: {e}"))
}
