//! A task: its timeline with block numbers, what is happening now, what went wrong and how
//! to go on (cancel and refund after the deadline), and its results (an image gallery or the
//! chat reply), each checked against the chain's proof.

use std::time::Duration;

use crynux_protocol::args::form::{field, field_text};
use crynux_protocol::args::TaskType;
use crynux_protocol::units::short_address;

use leptos::prelude::*;

use crate::browser::{focus_by_id, unix_seconds};
use crate::error::TaskError;
use crate::task::flow::{Flow, ResultContent, ResultFile};
use crate::task::{explain_abort, Outcome, Step};

/// The task in `flow.run`.
#[component]
pub fn TaskView(
    /// The task's flow (its run, activity and files).
    flow: Flow,
    /// Runs the task's next steps.
    advance: Action<(), Result<(), TaskError>>,
    /// Whether to show its results (the Chat view shows a reply in its thread).
    #[prop(default = true)]
    results: bool,
    /// The id of the view's heading (unique on the page).
    #[prop(default = "task-title")]
    title_id: &'static str,
) -> impl IntoView {
    let (run, activity, files) = (flow.run, flow.activity, flow.files);
    let cancel = {
        let flow = flow.clone();
        Action::new_local(move |_: &()| flow.clone().cancel())
    };
    // The clock, for the deadline.
    let now = RwSignal::new(unix_seconds());
    if let Ok(ticker) =
        set_interval_with_handle(move || now.set(unix_seconds()), Duration::from_secs(1))
    {
        on_cleanup(move || ticker.clear());
    }
    let may_cancel = move || {
        let downloaded = files.with(Vec::len);
        !cancel.pending().get()
            && run.with(|run| {
                run.as_ref()
                    .is_some_and(|run| run.may_cancel(now.get(), downloaded))
            })
    };
    let refund = move || run.with(|run| run.as_ref()?.refund_words());
    let args_elsewhere = move || {
        run.with(|run| run.as_ref().is_some_and(|run| !run.args_known()))
            .then_some(
                "This browser did not create this task: its arguments are only on the relay.",
            )
    };
    let title = move || {
        run.with(|run| match run.as_ref().and_then(|run| run.task_id()) {
            Some(id) => format!("Task {id}"),
            None => "Your task".to_owned(),
        })
    };
    // The stages, and the one under way while the task is not done.
    let stages = move || {
        let downloaded = files.with(Vec::len);
        run.with(|run| {
            run.as_ref().map_or_else(Vec::new, |run| {
                let stages = run.timeline(downloaded);
                let current = (run.next_step(downloaded) != Step::Done)
                    .then(|| stages.iter().position(|s| !s.done))
                    .flatten();
                stages
                    .into_iter()
                    .enumerate()
                    .map(|(i, stage)| (stage, Some(i) == current))
                    .collect()
            })
        })
    };
    let timeline = move || {
        stages()
            .into_iter()
            .map(|(stage, current)| {
                view! {
                    <li class:done=stage.done class:current=current aria-current=current.then_some("step")>
                        <span class="mark" aria-hidden="true">{if stage.done { "✓" } else { "○" }}</span>
                        {stage.label}
                        <span class="sr-only">{if stage.done { " (done)" } else { " (not yet)" }}</span>
                    </li>
                }
            })
            .collect_view()
    };
    let blocks = move || {
        stages()
            .into_iter()
            .filter_map(|(stage, _)| {
                let block = stage.block?;
                Some(view! { <li>{format!("{}: block {block}", stage.label)}</li> })
            })
            .collect_view()
    };
    let next_step = move || {
        let downloaded = files.with(Vec::len);
        run.with(|run| run.as_ref().map(|run| run.next_step(downloaded)))
    };
    let failure = move || {
        [advance.value().get(), cancel.value().get()]
            .into_iter()
            .flatten()
            .find_map(Result::err)
            .filter(|e| *e != TaskError::Ended)
    };
    let can_go_on = move || {
        !advance.pending().get()
            && next_step().is_some_and(|step| step != Step::Done)
            && (failure().is_some() || advance.value().get().is_none())
    };
    let creator = move || run.with(|run| run.as_ref().map(|run| run.creator));
    let go_on_label = move || match next_step() {
        Some(Step::Send) => "Try again",
        Some(Step::Upload) if creator().is_some_and(|c| flow.payer.signs_silently(c)) => {
            "Upload the arguments"
        }
        Some(Step::Upload) => "Sign and upload the arguments",
        Some(Step::Download) => "Download the results",
        _ => "Continue",
    };
    let paid_note = move || {
        run.with(|run| {
            run.as_ref()
                .filter(|run| run.is_paid())
                .and_then(|run| run.task_id())
                .map(|id| {
                    if flow.storage_refused.get() {
                        format!("Task {id} is paid for and on chain; the history finds it again.")
                    } else {
                        format!("Task {id} is paid for and saved in this browser; nothing is lost.")
                    }
                })
        })
    };
    let outcome = move || {
        run.with(|run| run.as_ref().and_then(|run| run.outcome.clone()))
            .and_then(|outcome| match outcome {
                Outcome::Aborted { reason, .. } => Some(explain_abort(&reason)),
                Outcome::Reverted { reason, .. } => Some(format!(
                    "{reason} No task was created and no fee was taken."
                )),
                Outcome::Success { .. } => None,
            })
    };
    let nodes = move || {
        run.with(|run| {
            let created = run.as_ref()?.created.as_ref()?;
            (!created.nodes.is_empty()).then(|| {
                let list: Vec<String> = created.nodes.iter().map(short_address).collect();
                format!("Selected nodes: {}", list.join(", "))
            })
        })
    };
    let kind = move || run.with(|run| run.as_ref().map(|run| run.task_type));
    let seed = Signal::derive(move || run.with(|run| run.as_ref()?.seed()));
    let conversation = move || {
        run.with(|run| {
            let messages = field(&run.as_ref()?.args, "/messages")?;
            Some(
                messages
                    .as_array()?
                    .iter()
                    .map(|m| {
                        let text = |key| field_text(m.get(key).cloned());
                        (text("role"), text("content"))
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .unwrap_or_default()
    };

    view! {
        <section class="card" aria-labelledby=title_id data-testid="task">
            <h2 id=title_id tabindex="-1">{title}</h2>
            <ol class="timeline" data-testid="timeline">{timeline}</ol>
            <details class="task-details">
                <summary>"Blocks and nodes"</summary>
                <ul class="blocks">{blocks}</ul>
                {move || nodes().map(|line| view! { <p class="hint" data-testid="nodes">{line}</p> })}
            </details>
            <p class="status" role="status" aria-live="polite" data-testid="activity">{move || activity.get()}</p>
            {move || outcome().map(|words| view! { <p class="alert" role="alert" data-testid="outcome">{words}</p> })}
            {move || refund().map(|words| view! { <p class="status" data-testid="refund">{words}</p> })}
            {move || args_elsewhere().map(|words| view! { <p class="hint" data-testid="args-elsewhere">{words}</p> })}
            {move || flow.storage_refused.get().then(|| view! {
                <p class="warning" data-testid="storage-refused">
                    "This browser refused to store the task (storage full or disabled). It is safe on chain, and the history lists it after a reload, but its arguments and previews are not kept here."
                </p>
            })}
            {move || failure().map(|error| view! {
                <div class="alert" role="alert" data-testid="task-error">
                    <p>{error.to_string()}</p>
                    {paid_note}
                </div>
            })}
            {move || can_go_on().then(|| view! {
                <div class="actions">
                    <button data-testid="go-on" on:click=move |_| drop(advance.dispatch(()))>{go_on_label}</button>
                </div>
            })}
            {move || may_cancel().then(|| view! {
                <div class="actions">
                    <p class="hint">"The task's deadline has passed without results. Cancelling returns the part of the fee no node has earned."</p>
                    <button data-testid="cancel" on:click=move |_| drop(cancel.dispatch(()))>"Cancel and refund"</button>
                </div>
            })}
            {move || match kind().filter(|_| results) {
                Some(TaskType::StableDiffusion) => view! { <Gallery files task=title seed /> }.into_any(),
                Some(TaskType::Gpt) => view! { <Chat files conversation /> }.into_any(),
                None => ().into_any(),
            }}
        </section>
    }
}

/// The images as a grid; a click opens one large (the lightbox).
#[component]
fn Gallery(
    files: RwSignal<Vec<ResultFile>>,
    task: impl Fn() -> String + Send + Sync + 'static,
    /// The task's seed, offered for the next task.
    seed: Signal<Option<u32>>,
) -> impl IntoView {
    let task = Signal::derive(task);
    // The image shown large, by its index; the lightbox stays mounted while one is.
    let shown = RwSignal::new(None::<u32>);
    let open = Memo::new(move |_| shown.with(Option::is_some));
    let images = Memo::new(move |_| {
        files.with(|files| {
            files
                .iter()
                .filter_map(|file| match &file.content {
                    ResultContent::Image(url) => Some(Image {
                        index: file.index,
                        url: url.clone(),
                        verified: file.verified.clone(),
                    }),
                    ResultContent::Reply(_) => None,
                })
                .collect::<Vec<_>>()
        })
    });
    let file_name = move |index: u32| {
        format!(
            "crynux-{}-{}.png",
            task.get().to_ascii_lowercase().replace(' ', "-"),
            index + 1
        )
    };
    view! {
        <div class="gallery" data-testid="gallery">
            {move || images.get().into_iter().map(|image| {
                let index = image.index;
                view! {
                    <figure>
                        <button type="button" class="thumb-button" id=format!("image-{}", index + 1)
                            aria-label=format!("Show image {} large", index + 1) on:click=move |_| shown.set(Some(index))>
                            <img src=image.url.clone() alt=format!("Result image {}", index + 1) width="256" height="256" />
                        </button>
                        <figcaption>
                            <a href=image.url download=file_name(index) data-testid="download" aria-label=format!("Download image {}", index + 1)>"Download"</a>
                            <Verified verified=image.verified />
                        </figcaption>
                    </figure>
                }
            }).collect_view()}
        </div>
        {move || open.get().then(|| view! { <Lightbox images shown file_name seed /> })}
    }
}

/// A result image, as the gallery shows it.
#[derive(Debug, Clone, PartialEq)]
struct Image {
    index: u32,
    url: String,
    verified: Result<(), String>,
}

/// One image large, in a modal dialog (the page behind is inert): ← and → move through
/// the task's images; Esc or Close closes it and puts the focus back on the thumbnail of the
/// image last shown.
#[component]
fn Lightbox(
    images: Memo<Vec<Image>>,
    shown: RwSignal<Option<u32>>,
    file_name: impl Fn(u32) -> String + Copy + Send + Sync + 'static,
    seed: Signal<Option<u32>>,
) -> impl IntoView {
    let studio = crate::studio::use_studio();
    let position = move || {
        let at = shown.get();
        images.with(|images| images.iter().position(|i| Some(i.index) == at).unwrap_or(0))
    };
    let count = move || images.with(Vec::len);
    let current = move || images.with(|images| images.get(position()).cloned());
    let step = move |by: isize| {
        images.with(|images| {
            if let Some(len) = (!images.is_empty()).then_some(images.len() as isize) {
                let next = (position() as isize + by).rem_euclid(len) as usize;
                shown.set(Some(images[next].index));
            }
        })
    };
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    // The page behind a modal dialog takes no focus: the dialog closes first.
    let close = move || {
        if let Some(dialog) = dialog.get_untracked() {
            dialog.close();
        }
        if let Some(index) = shown.get_untracked() {
            focus_by_id(&format!("image-{}", index + 1));
        }
        shown.set(None);
    };
    let on_key = move |e: leptos::ev::KeyboardEvent| match e.key().as_str() {
        "ArrowRight" => step(1),
        "ArrowLeft" => step(-1),
        _ => {}
    };
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get() {
            let _ = dialog.show_modal();
        }
    });
    let use_as_controlnet = move |_| {
        if let Some(image) = current() {
            let form = studio.form;
            leptos::task::spawn_local(async move {
                super::sd_form::use_as_controlnet(form, &image.url).await;
            });
            close();
            crate::route::go(crate::route::View::Images);
        }
    };
    view! {
        // Esc is the browser's "cancel" of a modal dialog.
        <dialog class="lightbox" node_ref=dialog on:keydown=on_key
            on:cancel=move |e: leptos::ev::Event| { e.prevent_default(); close(); }
            aria-label=move || format!("Image {} of {}", position() + 1, count()) data-testid="lightbox">
            {move || current().map(|image| view! {
                <img src=image.url.clone() alt=format!("Result image {}, large", image.index + 1) />
                <div class="lightbox-bar">
                    <span>{format!("Image {} of {}", position() + 1, count())}</span>
                    <Verified verified=image.verified.clone() />
                    <a href=image.url.clone() download=file_name(image.index)>"Download"</a>
                    {move || seed.get().map(|seed| view! {
                        <button type="button" class="secondary" on:click=move |_| { close(); studio.use_seed(seed); }>{format!("Use seed {seed}")}</button>
                    })}
                    <button type="button" class="secondary" on:click=use_as_controlnet>"Use as ControlNet image"</button>
                    <button type="button" class="secondary" aria-label="Previous image" on:click=move |_| step(-1)>"←"</button>
                    <button type="button" class="secondary" aria-label="Next image" on:click=move |_| step(1)>"→"</button>
                    <button type="button" on:click=move |_| close()>"Close"</button>
                </div>
            })}
        </dialog>
    }
}

/// The conversation and the model's replies, as text (never as HTML), with token usage.
#[component]
fn Chat(
    files: RwSignal<Vec<ResultFile>>,
    /// (role, content) of each message sent.
    conversation: impl Fn() -> Vec<(String, String)> + Send + Sync + 'static,
) -> impl IntoView {
    let sent = move || {
        conversation()
            .into_iter()
            .map(|(role, content)| {
                let (class, who) = match role.as_str() {
                    "assistant" => ("bubble reply", "Model: "),
                    "system" => ("bubble system", "System: "),
                    _ => ("bubble user", "You: "),
                };
                view! { <p class=class><span class="sr-only">{who}</span>{content}</p> }
            })
            .collect_view()
    };
    view! {
        <div class="chat" data-testid="chat">
            {sent}
            {move || files.get().into_iter().filter_map(|file| match file.content {
                ResultContent::Reply(reply) => Some((reply, file.verified)),
                ResultContent::Image(_) => None,
            }).map(|(reply, verified)| {
                let usage = reply.usage;
                let cut = reply.choices.first().is_some_and(|c| c.finish_reason == "length");
                view! {
                    {reply.choices.into_iter().map(|choice| view! {
                        <p class="bubble reply new" data-testid="reply"><span class="sr-only">"Model: "</span>{choice.message.content}</p>
                    }).collect_view()}
                    <p class="hint" data-testid="usage">
                        {format!("{} model · {} prompt + {} reply tokens = {}", reply.model, usage.prompt_tokens, usage.completion_tokens, usage.total_tokens)}
                        {cut.then_some(" · cut at the token limit")}
                    </p>
                    <Verified verified />
                }
            }).collect_view()}
        </div>
    }
}

/// Whether a result is the one the chain agreed on.
#[component]
pub fn Verified(verified: Result<(), String>) -> impl IntoView {
    match verified {
        Ok(()) => view! {
            <span class="verified" data-testid="verified" title="The result the chain agreed on">
                "✓ Verified"<span class="sr-only">" against the chain"</span>
            </span>
        }.into_any(),
        Err(why) => view! {
            <span class="warning" data-testid="unverified">{format!("⚠ Not the result the chain agreed on: {why}.")}</span>
        }.into_any(),
    }
}
