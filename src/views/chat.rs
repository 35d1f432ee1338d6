//! The Chat view, as a chat app: the conversation as a thread of bubbles (the system prompt
//! a note, each reply with its check against the chain, its token usage and its choices),
//! the task answering the last message as a placeholder showing its stage, and a composer
//! whose button shows the fee; the settings (model, system prompt, generation, the JSON
//! editor) and past conversations beside it.

use crynux_protocol::args::TaskType;
use crynux_protocol::units::format_cnx;
use leptos::prelude::*;

use crate::chat::{use_chat, Chat, Reply, Said};
use crate::components::sd_form::is_wide;
use crate::components::{pay_label, Builder, GptForm, PayNotes, TaskView, Verified};
use crate::state::use_app;
use crate::studio::use_studio;
use crate::task::flow::Flow;
use crate::task::Outcome;

/// Past chats the view offers to open.
const PAST: usize = 8;

/// The Chat view.
#[component]
pub fn ChatView() -> impl IntoView {
    let chat = use_chat();
    let form = use_studio().form;
    let submit = Callback::new(move |()| chat.send());
    // Settings open beside the thread on a wide screen, folded above it on a phone.
    let wide = is_wide();
    view! {
        <h1 class="sr-only">"Chat"</h1>
        <div class="chat-view">
            <section class="conversation" aria-labelledby="conversation-title">
                <div class="chat-bar">
                    <h2 id="conversation-title">"Conversation"</h2>
                    <button type="button" class="secondary" data-testid="new-chat"
                        disabled=move || chat.busy()
                        on:click=move |_| chat.start_anew()>"New chat"</button>
                </div>
                <Thread chat />
                <Composer chat />
            </section>
            <aside class="chat-side" aria-label="Chat settings and past conversations">
                <details class="chat-settings" open=wide>
                    <summary>"Settings"</summary>
                    <Builder kind=TaskType::Gpt submit>
                        <GptForm form />
                    </Builder>
                </details>
                <PastConversations chat />
            </aside>
        </div>
    }
}

/// The conversation: the system prompt, what was said, and the task answering the last
/// message.
#[component]
fn Thread(chat: Chat) -> impl IntoView {
    let studio = use_studio();
    let form = studio.form;
    let said = Memo::new(move |_| chat.conversation.with(|(_, c)| c.said.clone()));
    let waiting = Memo::new(move |_| {
        let waiting = chat.conversation.with(|(_, c)| c.waiting);
        studio.run.with(|run| {
            run.as_ref()
                .is_some_and(|run| Some(run.started_ms) == waiting)
        })
    });
    let system = move || {
        form.value("/messages/0")
            .filter(|m| m.get("role").and_then(|r| r.as_str()) == Some("system"))
            .and_then(|m| m.get("content").and_then(|c| c.as_str()).map(str::to_owned))
    };
    // The user's message being edited: (its place, the words so far).
    let editing = RwSignal::new(None::<(usize, String)>);
    // A message sent again from its place ends the editing once paid; the newest part (or
    // the placeholder) comes into view, above the composer.
    Effect::new(move |_| {
        said.track();
        waiting.track();
        editing.set(None);
        request_animation_frame(|| {
            if let Ok(Some(last)) = document().query_selector(".thread > :last-child") {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                last.scroll_into_view_with_scroll_into_view_options(&options);
            }
        });
    });
    let parts = move || {
        let said = said.get();
        let count = said.len();
        said.into_iter()
            .enumerate()
            .map(|(index, part)| {
                let last = index + 1 == count;
                match part {
                    Said::You(words) => {
                        view! { <UserMessage chat index words editing /> }.into_any()
                    }
                    Said::Model(reply) => view! { <ModelReply chat index reply last /> }.into_any(),
                    Said::NoReply(why) => view! {
                        <div class="bubble note" data-testid="no-reply">
                            <p class="words">{why}</p>
                            {last.then(|| view! { <Regenerate chat label="Try again" /> })}
                        </div>
                    }
                    .into_any(),
                }
            })
            .collect_view()
    };
    view! {
        <div class="thread" data-testid="thread" role="log" aria-label="Messages">
            {move || system().map(|words| view! {
                <details class="system-note">
                    <summary>"System prompt"</summary>
                    <p class="words">{words}</p>
                </details>
            })}
            {move || (said.with(Vec::is_empty) && !waiting.get()).then(|| view! {
                <p class="hint placeholder">
                    "Ask anything. Each reply is one task on the Crynux Network, paid in CNX and checked against the chain."
                </p>
            })}
            {parts}
            {move || waiting.get().then(|| view! {
                <div class="bubble reply pending" data-testid="pending">
                    <span class="sr-only">"The model is answering: "</span>
                    <TaskView flow=studio.flow.get_value() advance=studio.advance results=false title_id="chat-task-title" />
                </div>
            })}
        </div>
    }
}

