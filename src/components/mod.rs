//! Pieces the views are made of.

mod account_panel;
mod approval_choice;
pub(crate) mod args_form;
mod builder;
mod current_task;
mod gpt_form;
mod header;
mod history;
mod network_panel;
pub(crate) mod saved_args;
pub(crate) mod sd_form;
mod session_panel;
mod task_view;

pub use account_panel::AccountPanel;
pub use approval_choice::ApprovalChoice;
pub use builder::{pay_label, Builder, GenerateBar, PayFailure, PayNotes, Problems, UnknownKeys};
pub use current_task::CurrentTask;
pub use gpt_form::GptForm;
pub use header::{AccountMenu, Header};
pub use history::History;
pub use network_panel::NetworkPanel;
pub use sd_form::SdForm;
pub use session_panel::SessionPanel;
pub use task_view::{TaskView, Verified};
