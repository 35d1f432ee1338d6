//! A new task: the minimal Stable Diffusion and GPT forms, the raw JSON editor (both edit
//! the same arguments text, validated while typing), and the button that pays for it.

use crynux_protocol::args::form::{field_text, typed_integer, with_field};
use crynux_protocol::args::{
    ArgsError, GptTaskArgs, Message, Role, SdTaskArgs, TaskArgs, TaskType, DEFAULT_BASE_MODEL,
    DEFAULT_GPT_MODEL, MAX_SEED,
};
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::units::format_cnx;
use leptos::prelude::*;
use serde_json::Value;

use super::TaskView;
use crate::browser::{load, random_u31, revoke_object_url};
use crate::chain::{AccountInfo, ChainError, ChainReader};
use crate::relay::RelayClient;
use crate::task::flow::{Flow, ResultFile};
use crate::task::TaskRun;
use crate::wallet::Wallet;

fn initial_sd_args() -> String {
    let mut args = SdTaskArgs::new(DEFAULT_BASE_MODEL, "");
    args.task_config.seed = random_u31() % (MAX_SEED + 1);
    TaskArgs::Sd(args).to_json()
}

fn initial_gpt_args() -> String {
    TaskArgs::Gpt(GptTaskArgs::new(
        DEFAULT_GPT_MODEL,
        vec![Message::new(Role::User, "")],
    ))
    .to_json()
}

/// The task builder and the current task.
#[component]
pub fn TaskPanel(
    /// The network.
    profile: NetworkProfile,
    /// The user's wallet.
    wallet: Wallet,
    /// The account's balances.
    info: LocalResource<Option<Result<AccountInfo, ChainError>>>,
    /// Bumped to read the balances again.
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let form = ArgsForm::new();
    let ArgsForm { kind, parsed, .. } = form;

    let flow = Flow {
        profile: profile.clone(),
        chain: ChainReader::new(&profile.rpc_url),
        relay: RelayClient::new(&profile.relay_url),
        wallet,
        run: RwSignal::new(None),
        activity: RwSignal::new(None),
        files: RwSignal::new(Vec::new()),
    };
    let (run, files) = (flow.run, flow.files);
    let clear_files = move || {
        files.update(|files| {
            for file in files.drain(..) {
                if let ResultFile::Image { url, .. } = file {
                    revoke_object_url(&url);
                }
            }
        })
    };
    on_cleanup(clear_files);
    // Each account sees only its own task.
    let storage_profile = profile.clone();
    Effect::new(move |_| {
        let stored = wallet.account.get().and_then(|account| {
            let text = load(&TaskRun::storage_key(&storage_profile, account))?;
            serde_json::from_str::<TaskRun>(&text).ok()
        });
        clear_files();
        run.set(stored);
    });
    let advance = {
        let flow = flow.clone();
        Action::new_local(move |_: &()| {
            let flow = flow.clone();
            async move {
                let result = flow.advance().await;
                refresh.update(|n| *n += 1);
                result
            }
        })
    };

    let fee = profile.task_fee;
    let network = profile.name.clone();
    let blocker = Memo::new(move |_| -> Option<String> {
        if wallet.account.get().is_none() {
            return Some("Connect your wallet first.".into());
        }
        if wallet.chain_id.get() != Some(profile.chain_id) {
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
            if info.allowance < fee {
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
        let (Some(account), Ok(args)) = (wallet.account.get_untracked(), parsed.get_untracked())
        else {
            return;
        };
        clear_files();
        let vram = args.default_vram_gb();
        run.set(Some(TaskRun::new(
            account,
            kind.get_untracked(),
            form.text().get_untracked(),
            vram,
        )));
        advance.dispatch(());
    };

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
                TaskType::StableDiffusion => view! { <SdForm form /> }.into_any(),
                TaskType::Gpt => view! {
                    <ArgField form pointer="/messages/0/content" label="Message" multiline=true />
                }
                .into_any(),
            }}
            <details class="json-editor">
                <summary>"Edit as JSON"</summary>
                <textarea aria-label="Task arguments as JSON" spellcheck="false" data-testid="json"
                    prop:value=move || form.text().get() on:input=move |e| form.text().set(event_target_value(&e)) />
            </details>
            {move || form.problems().map(|error| view! { <Problems error /> })}
            <p class="hint">
                {move || parsed.with(|args| args.as_ref().ok().map(|args| format!("Needs a GPU with at least {} GB. ", args.default_vram_gb())))}
                {format!("Fee: {}.", format_cnx(fee))}
            </p>
            <div class="actions">
                <button data-testid="create" on:click=create
                    disabled=move || blocker.with(Option::is_some) || advance.pending().get()>
                    {format!("Create task — pay {}", format_cnx(fee))}
                </button>
            </div>
            {move || blocker.get().map(|why| view! { <p class="hint" data-testid="blocked">{why}</p> })}
        </section>
        {move || run.get().map(|_| view! { <TaskView flow=flow.clone() advance /> })}
    }
}

