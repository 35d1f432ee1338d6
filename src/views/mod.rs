//! The app's screens, one per [`crate::route::View`].

mod chat;
mod history;
mod images;
mod wallet;

pub use chat::ChatView;
pub use history::HistoryView;
pub use images::{ImagesView, RecentImages};
pub use wallet::WalletView;
