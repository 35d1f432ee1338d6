//! The session wallet: create or import it, fund it from the wallet, unlock and lock it,
//! export its key, withdraw everything, forget it.

use std::fmt;

use crynux_protocol::abi::{gas_limit_with_margin, transfer_calldata};
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::transaction::TRANSFER_GAS;
use crynux_protocol::units::{
    format_cnx, format_units_truncated, parse_units, short_address, DECIMALS,
};
use crynux_protocol::{to_checksum, Address, U256};
use leptos::prelude::*;

use crate::chain::wait_for_success;
use crate::chain::{read_account, AccountInfo, Call, ChainError, ChainReader};
use crate::error::TaskError;
use crate::payer::Payer;
use crate::session::{SessionError, SessionWallet};
use crate::state::Balances;

/// Shortest passphrase accepted for a new session wallet.
const MIN_PASSPHRASE: usize = 8;

/// The session wallet's card.
#[component]
pub fn SessionPanel(
    /// The network.
    profile: NetworkProfile,
    /// The wallet and the session wallet.
    payer: Payer,
    /// The paying account's balances (the session wallet's while it is unlocked).
    info: Balances,
    /// Bumped when balances may have changed.
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let session = payer.session;
    let address = Memo::new(move |_| session.stored().with(|s| s.as_ref().map(|s| s.address)));
    let unlocked = Memo::new(move |_| session.unlocked.get().is_some());
    let forget_profile = profile.clone();
    // Each part stays mounted and shows itself when its state comes, so that nothing an
    // action writes to disappears while it runs (a lock can come at any time).
    view! {
        <section class="card" aria-labelledby="session-title" data-testid="session-panel">
            <h2 id="session-title">"Session wallet"</h2>
            {move || address.get().map(|address| view! {
                <p>
                    {if unlocked.get() { "Unlocked: it pays for your tasks. " } else { "Locked. " }}
                    <code class="address" data-testid="session-address">{to_checksum(&address, None)}</code>
                </p>
            })}
            <Shown when=Signal::derive(move || address.get().is_none())>
                <NewSession payer />
            </Shown>
            <Shown when=Signal::derive(move || address.get().is_some() && !unlocked.get())>
                <Unlock session />
            </Shown>
            <Shown when=Signal::derive(move || unlocked.get())>
                <Unlocked profile payer info refresh />
            </Shown>
            <Shown when=Signal::derive(move || address.get().is_some())>
                <Forget profile=forget_profile payer refresh />
            </Shown>
        </section>
    }
}

/// Its children, mounted once and hidden while `when` is false.
#[component]
fn Shown(when: Signal<bool>, children: Children) -> impl IntoView {
    view! { <div hidden=move || !when.get()>{children()}</div> }
}

/// A labelled password field.
#[component]
fn Secret(
    label: &'static str,
    value: RwSignal<String>,
    #[prop(default = "current-password")] autocomplete: &'static str,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <input type="password" autocomplete=autocomplete prop:value=value
                on:input=move |e| value.set(event_target_value(&e)) />
        </label>
    }
}

/// An action's failure, as an alert.
fn failure<T: 'static, E: fmt::Display + Clone + Send + Sync + 'static>(
    action: Action<T, Result<(), E>>,
    test_id: &'static str,
) -> impl IntoView {
    move || {
        action.value().get().and_then(Result::err).map(|e| {
            view! { <p class="alert" role="alert" data-testid=test_id>{e.to_string()}</p> }
        })
    }
}

/// A new passphrase, typed twice.
fn new_passphrase(first: &str, again: &str) -> Result<String, String> {
    if first.chars().count() < MIN_PASSPHRASE {
        return Err(format!(
            "Choose a passphrase of at least {MIN_PASSPHRASE} characters."
        ));
    }
    if first != again {
        return Err("The two passphrases differ.".into());
    }
    Ok(first.to_owned())
}

