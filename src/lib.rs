//! The Crynux DApp: a Leptos single-page app that lets a person pay for Stable Diffusion and
//! GPT tasks on the Crynux Network from their own wallet. Components live here, in the
//! library, so that browser tests can mount them.

mod app;
pub mod approval;
pub mod browser;
pub mod chain;
pub mod chat;
pub mod components;
pub mod error;
mod lazy;
pub mod network;
pub mod payer;
pub mod relay;
pub mod relay_auth;
pub mod route;
pub mod session;
pub mod state;
pub mod studio;
pub mod task;
pub mod views;
pub mod wallet;

pub use app::App;
