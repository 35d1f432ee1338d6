//! The conversation of the Chat view: what was said (the user's messages, the model's replies
//! with their choices and checks, the tasks that ended without one), the message being typed,
//! and the task answering the last message. It is kept in this browser per account and
//! network; every reply is one paid task whose messages are the whole conversation.

use crynux_protocol::args::form::{field, field_text, with_field};
use crynux_protocol::args::TaskType;
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::read::{unreadable, variant, Fields, FromJson, Read};
use crynux_protocol::results::GptResponse;
use crynux_protocol::Address;
use leptos::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use crate::browser::{load, read_kept, save};
use crate::components::sd_form::random_seed;
use crate::error::TaskError;
use crate::lazy::{keep_once_parts_here, Kept};
use crate::payer::Payer;
use crate::route::{go, View};
use crate::state::AppState;
use crate::studio::Studio;
use crate::task::flow::{Flow, ResultContent, ResultFile};
use crate::task::{account_prefix, explain_abort, Outcome, TaskRun};

/// One part of a conversation (the system prompt is a setting, not a part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub enum Said {
    /// A message of the user.
    You(String),
    /// A reply of the model.
    Model(Reply),
    /// A task that ended without a reply: why, and where its fee went (never sent).
    NoReply(String),
}

/// A reply: one choice per returned sequence, the one the next turn sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct Reply {
    /// The words of each choice.
    pub choices: Vec<String>,
    /// The choice shown and sent on.
    pub chosen: usize,
    /// The task that wrote it; `None` when the reply is known only from the messages of a
    /// later task.
    pub task: Option<ReplyTask>,
}

/// What the task that wrote a reply tells of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct ReplyTask {
    /// The task id.
    pub task_id: u64,
    /// Token usage, in words.
    pub usage: String,
    /// Per choice: whether it was cut at the token limit.
    pub cut: Vec<bool>,
    /// `Ok` when the reply file is the result the chain agreed on; else why not.
    pub verified: Result<(), String>,
}

impl Reply {
    /// The reply of task `task_id` in `response`, checked as `verified`.
    pub fn of_task(response: &GptResponse, task_id: u64, verified: Result<(), String>) -> Self {
        let usage = response.usage;
        Self {
            choices: response
                .choices
                .iter()
                .map(|c| c.message.content.clone())
                .collect(),
            chosen: 0,
            task: Some(ReplyTask {
                task_id,
                usage: format!(
                    "{} model · {} prompt + {} reply tokens = {}",
                    response.model,
                    usage.prompt_tokens,
                    usage.completion_tokens,
                    usage.total_tokens
                ),
                cut: response
                    .choices
                    .iter()
                    .map(|c| c.finish_reason == "length")
                    .collect(),
                verified,
            }),
        }
    }

    /// The words of the chosen choice.
    pub fn words(&self) -> &str {
        self.choices.get(self.chosen).map_or("", String::as_str)
    }
}

impl FromJson for Said {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let (name, content, pointer) = variant(value, pointer)?;
        match name.as_str() {
            "You" => String::from_json(content, &pointer).map(Self::You),
            "Model" => Reply::from_json(content, &pointer).map(Self::Model),
            "NoReply" => String::from_json(content, &pointer).map(Self::NoReply),
            _ => unreadable(&pointer, "must be You, Model or NoReply"),
        }
    }
}

impl FromJson for Reply {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            choices: fields.required("choices")?,
            chosen: fields.required("chosen")?,
            task: fields.optional("task")?,
        })
    }
}

impl FromJson for ReplyTask {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        let verified = fields.required("verified")?;
        let (name, content, verified_pointer) = variant(verified, &format!("{pointer}/verified"))?;
        Ok(Self {
            task_id: fields.required("task_id")?,
            usage: fields.required("usage")?,
            cut: fields.required("cut")?,
            verified: match (name.as_str(), content) {
                ("Ok", Value::Null) => Ok(()),
                ("Err", content) => Err(String::from_json(content, &verified_pointer)?),
                _ => return unreadable(&verified_pointer, "must be Ok (null) or Err (text)"),
            },
        })
    }
}

impl FromJson for Conversation {
    fn from_json(value: Value, pointer: &str) -> Read<Self> {
        let mut fields = Fields::of(value, pointer)?;
        Ok(Self {
            said: fields.required("said")?,
            draft: fields.required("draft")?,
            waiting: fields.optional("waiting")?,
            seen: fields.required("seen")?,
        })
    }
}