/// A message of the user, which can be edited and sent again from its place.
#[component]
fn UserMessage(
    chat: Chat,
    index: usize,
    words: String,
    editing: RwSignal<Option<(usize, String)>>,
) -> impl IntoView {
    let is_edited = move || editing.with(|e| e.as_ref().is_some_and(|(i, _)| *i == index));
    let number = index + 1;
    let label = pay_label("Send from here", "Send from here (approve first)");
    let original = words.clone();
    let send = move || {
        if let Some((_, words)) = editing.get_untracked() {
            chat.resend(index, &words);
        }
    };
    view! {
        <div class="bubble user" data-testid="message">
            <span class="sr-only">"You: "</span>
            {move || if is_edited() {
                let id = format!("edit-{number}");
                view! {
                    <label class="sr-only" for=id.clone()>{format!("Edit message {number}")}</label>
                    <textarea id=id rows="3" prop:value=move || editing.with(|e| e.as_ref().map(|(_, w)| w.clone()).unwrap_or_default())
                        on:input=move |e| editing.set(Some((index, event_target_value(&e))))
                        on:keydown=move |e: leptos::ev::KeyboardEvent| {
                            if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
                                e.prevent_default();
                                send();
                            }
                        } />
                    <div class="bubble-actions">
                        <button type="button" class="primary small" disabled=move || !chat.can_send()
                            on:click=move |_| send()>{label}</button>
                        <button type="button" class="secondary small" on:click=move |_| editing.set(None)>"Cancel"</button>
                    </div>
                }.into_any()
            } else {
                let original = original.clone();
                view! {
                    <p class="words">{words.clone()}</p>
                    <div class="bubble-actions">
                        <button type="button" class="link small" aria-label=format!("Edit message {number}")
                            disabled=move || !chat.can_send()
                            on:click=move |_| editing.set(Some((index, original.clone())))>"Edit"</button>
                    </div>
                }.into_any()
            }}
        </div>
    }
}

/// A reply of the model: its chosen choice (← and → among several), its check, its token
/// usage, and Regenerate for the last one.
#[component]
fn ModelReply(chat: Chat, index: usize, reply: Reply, last: bool) -> impl IntoView {
    let count = reply.choices.len();
    let chosen = reply.chosen;
    let task = reply.task.clone();
    let cut = task
        .as_ref()
        .is_some_and(|t| t.cut.get(chosen).copied().unwrap_or(false));
    view! {
        <div class="bubble reply" data-testid="reply">
            <span class="sr-only">"Model: "</span>
            <p class="words">{reply.words().to_owned()}</p>
            {(count > 1).then(|| view! {
                <div class="choices" role="group" aria-label="Replies">
                    <button type="button" class="secondary small" aria-label="Previous reply"
                        on:click=move |_| chat.step_choice(index, -1)>"←"</button>
                    <span data-testid="choice">{format!("{} of {count}", chosen + 1)}</span>
                    <button type="button" class="secondary small" aria-label="Next reply"
                        on:click=move |_| chat.step_choice(index, 1)>"→"</button>
                </div>
            })}
            <p class="reply-meta">
                {match task {
                    Some(task) => view! {
                        <Verified verified=task.verified />
                        <span data-testid="usage">{format!("Task {} · {}", task.task_id, task.usage)}{cut.then_some(" · cut at the token limit")}</span>
                    }.into_any(),
                    None => view! { <span>"Sent with a later task"</span> }.into_any(),
                }}
            </p>
            {last.then(|| view! { <Regenerate chat label="Regenerate" /> })}
        </div>
    }
}

/// Asks for the last reply again, with a new seed.
#[component]
fn Regenerate(chat: Chat, label: &'static str) -> impl IntoView {
    let fee = format_cnx(use_app().profile.with_value(|p| p.task_fee));
    view! {
        <div class="bubble-actions">
            <button type="button" class="secondary small" data-testid="regenerate" disabled=move || !chat.can_send()
                title=format!("A new reply from a new task ({fee})") on:click=move |_| chat.regenerate()>{label}</button>
        </div>
    }
}

