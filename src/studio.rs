//! The task being built and the task running, shared by the Images, Chat and History views:
//! the arguments of both task types, the current task of the paying account (picked up
//! where it stopped after a reload), what stands in the way of paying, "Approve and
//! generate", the account's history, and taking a past task back into the builder.

use crynux_protocol::args::form::with_field;
use crynux_protocol::args::TaskType;
use crynux_protocol::units::format_cnx;
use crynux_protocol::Address;
use leptos::prelude::*;
use leptos::reactive::owner::WeakOwner;
use leptos::task::spawn_local;

use crate::browser::{save, unix_millis};
use crate::chain::ChainReader;
use crate::components::args_form::{read_checked, ArgsForm, CHECK_MISSING};
use crate::components::saved_args::{last_used, remember_last};
use crate::components::sd_form::random_seed;
use crate::error::TaskError;
use crate::lazy::{account_history, kept_run, parts_here, Check};
use crate::route::{go, View};
use crate::state::{use_app, AppState};
use crate::task::flow::Flow;
use crate::task::TaskRun;

/// The account's tasks, newest first: `None` while no account pays.
pub type HistoryList = LocalResource<Option<Result<Vec<TaskRun>, TaskError>>>;

/// The builder, the current task and the history.
#[derive(Clone, Copy)]
pub struct Studio {
    /// The arguments being built (both types).
    pub form: ArgsForm,
    /// The current task of the paying account.
    pub run: RwSignal<Option<TaskRun>>,
    /// Its flow (the steps, activity and files).
    pub flow: StoredValue<Flow, LocalStorage>,
    /// Runs the current task's next steps.
    pub advance: Action<(), Result<(), TaskError>>,
    /// Pays for a new task with the form's arguments, or the arguments given (approving
    /// first when the wallet's allowance is short).
    pub generate: Action<Option<String>, Result<(), TaskError>>,
    /// Why a new task cannot be paid for now, in words.
    pub blocker: Memo<Option<String>>,
    /// The same, the arguments aside (a chat checks its message itself).
    pub account_blocker: Memo<Option<String>>,
    /// Whether the wallet must approve CNX before the next task.
    pub needs_approval: Memo<bool>,
    /// The account's tasks: made by [`Studio::history`] at first use.
    history: StoredValue<Option<HistoryList>>,
    /// Where the studio was made (the history is made there too); weak, as the owner holds
    /// the studio.
    owner: StoredValue<Option<WeakOwner>>,
    /// The past task opened in the History view.
    pub opened: RwSignal<Option<TaskRun>>,
}

/// The arguments each task type starts from, as the editor shows them (one field per line):
/// [`SdTaskArgs::new`] of the default model with an empty prompt, [`GptTaskArgs::new`] with
/// one empty message of the user. Written out, so that the first screen serializes no
/// arguments; a test keeps them equal.
const NEW_SD_ARGS: &str = include_str!("new_args/sd.json");
const NEW_GPT_ARGS: &str = include_str!("new_args/gpt.json");

/// The new arguments of each type, the image's with a new seed.
fn initial_args() -> (String, String) {
    let sd = with_field(NEW_SD_ARGS, "/task_config/seed", random_seed().into());
    (sd.unwrap_or_default(), NEW_GPT_ARGS.to_owned())
}

