//! The wallet: connect, which account and network, and every wallet error in plain words.

use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::to_checksum;
use leptos::prelude::*;

use crate::wallet::{Wallet, WalletError};

/// Connects the user's wallet and keeps it on the profile's network.
#[component]
pub fn WalletPanel(
    /// The user's wallet.
    wallet: Wallet,
    /// The network the wallet must be on.
    profile: NetworkProfile,
) -> impl IntoView {
    let expected = profile.chain_id;
    let network = profile.name.clone();
    let busy = move || wallet.connect.pending().get() || wallet.switch_chain.pending().get();
    let error = move || {
        [
            wallet.connect.value().get(),
            wallet.switch_chain.value().get(),
        ]
        .into_iter()
        .find_map(|outcome| outcome.and_then(Result::err))
    };

    let chain_line = move |network: String| {
        move || match wallet.chain_id.get() {
            Some(id) if id == expected => view! {
                <p data-testid="chain-ok">"Network: " {network.clone()}</p>
            }
            .into_any(),
            other => {
                let on = other.map_or("an unknown network".to_owned(), |id| format!("chain {id}"));
                view! {
                    <p data-testid="wrong-chain">
                        {format!("Your wallet is on {on}, not on {}. ", network)}
                        <button
                            on:click=move |_| drop(wallet.switch_chain.dispatch(()))
                            disabled=busy
                        >
                            {format!("Switch to {}", network)}
                        </button>
                    </p>
                }
                .into_any()
            }
        }
    };

    view! {
        <section class="card" aria-labelledby="wallet-title" data-testid="wallet-panel">
            <h2 id="wallet-title">"Wallet"</h2>
            {move || match wallet.account.get() {
                Some(account) => view! {
                    <p>"Account " <code class="address" data-testid="account">{to_checksum(&account, None)}</code></p>
                    {chain_line(network.clone())}
                }
                .into_any(),
                None if wallet.wallets.get().is_empty() => view! {
                    <p data-testid="no-wallet">{WalletError::NoWallet.to_string()}</p>
                }
                .into_any(),
                None => view! {
                    <div class="actions">
                        {wallet
                            .wallets
                            .get()
                            .into_iter()
                            .enumerate()
                            .map(|(index, name)| view! {
                                <button
                                    on:click=move |_| drop(wallet.connect.dispatch(index))
                                    disabled=busy
                                >
                                    {format!("Connect {name}")}
                                </button>
                            })
                            .collect_view()}
                    </div>
                }
                .into_any(),
            }}
            {move || busy().then(|| view! { <p class="status" role="status">"Waiting for your wallet…"</p> })}
            {move || error().map(|e| view! { <p class="alert" role="alert" data-testid="wallet-error">{e.to_string()}</p> })}
        </section>
    }
}