/// A conversation, as this browser keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct Conversation {
    /// What was said, in order.
    pub said: Vec<Said>,
    /// The message being typed.
    pub draft: String,
    /// The task answering the last message while it runs (its `started_ms`).
    pub waiting: Option<u64>,
    /// The newest task taken in (its `started_ms`): it and older ones are not again.
    pub seen: u64,
}

impl Conversation {
    /// The messages a task sends: `system` (if any), the first `upto` parts (each reply's
    /// chosen words; ended tasks are not sent), then `next` from the user if it has words.
    pub fn messages(&self, system: Option<&str>, upto: usize, next: Option<&str>) -> Vec<Value> {
        let message = |role: &str, content: &str| json!({"role": role, "content": content});
        let said = self.said.iter().take(upto).filter_map(|said| match said {
            Said::You(words) => Some(message("user", words)),
            Said::Model(reply) => Some(message("assistant", reply.words())),
            Said::NoReply(_) => None,
        });
        system
            .map(|s| message("system", s))
            .into_iter()
            .chain(said)
            .chain(
                next.filter(|n| !n.trim().is_empty())
                    .map(|n| message("user", n)),
            )
            .collect()
    }

    /// The parts of a task's arguments `args` (the system prompt left out), keeping what
    /// this conversation knows of a reply with the same words at the same place.
    pub fn parts_of(&self, args: &str) -> Vec<Said> {
        let messages = field(args, "/messages")
            .and_then(|m| m.as_array().cloned())
            .unwrap_or_default();
        let mut known = self.said.iter().filter(|s| !matches!(s, Said::NoReply(_)));
        messages
            .iter()
            .filter(|m| m.get("role").and_then(Value::as_str) != Some("system"))
            .map(|m| {
                let words = field_text(m.get("content").cloned());
                let before = known.next();
                if m.get("role").and_then(Value::as_str) != Some("assistant") {
                    return Said::You(words);
                }
                match before {
                    Some(Said::Model(reply)) if reply.words() == words => {
                        Said::Model(reply.clone())
                    }
                    _ => Said::Model(Reply {
                        choices: vec![words],
                        chosen: 0,
                        task: None,
                    }),
                }
            })
            .collect()
    }

    /// Takes in a paid task started at `started_ms` with `args`: the conversation becomes
    /// what it sends, its reply awaited; the draft it sends is cleared.
    pub fn take_in(&mut self, args: &str, started_ms: u64) {
        self.said = self.parts_of(args);
        if matches!(self.said.last(), Some(Said::You(words)) if *words == self.draft) {
            self.draft.clear();
        }
        self.waiting = Some(started_ms);
        self.seen = self.seen.max(started_ms);
    }

    /// The awaited task ended: with `ending` as its last part.
    pub fn end_wait(&mut self, ending: Said) {
        self.said.push(ending);
        self.waiting = None;
    }

    /// Where the last reply (or ended task) is, if the conversation ends with one.
    pub fn last_answer(&self) -> Option<usize> {
        let last = self.said.len().checked_sub(1)?;
        (!matches!(self.said[last], Said::You(_))).then_some(last)
    }
}

/// The system prompt of the arguments `args`, if they have one.
pub fn system_prompt(args: &str) -> Option<String> {
    let first = field(args, "/messages/0")?;
    (first.get("role")? == "system").then(|| field_text(first.get("content").cloned()))
}

/// The conversation of the paying account, its storage, and what the Chat view does with
/// it: send, regenerate, edit and send again, choose a reply, start anew, open a past one.
#[derive(Clone, Copy)]
pub struct Chat {
    /// The account's conversation (the account it belongs to, and it).
    pub conversation: RwSignal<(Option<Address>, Conversation)>,
    studio: Studio,
    profile: StoredValue<NetworkProfile>,
    payer: Payer,
}

/// Makes the chat of `studio`'s account and provides it below the caller; it is kept
/// ([`Chat::keep`]) once the lazily loaded parts are here, which the Chat view and every
/// chat task need anyway.
pub fn provide_chat(state: AppState, studio: Studio) -> Chat {
    let chat = Chat {
        conversation: RwSignal::new((None, Conversation::default())),
        studio,
        profile: state.profile,
        payer: state.payer,
    };
    keep_once_parts_here(Kept::Chat(chat));
    provide_context(chat);
    chat
}

/// The chat.
pub fn use_chat() -> Chat {
    expect_context()
}

