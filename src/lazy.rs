//! The parts of the app the first screen does not need: the arguments' check (the compiled
//! schemas), the task's steps and view, reading the paying account's balances, the approvals,
//! the account's history and recent images, the ControlNet image tools, the image builder's
//! VAE, refiner and textual inversion options, the saved arguments,
//! the account menu, the approval choice, the notice of a task that ended elsewhere, the Chat,
//! History and Wallet views, and what this browser kept that the first screen does not show
//! (the current task of before a reload, the conversation, the approval choice). In release
//! builds for the browser (the `split` cfg, set by build.rs) they are a module of their own,
//! split off by `scripts/split.mjs` and fetched when one is first called. The first is the
//! arguments' check, which the form asks for when the page is next idle after the first
//! screen (`ArgsForm::new`, on every view): that fetches the module behind the first screen,
//! so that no click waits for it; what waits for the parts ([`parts_here`]) then goes on.
//! Elsewhere (`trunk serve`, the tests) they are plain calls, and always here.
// The split's loader links the parts through `extern "C"` functions it generates.
#![allow(unsafe_code)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crynux_protocol::args::{ArgsError, TaskArgs, TaskType};
use crynux_protocol::profile::{Contracts, NetworkProfile};
use crynux_protocol::{Address, H256, U256};
use leptos::prelude::*;
use serde_json::Value;

use crate::approval::{Approval, Approver};
use crate::chain::{AccountInfo, ChainError, ChainReader};
use crate::chat::Chat;
use crate::error::TaskError;
use crate::payer::Payer;
use crate::route::View;
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
            // Once: setting it again would run again what waited for it.
            ARRIVED.with(set_once);
            Ok($body)
        }

        $(#[$doc])*
        #[cfg(not(split))]
        pub async fn $name($($arg: $ty),*) -> Result<$out, PartMissing> {
            Ok($body)
        }
    };
}

#[cfg(split)]
thread_local! {
    /// Set by the first part that arrives: then they all have (one module).
    static ARRIVED: ArcRwSignal<bool> = ArcRwSignal::new(false);
}

/// Whether the parts are here (tracked): once the first of them has been fetched, or always
/// where they are not split off.
pub fn parts_here() -> bool {
    #[cfg(split)]
    return ARRIVED.with(|arrived| arrived.get());
    #[cfg(not(split))]
    return true;
}

/// State the first screen neither shows nor changes: kept (loaded from this browser, saved,
/// followed) by the parts once they are here, so that the code doing it is there.
// Handles to reactive state, made once each: their size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy)]
pub enum Kept {
    /// The conversation ([`Chat::keep`]).
    Chat(Chat),
    /// The approval choice and an approval a reload interrupted ([`Approval::keep`]).
    Approval(Approval),
}

/// Keeps `kept` under the current owner once the parts are here (see [`parts_here`]).
pub fn keep_once_parts_here(kept: Kept) {
    // Weak: the owner holds this effect, and is dropped (its cleanups run) when unmounted.
    let Some(owner) = Owner::current().map(|owner| owner.downgrade()) else {
        return;
    };
    let waiting = StoredValue::new(true);
    Effect::new(move |_| {
        if parts_here() && waiting.get_value() {
            waiting.set_value(false);
            if let Some(owner) = owner.upgrade() {
                // The parts are here: this cannot fail to fetch.
                leptos::task::spawn_local(async move {
                    let _ = keep(owner, kept).await;
                });
            }
        }
    });
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
    /// The current task `account` left in this browser (before a reload), if any, and
    /// whether it goes on by itself with `payer`.
    pub fn kept_run(
        profile: NetworkProfile,
        payer: Payer,
        account: Address
    ) -> Option<(TaskRun, bool)> {
        TaskRun::kept(&profile, account).map(|run| {
            let resumes = run.resumes(&payer);
            (run, resumes)
        })
    }
}

part! {
    /// Keeps `kept` under `owner`.
    pub fn keep(owner: Owner, kept: Kept) -> () {
        owner.with(|| match kept {
            Kept::Chat(chat) => chat.keep(),
            Kept::Approval(approval) => approval.keep(),
        })
    }
}