/// Makes the studio of `state` and provides it below the caller.
pub fn provide_studio(state: AppState) -> Studio {
    let AppState {
        payer,
        info,
        refresh,
        approval,
        ..
    } = state;
    let profile = state.profile();
    let (sd, gpt) = initial_args();
    let form = ArgsForm::new(sd, gpt);
    let account = Signal::derive(move || payer.account());
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
    let advance = {
        let flow = flow.clone();
        Action::new_local(move |_: &()| flow.clone().advance())
    };
    // Each account sees only its own current task, and it goes on by itself where it
    // stopped: a reload or a closed tab loses nothing. A task whose payment was never asked
    // for waits for the user. It is read by a part once the parts are here (before any task
    // can be paid for), or by paying, whichever comes first: `restored` is the account whose
    // task has been read.
    let to_resume = RwSignal::new(false);
    let restored = StoredValue::new(None::<Address>);
    let restore = {
        let (flow, profile) = (flow.clone(), profile.clone());
        move |account: Option<Address>| {
            let (flow, profile) = (flow.clone(), profile.clone());
            async move {
                // Read once per account: not again at every payment or repeated notice.
                if restored.get_value() == account {
                    return;
                }
                let stored = match account {
                    Some(account) => kept_run(profile, payer, account).await.ok().flatten(),
                    None => None,
                };
                // Read already, or the account changed meanwhile.
                if restored.get_value() == account || payer.account_untracked() != account {
                    return;
                }
                restored.set_value(account);
                flow.clear_files();
                let (stored, resume) =
                    stored.map_or((None, false), |(run, resume)| (Some(run), resume));
                run.set(stored);
                to_resume.set(resume);
            }
        }
    };
    {
        let restore = restore.clone();
        Effect::new(move |_| {
            let account = payer.account();
            if parts_here() {
                spawn_local(restore(account));
            }
        });
    }
    // ...once the payer is on the network.
    let chain_id = profile.chain_id;
    Effect::new(move |_| {
        if to_resume.get() && payer.on_chain(chain_id) {
            to_resume.set(false);
            advance.dispatch(());
        }
    });

    let fee = profile.task_fee;
    let needs_approval = Memo::new(move |_| {
        !payer.is_session()
            && matches!(info.get(), Some(Ok(info)) if info.allowance < fee && info.cnx >= fee)
    });
    let network = profile.name.clone();
    // What stands in the way besides the arguments: the account, its chain, its CNX, and
    // an unfinished task.
    let account_blocker = Memo::new(move |_| -> Option<String> {
        if payer.account().is_none() {
            return Some("Connect your wallet or unlock the session wallet first.".into());
        }
        if !payer.on_chain(chain_id) {
            return Some(format!("Switch your wallet to {network} first."));
        }
        if let Some(Ok(info)) = info.get() {
            if info.cnx < fee {
                return Some(format!(
                    "You need {} to create a task; this account holds {}.",
                    format_cnx(fee),
                    format_cnx(info.cnx)
                ));
            }
        }
        let unfinished = run.with(|run| run.as_ref().is_some_and(TaskRun::is_running));
        unfinished.then(|| "Your current task is not finished yet.".into())
    });
    let blocker = Memo::new(move |_| {
        let connected = payer.account().is_some() && payer.on_chain(chain_id);
        let arguments = move || {
            form.parsed.with(|parsed| match parsed {
                Some(Ok(_)) => None,
                Some(Err(_)) if form.pristine.get() => Some("Fill in the form first."),
                Some(Err(_)) => Some("Fix the arguments first."),
                None if form.check_missing() => Some(CHECK_MISSING),
                None => Some("Checking the arguments…"),
            })
        };
        connected
            .then(arguments)
            .flatten()
            .map(str::to_owned)
            .or_else(|| account_blocker.get())
    });

    let create_profile = profile.clone();
    let create = {
        let flow = flow.clone();
        move |given: Option<String>, check: Check| {
            let kind = form.kind.get_untracked();
            let text = given.unwrap_or_else(|| form.text().get_untracked());
            let (Some(account), Ok(args)) =
                (payer.account_untracked(), read_checked(check, kind, &text))
            else {
                return;
            };
            flow.clear_files();
            let vram = untrack(|| form.vram_gb()).unwrap_or_else(|| args.default_vram_gb());
            remember_last(account, kind, &text);
            let started_ms = unix_millis();
            save(
                &TaskRun::current_key(&create_profile, account),
                &started_ms.to_string(),
            );
            run.set(Some(TaskRun::new(account, kind, text, vram, started_ms)));
            advance.dispatch(());
        }
    };
    let generate = Action::new_local(move |given: &Option<String>| {
        let approve_first = needs_approval.get_untracked();
        let (create, given, restore) = (create.clone(), given.clone(), restore.clone());
        async move {
            let check = crate::lazy::args_check().await?;
            restore(payer.account_untracked()).await;
            // A task read just now that is not finished: the button says so.
            if run.with_untracked(|run| run.as_ref().is_some_and(TaskRun::is_running)) {
                return Ok(());
            }
            if approve_first {
                approval.approve_chosen(fee).await?;
            }
            create(given, check);
            Ok(())
        }
    });

    let studio = Studio {
        form,
        run,
        flow: StoredValue::new_local(flow),
        advance,
        generate,
        blocker,
        account_blocker,
        needs_approval,
        history: StoredValue::new(None),
        owner: StoredValue::new(Owner::current().map(|owner| owner.downgrade())),
        opened: RwSignal::new(None),
    };
    provide_context(studio);
    studio
}

