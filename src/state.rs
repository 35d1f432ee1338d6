//! What every view shares, provided once at the root: the network profile, who pays, the
//! paying account's balances, approvals and the view shown. Views reach it with
//! [`use_app`].

use crynux_protocol::profile::{Contracts, NetworkProfile};
use crynux_protocol::Address;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::approval::{use_approval, Approval};
use crate::chain::{AccountInfo, ChainReader};
use crate::error::TaskError;
use crate::lazy::{parts_here, read_account};
use crate::payer::{use_payer, Payer};
use crate::route::{use_view, View};

/// The paying account's ETH, CNX, allowance and gas price to the Task contract: read by the
/// lazily loaded parts once they are here (the first screen fetches them when idle), and
/// again when the paying account changes or `refresh` is bumped (the last reading stays
/// meanwhile). A signal, not a `LocalResource`: the first screen then carries none of
/// Leptos's async machinery (7 KB brotli).
#[derive(Clone, Copy)]
pub struct Balances {
    payer: Payer,
    /// The latest reading's answer, and whose balances they are.
    read: RwSignal<Option<(Address, Result<AccountInfo, TaskError>)>>,
}

impl Balances {
    fn new(payer: Payer, refresh: RwSignal<u32>, chain: ChainReader, contracts: Contracts) -> Self {
        let read = RwSignal::new(None);
        // Only the latest reading's answer is kept.
        let latest = StoredValue::new(0u32);
        Effect::watch(
            move || (payer.account().filter(|_| parts_here()), refresh.get()),
            move |&(account, _), _, _| {
                let reading = latest.get_value() + 1;
                latest.set_value(reading);
                let (Some(account), chain) = (account, chain.clone()) else {
                    return;
                };
                spawn_local(async move {
                    // The part is fetched (if it can be), then it reads.
                    let answer = async {
                        let answer = read_account(chain, contracts, account).await?;
                        Ok::<_, TaskError>(answer.await?)
                    };
                    let answer = answer.await;
                    if latest.try_get_value() == Some(reading) {
                        read.try_set(Some((account, answer)));
                    }
                });
            },
            true,
        );
        Self { payer, read }
    }

    /// The paying account's balances (tracked): `None` while no account pays, or until they
    /// are first read; never another account's.
    pub fn get(&self) -> Option<Result<AccountInfo, TaskError>> {
        let account = self.payer.account()?;
        self.read.with(|read| match read {
            Some((of, answer)) if *of == account => Some(answer.clone()),
            _ => None,
        })
    }
}

/// The app's shared state.
#[derive(Clone, Copy)]
pub struct AppState {
    /// The network.
    pub profile: StoredValue<NetworkProfile>,
    /// Who pays: the session wallet while unlocked, else the user's wallet.
    pub payer: Payer,
    /// The paying account's ETH, CNX and allowance.
    pub info: Balances,
    /// Bumped to read the balances (and the history) again.
    pub refresh: RwSignal<u32>,
    /// Approvals from the user's wallet.
    pub approval: Approval,
    /// The view shown.
    pub view: ReadSignal<View>,
}

/// Makes the state for `profile` and provides it to every component below the caller.
pub fn provide_app(profile: &NetworkProfile) -> AppState {
    let payer = use_payer(profile);
    let refresh = RwSignal::new(0u32);
    let chain = ChainReader::new(&profile.rpc_url);
    let info = Balances::new(payer, refresh, chain, profile.contracts);
    let state = AppState {
        profile: StoredValue::new(profile.clone()),
        payer,
        info,
        refresh,
        approval: use_approval(profile, payer.wallet, refresh),
        view: use_view(),
    };
    provide_context(state);
    state
}

/// The app's shared state.
pub fn use_app() -> AppState {
    expect_context()
}

impl AppState {
    /// The network profile (cloned).
    pub fn profile(&self) -> NetworkProfile {
        self.profile.get_value()
    }
}