impl Chat {
    /// Loads the account's conversation when the account changes, saves it after every
    /// change, takes in the account's chat tasks, and shows in the JSON editor what the next
    /// task sends.
    pub fn keep(self) {
        let (chat, studio, payer) = (self, self.studio, self.payer);
        let conversation = chat.conversation;
        let account = Memo::new(move |_| payer.account());
        Effect::new(move |_| {
            let account = account.get();
            if conversation.with_untracked(|(of, _)| *of == account) {
                return;
            }
            let loaded = account
                .and_then(|account| load(&chat.key(account)))
                .and_then(|text| read_kept(&text))
                .unwrap_or_default();
            conversation.set((account, loaded));
        });
        Effect::new(move |_| {
            conversation.with(|(account, conversation)| {
                if let (Some(account), Ok(text)) = (account, serde_json::to_string(conversation)) {
                    save(&chat.key(*account), &text);
                }
            });
        });
        // The account's chat task: taken in once paid, its reply (or its end) added.
        let (run, files) = (studio.run, studio.flow.with_value(|flow| flow.files));
        Effect::new(move |_| {
            let Some(run) = run.get().filter(|run| run.task_type == TaskType::Gpt) else {
                return;
            };
            let reply = files.with(|files| reply_of(files));
            let (account, mut changed) = conversation.get_untracked();
            if account != Some(run.creator) {
                return;
            }
            if run.started_ms > changed.seen && run.is_paid() && run.args_known() {
                changed.take_in(&run.args, run.started_ms);
            }
            if changed.waiting == Some(run.started_ms) {
                match (&run.outcome, reply) {
                    (Some(Outcome::Success { .. }), Some((reply, verified))) => {
                        changed.end_wait(Said::Model(Reply::of_task(
                            &reply,
                            run.task_id().unwrap_or_default(),
                            verified,
                        )))
                    }
                    (Some(Outcome::Aborted { .. }), _) => changed.end_wait(no_reply(&run)),
                    _ => {}
                }
            } else if changed.waiting.is_some_and(|w| run.started_ms > w) {
                changed.end_wait(Said::NoReply(
                    "No reply here: this task's reply was not downloaded. The History has the task."
                        .into(),
                ));
            }
            conversation.update(|(_, conversation)| {
                if *conversation != changed {
                    *conversation = changed;
                }
            });
        });
        // The JSON editor shows what the next task sends: the conversation and the draft.
        let form = studio.form;
        Effect::new(move |_| {
            let text = form.text_of(TaskType::Gpt);
            let system = text.with(|text| system_prompt(text));
            let messages = conversation.with(|(_, c)| {
                Value::Array(c.messages(system.as_deref(), c.said.len(), Some(&c.draft)))
            });
            let current = text.with(|text| field(text, "/messages"));
            if current.as_ref() != Some(&messages) {
                if let Some(edited) = text.with_untracked(|t| with_field(t, "/messages", messages))
                {
                    text.set(edited);
                }
            }
        });
    }

    /// Where the conversation of `account` is kept in this browser.
    fn key(&self, account: Address) -> String {
        self.profile
            .with_value(|profile| format!("{}chat", account_prefix(profile, account)))
    }

    /// Changes the conversation.
    fn change(&self, change: impl FnOnce(&mut Conversation)) {
        self.conversation
            .update(|(_, conversation)| change(conversation));
    }

    /// Pays for a task that sends the first `upto` parts and `next`, with a new seed if asked.
    fn pay(&self, upto: usize, next: Option<&str>, new_seed: bool) {
        let form = self.studio.form;
        let text = form.text_of(TaskType::Gpt).get_untracked();
        let messages = self
            .conversation
            .with_untracked(|(_, c)| c.messages(system_prompt(&text).as_deref(), upto, next));
        let mut args = with_field(&text, "/messages", Value::Array(messages));
        if new_seed {
            args = args.and_then(|args| with_field(&args, "/seed", random_seed().into()));
        }
        if let Some(args) = args {
            self.studio.generate.dispatch(Some(args));
        }
    }

    /// Whether a message can be sent now (tracked).
    pub fn can_send(&self) -> bool {
        self.studio.can_generate() && self.conversation.with(|(_, c)| c.waiting.is_none())
    }

    /// Whether a task of this conversation is being paid for or awaited (tracked).
    pub fn busy(&self) -> bool {
        self.conversation.with(|(_, c)| c.waiting.is_some())
            || self.studio.generate.pending().get()
            || self.studio.advance.pending().get()
    }

    /// Sends the draft, with the whole conversation before it.
    pub fn send(&self) {
        let (all, draft) = self
            .conversation
            .with_untracked(|(_, c)| (c.said.len(), c.draft.clone()));
        if !draft.trim().is_empty() && untrack(|| self.can_send()) {
            self.pay(all, Some(&draft), false);
        }
    }

