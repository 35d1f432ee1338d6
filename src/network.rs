//! Which network profile the app uses (`?network=NAME`, default `devnet`) and how it is
//! fetched from the app's own server (`networks/NAME.json`).

use std::fmt;

use crynux_protocol::profile::NetworkProfile;

use crate::browser::{get, request_failure};

/// The profile used when the address names none: the embedded local network.
pub const DEFAULT_NETWORK: &str = "devnet";

/// Why the network profile could not be used, in words for the person at the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileLoadError {
    /// `?network=` holds something that cannot be a profile name.
    BadName(String),
    /// The request did not get an answer.
    Unreachable {
        /// Where the profile was looked for.
        path: String,
        /// What the browser reported.
        reason: String,
    },
    /// The server answered with an error status.
    Http {
        /// Where the profile was looked for.
        path: String,
        /// The HTTP status.
        status: u16,
    },
    /// The file is not a valid profile.
    Invalid {
        /// Where the profile was found.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for ProfileLoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadName(name) => write!(
                f,
                "“{name}” is not a network name. Use lower-case letters, digits and dashes, \
                 for example ?network={DEFAULT_NETWORK}."
            ),
            Self::Unreachable { path, reason } => write!(
                f,
                "The network profile {path} could not be downloaded ({reason}). Check your \
                 connection and that the app's server is running, then reload the page."
            ),
            Self::Http { path, status: 404 } => write!(
                f,
                "There is no network profile at {path}. Check the network name in the \
                 address (?network=…) or remove it to use the {DEFAULT_NETWORK} network."
            ),
            Self::Http { path, status } => write!(
                f,
                "The server answered HTTP {status} for the network profile {path}. Reload \
                 the page in a moment."
            ),
            Self::Invalid { path, reason } => write!(
                f,
                "The network profile {path} is broken ({reason}). Fix the file or choose \
                 another network."
            ),
        }
    }
}

impl std::error::Error for ProfileLoadError {}

/// The network name in a location's query string (`?network=NAME`).
pub fn network_name(search: &str) -> Result<String, ProfileLoadError> {
    let query = search.strip_prefix('?').unwrap_or(search);
    let name = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("network="))
        .unwrap_or(DEFAULT_NETWORK);
    let valid = !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(name.to_owned())
    } else {
        Err(ProfileLoadError::BadName(name.to_owned()))
    }
}

/// Fetches and checks the profile named in `search` (the page's `location.search`).
pub async fn load_profile(search: String) -> Result<NetworkProfile, ProfileLoadError> {
    let path = format!("networks/{}.json", network_name(&search)?);
    let unreachable = |e: gloo_net::Error| ProfileLoadError::Unreachable {
        path: path.clone(),
        reason: request_failure(e),
    };
    let response = get(&path, None).await.map_err(unreachable)?;
    if !response.ok() {
        return Err(ProfileLoadError::Http {
            path,
            status: response.status(),
        });
    }
    let text = response.text().await.map_err(unreachable)?;
    NetworkProfile::from_json(&text).map_err(|reason| ProfileLoadError::Invalid { path, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_comes_from_the_query_or_defaults_to_devnet() {
        assert_eq!(network_name("").unwrap(), "devnet");
        assert_eq!(network_name("?lang=en").unwrap(), "devnet");
        assert_eq!(
            network_name("?lang=en&network=testnet-2").unwrap(),
            "testnet-2"
        );
    }

    #[test]
    fn names_that_could_leave_the_folder_are_refused() {
        for bad in [
            "?network=../secrets",
            "?network=",
            "?network=Dev",
            "?network=a%2Fb",
        ] {
            assert!(
                matches!(network_name(bad), Err(ProfileLoadError::BadName(_))),
                "{bad}"
            );
        }
        let message = network_name("?network=<b>x</b>").unwrap_err().to_string();
        assert!(message.contains("is not a network name"), "{message}");
    }

    /// index.html asks for the profile before the app runs: the same default and names.
    #[test]
    fn index_html_preloads_the_profile_named_as_here() {
        let page = include_str!("../index.html");
        assert!(page.contains(&format!("get('network') ?? '{DEFAULT_NETWORK}'")));
        assert!(page.contains("/^[a-z0-9-]{1,40}$/.test(name)"));
        assert!(page.contains("`networks/${name}.json`"));
    }
}
