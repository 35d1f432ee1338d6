//! The app's views and their addresses. A view lives in the address's fragment
//! (`#/images`, `#/chat`, `#/history`, `#/wallet`), so every view survives a reload on any
//! static host (a plain file server, an IPFS gateway) with no server-side fallback, and the
//! query (`?network=`) stays as it is.

use leptos::prelude::*;

/// A screen of the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The image studio (the default).
    Images,
    /// Chat tasks.
    Chat,
    /// The account's tasks.
    History,
    /// The session wallet, approvals and the network.
    Wallet,
}

impl View {
    /// Every view, in the order the header lists them.
    pub const ALL: [View; 4] = [View::Images, View::Chat, View::History, View::Wallet];

    /// Its name in the header.
    pub fn name(self) -> &'static str {
        match self {
            View::Images => "Images",
            View::Chat => "Chat",
            View::History => "History",
            View::Wallet => "Wallet & settings",
        }
    }

    /// Its address fragment.
    pub fn hash(self) -> &'static str {
        match self {
            View::Images => "#/images",
            View::Chat => "#/chat",
            View::History => "#/history",
            View::Wallet => "#/wallet",
        }
    }

    /// The view of an address fragment; `None` for one that names no view (an in-page
    /// anchor), the empty one included.
    pub fn from_hash(hash: &str) -> Option<View> {
        View::ALL.into_iter().find(|view| view.hash() == hash)
    }
}

/// The view in the address, following links, the back and forward buttons and [`go`]. An
/// empty fragment is the Images view; a fragment that names no view leaves it as it is.
pub fn use_view() -> ReadSignal<View> {
    let current = || View::from_hash(&window().location().hash().unwrap_or_default());
    let (view, set_view) = signal(current().unwrap_or(View::Images));
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        if let Some(next) = current() {
            set_view.set(next);
        }
    });
    on_cleanup(move || listener.remove());
    view
}

/// Shows `view` (a new history entry, as a link would).
pub fn go(view: View) {
    let _ = window().location().set_hash(view.hash());
}
