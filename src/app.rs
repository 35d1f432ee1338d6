//! The page: header, then the network the app talks to.

use leptos::prelude::*;

use crate::components::{ErrorList, NetworkPanel, WalletPanel};
use crate::network::load_profile;

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
                        profile.await.map(|profile| {
                            view! {
                                <WalletPanel profile=profile.clone() />
                                <NetworkPanel profile />
                            }
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        </main>
    }
}