/// Create or import a session wallet.
#[component]
fn NewSession(payer: Payer) -> impl IntoView {
    let session = payer.session;
    let (passphrase, again, key) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let importing = RwSignal::new(false);
    let checked = Memo::new(move |_| new_passphrase(&passphrase.get(), &again.get()));
    let keep = Action::new_local(move |_: &()| {
        let funded_by = payer.wallet.account.get_untracked();
        let (passphrase_text, key_text) = (passphrase.get_untracked(), key.get_untracked());
        async move {
            let kept = match importing.get_untracked() {
                true => session.import(key_text, passphrase_text, funded_by).await,
                false => session.create(passphrase_text, funded_by).await,
            };
            if kept.is_ok() {
                [passphrase, again, key]
                    .iter()
                    .for_each(|field| field.set(String::new()));
            }
            kept
        }
    });
    view! {
        <p class="hint">
            "A key made and kept in this browser, encrypted with your passphrase, pays for your \
             tasks and signs their requests: no wallet prompt per task, and relays that accept \
             only raw signatures work. Fund it from your wallet with what the next tasks need."
        </p>
        <form class="session-form" on:submit=move |event| {
            event.prevent_default();
            if checked.get_untracked().is_ok() {
                keep.dispatch(());
            }
        }>
            <label class="choice">
                <input type="checkbox" prop:checked=importing on:change=move |e| importing.set(event_target_checked(&e)) />
                "Import a key I have instead of making a new one"
            </label>
            {move || importing.get().then(|| view! { <Secret label="Private key" value=key autocomplete="off" /> })}
            <Secret label="Passphrase" value=passphrase autocomplete="new-password" />
            <Secret label="Passphrase again" value=again autocomplete="new-password" />
            {move || checked.get().err().filter(|_| !again.get().is_empty()).map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            <button type="submit" data-testid="create-session" disabled=move || checked.get().is_err() || keep.pending().get()>
                {move || if importing.get() { "Import the key" } else { "Create session wallet" }}
            </button>
        </form>
        {move || keep.pending().get().then(|| view! { <p class="status" role="status">"Encrypting the key…"</p> })}
        {failure(keep, "session-error")}
    }
}

/// Unlock with the passphrase.
#[component]
fn Unlock(session: SessionWallet) -> impl IntoView {
    let passphrase = RwSignal::new(String::new());
    let unlock = Action::new_local(move |_: &()| async move {
        session.unlock(passphrase.get_untracked()).await?;
        passphrase.set(String::new());
        Ok::<_, SessionError>(())
    });
    view! {
        <form class="session-form" on:submit=move |event| {
            event.prevent_default();
            unlock.dispatch(());
        }>
            <Secret label="Passphrase" value=passphrase />
            <button type="submit" data-testid="unlock" disabled=move || unlock.pending().get()>"Unlock"</button>
        </form>
        {move || unlock.pending().get().then(|| view! { <p class="status" role="status">"Decrypting the key…"</p> })}
        {failure(unlock, "unlock-error")}
    }
}

/// Where withdrawals go: the account that funded it, else the connected wallet's.
fn withdrawal_account(payer: Payer) -> Option<Address> {
    payer
        .session
        .stored()
        .with(|s| s.as_ref().and_then(|s| s.funded_by))
        .or_else(|| payer.wallet.account.get())
}

/// Fund, withdraw, export, lock.
#[component]
fn Unlocked(
    profile: NetworkProfile,
    payer: Payer,
    info: Balances,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let session = payer.session;
    let withdraw = Action::new_local(move |to: &Address| {
        let to = *to;
        async move {
            let result = session.withdraw_all(to).await;
            refresh.update(|n| *n += 1);
            result
        }
    });
    let export_passphrase = RwSignal::new(String::new());
    let exported = RwSignal::new(None::<String>);
    // A shown key is hidden again when the wallet locks.
    Effect::new(move |_| {
        if session.unlocked.get().is_none() {
            exported.set(None);
        }
    });
    let export = Action::new_local(move |_: &()| async move {
        let key = session.export(export_passphrase.get_untracked()).await?;
        exported.set(Some(key));
        export_passphrase.set(String::new());
        Ok::<_, SessionError>(())
    });
    let idle_error = RwSignal::new(None::<String>);
    let set_idle = move |text: String| {
        let result = match text.trim().parse::<u32>() {
            Ok(minutes) if (1..=1440).contains(&minutes) => {
                session.set_idle_minutes(minutes).map_err(|e| e.to_string())
            }
            _ => Err("Give a number of minutes from 1 to 1440.".into()),
        };
        idle_error.set(result.err());
    };
    let idle_minutes = move || {
        session
            .stored()
            .with(|s| s.as_ref().map(|s| s.idle_minutes.to_string()))
            .unwrap_or_default()
    };
    view! {
        {move || session.stored().with(|s| s.as_ref().and_then(|s| s.funded_by)).map(|account| view! {
            <p class="hint">"Funded by " <code class="address">{to_checksum(&account, None)}</code></p>
        })}
        <Fund profile payer info refresh />
        <div class="actions">
            {move || withdrawal_account(payer).map(|to| view! {
                <button data-testid="withdraw" disabled=move || withdraw.pending().get()
                    on:click=move |_| drop(withdraw.dispatch(to))>
                    {format!("Withdraw everything to {}", short_address(&to))}
                </button>
            })}
            <button data-testid="lock" on:click=move |_| session.lock()>"Lock now"</button>
        </div>
        {move || withdraw.pending().get().then(|| view! { <p class="status" role="status">"Sending all CNX, then all ETH, back…"</p> })}
        {move || (withdraw.value().get() == Some(Ok(()))).then(|| view! { <p class="status" role="status" data-testid="withdrawn">"Withdrawn: everything it held is back in your account."</p> })}
        {failure(withdraw, "withdraw-error")}
        <div class="session-form">
            <label class="field">
                <span>"Lock after this many minutes without a key press or click"</span>
                <input class="small" type="number" min="1" max="1440" data-testid="idle-minutes"
                    prop:value=idle_minutes on:change=move |e| set_idle(event_target_value(&e)) />
            </label>
        </div>
        {move || idle_error.get().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
        <details class="export">
            <summary>"Export the key"</summary>
            <p class="hint">"Anyone with this key can spend what the session wallet holds. Type the passphrase again to see it."</p>
            <form class="session-form" on:submit=move |event| {
                event.prevent_default();
                export.dispatch(());
            }>
                <Secret label="Passphrase" value=export_passphrase />
                <button type="submit" data-testid="export">"Show the key"</button>
            </form>
            {failure(export, "export-error")}
            {move || exported.get().map(|key| view! {
                <p><code class="address" data-testid="exported-key">{key}</code></p>
                <button on:click=move |_| exported.set(None)>"Hide the key"</button>
            })}
        </details>
    }
}

/// Sends CNX and ETH from the wallet to the session wallet: two wallet prompts.
#[component]
fn Fund(
    profile: NetworkProfile,
    payer: Payer,
    info: Balances,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let (wallet, session) = (payer.wallet, payer.session);
    let fee = profile.task_fee;
    let chain = ChainReader::new(&profile.rpc_url);
    let (token, chain_id) = (profile.contracts.token, profile.chain_id);
    let tasks = RwSignal::new("5".to_owned());
    // Suggested for the number of tasks (the fee, and the gas at today's price) until typed.
    let (typed_cnx, typed_eth) = (RwSignal::new(None), RwSignal::new(None));
    let count = move || tasks.get().trim().parse::<u32>().ok();
    let cnx = move || {
        typed_cnx.get().unwrap_or_else(|| {
            count().map_or_else(String::new, |n| {
                format_units_truncated(fee * n, DECIMALS, 6)
            })
        })
    };
    let eth = move || {
        typed_eth.get().unwrap_or_else(|| {
            let gas = info.get().and_then(Result::ok).map(|i| i.gas_per_task);
            count().zip(gas).map_or_else(String::new, |(n, gas)| {
                format_units_truncated(gas * n, DECIMALS, 6)
            })
        })
    };
    let amounts = Memo::new(move |_| {
        let cnx = parse_units(&cnx(), DECIMALS).map_err(|e| format!("CNX: {e}"))?;
        let eth = parse_units(&eth(), DECIMALS).map_err(|e| format!("ETH: {e}"))?;
        Ok::<_, String>((cnx, eth))
    });
    let fund = Action::new_local(move |&(cnx, eth): &(U256, U256)| {
        let chain = chain.clone();
        async move {
            let from = wallet
                .account
                .get_untracked()
                .ok_or(TaskError::WrongAccount)?;
            let to = session
                .unlocked
                .get_untracked()
                .ok_or(SessionError::Locked)?;
            let mut sent = Vec::new();
            if !cnx.is_zero() {
                let data = transfer_calldata(to, cnx);
                let estimate = chain
                    .estimate_gas(Call {
                        from,
                        to: token,
                        data: &data,
                    })
                    .await?;
                sent.push(
                    wallet
                        .send_transaction(
                            from,
                            token,
                            U256::zero(),
                            &data,
                            gas_limit_with_margin(estimate),
                        )
                        .await?,
                );
            }
            if !eth.is_zero() {
                sent.push(
                    wallet
                        .send_transaction(from, to, eth, &[], TRANSFER_GAS.into())
                        .await?,
                );
            }
            session.set_funded_by(from)?;
            for hash in sent {
                wait_for_success(&chain, hash, "transfer").await?;
            }
            refresh.update(|n| *n += 1);
            Ok::<_, TaskError>(())
        }
    });
    let blocker = move || {
        match (wallet.account.get(), wallet.chain_id.get()) {
        (None, _) => Some("Connect your wallet (at the top) to fund it from there, or send CNX and ETH to its address from anywhere.".to_owned()),
        (Some(_), id) if id != Some(chain_id) => Some("Switch your wallet to this network to fund it.".to_owned()),
        _ => None,
    }
    };
    view! {
        <form class="fund" on:submit=move |event| {
            event.prevent_default();
            if let Ok(amounts) = amounts.get_untracked() {
                fund.dispatch(amounts);
            }
        }>
            <fieldset>
                <legend>"Fund it from your wallet"</legend>
                <label class="field">
                    <span>"For this many tasks"</span>
                    <input class="small" type="number" min="1" max="1000" prop:value=tasks
                        on:input=move |e| {
                            tasks.set(event_target_value(&e));
                            typed_cnx.set(None);
                            typed_eth.set(None);
                        } />
                </label>
                <label class="field">
                    <span>{format!("CNX (fee {} per task)", format_cnx(fee))}</span>
                    <input class="small" type="text" inputmode="decimal" data-testid="fund-cnx" prop:value=cnx
                        on:input=move |e| typed_cnx.set(Some(event_target_value(&e))) />
                </label>
                <label class="field">
                    <span>"ETH for gas"</span>
                    <input class="small" type="text" inputmode="decimal" data-testid="fund-eth" prop:value=eth
                        on:input=move |e| typed_eth.set(Some(event_target_value(&e))) />
                </label>
            </fieldset>
            {move || amounts.get().err().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            {move || blocker().map(|why| view! { <p class="hint">{why}</p> })}
            <button type="submit" data-testid="fund"
                disabled=move || amounts.get().is_err() || blocker().is_some() || fund.pending().get()>
                "Send them from your wallet (2 confirmations)"
            </button>
        </form>
        {move || fund.pending().get().then(|| view! { <p class="status" role="status">"Confirm the two transfers in your wallet, then wait for them to be mined…"</p> })}
        {failure(fund, "fund-error")}
    }
}

/// Forget the session wallet, after offering to withdraw what it holds.
#[component]
fn Forget(profile: NetworkProfile, payer: Payer, refresh: RwSignal<u32>) -> impl IntoView {
    let session = payer.session;
    let asking = RwSignal::new(false);
    let chain = ChainReader::new(&profile.rpc_url);
    let contracts = profile.contracts;
    let holdings = LocalResource::new(move || {
        let address = session.stored().with(|s| s.as_ref().map(|s| s.address));
        let open = asking.get();
        refresh.track();
        let chain = chain.clone();
        async move {
            match (open, address) {
                (true, Some(address)) => Some(read_account(&chain, &contracts, address).await),
                _ => None,
            }
        }
    });
    let withdraw_and_forget = Action::new_local(move |to: &Address| {
        let to = *to;
        async move {
            session.withdraw_all(to).await?;
            refresh.update(|n| *n += 1);
            asking.set(false);
            session.forget();
            Ok::<_, SessionError>(())
        }
    });
    let offer = move |read: Result<AccountInfo, ChainError>| {
        let empty = read
            .as_ref()
            .is_ok_and(|info| info.cnx.is_zero() && info.eth.is_zero());
        let to = withdrawal_account(payer).filter(|_| session.unlocked.get().is_some());
        view! {
            <p data-testid="forget-holdings">
                {match read {
                    Ok(_) if empty => "It holds nothing.".to_owned(),
                    Ok(info) => format!(
                        "It holds {} and {} ETH. Forgotten, they are out of reach unless you exported the key.",
                        format_cnx(info.cnx),
                        format_units_truncated(info.eth, DECIMALS, 6)
                    ),
                    Err(e) => format!("What it holds could not be read: {e}"),
                }}
            </p>
            <div class="actions">
                {(!empty).then(|| to.map(|to| view! {
                    <button data-testid="withdraw-and-forget" disabled=move || withdraw_and_forget.pending().get()
                        on:click=move |_| drop(withdraw_and_forget.dispatch(to))>
                        {format!("Withdraw everything to {} and forget it", short_address(&to))}
                    </button>
                }))}
                <button class="danger" data-testid="forget-now" on:click=move |_| {
                    asking.set(false);
                    session.forget();
                }>
                    {if empty { "Forget it" } else { "Forget it without withdrawing" }}
                </button>
                <button on:click=move |_| asking.set(false)>"Keep it"</button>
            </div>
        }
    };
    view! {
        {move || (!asking.get()).then(|| view! {
            <div class="actions">
                <button data-testid="forget" on:click=move |_| asking.set(true)>"Forget this session wallet…"</button>
            </div>
        })}
        {move || asking.get().then(|| view! {
            <div class="confirm" role="group" aria-label="Forget the session wallet">
                <Transition fallback=|| view! { <p class="status" role="status">"Reading what it holds…"</p> }>
                    {move || holdings.get().flatten().map(offer)}
                </Transition>
                {failure(withdraw_and_forget, "forget-error")}
            </div>
        })}
    }
}
