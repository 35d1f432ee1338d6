//! Reusable view components.

mod error_list;
mod network_panel;
mod wallet_panel;

pub use error_list::ErrorList;
pub use network_panel::NetworkPanel;
pub use wallet_panel::WalletPanel;
