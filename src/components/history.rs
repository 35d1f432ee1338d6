//! The account's past tasks, from the chain and this browser: a card each (type, what it
//! asked, time, fee, final state, a thumbnail or the reply's first words), filtered by type
//! and state and paged; a task opens with its arguments, its results downloaded again, "Run
//! again", "Use seed", "Open in Chat" and "Cancel and refund" when due.

use crynux_protocol::args::TaskType;
use crynux_protocol::to_checksum;
use crynux_protocol::units::format_cnx;
use leptos::prelude::*;

use super::TaskView;
use crate::browser::focus_by_id;
use crate::chat::use_chat;
use crate::state::use_app;
use crate::studio::use_studio;
use crate::task::flow::Flow;
use crate::task::{Outcome, Preview, TaskRun};

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

/// Tasks a page of the history shows; "Load older" shows as many more.
const PAGE: usize = 24;

/// Which tasks the history shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Filter {
    All,
    Images,
    Chats,
    Running,
    Succeeded,
    Failed,
}

impl Filter {
    const TYPES: [Filter; 3] = [Filter::All, Filter::Images, Filter::Chats];
    const STATES: [Filter; 4] = [
        Filter::All,
        Filter::Running,
        Filter::Succeeded,
        Filter::Failed,
    ];

    fn label(self) -> &'static str {
        match self {
            Filter::All => "All",
            Filter::Images => "Images",
            Filter::Chats => "Chats",
            Filter::Running => "Running",
            Filter::Succeeded => "Succeeded",
            Filter::Failed => "Ended without results",
        }
    }

    fn keeps(self, run: &TaskRun) -> bool {
        match self {
            Filter::All => true,
            Filter::Images => run.task_type == TaskType::StableDiffusion,
            Filter::Chats => run.task_type == TaskType::Gpt,
            Filter::Running => run.outcome.is_none(),
            Filter::Succeeded => matches!(run.outcome, Some(Outcome::Success { .. })),
            Filter::Failed => matches!(
                run.outcome,
                Some(Outcome::Aborted { .. } | Outcome::Reverted { .. })
            ),
        }
    }
}

