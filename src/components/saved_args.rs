//! Arguments remembered per account in this browser: the last ones used for each task type,
//! and named presets.

use std::collections::BTreeMap;

use crynux_protocol::args::TaskType;
use crynux_protocol::Address;
use leptos::prelude::*;

use crate::browser::{load, read_kept, save};
use crate::state::use_app;
use crate::studio::use_studio;

fn key(account: Address, kind: TaskType, what: &str) -> String {
    let kind = match kind {
        TaskType::StableDiffusion => "sd",
        TaskType::Gpt => "gpt",
    };
    format!("crynux/{account:?}/args/{kind}/{what}")
}

/// The arguments `account` last paid for with `kind`.
pub fn last_used(account: Address, kind: TaskType) -> Option<String> {
    load(&key(account, kind, "last"))
}

/// Remembers `text` as the arguments `account` last used; false when the browser refused.
pub fn remember_last(account: Address, kind: TaskType, text: &str) -> bool {
    save(&key(account, kind, "last"), text)
}

fn presets(account: Address, kind: TaskType) -> BTreeMap<String, String> {
    load(&key(account, kind, "presets"))
        .and_then(|text| read_kept(&text))
        .unwrap_or_default()
}

fn store_presets(account: Address, kind: TaskType, presets: &BTreeMap<String, String>) -> bool {
    serde_json::to_string(presets).is_ok_and(|text| save(&key(account, kind, "presets"), &text))
}

/// Named presets of the paying account: apply one, save the current arguments under a name,
/// delete.
#[component]
pub fn SavedArgs() -> impl IntoView {
    let payer = use_app().payer;
    let form = use_studio().form;
    let account = Signal::derive(move || payer.account());
    let version = RwSignal::new(0u32);
    let names = Memo::new(move |_| {
        version.track();
        account
            .get()
            .map(|account| {
                presets(account, form.kind.get())
                    .into_keys()
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    let chosen = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);
    let apply = move |e: leptos::ev::Event| {
        let choice = event_target_value(&e);
        chosen.set(choice.clone());
        let Some(account) = account.get_untracked() else {
            return;
        };
        if let Some(text) = presets(account, form.kind.get_untracked()).remove(&choice) {
            form.text().set(text);
            form.vram_override.set(None);
            message.set(Some(format!("Loaded \"{choice}\".")));
        }
    };
    let change = move |edit: &dyn Fn(&mut BTreeMap<String, String>, &str) -> String| {
        let Some(account) = account.get_untracked() else {
            return;
        };
        let kind = form.kind.get_untracked();
        let mut all = presets(account, kind);
        let done = edit(&mut all, &name.get_untracked());
        message.set(Some(if store_presets(account, kind, &all) {
            done
        } else {
            "The browser refused to store presets (storage full or disabled).".into()
        }));
        version.update(|v| *v += 1);
    };
    let save_preset = move |_| {
        change(&|all, name| {
            all.insert(name.trim().to_owned(), form.text().get_untracked());
            format!("Saved \"{}\".", name.trim())
        });
        chosen.set(name.get_untracked().trim().to_owned());
    };
    let delete = move |_| {
        let gone = chosen.get_untracked();
        change(&|all, _| {
            all.remove(&gone);
            format!("Deleted \"{gone}\".")
        });
        chosen.set(String::new());
    };
    view! {
        <fieldset class="section presets" data-testid="presets">
            <legend>"Saved arguments"</legend>
            {move || account.get().is_none().then(|| view! {
                <p class="field-hint">"Connect your wallet to keep presets for your account in this browser."</p>
            })}
            <div class="row">
                <div class="field">
                    <label for="preset-choice">"Preset"</label>
                    <select id="preset-choice" prop:value=move || chosen.get() on:change=apply
                        disabled=move || names.with(Vec::is_empty)>
                        <option value="">{move || if names.with(Vec::is_empty) { "None saved yet" } else { "Choose…" }}</option>
                        {move || names.get().into_iter().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="preset-name">"Save these arguments as"</label>
                    <input id="preset-name" type="text" autocomplete="off" prop:value=move || name.get()
                        on:input=move |e| name.set(event_target_value(&e)) />
                </div>
            </div>
            <div class="actions">
                <button type="button" class="secondary" on:click=save_preset data-testid="save-preset"
                    disabled=move || account.get().is_none() || name.with(|n| n.trim().is_empty())>"Save preset"</button>
                <button type="button" class="secondary" on:click=delete
                    disabled=move || chosen.with(String::is_empty)>"Delete preset"</button>
            </div>
            <p class="field-hint" role="status">{move || message.get()}</p>
        </fieldset>
    }
}
