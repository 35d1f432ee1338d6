//! How much the Task contract may take from the wallet: one fee, several fees or an amount,
//! remembered per account (five fees unless changed), never unlimited; and the line shown
//! while an approval is on its way.

use crynux_protocol::units::{format_cnx, format_units, DECIMALS};
use leptos::prelude::*;

use crate::approval::Allowance;
use crate::state::use_app;

/// The fee counts offered; any other count is typed as an amount.
const TASK_COUNTS: [u32; 4] = [1, 5, 10, 20];
/// The select's value for "another amount".
const AMOUNT: &str = "amount";

/// The approval amount, chosen in a select (and an amount field when asked for).
#[component]
pub fn ApprovalChoice() -> impl IntoView {
    let app = use_app();
    let approval = app.approval;
    let fee = app.profile.with_value(|p| p.task_fee);
    let selected = move || match approval.choice.get() {
        Allowance::Tasks(n) => n,
        Allowance::Amount(_) => AMOUNT.to_owned(),
    };
    let on_select = move |e: leptos::ev::Event| {
        let value = event_target_value(&e);
        approval.choose(match value.as_str() {
            AMOUNT => Allowance::Amount(format_units(fee, DECIMALS)),
            tasks => Allowance::Tasks(tasks.to_owned()),
        });
    };
    let amount = move || match approval.choice.get() {
        Allowance::Amount(typed) => Some(typed),
        Allowance::Tasks(_) => None,
    };
    let problem = move || approval.choice.with(|c| c.amount(fee).err());
    view! {
        <div class="approval-choice">
            <label for="approval-amount">"Let the Task contract take"</label>
            <select id="approval-amount" data-testid="approval-amount" on:change=on_select prop:value=selected>
                {TASK_COUNTS.map(|n| {
                    let label = match n {
                        1 => format!("1 fee ({})", format_cnx(fee)),
                        n => format!("{n} fees ({})", format_cnx(fee * n)),
                    };
                    view! { <option value=n.to_string()>{label}</option> }
                })}
                {move || approval.choice.with(|c| match c {
                    Allowance::Tasks(n) if !TASK_COUNTS.iter().any(|c| c.to_string() == *n) => {
                        Some(view! { <option value=n.clone()>{format!("{n} fees")}</option> })
                    }
                    _ => None,
                })}
                <option value=AMOUNT>"Another amount…"</option>
            </select>
            {move || amount().map(|typed| view! {
                <label for="approval-cnx">"CNX"</label>
                <input id="approval-cnx" class="small" type="text" inputmode="decimal" autocomplete="off"
                    prop:value=typed on:input=move |e| approval.choose(Allowance::Amount(event_target_value(&e))) />
            })}
            {move || problem().map(|why| view! { <p class="field-error" role="alert">{why}</p> })}
        </div>
    }
}

/// Says that an approval is being confirmed or mined.
#[component]
pub fn ApprovingNote() -> impl IntoView {
    view! {
        <p class="status" role="status" data-testid="approving">"Approving: confirm in your wallet, then wait for it to be mined…"</p>
    }
}
