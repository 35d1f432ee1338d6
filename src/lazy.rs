//! The parts of the app the first screen does not need: the arguments' check (the compiled
//! schemas), the task's steps and view, the approvals, the account's history, the
//! ControlNet image tools, the saved arguments, and the Chat, History and Wallet views. In
//! release builds for the browser (the `split` cfg, set by build.rs) they are a module of
//! their own, split off by `scripts/split.mjs` and fetched when one is first called. The
//! first is the arguments' check, which the form asks for when the page is next idle after
//! the first screen (`ArgsForm::new`, on every view): that fetches the module behind the
//! first screen, so that no click waits for it. Elsewhere (`trunk serve`, the tests) they
//! are plain calls.
// The split's loader links the parts through `extern "C"` functions it generates.
#![allow(unsafe_code)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crynux_protocol::args::{ArgsError, TaskArgs, TaskType};
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::{Address, H256, U256};
use leptos::prelude::*;
use serde_json::Value;

use crate::approval::Approver;
use crate::chain::{ChainError, ChainReader};
use crate::error::TaskError;
use crate::task::flow::Flow;
use crate::task::TaskRun;

/// A part of the app could not be fetched (the network or the server failed); calling it
/// again fetches it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartMissing;

impl fmt::Display for PartMissing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Part of the app could not be downloaded. Check your connection and try again.")
    }
}

impl From<leptos::wasm_split::SplitLoaderError> for PartMissing {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        Self
    }
}

/// `pub fn name(args) -> T { body }` as `pub async fn name(args) -> Result<T, PartMissing>`,
/// split off (`split`) into the one module that holds every part: one module is 26 KB
/// smaller in all than a module per part and the chunks of code they share.
macro_rules! part {
    ($(#[$doc:meta])* pub fn $name:ident($($arg:ident: $ty:ty),*) -> $out:ty $body:block) => {
        $(#[$doc])*
        #[cfg(split)]
        #[leptos::wasm_split::wasm_split(parts, wasm_split_path = ::leptos::wasm_split, fallible)]
        pub fn $name($($arg: $ty),*) -> Result<$out, PartMissing> {
            Ok($body)
        }

        $(#[$doc])*
        #[cfg(not(split))]
        pub async fn $name($($arg: $ty),*) -> Result<$out, PartMissing> {
            Ok($body)
        }
    };
}

/// Reads arguments as the network takes them: against the schema of their type, then the
/// options' combinations.
pub type Check = fn(TaskType, Value) -> Result<TaskArgs, ArgsError>;

part! {
    /// The arguments' check.
    pub fn args_check() -> Check {
        TaskArgs::from_value_checked
    }
}

/// The arguments' check where it needs no fetching: where the parts are not split off.
pub fn args_check_built_in() -> Option<Check> {
    #[cfg(split)]
    return None;
    #[cfg(not(split))]
    return Some(TaskArgs::from_value_checked);
}

/// Work a part does once it is fetched.
pub type Later<T> = Pin<Box<dyn Future<Output = T>>>;

part! {
    /// Runs the task's steps until it needs the user or is finished.
    pub fn run_steps(flow: Flow) -> Later<Result<(), TaskError>> {
        Box::pin(async move { flow.run_steps().await })
    }
}

part! {
    /// Approves `amount` from the wallet and waits until it is mined.
    pub fn approve(approver: Approver, amount: U256) -> Later<Result<(), TaskError>> {
        Box::pin(approver.send(amount))
    }
}

part! {
    /// Waits until the approval `hash`, sent before a reload, is mined.
    pub fn approval_mined(
        approver: Approver,
        account: Address,
        hash: H256
    ) -> Later<Result<(), TaskError>> {
        Box::pin(approver.wait_mined(account, hash))
    }
}

part! {
    /// Every task of `creator`, newest first (the History view, the recent images and chats).
    pub fn account_history(
        chain: ChainReader,
        profile: NetworkProfile,
        creator: Address
    ) -> Later<Result<Vec<TaskRun>, ChainError>> {
        Box::pin(async move {
            crate::task::history::account_history(&chain, &profile, creator).await
        })
    }
}

/// A view as its component: called where it is shown, so that it belongs there.
pub type MakeView = fn() -> AnyView;

part! {
    /// The current task, in the Images view.
    pub fn task_view() -> MakeView {
        || {
            let studio = crate::studio::use_studio();
            view! { <crate::components::TaskView flow=studio.flow.get_value() advance=studio.advance /> }
                .into_any()
        }
    }
}

part! {
    /// The ControlNet image, weight and preprocess controls of the image builder.
    pub fn controlnet_tools() -> MakeView {
        || {
            let form = crate::studio::use_studio().form;
            view! { <crate::components::sd_form::ControlnetTools form /> }.into_any()
        }
    }
}

part! {
    /// The builder's saved arguments.
    pub fn saved_args() -> MakeView {
        || view! { <crate::components::saved_args::SavedArgs /> }.into_any()
    }
}

part! {
    /// The Chat view.
    pub fn chat_view() -> MakeView {
        || view! { <crate::views::ChatView /> }.into_any()
    }
}

part! {
    /// The History view.
    pub fn history_view() -> MakeView {
        || view! { <crate::views::HistoryView /> }.into_any()
    }
}

part! {
    /// The Wallet & settings view.
    pub fn wallet_view() -> MakeView {
        || view! { <crate::views::WalletView /> }.into_any()
    }
}

/// Runs `work` when the page is next idle (at once where the browser cannot tell).
pub fn when_idle(work: impl Fn() + Clone + 'static) {
    if request_idle_callback_with_handle(work.clone()).is_err() {
        set_timeout(work, std::time::Duration::ZERO);
    }
}

/// The view `part` holds, once fetched: nothing while it is fetched, and if it cannot be,
/// what happened and a button that tries again (under the heading `title` of the page it
/// stands for, if it is one).
pub fn lazy_view<F>(
    part: impl Fn() -> F + Copy + Send + Sync + 'static,
    title: Option<&'static str>,
) -> impl IntoView
where
    F: Future<Output = Result<MakeView, PartMissing>> + 'static,
{
    let fetched = RwSignal::new(None::<Result<MakeView, PartMissing>>);
    let fetch = move || {
        leptos::task::spawn_local(async move {
            let part = part().await;
            // The view may have been left meanwhile.
            fetched.try_set(Some(part));
        })
    };
    fetch();
    move || {
        fetched.get().map(|part| match part {
            Ok(view) => view(),
            Err(missing) => view! {
                {title.map(|title| view! { <h1 class="sr-only">{title}</h1> })}
                <p class="alert" role="alert">
                    {missing.to_string()} " "
                    <button type="button" class="secondary small"
                        on:click=move |_| { fetched.set(None); fetch(); }>"Try again"</button>
                </p>
            }
            .into_any(),
        })
    }
}
