//! Reusable view components.

mod account_panel;
mod args_form;
mod error_list;
mod gpt_form;
mod history;
mod network_panel;
mod saved_args;
mod sd_form;
mod session_panel;
mod task_panel;
mod task_view;
mod wallet_panel;

pub use account_panel::AccountPanel;
pub use error_list::ErrorList;
pub use network_panel::NetworkPanel;
pub use session_panel::SessionPanel;
pub use task_panel::TaskPanel;
pub use task_view::TaskView;
pub use wallet_panel::WalletPanel;
