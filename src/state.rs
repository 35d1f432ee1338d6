//! What every view shares, provided once at the root: the network profile, who pays, the
//! paying account's balances, approvals and the view shown. Views reach it with
//! [`use_app`].

use crynux_protocol::profile::NetworkProfile;
use leptos::prelude::*;

use crate::approval::{use_approval, Approval};
use crate::chain::{AccountInfo, ChainReader};
use crate::error::TaskError;
use crate::lazy::{parts_here, read_account};
use crate::payer::{use_payer, Payer};
use crate::route::{use_view, View};

/// The paying account's balances: `None` while no account pays, or before the lazily loaded
/// parts that read them are here.
pub type Balances = LocalResource<Option<Result<AccountInfo, TaskError>>>;

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
    let contracts = profile.contracts;
    let info = LocalResource::new(move || {
        // Read by the parts once they are here (the first screen fetches them when idle),
        // and again if they arrive only after a failed fetch.
        let account = payer.account().filter(|_| parts_here());
        refresh.track();
        let chain = chain.clone();
        async move {
            let account = account?;
            // The part is fetched (if it can be), then it reads.
            let read = async {
                let reading = read_account(chain, contracts, account).await?;
                Ok::<_, TaskError>(reading.await?)
            };
            Some(read.await)
        }
    });
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
