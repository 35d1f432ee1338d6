//! The account's tasks.

use leptos::prelude::*;

use crate::components::History;

/// The History view.
#[component]
pub fn HistoryView() -> impl IntoView {
    view! {
        <h1 class="sr-only">"History"</h1>
        <History />
    }
}