/// The arguments being built: one text per task type (switching keeps both), the active
/// one read once as JSON and once against the schema for every field.
#[derive(Clone, Copy)]
struct ArgsForm {
    kind: RwSignal<TaskType>,
    sd_text: RwSignal<String>,
    gpt_text: RwSignal<String>,
    /// The active text as JSON; `None` while it is not JSON.
    json: Memo<Option<Value>>,
    parsed: Memo<Result<TaskArgs, ArgsError>>,
    /// A new form is not wrong yet, only empty: its problems show once the user types.
    pristine: Memo<bool>,
}

impl ArgsForm {
    fn new() -> Self {
        let kind = RwSignal::new(TaskType::StableDiffusion);
        let (initial_sd, initial_gpt) = (initial_sd_args(), initial_gpt_args());
        let sd_text = RwSignal::new(initial_sd.clone());
        let gpt_text = RwSignal::new(initial_gpt.clone());
        let text = move || active_text(kind.get(), sd_text, gpt_text);
        Self {
            kind,
            sd_text,
            gpt_text,
            json: Memo::new(move |_| text().with(|text| serde_json::from_str(text).ok())),
            parsed: Memo::new(move |_| text().with(|text| TaskArgs::parse(kind.get(), text))),
            pristine: Memo::new(move |_| match kind.get() {
                TaskType::StableDiffusion => sd_text.with(|text| *text == initial_sd),
                TaskType::Gpt => gpt_text.with(|text| *text == initial_gpt),
            }),
        }
    }

    /// The text of the active task type.
    fn text(&self) -> RwSignal<String> {
        active_text(self.kind.get(), self.sd_text, self.gpt_text)
    }

    /// Sets the value at `pointer` of the active text (nothing while it is not JSON).
    fn set_field(&self, pointer: &str, value: Value) {
        let text = self.text();
        if let Some(edited) = text.with_untracked(|text| with_field(text, pointer, value)) {
            text.set(edited);
        }
    }

    /// What is wrong with the arguments, once the user has typed.
    fn problems(&self) -> Option<ArgsError> {
        (!self.pristine.get())
            .then(|| self.parsed.get().err())
            .flatten()
    }
}

fn active_text(
    kind: TaskType,
    sd_text: RwSignal<String>,
    gpt_text: RwSignal<String>,
) -> RwSignal<String> {
    match kind {
        TaskType::StableDiffusion => sd_text,
        TaskType::Gpt => gpt_text,
    }
}

/// The Stable Diffusion form.
#[component]
fn SdForm(form: ArgsForm) -> impl IntoView {
    let new_seed = move |_| {
        form.set_field(
            "/task_config/seed",
            Value::from(random_u31() % (MAX_SEED + 1)),
        )
    };
    view! {
        <ArgField form pointer="/prompt" label="Prompt" multiline=true />
        <ArgField form pointer="/negative_prompt" label="Negative prompt (what to avoid)" multiline=true />
        <div class="row">
            <ArgField form pointer="/task_config/num_images" label="Images (1–10)" number=true />
            <ArgField form pointer="/task_config/seed" label="Seed" number=true />
            <button type="button" class="secondary" on:click=new_seed>"New seed"</button>
        </div>
    }
}

/// One form field bound to a JSON pointer of the arguments text, with its own problems.
#[component]
fn ArgField(
    form: ArgsForm,
    pointer: &'static str,
    label: &'static str,
    #[prop(optional)] multiline: bool,
    #[prop(optional)] number: bool,
) -> impl IntoView {
    let id = format!("field{}", pointer.replace('/', "-"));
    let error_id = format!("{id}-error");
    let value = move || {
        form.json.with(|json| {
            field_text(
                json.as_ref()
                    .and_then(|json| json.pointer(pointer))
                    .cloned(),
            )
        })
    };
    let is_json = move || form.json.with(Option::is_some);
    let on_input = move |e: leptos::ev::Event| {
        let input = event_target_value(&e);
        let value = if number {
            typed_integer(&input)
        } else {
            Value::String(input)
        };
        form.set_field(pointer, value);
    };
    let problem = move || match form.problems() {
        Some(ArgsError::Invalid(issues)) => issues
            .into_iter()
            .find(|issue| issue.pointer == pointer)
            .map(|issue| issue.message),
        _ => None,
    };
    let control = if multiline {
        view! {
            <textarea id=id.clone() rows="3" prop:value=value on:input=on_input disabled=move || !is_json()
                aria-invalid=move || problem().is_some().to_string() aria-describedby=error_id.clone() />
        }
        .into_any()
    } else {
        view! {
            <input id=id.clone() type="text" inputmode=if number { "numeric" } else { "text" }
                prop:value=value on:input=on_input disabled=move || !is_json()
                aria-invalid=move || problem().is_some().to_string() aria-describedby=error_id.clone() />
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {control}
            <p class="field-error" id=error_id>{problem}</p>
        </div>
    }
}

/// Everything wrong with the arguments, at their JSON pointers.
#[component]
fn Problems(error: ArgsError) -> impl IntoView {
    let lines: Vec<String> = match &error {
        ArgsError::Invalid(issues) => issues.iter().map(ToString::to_string).collect(),
        ArgsError::NotJson { .. } => vec![format!(
            "The arguments are {error}. The form is paused until the JSON is fixed."
        )],
    };
    view! {
        <div class="alert" role="alert" data-testid="problems">
            <ul>{lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
        </div>
    }
}
