//! The wallet: one typed module between the app and the user's EIP-1193 wallet. Components
//! use [`use_wallet`]; they never touch JavaScript.

mod error;
mod provider;

pub use error::WalletError;
pub use provider::{discover, Listener, Provider};

use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::read::FromJson;
use crynux_protocol::signing::Signature;
use crynux_protocol::{Address, H256, U256};
use leptos::prelude::*;
use serde_json::{json, Value};

use crate::browser::{load, save};

/// Where the name of the wallet this site connected last is kept.
const LAST_WALLET_KEY: &str = "crynux/last-wallet";

/// The wallet's state as signals, and what can be asked of it.
#[derive(Clone, Copy)]
pub struct Wallet {
    /// Names of the wallets found in this browser.
    pub wallets: Signal<Vec<String>>,
    /// The connected account, `None` before connecting (or after the wallet disconnects).
    pub account: ReadSignal<Option<Address>>,
    /// The chain the wallet is on.
    pub chain_id: ReadSignal<Option<u64>>,
    /// Connects the wallet with this index in `wallets` (`eth_requestAccounts`).
    pub connect: Action<usize, Result<(), WalletError>>,
    /// Switches the wallet to the profile's chain, adding the chain first if the wallet does
    /// not know it.
    pub switch_chain: Action<(), Result<(), WalletError>>,
    connected: StoredValue<Option<Provider>, LocalStorage>,
}

impl Wallet {
    fn provider(&self) -> Result<Provider, WalletError> {
        self.connected
            .with_value(Clone::clone)
            .ok_or(WalletError::Unauthorized)
    }

    /// Asks the user to send a transaction (`eth_sendTransaction`); its hash once sent.
    pub async fn send_transaction(
        &self,
        from: Address,
        to: Address,
        value: U256,
        data: &[u8],
        gas: U256,
    ) -> Result<H256, WalletError> {
        let data = format!("0x{}", hex::encode(data));
        let tx = json!({"from": from, "to": to, "value": value, "data": data, "gas": gas});
        let hash = self.provider()?.send_transaction(tx).await?;
        H256::from_json(hash, "").map_err(|_| unreadable("transaction hash"))
    }

    /// Asks the user to sign `message` (`personal_sign`, EIP-191); the signature in the
    /// relay's form (low s, recovery id 0/1).
    pub async fn personal_sign(
        &self,
        account: Address,
        message: &[u8],
    ) -> Result<Signature, WalletError> {
        let params = json!([format!("0x{}", hex::encode(message)), account]);
        let signature = self.provider()?.request("personal_sign", params).await?;
        signature
            .as_str()
            .and_then(|hex| Signature::from_hex(hex).ok())
            .ok_or_else(|| unreadable("signature"))
    }
}

fn unreadable(what: &str) -> WalletError {
    WalletError::Rpc {
        code: 0,
        message: format!("the wallet returned an unreadable {what}"),
    }
}

/// The wallet for `profile`'s network. Event listeners live as long as the calling
/// component and are removed when it is unmounted.
pub fn use_wallet(profile: &NetworkProfile) -> Wallet {
    let providers = StoredValue::new_local(discover());
    let names: Vec<String> = providers.with_value(|p| p.iter().map(|p| p.name.clone()).collect());
    let connected = StoredValue::new_local(None::<Provider>);
    let listeners = StoredValue::new_local(Vec::<Listener>::new());
    on_cleanup(move || listeners.update_value(Vec::clear));
    let (account, set_account) = signal(None::<Address>);
    let (chain_id, set_chain_id) = signal(None::<u64>);

    // Takes the wallet's account (asking with `method`) and follows its changes.
    let attach = move |provider: Provider, method: &'static str| async move {
        let accounts = provider.request(method, json!([])).await?;
        let Some(first) = first_account(&accounts) else {
            return Ok(());
        };
        set_chain_id.set(chain_number(
            &provider.request("eth_chainId", json!([])).await?,
        ));
        set_account.set(Some(first));
        listeners.set_value(vec![
            provider.listen("accountsChanged", move |accounts| {
                set_account.set(first_account(&accounts))
            }),
            provider.listen("chainChanged", move |chain| {
                set_chain_id.set(chain_number(&chain))
            }),
        ]);
        save(LAST_WALLET_KEY, &provider.name);
        connected.set_value(Some(provider));
        Ok::<_, WalletError>(())
    };
    let connect = Action::new_local(move |index: &usize| {
        let provider = providers.with_value(|p| p.get(*index).cloned());
        async move {
            attach(
                provider.ok_or(WalletError::NoWallet)?,
                "eth_requestAccounts",
            )
            .await
        }
    });
    // Back after a reload with no prompt: the wallet this site used last (or the only one)
    // still grants its account when `eth_accounts`, which asks nobody, names it.
    let last = load(LAST_WALLET_KEY);
    let granting = providers.with_value(|p| {
        p.iter()
            .find(|p| Some(&p.name) == last.as_ref())
            .or_else(|| (p.len() == 1).then(|| &p[0]))
            .cloned()
    });
    if let Some(provider) = granting {
        leptos::task::spawn_local(async move {
            // A wallet that grants nothing, or fails, leaves "Connect wallet" to the user.
            let _ = attach(provider, "eth_accounts").await;
        });
    }

    let chain = json!({
        "chainId": format!("{:#x}", profile.chain_id),
        "chainName": profile.name,
        "rpcUrls": [profile.rpc_url],
        "nativeCurrency": {"name": "Ether", "symbol": "ETH", "decimals": 18},
    });
    let switch_chain = Action::new_local(move |_: &()| {
        let provider = connected.with_value(Clone::clone);
        let chain = chain.clone();
        async move {
            let provider = provider.ok_or(WalletError::Unauthorized)?;
            let switch = json!([{"chainId": chain["chainId"]}]);
            match provider
                .request("wallet_switchEthereumChain", switch.clone())
                .await
            {
                Err(WalletError::UnknownChain) => {
                    provider
                        .request("wallet_addEthereumChain", json!([chain]))
                        .await?;
                    provider
                        .request("wallet_switchEthereumChain", switch)
                        .await?;
                }
                other => drop(other?),
            }
            set_chain_id.set(chain_number(
                &provider.request("eth_chainId", json!([])).await?,
            ));
            Ok(())
        }
    });

    Wallet {
        wallets: Signal::stored(names),
        account,
        chain_id,
        connect,
        switch_chain,
        connected,
    }
}

fn first_account(accounts: &Value) -> Option<Address> {
    accounts.get(0)?.as_str()?.parse().ok()
}

fn chain_number(chain: &Value) -> Option<u64> {
    let chain = chain.as_str()?;
    u64::from_str_radix(chain.strip_prefix("0x").unwrap_or(chain), 16).ok()
}