    /// Asks for the last reply again (a new seed): it is replaced once the task is paid.
    pub fn regenerate(&self) {
        if let Some(last) = self.conversation.with_untracked(|(_, c)| c.last_answer()) {
            self.pay(last, None, true);
        }
    }

    /// Sends `words` in place of the user's message at `index`, dropping what followed it
    /// once the task is paid.
    pub fn resend(&self, index: usize, words: &str) {
        if !words.trim().is_empty() {
            self.pay(index, Some(words), false);
        }
    }

    /// The draft, as typed.
    pub fn set_draft(&self, draft: String) {
        self.change(|c| c.draft = draft);
    }

    /// Shows the next (`by` 1) or previous (`by` -1) choice of the reply at `index`, going
    /// round: the one the next turn sends.
    pub fn step_choice(&self, index: usize, by: isize) {
        self.change(|c| {
            if let Some(Said::Model(reply)) = c.said.get_mut(index) {
                let count = reply.choices.len().max(1) as isize;
                reply.chosen = (reply.chosen as isize + by).rem_euclid(count) as usize;
            }
        });
    }

    /// A new, empty conversation (the current task is not taken in).
    pub fn start_anew(&self) {
        let current = self.current_started();
        self.change(|c| {
            *c = Conversation {
                seen: c.seen.max(current),
                ..Conversation::default()
            }
        });
    }

    fn current_started(&self) -> u64 {
        self.studio
            .run
            .with_untracked(|run| run.as_ref().map_or(0, |run| run.started_ms))
    }

    /// Opens the chat task of `flow` as the conversation: its arguments asked of the relay
    /// when this browser does not hold them, its reply downloaded if not yet (each a
    /// signature for a browser wallet), then the Chat view.
    pub async fn open(self, flow: Flow) -> Result<(), TaskError> {
        if flow
            .run
            .with_untracked(|run| run.as_ref().is_some_and(|r| !r.args_known()))
        {
            flow.fetch_args().await?;
        }
        flow.clone().advance().await?;
        let Some(run) = flow.run.get_untracked() else {
            return Ok(());
        };
        let reply = flow
            .files
            .with_untracked(|files| reply_of(files))
            .map(|(reply, verified)| {
                Reply::of_task(&reply, run.task_id().unwrap_or_default(), verified)
            });
        let current = self.current_started();
        self.change(|c| *c = opened(&run, reply, c.seen.max(current)));
        // Its model, system prompt and settings go on with it.
        self.studio.form.text_of(TaskType::Gpt).set(run.args);
        go(View::Chat);
        Ok(())
    }
}

/// The GPT reply among downloaded `files`, with its check.
fn reply_of(files: &[ResultFile]) -> Option<(GptResponse, Result<(), String>)> {
    files.iter().find_map(|file| match &file.content {
        ResultContent::Reply(reply) => Some((reply.clone(), file.verified.clone())),
        ResultContent::Image(_) => None,
    })
}

/// What the thread says of the chat task `run` that was aborted: why, and where its fee
/// went.
fn no_reply(run: &TaskRun) -> Said {
    let why = match &run.outcome {
        Some(Outcome::Aborted { reason, .. }) => explain_abort(reason),
        _ => String::new(),
    };
    let refund = run
        .refund_words()
        .map(|r| format!(" {r}"))
        .unwrap_or_default();
    Said::NoReply(format!("No reply: {why}{refund}"))
}

