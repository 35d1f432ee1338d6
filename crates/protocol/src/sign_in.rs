//! Sign-In with Ethereum (EIP-4361): the message a wallet signs once to open a session on a
//! relay that offers it, in place of one signature per relay request.

use ethers_core::types::Address;
use ethers_core::utils::to_checksum;

/// What a relay session allows, in the words the wallet shows.
pub const STATEMENT: &str =
    "Send task arguments and download results of your Crynux tasks from this relay";
/// How long a session lasts.
pub const SESSION_SECS: u64 = 24 * 60 * 60;

/// A sign-in request for one account on one app and network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn<'a> {
    /// The page's host (`127.0.0.1:8080`).
    pub domain: &'a str,
    /// The page's origin (`http://127.0.0.1:8080`).
    pub uri: &'a str,
    /// The signing account.
    pub address: Address,
    /// The network's chain id.
    pub chain_id: u64,
    /// The relay's nonce.
    pub nonce: &'a str,
    /// Unix seconds now.
    pub issued_at: u64,
}

impl SignIn<'_> {
    /// When the session ends (Unix seconds).
    pub fn expires_at(&self) -> u64 {
        self.issued_at + SESSION_SECS
    }

    /// The EIP-4361 message, to be signed with `personal_sign`.
    pub fn message(&self) -> String {
        format!(
            "{domain} wants you to sign in with your Ethereum account:\n{address}\n\n\
             {STATEMENT}\n\nURI: {uri}\nVersion: 1\nChain ID: {chain_id}\nNonce: {nonce}\n\
             Issued At: {issued_at}\nExpiration Time: {expires_at}",
            domain = self.domain,
            address = to_checksum(&self.address, None),
            uri = self.uri,
            chain_id = self.chain_id,
            nonce = self.nonce,
            issued_at = rfc3339(self.issued_at),
            expires_at = rfc3339(self.expires_at()),
        )
    }
}

/// Unix seconds as an RFC 3339 UTC time (`2026-12-01T03:04:05Z`).
pub fn rfc3339(unix: u64) -> String {
    let (days, secs) = (unix / 86_400, unix % 86_400);
    // Days to a civil date (Howard Hinnant's algorithm), from 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_read_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_094_245), "2026-12-01T03:04:05Z");
    }
}
