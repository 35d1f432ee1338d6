//! The account's past tasks, from the chain and this browser: one row each (type, what it
//! asked, time, fee, final state, a thumbnail or the reply's first words); a task opens with
//! its arguments, its results downloaded again, "run again" and "use this seed".

use crynux_protocol::args::TaskType;
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::to_checksum;
use crynux_protocol::units::format_cnx;
use leptos::prelude::*;

use super::TaskView;
use crate::chain::ChainReader;
use crate::payer::Payer;
use crate::task::flow::Flow;
use crate::task::history::account_history;
use crate::task::{Preview, TaskRun};

/// The id of an opened past task's heading.
const PAST_TASK_TITLE: &str = "past-task-title";

/// `ms` since the Unix epoch as a local date and time, "2026-11-25 14:05".
fn local_time(ms: u64) -> String {
    let date = js_sys::Date::new(&(ms as f64).into());
    format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        date.get_full_year(),
        date.get_month() + 1,
        date.get_date(),
        date.get_hours(),
        date.get_minutes()
    )
}

/// The list of past tasks, and the one opened.
#[component]
pub fn History(
    /// The network.
    profile: NetworkProfile,
    /// Who pays: the history is that account's.
    payer: Payer,
    /// Changes whenever the list should be read again (so does `refresh`).
    version: Signal<Option<(Option<u64>, &'static str)>>,
    /// Puts a past task's arguments in the form; `true` asks for a new seed.
    run_again: Callback<(TaskRun, bool)>,
    /// Puts a seed in the image form.
    use_seed: Callback<u32>,
    /// Bumped when the account's balances may have changed.
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let chain = ChainReader::new(&profile.rpc_url);
    let list_profile = profile.clone();
    let history = LocalResource::new(move || {
        let account = payer.account();
        version.track();
        refresh.track();
        let (chain, profile) = (chain.clone(), list_profile.clone());
        async move {
            match account {
                Some(account) => Some(account_history(&chain, &profile, account).await),
                None => None,
            }
        }
    });
    let opened = RwSignal::new(None::<TaskRun>);
    let fee = format_cnx(profile.task_fee);
    let rows = move || {
        let fee = fee.clone();
        history.get().flatten().map(|result| match result {
            Err(e) => view! {
                <p class="alert" role="alert" data-testid="history-error">
                    {format!("The history could not be read: {e}. It is read again when your task moves on, or after a reload.")}
                </p>
            }
            .into_any(),
            Ok(runs) if runs.is_empty() => view! {
                <p class="hint" data-testid="history-empty">"No tasks yet: the tasks this account pays for are listed here."</p>
            }
            .into_any(),
            Ok(runs) => view! {
                <ul class="history" data-testid="history">
                    {runs.into_iter().map(|run| view! { <HistoryRow run fee=fee.clone() opened /> }).collect_view()}
                </ul>
            }
            .into_any(),
        })
    };
    view! {
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">"Your tasks"</h2>
            {move || payer.account().is_none().then(|| view! {
                <p class="hint">"Connect your wallet to see the tasks of your account."</p>
            })}
            {move || payer.is_session().then(|| {
                let funded_by = payer.session.stored.with(|s| s.as_ref().and_then(|s| s.funded_by));
                view! {
                    <p class="hint" data-testid="history-payer">
                        "Tasks paid by the session wallet"
                        {funded_by.map(|account| view! {
                            ", funded by " <code class="address">{to_checksum(&account, None)}</code>
                        })}
                        "."
                    </p>
                }
            })}
            <Transition fallback=|| view! { <p class="status" role="status">"Reading your tasks from the chain…"</p> }>
                {rows}
            </Transition>
        </section>
        {move || opened.get().map(|run| view! {
            <PastTask profile=profile.clone() payer run opened run_again use_seed refresh />
        })}
    }
}

/// One past task in the list.
#[component]
fn HistoryRow(run: TaskRun, fee: String, opened: RwSignal<Option<TaskRun>>) -> impl IntoView {
    let kind = match run.task_type {
        TaskType::StableDiffusion => "Image",
        TaskType::Gpt => "Chat",
    };
    let name = run.task_id().map_or_else(
        || "Task (not created yet)".to_owned(),
        |id| format!("Task {id}"),
    );
    let summary = match run.summary() {
        Some(text) if !text.is_empty() => text,
        Some(_) => "(empty)".to_owned(),
        None => "Arguments only on the relay".to_owned(),
    };
    let preview = match &run.preview {
        Some(Preview::Thumbnail(url)) => {
            view! { <img class="thumb" src=url.clone() alt=format!("First image of {name}") width="48" height="48" /> }
                .into_any()
        }
        Some(Preview::Words(words)) => view! { <span class="reply-words">{format!("“{words}…”")}</span> }.into_any(),
        None => ().into_any(),
    };
    let open_label = format!("Open {name}");
    let state = run.state_words();
    view! {
        <li data-testid="history-row">
            {preview}
            <div class="history-text">
                <p>
                    <strong>{name.clone()}</strong>
                    {format!(" · {kind} · ")}
                    <span class="nowrap">{local_time(run.started_ms)}</span>
                    {format!(" · {fee}")}
                </p>
                <p class="summary">{summary}</p>
                <p class="state" data-testid="history-state">{state}</p>
            </div>
            <button aria-label=open_label on:click=move |_| {
                opened.set(Some(run.clone()));
                // The opened task is below the list: take the reader there.
                request_animation_frame(|| {
                    if let Some(title) = document().get_element_by_id(PAST_TASK_TITLE) {
                        title.scroll_into_view();
                        if let Ok(title) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(title) {
                            let _ = title.focus();
                        }
                    }
                });
            }>"Open"</button>
        </li>
    }
}

/// A past task, opened: its arguments, its view (results downloaded again on request), and
/// what can be done with it.
#[component]
fn PastTask(
    profile: NetworkProfile,
    payer: Payer,
    run: TaskRun,
    opened: RwSignal<Option<TaskRun>>,
    run_again: Callback<(TaskRun, bool)>,
    use_seed: Callback<u32>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let flow = Flow::new(&profile, payer, Some(run.clone()), refresh);
    let advance = {
        let flow = flow.clone();
        Action::new_local(move |_: &()| flow.clone().advance())
    };
    let cleanup = flow.clone();
    on_cleanup(move || cleanup.clear_files());
    let seed = run.seed();
    let is_image = run.task_type == TaskType::StableDiffusion;
    let args = run.args_known().then(|| run.args.clone());
    let again = run.clone();
    let again_new_seed = run.clone();
    view! {
        <div class="past-task" data-testid="past-task">
            <TaskView flow advance title_id=PAST_TASK_TITLE />
            <section class="card" aria-label="What to do with this task">
                {args.map(|args| view! {
                    <details>
                        <summary>"Arguments"</summary>
                        <pre class="args" data-testid="past-args">{args}</pre>
                    </details>
                    <div class="actions">
                        <button data-testid="run-again" on:click=move |_| run_again.run((again.clone(), false))>"Run again"</button>
                        {is_image.then(|| view! {
                            <button data-testid="run-again-new-seed" on:click=move |_| run_again.run((again_new_seed.clone(), true))>"Run again with a new seed"</button>
                        })}
                        {seed.map(|seed| view! {
                            <button data-testid="use-seed" on:click=move |_| use_seed.run(seed)>{format!("Use seed {seed}")}</button>
                        })}
                    </div>
                })}
                <div class="actions">
                    <button on:click=move |_| opened.set(None)>"Close"</button>
                </div>
            </section>
        </div>
    }
}