part! {
    /// `account`'s ETH, CNX and allowance to the Task contract (the header's chip, whether
    /// paying approves first).
    pub fn read_account(
        chain: ChainReader,
        contracts: Contracts,
        account: Address
    ) -> Later<Result<AccountInfo, ChainError>> {
        Box::pin(async move { crate::chain::read_account(&chain, &contracts, account).await })
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

/// The views that are parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewPart {
    /// The current task, in the Images view.
    Task,
    /// The ControlNet image, weight and preprocess controls of the image builder.
    ControlnetTools,
    /// The image builder's VAE, refiner and textual inversion options.
    MoreOptions,
    /// The builder's saved arguments.
    SavedArgs,
    /// The Chat view.
    Chat,
    /// The History view.
    History,
    /// The Wallet & settings view.
    Wallet,
    /// The header's account menu.
    AccountMenu,
    /// How much the Task contract may take, chosen before "Approve and generate".
    ApprovalChoice,
    /// The document title while a task runs, and a notice when a task ends on another view.
    TaskNotice,
    /// The account's last image tasks, under the Images view's results.
    RecentImages,
    /// Why the last payment failed.
    PayFailure,
    /// What the arguments' check found wrong, under the builder.
    Problems,
    /// The keys of the arguments no control shows, in the builder's JSON editor section.
    UnknownKeys,
}

impl ViewPart {
    /// The page it is, if it is one.
    fn page(self) -> Option<View> {
        match self {
            Self::Chat => Some(View::Chat),
            Self::History => Some(View::History),
            Self::Wallet => Some(View::Wallet),
            _ => None,
        }
    }
}

part! {
    /// The component of the view `part`.
    pub fn view_part(part: ViewPart) -> MakeView {
        match part {
            ViewPart::Task => || {
                let studio = crate::studio::use_studio();
                view! { <crate::components::TaskView flow=studio.flow.get_value() advance=studio.advance /> }
                    .into_any()
            },
            ViewPart::ControlnetTools => || {
                let form = crate::studio::use_studio().form;
                view! { <crate::components::sd_form::ControlnetTools form /> }.into_any()
            },
            ViewPart::MoreOptions => || {
                let form = crate::studio::use_studio().form;
                view! { <crate::components::sd_form::MoreOptions form /> }.into_any()
            },
            ViewPart::SavedArgs => || view! { <crate::components::saved_args::SavedArgs /> }.into_any(),
            ViewPart::Chat => || view! { <crate::views::ChatView /> }.into_any(),
            ViewPart::History => || view! { <crate::views::HistoryView /> }.into_any(),
            ViewPart::Wallet => || view! { <crate::views::WalletView /> }.into_any(),
            ViewPart::AccountMenu => || view! { <crate::components::AccountMenu /> }.into_any(),
            ViewPart::ApprovalChoice => || view! { <crate::components::ApprovalChoice /> }.into_any(),
            ViewPart::TaskNotice => || view! { <crate::app::TaskNotice /> }.into_any(),
            ViewPart::RecentImages => || view! { <crate::views::RecentImages /> }.into_any(),
            ViewPart::PayFailure => || view! { <crate::components::PayFailure /> }.into_any(),
            ViewPart::Problems => || view! { <crate::components::Problems /> }.into_any(),
            ViewPart::UnknownKeys => || view! { <crate::components::UnknownKeys /> }.into_any(),
        }
    }
}

/// Sets `flag` unless it is set, and notifies only then: notifying again would run again
/// what follows it (make a view again). Nothing if its owner is gone (the view was left).
pub fn set_once(flag: &impl Update<Value = bool>) {
    flag.try_maybe_update(|set| (!std::mem::replace(set, true), ()));
}

/// Runs `work` when the page is next idle (at once where the browser cannot tell).
pub fn when_idle(work: impl Fn() + Clone + 'static) {
    if request_idle_callback_with_handle(work.clone()).is_err() {
        set_timeout(work, std::time::Duration::ZERO);
    }
}

/// The view `part`, once fetched: nothing while it is fetched, and if it cannot be, what
/// happened and a button that tries again (under the page's heading, if it is a page).
pub fn lazy_view(part: ViewPart) -> impl IntoView {
    let fetched = RwSignal::new(None::<Result<MakeView, PartMissing>>);
    let fetch = move || {
        leptos::task::spawn_local(async move {
            let view = view_part(part).await;
            // The view may have been left meanwhile.
            fetched.try_set(Some(view));
        })
    };
    fetch();
    move || {
        fetched.get().map(|view| match view {
            Ok(view) => view(),
            Err(missing) => view! {
                {part.page().map(|page| view! { <h1 class="sr-only">{page.name()}</h1> })}
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
