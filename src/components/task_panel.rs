//! A new task: the Stable Diffusion and GPT forms, the raw JSON editor (all edit the same
//! arguments text, validated while typing), saved arguments, and the button that pays.

use crynux_protocol::args::form::{field, pointer_line, splice};
use crynux_protocol::args::{
    ArgsError, GptTaskArgs, Message, Role, SdTaskArgs, TaskArgs, TaskType, DEFAULT_BASE_MODEL,
    DEFAULT_GPT_MODEL,
};
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::units::format_cnx;
use leptos::prelude::*;
use serde_json::Value;

use super::args_form::{control_id, ArgsForm};
use super::gpt_form::GptForm;
use super::history::History;
use super::saved_args::{last_used, remember_last, SavedArgs};
use super::sd_form::{random_seed, SdForm};
use super::TaskView;
use crate::browser::{load, save, unix_millis};
use crate::chain::{AccountInfo, ChainError};
use crate::payer::Payer;
use crate::task::flow::Flow;
use crate::task::{Step, TaskRun};

/// Arguments as the editor shows them: one field per line.
fn pretty(args: &TaskArgs) -> String {
    let value: Value = serde_json::from_str(&args.to_json()).unwrap_or_default();
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

fn initial_sd_args() -> String {
    let mut args = SdTaskArgs::new(DEFAULT_BASE_MODEL, "");
    args.task_config.seed = random_seed();
    pretty(&TaskArgs::Sd(args))
}

fn initial_gpt_args() -> String {
    pretty(&TaskArgs::Gpt(GptTaskArgs::new(
        DEFAULT_GPT_MODEL,
        vec![Message::new(Role::User, "")],
    )))
}

/// The task builder and the current task.
#[component]
pub fn TaskPanel(
    /// The network.
    profile: NetworkProfile,
    /// Who pays.
    payer: Payer,
    /// The account's balances.
    info: LocalResource<Option<Result<AccountInfo, ChainError>>>,
    /// Bumped to read the balances again.
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let form = ArgsForm::new(initial_sd_args(), initial_gpt_args());
    let create_profile = profile.clone();
    let history_profile = profile.clone();
    let ArgsForm { kind, parsed, .. } = form;
    let account = Signal::derive(move || payer.account());
    let editor_open = RwSignal::new(false);
    // The account's last arguments, unless the user has started on new ones.
    Effect::new(move |_| {
        let Some(account) = account.get() else {
            return;
        };
        for kind in [TaskType::StableDiffusion, TaskType::Gpt] {
            if let Some(text) = last_used(account, kind).filter(|_| form.is_untouched(kind)) {
                form.text_of(kind).set(text);
            }
        }
    });

    let flow = Flow::new(&profile, payer, None, refresh);
    let run = flow.run;
    let clear_files = {
        let flow = flow.clone();
        move || flow.clear_files()
    };
    on_cleanup(clear_files.clone());
    let advance = {
        let flow = flow.clone();
        Action::new_local(move |_: &()| flow.clone().advance())
    };
    // Each account sees only its own current task, and picks it up where it stopped: a
    // reload or a closed tab loses nothing. A task whose payment was never asked for waits
    // for the user.
    let storage_profile = profile.clone();
    let clear = clear_files.clone();
    let to_resume = RwSignal::new(false);
    let resume_chain = profile.chain_id;
    Effect::new(move |_| {
        let stored = payer.account().and_then(|account| {
            let started = load(&TaskRun::current_key(&storage_profile, account))?
                .parse()
                .ok()?;
            let key = TaskRun::storage_key_of(&storage_profile, account, started);
            serde_json::from_str::<TaskRun>(&load(&key)?).ok()
        });
        clear();
        let resume = stored.as_ref().is_some_and(|run| match run.next_step(0) {
            Step::Done => false,
            Step::Send => run.asked_at_block.is_some(),
            // Downloads again cost the wallet a signature each; the session wallet none.
            Step::Download => !run.results_seen || untrack(|| payer.is_session()),
            Step::Mine | Step::Upload | Step::Follow => true,
        });
        run.set(stored);
        to_resume.set(resume);
    });
    // ...once the payer is on the network.
    Effect::new(move |_| {
        if to_resume.get() && payer.on_chain(resume_chain) {
            to_resume.set(false);
            advance.dispatch(());
        }
    });

    let fee = profile.task_fee;
    let network = profile.name.clone();
    let blocker = Memo::new(move |_| -> Option<String> {
        if payer.account().is_none() {
            return Some("Connect your wallet or unlock the session wallet first.".into());
        }
        if !payer.on_chain(profile.chain_id) {
            return Some(format!("Switch your wallet to {network} first."));
        }
        if parsed.with(Result::is_err) {
            return Some(if form.pristine.get() {
                "Fill in the form first.".into()
            } else {
                "Fix the arguments first.".into()
            });
        }
        if let Some(Some(Ok(info))) = info.get() {
            if info.cnx < fee {
                return Some(format!("You need {} to create a task.", format_cnx(fee)));
            }
            if info.allowance < fee && !payer.is_session() {
                return Some(format!(
                    "Approve at least {} first (Account, above).",
                    format_cnx(fee)
                ));
            }
        }
        let unfinished = run.with(|run| run.as_ref().is_some_and(TaskRun::is_running));
        unfinished.then(|| "Your current task is not finished yet.".into())
    });
    let create = move |_| {
        let (Some(account), Ok(args)) = (payer.account_untracked(), parsed.get_untracked()) else {
            return;
        };
        clear_files();
        let vram = untrack(|| form.vram_gb()).unwrap_or_else(|| args.default_vram_gb());
        let (kind, text) = (kind.get_untracked(), form.text().get_untracked());
        remember_last(account, kind, &text);
        let started_ms = unix_millis();
        save(
            &TaskRun::current_key(&create_profile, account),
            &started_ms.to_string(),
        );
        run.set(Some(TaskRun::new(account, kind, text, vram, started_ms)));
        advance.dispatch(());
    };
    let last_seed = Signal::derive(move || run.with(|run| run.as_ref()?.seed()));
    // A finished chat goes on: its messages, the reply, and a new message to write.
    let continue_chat = Callback::new(move |reply: String| {
        let Some(args) = run.with_untracked(|run| run.as_ref().map(|run| run.args.clone())) else {
            return;
        };
        let count = field(&args, "/messages").and_then(|m| m.as_array().map(Vec::len));
        let turn = vec![
            serde_json::json!({"role": "assistant", "content": reply}),
            serde_json::json!({"role": "user", "content": ""}),
        ];
        if let Some(text) = count.and_then(|count| splice(&args, "/messages", count, turn)) {
            form.text_of(TaskType::Gpt).set(text);
            kind.set(TaskType::Gpt);
        }
    });

    // A past task's arguments back in the form, with a new seed when asked.
    let run_again = Callback::new(move |(past, new_seed): (TaskRun, bool)| {
        form.text_of(past.task_type).set(past.args);
        kind.set(past.task_type);
        if new_seed {
            form.set_field("/task_config/seed", random_seed().into());
        }
        scroll_to("builder-title");
    });
    let use_seed = Callback::new(move |seed: u32| {
        kind.set(TaskType::StableDiffusion);
        form.set_field("/task_config/seed", seed.into());
        scroll_to("builder-title");
    });
    // The history is read again whenever the current task moves on.
    let history_version = Signal::derive(move || {
        run.with(|run| run.as_ref().map(|run| (run.task_id(), run.state_words())))
    });

    view! {
        <section class="card" aria-labelledby="builder-title" data-testid="builder">
            <h2 id="builder-title">"New task"</h2>
            <div class="segmented" role="radiogroup" aria-label="Task type">
                {[(TaskType::StableDiffusion, "Image"), (TaskType::Gpt, "Chat")]
                    .into_iter()
                    .map(|(value, label)| view! {
                        <label>
                            <input type="radio" name="task-type" prop:checked=move || kind.get() == value
                                on:change=move |_| kind.set(value) />
                            {label}
                        </label>
                    })
                    .collect_view()}
            </div>
            {move || match kind.get() {
                TaskType::StableDiffusion => view! { <SdForm form last_seed /> }.into_any(),
                TaskType::Gpt => view! { <GptForm form /> }.into_any(),
            }}
            // The editor exists only while open: a browser takes ~30 ms to take in a 250 KB
            // text (a ControlNet image), which would otherwise slow every keystroke.
            <details class="json-editor" on:toggle=move |e| {
                editor_open.set(event_target::<web_sys::HtmlDetailsElement>(&e).open())
            }>
                <summary>"Edit as JSON"</summary>
                {move || editor_open.get().then(|| view! {
                    <textarea id="json-editor" aria-label="Task arguments as JSON" spellcheck="false" data-testid="json"
                        prop:value=move || form.text().get() on:input=move |e| form.text().set(event_target_value(&e)) />
                })}
                <UnknownKeys form />
            </details>
            {move || {
                // Lines move with every edit of the text, even when the problems stay.
                let text = form.text();
                text.track();
                form.problems().map(|error| view! { <Problems error text /> })
            }}
            <SavedArgs form account />
            <VramField form />
            <p class="hint">{format!("Fee: {}.", format_cnx(fee))}</p>
            <div class="actions">
                <button data-testid="create" on:click=create
                    disabled=move || blocker.with(Option::is_some) || advance.pending().get()>
                    {format!("Create task — pay {}", format_cnx(fee))}
                </button>
            </div>
            {move || blocker.get().map(|why| view! { <p class="hint" data-testid="blocked">{why}</p> })}
        </section>
        {move || run.get().map(|_| view! { <TaskView flow=flow.clone() advance continue_chat /> })}
        <History profile=history_profile payer version=history_version run_again use_seed refresh />
    }
}

/// Scrolls the element with `id` into view.
fn scroll_to(id: &str) {
    if let Some(element) = document().get_element_by_id(id) {
        element.scroll_into_view();
    }
}

/// The GPU memory the task asks for: the model's default, or what the user types.
#[component]
fn VramField(form: ArgsForm) -> impl IntoView {
    let on_input = move |e: leptos::ev::Event| {
        let typed = event_target_value(&e);
        form.vram_override
            .set(typed.trim().parse::<u64>().ok().filter(|gb| *gb > 0));
    };
    view! {
        <div class="field narrow">
            <label for="vram">"GPU memory the task needs (GB)"</label>
            <input id="vram" type="text" inputmode="numeric" autocomplete="off"
                prop:value=move || form.vram_gb().map(|gb| gb.to_string()).unwrap_or_default()
                on:input=on_input aria-describedby="vram-hint" />
            <p class="field-hint" id="vram-hint">"Only nodes with at least this much GPU memory are chosen. A model preset sets its default."</p>
        </div>
    }
}

/// The keys no form control shows: kept and sent as written, but named so the user knows.
#[component]
fn UnknownKeys(form: ArgsForm) -> impl IntoView {
    let keys = move || {
        form.parsed.with(|args| {
            args.as_ref()
                .map(TaskArgs::unknown_keys)
                .unwrap_or_default()
        })
    };
    move || {
        let keys = keys();
        (!keys.is_empty()).then(|| {
            view! {
                <p class="warning" data-testid="unknown-keys">
                    {format!("Not in the form, kept and sent as written: {}.", keys.join(", "))}
                </p>
            }
        })
    }
}

/// Everything wrong with the arguments: each at its JSON pointer, its line in the editor,
/// and a link to its form control.
#[component]
fn Problems(error: ArgsError, text: RwSignal<String>) -> impl IntoView {
    let lines = match &error {
        ArgsError::Invalid(issues) => issues
            .iter()
            .map(|issue| {
                let line = text
                    .with_untracked(|text| pointer_line(text, &issue.pointer))
                    .unwrap_or(1);
                let id = control_id(&issue.pointer);
                view! {
                    <li>
                        <a href=format!("#{id}") on:click=move |e| focus_control(e, &id)>{issue.to_string()}</a>
                        {format!(" (JSON line {line})")}
                    </li>
                }
                .into_any()
            })
            .collect_view(),
        ArgsError::NotJson { .. } => vec![view! {
            <li>{format!("The arguments are {error}. The form is paused until the JSON is fixed.")}</li>
        }
        .into_any()],
    };
    view! {
        <div class="alert" role="alert" data-testid="problems">
            <ul>{lines}</ul>
        </div>
    }
}

/// Moves the focus to the control with `id` (opening the section it is in), or else to the
/// JSON editor.
fn focus_control(e: leptos::ev::MouseEvent, id: &str) {
    use wasm_bindgen::JsCast;
    let document = document();
    let Some(element) = document.get_element_by_id(id).or_else(|| {
        document
            .query_selector(".json-editor summary")
            .ok()
            .flatten()
    }) else {
        return;
    };
    e.prevent_default();
    if let Some(details) = element.closest("details").ok().flatten() {
        let _ = details.set_attribute("open", "");
    }
    if let Ok(element) = element.dyn_into::<web_sys::HtmlElement>() {
        let _ = element.focus();
    }
}
