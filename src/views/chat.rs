//! Chat tasks: the conversation builder, the button that pays, and the current chat task.

use crynux_protocol::args::TaskType;
use leptos::prelude::*;

use crate::components::StudioLayout;

/// The Chat view.
#[component]
pub fn ChatView() -> impl IntoView {
    view! {
        <StudioLayout kind=TaskType::Gpt title="Chat" options="Conversation" results="Reply"
            empty="The model's reply appears here." />
    }
}