/// The message being typed: Enter sends, Shift+Enter is a new line; the button shows the
/// fee. A payment refused or failed leaves the message here.
#[component]
fn Composer(chat: Chat) -> impl IntoView {
    let studio = use_studio();
    let draft = Memo::new(move |_| chat.conversation.with(|(_, c)| c.draft.clone()));
    let blank = move || draft.with(|d| d.trim().is_empty());
    let label = pay_label("Send", "Send (approve first)");
    // A chat task not paid yet: the wallet is being asked, or refused.
    let unpaid = Memo::new(move |_| {
        studio.run.with(|run| {
            run.as_ref().is_some_and(|r| {
                r.task_type == TaskType::Gpt && !r.is_paid() && r.outcome.is_none()
            })
        })
    });
    let paying =
        move || studio.generate.pending().get() || (studio.advance.pending().get() && unpaid.get());
    let activity = studio.flow.with_value(|flow| flow.activity);
    let refused = move || {
        (unpaid.get() && !studio.advance.pending().get())
            .then(|| studio.advance.value().get().and_then(Result::err))
            .flatten()
    };
    let blocker = Signal::derive(move || {
        if blank() {
            studio.account_blocker.get()
        } else {
            studio.blocker.get()
        }
    });
    view! {
        <form class="composer" data-testid="composer" on:submit=move |e| { e.prevent_default(); chat.send(); }>
            <label for="message" class="sr-only">"Message"</label>
            <div class="composer-row">
                <textarea id="message" rows="2" placeholder="Message the model" readonly=paying
                    aria-describedby="composer-hint" prop:value=move || draft.get()
                    on:input=move |e| chat.set_draft(event_target_value(&e))
                    on:keydown=move |e: leptos::ev::KeyboardEvent| {
                        if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
                            e.prevent_default();
                            chat.send();
                        }
                    } />
                <button type="submit" class="primary" data-testid="send"
                    disabled=move || blank() || !chat.can_send()>{label}</button>
            </div>
            <p class="field-hint" id="composer-hint">"Enter sends; Shift+Enter starts a new line. Each message is a task: the whole conversation is sent."</p>
            {move || paying().then(|| activity.get()).flatten().map(|words| view! {
                <p class="status" role="status" data-testid="sending">{words}</p>
            })}
            {move || refused().map(|e| view! {
                <p class="alert" role="alert" data-testid="send-error">{format!("{e} Your message is still here: send it again when ready.")}</p>
            })}
            <PayNotes blocker />
        </form>
    }
}

/// The account's last chats, from the history: one opens back into the thread.
#[component]
fn PastConversations(chat: Chat) -> impl IntoView {
    let app = use_app();
    let studio = use_studio();
    let open = Action::new_local(move |run: &crate::task::TaskRun| {
        let flow = Flow::new(&app.profile(), app.payer, Some(run.clone()), app.refresh);
        chat.open(flow)
    });
    let past = move || {
        studio
            .history()
            .get()
            .flatten()
            .and_then(Result::ok)
            .map(|runs| {
                runs.into_iter()
                    .filter(|run| {
                        run.task_type == TaskType::Gpt
                            && matches!(run.outcome, Some(Outcome::Success { .. }))
                    })
                    .take(PAST)
                    .collect::<Vec<_>>()
            })
    };
    view! {
        <details class="past-chats" data-testid="past-chats">
            <summary>"Past conversations"</summary>
            {move || match past() {
                Some(runs) if !runs.is_empty() => view! {
                    <ul class="past-list">
                        {runs.into_iter().map(|run| {
                            let id = run.task_id().unwrap_or_default();
                            let words = run.summary().unwrap_or_else(|| "Its messages are on the relay".into());
                            view! {
                                <li>
                                    <button type="button" class="link" disabled=move || open.pending().get()
                                        on:click=move |_| drop(open.dispatch(run.clone()))>
                                        {format!("Task {id}: {words}")}
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
                _ => view! { <p class="hint">"No past conversations yet."</p> }.into_any(),
            }}
            {move || open.value().get().and_then(Result::err).map(|e| view! {
                <p class="alert" role="alert">{e.to_string()}</p>
            })}
        </details>
    }
}
