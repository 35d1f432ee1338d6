//! The paying account (the wallet's, or the session wallet's): ETH for gas, CNX, what the
//! Task contract may take, the fee, warnings when one task's costs are not covered; and
//! approving CNX from the wallet when that is less than the fee (never an unlimited amount
//! by default; the session wallet approves by itself).

use crynux_protocol::abi::{approve_calldata, gas_limit_with_margin};
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::to_checksum;
use crynux_protocol::units::{format_cnx, format_units_truncated, parse_units, DECIMALS};
use crynux_protocol::{Address, H256, U256};
use leptos::prelude::*;

use crate::browser::{load, remove, save};
use crate::chain::{AccountInfo, Call, ChainError, ChainReader};
use crate::payer::Payer;
use crate::task::account_prefix;
use crate::task::flow::{wait_for_success, TaskError};

/// The account's balances, and approval when it is needed.
#[component]
pub fn AccountPanel(
    /// The network.
    profile: NetworkProfile,
    /// Who pays.
    payer: Payer,
    /// The account's balances; `None` before the wallet is connected.
    info: LocalResource<Option<Result<AccountInfo, ChainError>>>,
    /// Bumped to read the balances again.
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let fee = profile.task_fee;
    let chain = ChainReader::new(&profile.rpc_url);
    let contracts = profile.contracts;
    // A sent approval is kept until mined, so that a reload waits for it instead of offering
    // to approve again.
    let profile = StoredValue::new(profile);
    let pending_key = move |account| {
        profile.with_value(|p| format!("{}pending-approval", account_prefix(p, account)))
    };
    let mined = {
        let chain = chain.clone();
        Action::new_local(move |&(account, hash): &(Address, H256)| {
            let chain = chain.clone();
            async move {
                let mined = wait_for_success(&chain, hash, "approval").await;
                remove(&pending_key(account));
                refresh.update(|n| *n += 1);
                mined.map(drop).map_err(TaskError::from)
            }
        })
    };
    let wallet = payer.wallet;
    Effect::new(move |_| {
        let Some(account) = wallet.account.get() else {
            return;
        };
        if let Some(hash) = load(&pending_key(account)).and_then(|h| h.parse::<H256>().ok()) {
            mined.dispatch((account, hash));
        }
    });
    let approve = Action::new_local(move |amount: &U256| {
        let (amount, chain) = (*amount, chain.clone());
        async move {
            let account = wallet
                .account
                .get_untracked()
                .ok_or(TaskError::WrongAccount)?;
            let data = approve_calldata(contracts.task, amount);
            let call = Call {
                from: account,
                to: contracts.token,
                data: &data,
            };
            let estimate = chain.estimate_gas(call).await?;
            let hash = wallet
                .send_transaction(
                    account,
                    contracts.token,
                    U256::zero(),
                    &data,
                    gas_limit_with_margin(estimate),
                )
                .await?;
            save(&pending_key(account), &format!("{hash:?}"));
            mined.dispatch((account, hash));
            Ok(())
        }
    });
    let approving = move || approve.pending().get() || mined.pending().get();

    let balances = move || {
        info.get().flatten().map(|read| {
            read.map(|info| {
                let enough_cnx = info.cnx >= fee;
                let enough_allowance = info.allowance >= fee;
                view! {
                    <dl class="facts">
                        <dt>"ETH (for gas)"</dt>
                        <dd data-testid="eth">{format_units_truncated(info.eth, DECIMALS, 4)}</dd>
                        <dt>"CNX"</dt>
                        <dd data-testid="cnx">{format_cnx(info.cnx)}</dd>
                        <dt>"Task contract may take"</dt>
                        <dd data-testid="allowance">{format_cnx(info.allowance)}</dd>
                        <dt>"Fee per task"</dt>
                        <dd>{format_cnx(fee)}</dd>
                    </dl>
                    {(!enough_cnx).then(|| view! {
                        <p class="alert" role="alert" data-testid="no-cnx">{format!("A task costs {}; this account holds {}. Get more CNX to create tasks.", format_cnx(fee), format_cnx(info.cnx))}</p>
                    })}
                    {(info.eth < info.gas_per_task).then(|| view! {
                        <p class="alert" role="alert" data-testid="low-eth">{format!("One task needs up to {} ETH of gas at today's price; this account holds {} ETH. Add some ETH.", format_units_truncated(info.gas_per_task, DECIMALS, 6), format_units_truncated(info.eth, DECIMALS, 6))}</p>
                    })}
                    {(enough_cnx && !enough_allowance && !approving() && !payer.is_session()).then(|| view! { <ApproveForm fee approve /> })}
                }
            })
        })
    };

    view! {
        <section class="card" aria-labelledby="account-title" data-testid="account-panel">
            <h2 id="account-title">"Account"</h2>
            {move || payer.account().map(|account| {
                let who = if payer.is_session() { "The session wallet pays: " } else { "Your wallet pays: " };
                view! { <p data-testid="payer">{who} <code class="address">{to_checksum(&account, None)}</code></p> }
            })}
            <Transition fallback=|| view! { <p class="status" role="status">"Reading your balances…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <crate::components::ErrorList errors /> }>
                    {balances}
                </ErrorBoundary>
            </Transition>
            {move || approving().then(|| view! {
                <p class="status" role="status" data-testid="approving">"Approving: confirm in your wallet, then wait for it to be mined…"</p>
            })}
            {move || [approve.value().get(), mined.value().get()].into_iter().flatten().find_map(Result::err).map(|e| view! {
                <p class="alert" role="alert" data-testid="approve-error">{e.to_string()}</p>
            })}
        </section>
    }
}

/// How much the Task contract may take: one fee, several, or a typed amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Allowance {
    OneTask,
    Tasks,
    Custom,
}

