//! The paying account's current task, in the view of its type; in the other view, a line
//! that says it is running and links to it.

use crynux_protocol::args::TaskType;
use leptos::prelude::*;

use crate::lazy::{lazy_view, ViewPart};
use crate::studio::{use_studio, view_of};

/// The current task if it is a `kind` task; `empty` when there is none.
#[component]
pub fn CurrentTask(kind: TaskType, empty: &'static str) -> impl IntoView {
    let studio = use_studio();
    let run = studio.run;
    let shown_kind = Memo::new(move |_| run.with(|run| run.as_ref().map(|run| run.task_type)));
    let running_elsewhere = move || {
        run.with(|run| {
            run.as_ref()
                .is_some_and(|r| r.task_type != kind && r.is_running())
        })
    };
    move || match shown_kind.get() {
        Some(of) if of == kind => lazy_view(ViewPart::Task).into_any(),
        other => {
            let elsewhere = other.filter(|_| running_elsewhere()).map(view_of);
            view! {
                <p class="hint placeholder">
                    {match elsewhere {
                        Some(view) => view! {
                            "Your " {view.name().to_ascii_lowercase()} " task is running. "
                            <a href=view.hash()>{format!("See it in {}", view.name())}</a>
                        }.into_any(),
                        None => empty.into_any(),
                    }}
                </p>
            }
            .into_any()
        }
    }
}
