//! The header on every view: the brand, the views, the network badge (a "Switch to …" button
//! when the wallet is on another chain) and the account: "Connect wallet" (a picker when
//! several wallets announce themselves) or a chip with the short address and the CNX
//! balance, whose menu (lazily loaded) copies the address, shows the balances, says who pays
//! and signs out of the relay.

use std::time::Duration;

use crynux_protocol::units::{format_cnx, format_units_truncated, short_address, DECIMALS};
use crynux_protocol::{to_checksum, Address};
use leptos::prelude::*;

use crate::lazy::{lazy_view, parts_here, ViewPart};
use crate::route::View;
use crate::state::use_app;
use crate::wallet::WalletError;

/// The header, and the wallet's state and errors under it.
#[component]
pub fn Header() -> impl IntoView {
    let app = use_app();
    let wallet = app.payer.wallet;
    let busy = move || wallet.connect.pending().get() || wallet.switch_chain.pending().get();
    let error = move || {
        [
            wallet.connect.value().get(),
            wallet.switch_chain.value().get(),
        ]
        .into_iter()
        .find_map(|outcome| outcome.and_then(Result::err))
    };
    view! {
        <header class="top-bar">
            <a class="brand" href=View::Images.hash()>"Crynux"</a>
            <nav class="views" aria-label="Views">
                {View::ALL.map(|view| view! {
                    <a href=view.hash() aria-current=move || (app.view.get() == view).then_some("page")>{view.name()}</a>
                })}
            </nav>
            <div class="top-right">
                <NetworkBadge />
                <AccountArea />
            </div>
        </header>
        {move || busy().then(|| view! { <p class="top-note status" role="status">"Waiting for your wallet…"</p> })}
        {move || error().map(|e| view! { <p class="top-note alert" role="alert" data-testid="wallet-error">{e.to_string()}</p> })}
    }
}

/// The profile's network, or a button that switches the wallet to it.
#[component]
fn NetworkBadge() -> impl IntoView {
    let app = use_app();
    let wallet = app.payer.wallet;
    let (expected, network) = app.profile.with_value(|p| (p.chain_id, p.name.clone()));
    move || match (wallet.account.get(), wallet.chain_id.get()) {
        (Some(_), other) if other != Some(expected) => {
            let on = other.map_or("an unknown network".to_owned(), |id| format!("chain {id}"));
            view! {
                <button class="badge wrong" data-testid="wrong-chain" on:click=move |_| drop(wallet.switch_chain.dispatch(()))
                    disabled=move || wallet.switch_chain.pending().get()>
                    {format!("Switch to {network}")}
                    <span class="sr-only">{format!(" (your wallet is on {on}, not on {network})")}</span>
                </button>
            }
            .into_any()
        }
        (connected, _) => view! {
            <span class="badge" data-testid=connected.map(|_| "chain-ok")>
                <span class="sr-only">"Network: "</span>{network.clone()}
            </span>
        }
        .into_any(),
    }
}

/// "Connect wallet", or the paying account's chip and its menu.
#[component]
fn AccountArea() -> impl IntoView {
    let app = use_app();
    let wallet = app.payer.wallet;
    move || match app.payer.account() {
        Some(_) => view! {
            <AccountChip />
            {move || wallet.account.get().is_none().then(|| view! { <ConnectButton /> })}
        }
        .into_any(),
        None => view! { <ConnectButton /> }.into_any(),
    }
}

/// Connects the only wallet, or offers the wallets found; says what to install when there
/// is none.
#[component]
fn ConnectButton() -> impl IntoView {
    let wallet = use_app().payer.wallet;
    let picking = RwSignal::new(false);
    let busy = move || wallet.connect.pending().get();
    let press = move |_| match wallet.wallets.with(Vec::len) {
        1 => drop(wallet.connect.dispatch(0)),
        _ => picking.update(|open| *open = !*open),
    };
    view! {
        <div class="connect">
            <button data-testid="connect" on:click=press disabled=busy aria-expanded=move || picking.get().to_string()>"Connect wallet"</button>
            {move || picking.get().then(|| view! {
                <div class="menu" data-testid="wallet-picker">
                    {move || match wallet.wallets.get() {
                        names if names.is_empty() => view! {
                            <p data-testid="no-wallet">{WalletError::NoWallet.to_string()}</p>
                        }
                        .into_any(),
                        names => names
                            .into_iter()
                            .enumerate()
                            .map(|(index, name)| view! {
                                <button class="secondary" on:click=move |_| {
                                    picking.set(false);
                                    wallet.connect.dispatch(index);
                                }>{name}</button>
                            })
                            .collect_view()
                            .into_any(),
                    }}
                </div>
            })}
        </div>
    }
}