/// The conversation of the past chat task `run` with its `reply`, if any.
fn opened(run: &TaskRun, reply: Option<Reply>, seen: u64) -> Conversation {
    let mut conversation = Conversation {
        seen: seen.max(run.started_ms),
        ..Conversation::default()
    };
    conversation.said = conversation.parts_of(&run.args);
    match (reply, &run.outcome) {
        (Some(reply), _) => conversation.said.push(Said::Model(reply)),
        (None, Some(Outcome::Aborted { .. })) => conversation.said.push(no_reply(run)),
        _ => {}
    }
    conversation
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(words: &[&str], task_id: u64) -> Reply {
        Reply {
            choices: words.iter().map(|w| w.to_string()).collect(),
            chosen: 0,
            task: Some(ReplyTask {
                task_id,
                usage: String::new(),
                cut: vec![false; words.len()],
                verified: Ok(()),
            }),
        }
    }

    fn two_turns() -> Conversation {
        let mut chosen = reply(&["A GPU draws.", "A GPU computes."], 7);
        chosen.chosen = 1;
        Conversation {
            said: vec![
                Said::You("What is a GPU?".into()),
                Said::Model(chosen),
                Said::NoReply("No reply: aborted.".into()),
                Said::You("And a <b>TPU</b>?".into()),
            ],
            draft: "Thanks".into(),
            waiting: None,
            seen: 5,
        }
    }

    #[test]
    fn a_task_sends_the_system_prompt_the_chosen_replies_and_the_draft() {
        let c = two_turns();
        let all = c.messages(Some("Be brief."), c.said.len(), Some(&c.draft));
        assert_eq!(
            all,
            vec![
                json!({"role": "system", "content": "Be brief."}),
                json!({"role": "user", "content": "What is a GPU?"}),
                json!({"role": "assistant", "content": "A GPU computes."}),
                json!({"role": "user", "content": "And a <b>TPU</b>?"}),
                json!({"role": "user", "content": "Thanks"}),
            ]
        );
        // Editing the first message sends it alone; an empty draft is not sent.
        assert_eq!(
            c.messages(None, 0, Some("What is a CPU?")),
            vec![json!({"role": "user", "content": "What is a CPU?"})]
        );
        assert_eq!(c.messages(None, 1, Some("  ")).len(), 1);
    }

    #[test]
    fn a_paid_task_becomes_the_conversation_keeping_what_is_known_of_its_replies() {
        let mut c = two_turns();
        let text =
            |messages: Vec<Value>| json!({"model": "gpt2", "messages": messages}).to_string();
        let args = text(c.messages(Some("Be brief."), c.said.len(), Some("Thanks")));
        c.take_in(&args, 9);
        assert_eq!(c.waiting, Some(9));
        assert_eq!(c.seen, 9);
        assert_eq!(c.draft, "", "the sent draft leaves the composer");
        assert_eq!(c.said.len(), 4, "the ended task is not sent, so not kept");
        let Said::Model(kept) = &c.said[1] else {
            panic!("{:?}", c.said)
        };
        assert_eq!(
            (kept.chosen, kept.task.as_ref().map(|t| t.task_id)),
            (1, Some(7))
        );
        assert_eq!(c.said[3], Said::You("Thanks".into()));
        c.end_wait(Said::Model(reply(&["Welcome."], 10)));
        assert_eq!((c.waiting, c.last_answer()), (None, Some(4)));

        // A reply with other words than the one known is not taken as checked.
        let mut other = two_turns();
        let edited = json!({"model": "gpt2", "messages": [
            {"role": "user", "content": "What is a GPU?"},
            {"role": "assistant", "content": "Something else"},
            {"role": "user", "content": "Another draft"},
        ]});
        other.take_in(&edited.to_string(), 11);
        assert_eq!(other.draft, "Thanks", "a draft not sent stays");
        assert!(matches!(&other.said[1], Said::Model(r) if r.task.is_none()));
    }

    #[test]
    fn the_system_prompt_is_read_from_the_first_message_only() {
        let args = |m: Value| json!({"messages": m}).to_string();
        assert_eq!(
            system_prompt(&args(json!([{"role": "system", "content": "Be brief."}]))),
            Some("Be brief.".into())
        );
        assert_eq!(
            system_prompt(&args(json!([{"role": "user", "content": "Hi"}]))),
            None
        );
        assert_eq!(system_prompt("not json"), None);
    }

    #[test]
    fn a_conversation_is_read_by_hand_as_serde_s_derived_reader_reads_it() {
        let mut unverified = reply(&["<b>one</b>", "two"], u64::MAX);
        if let Some(task) = &mut unverified.task {
            task.verified = Err("the file is not the result".into());
            task.cut = vec![true, false];
        }
        unverified.chosen = 1;
        let said = vec![
            Said::You("hi".into()),
            Said::Model(reply(&["hello"], 1)),
            Said::Model(unverified),
            Said::Model(Reply {
                task: None,
                ..reply(&["known from a later task"], 2)
            }),
            Said::NoReply("cancelled".into()),
        ];
        // One part each: the edits reach into the first of a list only.
        let mut examples: Vec<Conversation> = said
            .into_iter()
            .map(|said| Conversation {
                said: vec![said],
                draft: "and then?".into(),
                waiting: Some(1_700_000_000_000),
                seen: 3,
            })
            .collect();
        examples.push(Conversation::default());
        let mut others = crynux_protocol::read::every_kind();
        others.extend([
            json!({"Ok": null}),
            json!({"Err": "e"}),
            json!({"You": "y"}),
        ]);
        let (read, documents) =
            crynux_protocol::read::assert_read_as_serde_reads(&examples, &others);
        assert!(read >= 40, "only {read} of {documents} read");
    }
}
