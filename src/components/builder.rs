//! The task builder: the Stable Diffusion or GPT form, the raw JSON editor (all edit the same
//! arguments text, validated while typing), saved arguments, and the bar that pays: the
//! number of images, the fee, "Approve and generate" when the wallet's allowance is short,
//! and what stands in the way.

use crynux_protocol::args::form::pointer_line;
use crynux_protocol::args::{ArgsError, TaskType};
use crynux_protocol::units::format_cnx;
use leptos::prelude::*;

use super::approval_choice::ApprovingNote;
use super::args_form::{control_id, ArgField, ArgsForm, Kind, CHECK_MISSING};
use crate::lazy::{lazy_view, parts_here, ViewPart};
use crate::state::use_app;
use crate::studio::use_studio;

/// The options of a `kind` task (`children`: its view's form), the JSON editor and saved
/// arguments; Ctrl/Cmd+Enter in any of them runs `submit` (the view's button that pays).
#[component]
pub fn Builder(kind: TaskType, submit: Callback<()>, children: Children) -> impl IntoView {
    let form = use_studio().form;
    form.kind.set(kind);
    let more_opened = RwSignal::new(false);
    let editor_open = RwSignal::new(false);
    view! {
        // Ctrl+Enter (Cmd+Enter on a Mac) in any option generates, as in a studio or chat app.
        <div class="builder" data-testid="builder" on:keydown=move |e: leptos::ev::KeyboardEvent| {
            if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                e.prevent_default();
                submit.run(());
            }
        }>
            {children()}
            // The saved arguments come with the lazily loaded parts once the section is first
            // opened (then kept, with what they say).
            <details class="more" on:toggle=move |e| {
                if event_target::<web_sys::HtmlDetailsElement>(&e).open() {
                    more_opened.set(true);
                }
            }>
                <summary>"Saved arguments and GPU memory"</summary>
                {move || more_opened.get().then(|| lazy_view(ViewPart::SavedArgs))}
                <VramField form />
            </details>
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
                // What the arguments' check finds, which comes with the parts.
                {move || parts_here().then(|| lazy_view(ViewPart::UnknownKeys))}
            </details>
            {move || form.check_missing().then(|| view! { <p class="alert" role="alert">{CHECK_MISSING}</p> })}
            {move || parts_here().then(|| lazy_view(ViewPart::Problems))}
        </div>
    }
}

/// The image studio's primary action: the number of images, the button that pays with the
/// fee on it, and the notes under it.
#[component]
pub fn GenerateBar() -> impl IntoView {
    let studio = use_studio();
    let label = pay_label("Generate", "Approve and generate");
    view! {
        <div class="generate-bar" data-testid="generate-bar">
            <div class="generate-row">
                <ArgField form=studio.form pointer="/task_config/num_images" label="Images" kind=Kind::Integer />
                <button class="primary" data-testid="create" on:click=move |_| drop(studio.generate.dispatch(None))
                    disabled=move || !studio.can_generate()>
                    {label}
                </button>
            </div>
            <PayNotes blocker=studio.blocker />
        </div>
    }
}

/// The words of a button that pays: `action` (or `approving` when the wallet's allowance
/// is short) and the fee.
pub fn pay_label(action: &'static str, approving: &'static str) -> impl Fn() -> String + Copy {
    let app = use_app();
    let needs_approval = use_studio().needs_approval;
    let fee = app.profile.with_value(|p| p.task_fee);
    move || {
        let action = if needs_approval.get() {
            approving
        } else {
            action
        };
        format!("{action} · {}", format_cnx(fee))
    }
}

/// What goes with a button that pays: the approval amount when the wallet's allowance is
/// short, the approval under way, why the button cannot be pressed (`blocker`), and why
/// the last payment failed.
#[component]
pub fn PayNotes(#[prop(into)] blocker: Signal<Option<String>>) -> impl IntoView {
    let app = use_app();
    let studio = use_studio();
    let (generate, advance, needs_approval) =
        (studio.generate, studio.advance, studio.needs_approval);
    let busy = move || generate.pending().get() || advance.pending().get();
    let approving = move || generate.pending().get() && app.approval.busy();
    let failed = move || {
        generate
            .value()
            .with(|outcome| matches!(outcome, Some(Err(_))))
    };
    view! {
        {move || (needs_approval.get() && !busy()).then(|| lazy_view(ViewPart::ApprovalChoice))}
        {move || approving().then(|| view! { <ApprovingNote /> })}
        {move || blocker.get().map(|why| view! { <p class="hint" data-testid="blocked">{why}</p> })}
        // Paying needs the lazily loaded parts, and so do the words of its failures.
        {move || failed().then(|| lazy_view(ViewPart::PayFailure))}
    }
}

/// Why the last payment failed.
#[component]
pub fn PayFailure() -> impl IntoView {
    let generate = use_studio().generate;
    move || {
        generate.value().get().and_then(Result::err).map(|e| {
            view! {
                <p class="alert" role="alert" data-testid="generate-error">{e.to_string()}</p>
            }
        })
    }
}

/// The problems the builder reports: a chat's messages are the conversation's, whose
/// composer speaks for them.
fn outside_the_thread(kind: TaskType, error: ArgsError) -> Option<ArgsError> {
    match (kind, error) {
        (TaskType::Gpt, ArgsError::Invalid(issues)) => {
            let issues: Vec<_> = issues
                .into_iter()
                .filter(|issue| !issue.pointer.starts_with("/messages"))
                .collect();
            (!issues.is_empty()).then_some(ArgsError::Invalid(issues))
        }
        (_, error) => Some(error),
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
                prop:value=Memo::new(move |_| form.vram_gb().map(|gb| gb.to_string()).unwrap_or_default())
                on:input=on_input aria-describedby="vram-hint" />
            <p class="field-hint" id="vram-hint">"Only nodes with at least this much GPU memory are chosen. A model preset sets its default."</p>
        </div>
    }
}

/// The keys no form control shows: kept and sent as written, but named so the user knows.
/// A part.
#[component]
pub fn UnknownKeys() -> impl IntoView {
    let form = use_studio().form;
    let keys = move || {
        form.parsed.with(|args| match args {
            Some(Ok(args)) => args.unknown_keys(),
            _ => Vec::new(),
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

/// Everything wrong with the arguments, once the user has typed, outside a chat's thread: a
/// part.
#[component]
pub fn Problems() -> impl IntoView {
    let form = use_studio().form;
    move || {
        // Lines move with every edit of the text, even when the problems stay.
        let text = form.text();
        text.track();
        form.problems()
            .and_then(|error| outside_the_thread(form.kind.get(), error))
            .map(|error| view! { <ProblemList error text /> })
    }
}

/// Each problem at its JSON pointer, its line in the editor, and a link to its form control.
#[component]
fn ProblemList(error: ArgsError, text: RwSignal<String>) -> impl IntoView {
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