/// The paying account: short address and CNX; its menu has the rest.
#[component]
fn AccountChip() -> impl IntoView {
    let app = use_app();
    let (payer, info) = (app.payer, app.info);
    let cnx = move || info.get().and_then(Result::ok).map(|b| format_cnx(b.cnx));
    let opened = RwSignal::new(false);
    view! {
        <details class="account-menu" on:toggle=move |e| {
            if event_target::<web_sys::HtmlDetailsElement>(&e).open() {
                opened.set(true);
            }
        }>
            <summary data-testid="account-chip">
                <span class="short">{move || payer.account().map(|a| short_address(&a))}</span>
                <span class="chip-cnx" data-testid="cnx">{cnx}</span>
            </summary>
            // The menu comes with the lazily loaded parts, or is fetched as it opens.
            <div class="menu">
                {move || (opened.get() || parts_here()).then(|| lazy_view(ViewPart::AccountMenu))}
            </div>
        </details>
    }
}

/// The account menu: who pays, the wallet's account and a button that copies it, the
/// balances, and the way to the session wallet and the settings.
#[component]
pub fn AccountMenu() -> impl IntoView {
    let app = use_app();
    let (payer, info) = (app.payer, app.info);
    let copied = RwSignal::new(false);
    let balances = move || info.get().and_then(Result::ok);
    let payer_line = move || {
        payer.account().map(|account| {
            let who = match payer.is_session() {
                true => "The session wallet pays: ",
                false => "Your wallet pays: ",
            };
            view! { <p data-testid="payer">{who}<code class="address">{to_checksum(&account, None)}</code></p> }
        })
    };
    let copy = move |_| {
        if let Some(account) = payer.account_untracked() {
            let clipboard = window().navigator().clipboard();
            let _ = clipboard.write_text(&to_checksum(&account, None));
            copied.set(true);
            set_timeout(
                move || {
                    copied.try_set(false);
                },
                COPIED_FOR,
            );
        }
    };
    view! {
        {payer_line}
        {move || app.payer.wallet.account.get().map(|account| view! {
            <p>"Wallet account " <code class="address" data-testid="account">{to_checksum(&account, None)}</code></p>
        })}
        <button type="button" class="secondary" on:click=copy>
            {move || if copied.get() { "Copied" } else { "Copy the address" }}
        </button>
        {move || balances().map(|b| view! {
            <dl class="facts">
                <dt>"ETH (for gas)"</dt>
                <dd data-testid="eth">{format_units_truncated(b.eth, DECIMALS, 4)}</dd>
                <dt>"CNX"</dt>
                <dd>{format_cnx(b.cnx)}</dd>
                <dt>"Task contract may take"</dt>
                <dd data-testid="allowance">{format_cnx(b.allowance)}</dd>
            </dl>
        })}
        {move || (!payer.is_session()).then(|| view! {
            <a href=View::Wallet.hash()>"Pay without prompts (session wallet)"</a>
        })}
        <RelaySignOut />
        <a href=View::Wallet.hash()>"Wallet & settings"</a>
    }
}

/// How long "Copied" stands in for "Copy the address".
const COPIED_FOR: Duration = Duration::from_secs(2);

/// "Sign out of the relay" while the wallet's account has a relay session in this tab.
#[component]
fn RelaySignOut() -> impl IntoView {
    let payer = use_app().payer;
    let auth = payer.relay_auth;
    let signed_in = move || {
        payer
            .wallet
            .account
            .get()
            .filter(|account| !payer.is_session() && auth.signed_in(*account))
    };
    let sign_out = Action::new_local(move |account: &Address| {
        let account = *account;
        async move { auth.sign_out(account).await }
    });
    view! {
        {move || signed_in().map(|account| view! {
            <p>"Signed in to the relay in this tab: uploads and downloads need no signature."</p>
            <button type="button" class="secondary" data-testid="relay-sign-out"
                on:click=move |_| drop(sign_out.dispatch(account))>"Sign out of the relay"</button>
        })}
        {move || sign_out.value().get().and_then(Result::err).map(|e| view! {
            <p class="alert" role="alert">{format!("Signed out here; the relay did not confirm it: {e}")}</p>
        })}
    }
}
