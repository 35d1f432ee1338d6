//! The page: header, then the wallet, the session wallet, the paying account, a new task
//! and the network.

use crynux_protocol::profile::NetworkProfile;
use leptos::prelude::*;

use crate::chain::{read_account, ChainReader};
use crate::components::{
    AccountPanel, ErrorList, NetworkPanel, SessionPanel, TaskPanel, WalletPanel,
};
use crate::network::load_profile;
use crate::payer::use_payer;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let search = window().location().search().unwrap_or_default();
    let profile = LocalResource::new(move || load_profile(search.clone()));
    view! {
        <header class="top-bar">
            <span class="brand">"Crynux"</span>
            <span class="tagline">"Images and chat from a decentralized GPU network"</span>
        </header>
        <main>
            <Transition fallback=|| {
                view! { <p class="status" role="status">"Loading the network profile…"</p> }
            }>
                <ErrorBoundary fallback=|errors| view! { <ErrorList errors /> }>
                    {move || Suspend::new(async move {
                        profile.await.map(|profile| view! { <Session profile /> })
                    })}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}

/// Everything that depends on the network profile and the wallet.
#[component]
fn Session(profile: NetworkProfile) -> impl IntoView {
    let payer = use_payer(&profile);
    let wallet = payer.wallet;
    let refresh = RwSignal::new(0u32);
    let chain = ChainReader::new(&profile.rpc_url);
    let contracts = profile.contracts;
    let info = LocalResource::new(move || {
        let account = payer.account();
        refresh.track();
        let chain = chain.clone();
        async move {
            match account {
                Some(account) => Some(read_account(&chain, &contracts, account).await),
                None => None,
            }
        }
    });
    view! {
        <WalletPanel wallet profile=profile.clone() />
        <SessionPanel profile=profile.clone() payer info refresh />
        {
            let profile = profile.clone();
            // Mounted once an account pays, kept while the payer changes.
            let has_payer = Memo::new(move |_| payer.account().is_some());
            move || has_payer.get().then(|| view! {
                <AccountPanel profile=profile.clone() payer info refresh />
            })
        }
        <TaskPanel profile=profile.clone() payer info refresh />
        <NetworkPanel profile />
    }
}