/// The account's tasks as a grid, newest first, filtered by type and state and paged, and
/// the one opened.
#[component]
pub fn History() -> impl IntoView {
    let app = use_app();
    let studio = use_studio();
    let (payer, history, opened) = (app.payer, studio.history(), studio.opened);
    let fee = app.profile.with_value(|p| format_cnx(p.task_fee));
    let by_type = RwSignal::new(Filter::All);
    let by_state = RwSignal::new(Filter::All);
    let shown = RwSignal::new(PAGE);
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
            Ok(runs) => {
                let kept: Vec<TaskRun> = runs
                    .into_iter()
                    .filter(|run| by_type.get().keeps(run) && by_state.get().keeps(run))
                    .collect();
                let total = kept.len();
                if total == 0 {
                    return view! {
                        <p class="hint" data-testid="history-none">"None of your tasks is of this type and state."</p>
                    }
                    .into_any();
                }
                let more = total.saturating_sub(shown.get());
                view! {
                    <p class="hint" role="status">{format!("{total} tasks")}</p>
                    <ul class="history" data-testid="history">
                        {kept.into_iter().take(shown.get()).map(|run| view! { <HistoryRow run fee=fee.clone() opened /> }).collect_view()}
                    </ul>
                    {(more > 0).then(|| view! {
                        <button class="secondary" data-testid="load-older" on:click=move |_| shown.update(|n| *n += PAGE)>
                            {format!("Load older ({more} more)")}
                        </button>
                    })}
                }
                .into_any()
            }
        })
    };
    let filter = move |name: &'static str, signal: RwSignal<Filter>, options: &'static [Filter]| {
        let id = format!("filter-{}", name.to_ascii_lowercase());
        view! {
            <div class="filter">
                <label for=id.clone()>{name}</label>
                <select id=id on:change=move |e| {
                    let chosen = event_target_value(&e).parse::<usize>().ok().and_then(|i| options.get(i));
                    if let Some(&option) = chosen {
                        signal.set(option);
                        shown.set(PAGE);
                    }
                }>
                    {options.iter().enumerate().map(|(i, &option)| view! {
                        <option value=i.to_string() prop:selected=move || signal.get() == option>{option.label()}</option>
                    }).collect_view()}
                </select>
            </div>
        }
    };
    view! {
        {move || opened.get().map(|run| view! { <PastTask run /> })}
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">"Your tasks"</h2>
            {move || payer.account().is_none().then(|| view! {
                <p class="hint">"Connect your wallet to see the tasks of your account."</p>
            })}
            {move || payer.is_session().then(|| {
                let funded_by = payer.session.stored().with(|s| s.as_ref().and_then(|s| s.funded_by));
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
            <div class="filters">
                {filter("Type", by_type, &Filter::TYPES)}
                {filter("State", by_state, &Filter::STATES)}
            </div>
            <Transition fallback=|| view! { <p class="status" role="status">"Reading your tasks from the chain…"</p> }>
                {rows}
            </Transition>
        </section>
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
            view! { <img class="thumb" src=url.clone() alt=format!("First image of {name}") width="64" height="64" /> }
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
            <button aria-label=open_label on:click=move |_| opened.set(Some(run.clone()))>"Open"</button>
        </li>
    }
}

/// A past task, opened: its view (results downloaded again on request), its arguments, and
/// what can be done with it.
#[component]
fn PastTask(run: TaskRun) -> impl IntoView {
    let app = use_app();
    let studio = use_studio();
    let flow = Flow::new(&app.profile(), app.payer, Some(run.clone()), app.refresh);
    let advance = {
        let flow = flow.clone();
        Action::new_local(move |_: &()| flow.clone().advance())
    };
    let cleanup = flow.clone();
    on_cleanup(move || cleanup.clear_files());
    let seed = run.seed();
    let is_image = run.task_type == TaskType::StableDiffusion;
    let args = run.args_known().then(|| run.args.clone());
    let chat = use_chat();
    let open_in_chat = {
        let flow = flow.clone();
        Action::new_local(move |_: &()| chat.open(flow.clone()))
    };
    let run = StoredValue::new(run);
    let again = move |new_seed: bool| run.with_value(|run| studio.run_again(run, new_seed));
    // The reader is taken to the opened task.
    request_animation_frame(|| {
        if let Some(title) = document().get_element_by_id(PAST_TASK_TITLE) {
            title.scroll_into_view();
        }
        focus_by_id(PAST_TASK_TITLE);
    });
    view! {
        <div class="past-task" data-testid="past-task">
            <TaskView flow advance title_id=PAST_TASK_TITLE />
            <section class="card" aria-label="What to do with this task">
                {(!is_image).then(|| view! {
                    <div class="actions">
                        <button data-testid="open-in-chat" disabled=move || open_in_chat.pending().get()
                            on:click=move |_| drop(open_in_chat.dispatch(()))>"Open in Chat"</button>
                        {move || open_in_chat.value().get().and_then(Result::err).map(|e| view! {
                            <p class="alert" role="alert">{e.to_string()}</p>
                        })}
                    </div>
                })}
                {args.map(|args| view! {
                    <details>
                        <summary>"Arguments"</summary>
                        <pre class="args" data-testid="past-args">{args}</pre>
                    </details>
                    <div class="actions">
                        {is_image.then(|| view! {
                            <button data-testid="run-again" on:click=move |_| again(false)>"Run again"</button>
                            <button data-testid="run-again-new-seed" on:click=move |_| again(true)>"Run again with a new seed"</button>
                        })}
                        {seed.map(|seed| view! {
                            <button data-testid="use-seed" on:click=move |_| studio.use_seed(seed)>{format!("Use seed {seed}")}</button>
                        })}
                    </div>
                })}
                <div class="actions">
                    <button class="secondary" on:click=move |_| studio.opened.set(None)>"Close"</button>
                </div>
            </section>
        </div>
    }
}