/// The studio.
pub fn use_studio() -> Studio {
    expect_context()
}

impl Studio {
    /// The account's tasks, read again as the current one moves on. Made at first use, by
    /// the lazily loaded parts that show it, so that its code is there.
    pub fn history(&self) -> HistoryList {
        if let Some(history) = self.history.get_value() {
            return history;
        }
        let run = self.run;
        let make = move || {
            let app = use_app();
            let (payer, refresh) = (app.payer, app.refresh);
            let profile = app.profile();
            let chain = ChainReader::new(&profile.rpc_url);
            // Read again whenever the current task moves on.
            let version =
                move || run.with(|run| run.as_ref().map(|run| (run.task_id(), run.state_words())));
            LocalResource::new(move || {
                let account = payer.account();
                version();
                refresh.track();
                let (chain, profile) = (chain.clone(), profile.clone());
                async move {
                    match account {
                        Some(account) => {
                            Some(match account_history(chain, profile, account).await {
                                Ok(history) => history.await.map_err(TaskError::from),
                                Err(missing) => Err(missing.into()),
                            })
                        }
                        None => None,
                    }
                }
            })
        };
        let history = match self.owner.get_value().and_then(|owner| owner.upgrade()) {
            Some(owner) => owner.with(make),
            None => make(),
        };
        self.history.set_value(Some(history));
        history
    }

    /// Whether a new task can be paid for now (tracked): nothing stands in the way and no
    /// payment or step is under way.
    pub fn can_generate(&self) -> bool {
        self.blocker.with(Option::is_none)
            && !self.generate.pending().get()
            && !self.advance.pending().get()
    }

    /// The seed of the current task, if it is an image task.
    pub fn last_seed(&self) -> Signal<Option<u32>> {
        let run = self.run;
        Signal::derive(move || run.with(|run| run.as_ref()?.seed()))
    }

    /// A past task's arguments back in the builder of its view, with a new seed if asked.
    pub fn run_again(&self, past: &TaskRun, new_seed: bool) {
        self.form.text_of(past.task_type).set(past.args.clone());
        self.form.kind.set(past.task_type);
        if new_seed {
            self.form
                .set_field("/task_config/seed", random_seed().into());
        }
        go(view_of(past.task_type));
    }

    /// `seed` in the image builder.
    pub fn use_seed(&self, seed: u32) {
        self.form.kind.set(TaskType::StableDiffusion);
        self.form.set_field("/task_config/seed", seed.into());
        go(View::Images);
    }
}

/// The view that builds and shows tasks of `kind`.
pub fn view_of(kind: TaskType) -> View {
    match kind {
        TaskType::StableDiffusion => View::Images,
        TaskType::Gpt => View::Chat,
    }
}

#[cfg(test)]
mod tests {
    use crynux_protocol::args::{GptTaskArgs, Message, Role, SdTaskArgs, TaskArgs};
    use crynux_protocol::args::{DEFAULT_BASE_MODEL, DEFAULT_GPT_MODEL};
    use serde_json::Value;

    use super::*;

    /// `args` as the editor shows them.
    fn pretty(args: TaskArgs) -> String {
        let value: Value = serde_json::from_str(&args.to_json()).unwrap();
        serde_json::to_string_pretty(&value).unwrap()
    }

    #[test]
    fn new_arguments_are_those_of_the_protocol() {
        let gpt = GptTaskArgs::new(DEFAULT_GPT_MODEL, vec![Message::new(Role::User, "")]);
        assert_eq!(NEW_GPT_ARGS, pretty(TaskArgs::Gpt(gpt)));
        for seed in [0, 1, 4_294_967, 2_147_483_647] {
            let mut sd = SdTaskArgs::new(DEFAULT_BASE_MODEL, "");
            sd.task_config.seed = seed;
            let seeded = with_field(NEW_SD_ARGS, "/task_config/seed", seed.into());
            assert_eq!(seeded.as_deref(), Some(pretty(TaskArgs::Sd(sd)).as_str()));
        }
    }
}