#[component]
fn ApproveForm(fee: U256, approve: Action<U256, Result<(), TaskError>>) -> impl IntoView {
    let choice = RwSignal::new(Allowance::OneTask);
    let tasks = RwSignal::new("5".to_owned());
    let custom = RwSignal::new(String::new());
    let amount = Memo::new(move |_| match choice.get() {
        Allowance::OneTask => Ok(fee),
        Allowance::Tasks => match tasks.get().trim().parse::<u32>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(fee * n),
            _ => Err("Give a number of tasks from 1 to 1000.".to_owned()),
        },
        Allowance::Custom => parse_units(&custom.get(), DECIMALS).and_then(|amount| {
            if amount < fee {
                Err(format!("At least one task's fee: {}.", format_cnx(fee)))
            } else {
                Ok(amount)
            }
        }),
    });
    let option = move |value: Allowance, label: AnyView| {
        view! {
            <label class="choice">
                <input
                    type="radio"
                    name="allowance"
                    prop:checked=move || choice.get() == value
                    on:change=move |_| choice.set(value)
                />
                {label}
            </label>
        }
    };
    view! {
        <form class="approve" on:submit=move |event| {
            event.prevent_default();
            if let Ok(amount) = amount.get_untracked() {
                approve.dispatch(amount);
            }
        }>
            <fieldset>
                <legend>"Allow the Task contract to take your CNX"</legend>
                {option(Allowance::OneTask, view! { {format!("One task: {}", format_cnx(fee))} }.into_any())}
                {option(Allowance::Tasks, view! {
                    "The fee of "
                    <input class="small" type="number" min="1" max="1000" aria-label="Number of tasks"
                        prop:value=tasks on:input=move |e| { tasks.set(event_target_value(&e)); choice.set(Allowance::Tasks); } />
                    " tasks"
                }.into_any())}
                {option(Allowance::Custom, view! {
                    "Another amount: "
                    <input class="small" type="text" inputmode="decimal" aria-label="Amount of CNX" placeholder="CNX"
                        prop:value=custom on:input=move |e| { custom.set(event_target_value(&e)); choice.set(Allowance::Custom); } />
                }.into_any())}
            </fieldset>
            {move || amount.get().err().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            <button type="submit" data-testid="approve" disabled=move || amount.get().is_err() || approve.pending().get()>
                {move || match amount.get() {
                    Ok(amount) => format!("Approve {}", format_cnx(amount)),
                    Err(_) => "Approve".to_owned(),
                }}
            </button>
        </form>
    }
}
