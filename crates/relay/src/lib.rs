//! The Crynux Relay of the `createTask` era, API v1: the app uploads task arguments, the
//! nodes fetch them and upload results, the app downloads the results. The relay learns about
//! tasks by following the Task contract's events.

pub mod api;
pub mod auth;
pub mod follower;
pub mod store;

use std::net::SocketAddr;
use std::path::PathBuf;

use crynux_chain::Chain;
use crynux_protocol::profile::NetworkProfile;
use crynux_protocol::signing::SignScheme;

pub use api::{app, AppState};
pub use auth::SignInRules;
pub use store::Store;

/// How a relay is set up.
pub struct Config {
    /// The network whose Task contract is followed.
    pub profile: NetworkProfile,
    /// Where to listen (loopback in tests and on the devnet).
    pub listen: SocketAddr,
    /// Database and result files.
    pub data_dir: PathBuf,
    /// Signature schemes accepted.
    pub schemes: Vec<SignScheme>,
    /// The app origins that may sign in (`http://127.0.0.1:8080`); none: no sign-in.
    pub app_origins: Vec<String>,
}

/// A relay bound to its address, not yet serving.
pub struct Relay {
    listener: tokio::net::TcpListener,
    store: Store,
    config: Config,
}

impl Relay {
    /// Opens the store (running migrations) and binds the listening socket.
    pub async fn bind(config: Config) -> Result<Self, String> {
        let store = Store::open(&config.data_dir).map_err(|e| {
            format!(
                "cannot open the store in {}: {e}",
                config.data_dir.display()
            )
        })?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
        Ok(Self {
            listener,
            store,
            config,
        })
    }

    /// The address it listens on (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.config.listen)
    }

    /// Serves the API and follows the chain until `shutdown` resolves.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), String> {
        let Self {
            listener,
            store,
            config,
        } = self;
        let follower = tokio::spawn(follower::follow(
            Chain::new(&config.profile.rpc_url),
            store.clone(),
            config.profile.contracts.task,
            config.profile.deployment_block,
        ));
        let sign_in = SignInRules {
            app_origins: config.app_origins,
            chain_id: config.profile.chain_id,
        };
        let state = AppState::new(store, config.schemes, sign_in);
        let served = axum::serve(listener, app(state))
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|e| format!("relay stopped: {e}"));
        follower.abort();
        served
    }
}
