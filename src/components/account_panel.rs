//! The paying account's costs (the wallet's, or the session wallet's): what the Task
//! contract may take, the fee, warnings when one task's costs are not covered, and approving
//! CNX from the wallet (the session wallet approves by itself).

use crynux_protocol::units::{format_cnx, format_units_truncated, DECIMALS};
use leptos::prelude::*;

use super::approval_choice::{ApprovalChoice, ApprovingNote};
use crate::state::use_app;

/// The account's allowance and warnings, and approval from the wallet.
#[component]
pub fn AccountPanel() -> impl IntoView {
    let app = use_app();
    let (payer, info, approval) = (app.payer, app.info, app.approval);
    let fee = app.profile.with_value(|p| p.task_fee);
    // Nothing without an account (the hint below says why).
    let costs = move || {
        payer.account()?;
        Some(match info.get() {
            None => view! { <p class="status" role="status">"Reading your balances…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="alert" role="alert" data-testid="error">{e.to_string()}</p> }.into_any(),
            Some(Ok(info)) => view! {
                <dl class="facts">
                    <dt>"Task contract may take"</dt>
                    <dd>{format_cnx(info.allowance)}</dd>
                    <dt>"Fee per task"</dt>
                    <dd>{format_cnx(fee)}</dd>
                </dl>
                {(info.cnx < fee).then(|| view! {
                    <p class="alert" role="alert" data-testid="no-cnx">{format!("A task costs {}; this account holds {}. Get more CNX to create tasks.", format_cnx(fee), format_cnx(info.cnx))}</p>
                })}
                {(info.eth < info.gas_per_task).then(|| view! {
                    <p class="alert" role="alert" data-testid="low-eth">{format!("One task needs up to {} ETH of gas at today's price; this account holds {} ETH. Add some ETH.", format_units_truncated(info.gas_per_task, DECIMALS, 6), format_units_truncated(info.eth, DECIMALS, 6))}</p>
                })}
            }
            .into_any(),
        })
    };
    let amount = move || approval.choice.with(|c| c.amount(fee));
    view! {
        <section class="card" aria-labelledby="account-title" data-testid="account-panel">
            <h2 id="account-title">"Approvals"</h2>
            {move || payer.account().is_none().then(|| view! {
                <p class="hint">"Connect your wallet to see what it may spend."</p>
            })}
            {costs}
            // While an approval is being sent or mined, no second one is offered.
            {move || match (payer.is_session(), approval.busy()) {
                (true, _) => view! { <p class="hint">"The session wallet approves the fee by itself before each task."</p> }.into_any(),
                (false, true) => ().into_any(),
                (false, false) => view! {
                    <form class="approve" on:submit=move |event| {
                        event.prevent_default();
                        if let Ok(amount) = amount() {
                            approval.approve.dispatch(amount);
                        }
                    }>
                        <ApprovalChoice />
                        <button type="submit" data-testid="approve"
                            disabled=move || payer.account().is_none() || amount().is_err()>
                            {move || match amount() {
                                Ok(amount) => format!("Approve {}", format_cnx(amount)),
                                Err(_) => "Approve".to_owned(),
                            }}
                        </button>
                    </form>
                }.into_any(),
            }}
            {move || approval.busy().then(|| view! {
                <ApprovingNote />
            })}
            {move || approval.error().map(|e| view! {
                <p class="alert" role="alert" data-testid="approve-error">{e.to_string()}</p>
            })}
        </section>
    }
}
