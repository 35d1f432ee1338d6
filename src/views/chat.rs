//! Chat tasks: the conversation builder, the button that pays, and the current chat task.

use crynux_protocol::args::TaskType;
use leptos::prelude::*;

use crate::components::{Builder, CurrentTask, GenerateBar};

/// The Chat view.
#[component]
pub fn ChatView() -> impl IntoView {
    view! {
        <h1 class="sr-only">"Chat"</h1>
        <div class="studio chat-studio">
            <section class="studio-options" aria-label="Conversation">
                <Builder kind=TaskType::Gpt />
                <GenerateBar kind=TaskType::Gpt />
            </section>
            <section class="studio-results" aria-labelledby="reply-title">
                <h2 id="reply-title" class="sr-only">"Reply"</h2>
                <CurrentTask kind=TaskType::Gpt empty="The model's reply appears here." />
            </section>
        </div>
    }
}
