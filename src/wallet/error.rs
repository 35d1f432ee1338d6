//! Every way a wallet request fails, as one typed error with a sentence for the user. The
//! mapping from EIP-1193 / JSON-RPC error codes is pure, tested on the host.

use std::fmt;

use crynux_protocol::abi::Revert;
use serde_json::Value;

/// Why a wallet request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalletError {
    /// No EIP-1193 wallet in this browser.
    NoWallet,
    /// 4001: the user said no in the wallet.
    UserRejected,
    /// -32002: the wallet already shows a request of this kind.
    RequestPending,
    /// 4100: the site is not connected to (authorized by) the wallet.
    Unauthorized,
    /// 4200: the wallet does not support the method.
    Unsupported(String),
    /// 4900/4901: the wallet is disconnected from every chain, or from this one.
    Disconnected,
    /// 4902: the wallet does not know the chain.
    UnknownChain,
    /// The contract call would revert or reverted (decoded from nested error data).
    Reverted(Revert),
    /// Any other JSON-RPC error.
    Rpc {
        /// The error code.
        code: i64,
        /// The wallet's message.
        message: String,
    },
}

impl WalletError {
    /// Maps the error of a transaction (`{code, message, data}`; MetaMask nests the node's
    /// error in `data` or `data.originalError`) to a typed error: why the contract reverted,
    /// if it did. Only a transaction can revert, so the first screen, which sends none, has
    /// no code to decode a revert.
    pub fn from_transaction_rpc(code: Option<i64>, message: &str, data: Option<&Value>) -> Self {
        Revert::from_rpc_error(message, data)
            .map_or_else(|| Self::from_rpc(code, message), Self::Reverted)
    }

    /// Maps an EIP-1193 error code (and its message) to a typed error.
    pub fn from_rpc(code: Option<i64>, message: &str) -> Self {
        match code {
            Some(4001) => Self::UserRejected,
            Some(-32002) => Self::RequestPending,
            Some(4100) => Self::Unauthorized,
            Some(4200) => Self::Unsupported(message.to_owned()),
            Some(4900 | 4901) => Self::Disconnected,
            Some(4902) => Self::UnknownChain,
            code => Self::Rpc {
                code: code.unwrap_or_default(),
                message: message.to_owned(),
            },
        }
    }
}

impl fmt::Display for WalletError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoWallet => f.write_str(
                "No wallet found in this browser. Install MetaMask (or another Ethereum wallet \
                 extension), then reload this page.",
            ),
            Self::UserRejected => f.write_str("You declined the request in your wallet. Nothing was sent; you can try again."),
            Self::RequestPending => f.write_str(
                "Your wallet is already showing a request from this page. Open the wallet and \
                 answer it first.",
            ),
            Self::Unauthorized => f.write_str("This page is not connected to your wallet. Connect the wallet, then try again."),
            Self::Unsupported(method) => write!(f, "Your wallet cannot do this ({method}). Try another wallet, such as MetaMask."),
            Self::Disconnected => f.write_str("Your wallet is not connected to the network. Check the wallet's network connection."),
            Self::UnknownChain => f.write_str("Your wallet does not know this network yet."),
            Self::Reverted(revert) => write!(f, "The contract refused the transaction: {revert}."),
            Self::Rpc { code, message } => write!(f, "The wallet reported an error: {message} (code {code})."),
        }
    }
}

impl std::error::Error for WalletError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOT_ENOUGH: &str = "0x08c379a00000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000001a4e6f7420656e6f75676820746f6b656e7320666f72207461736b000000000000";

    #[test]
    fn eip1193_codes_map_to_their_kinds() {
        assert_eq!(
            WalletError::from_rpc(Some(4001), "User rejected the request."),
            WalletError::UserRejected
        );
        assert_eq!(
            WalletError::from_rpc(Some(-32002), "already pending"),
            WalletError::RequestPending
        );
        assert_eq!(
            WalletError::from_rpc(Some(4100), ""),
            WalletError::Unauthorized
        );
        assert_eq!(
            WalletError::from_rpc(Some(4200), "eth_sign"),
            WalletError::Unsupported("eth_sign".into())
        );
        assert_eq!(
            WalletError::from_rpc(Some(4900), ""),
            WalletError::Disconnected
        );
        assert_eq!(
            WalletError::from_rpc(Some(4901), ""),
            WalletError::Disconnected
        );
        assert_eq!(
            WalletError::from_rpc(Some(4902), "Unrecognized chain ID"),
            WalletError::UnknownChain
        );
        assert_eq!(
            WalletError::from_rpc(Some(-32000), "nonce too low"),
            WalletError::Rpc {
                code: -32000,
                message: "nonce too low".into()
            }
        );
    }

    #[test]
    fn revert_data_is_found_where_wallets_nest_it() {
        let expected = WalletError::Reverted(Revert::Error("Not enough tokens for task".into()));
        // A node's own error, MetaMask's -32603 wrapper, and the originalError form.
        assert_eq!(
            WalletError::from_transaction_rpc(
                Some(3),
                "execution reverted",
                Some(&json!(NOT_ENOUGH))
            ),
            expected
        );
        let wrapped = json!({"code": 3, "message": "execution reverted", "data": NOT_ENOUGH});
        assert_eq!(
            WalletError::from_transaction_rpc(
                Some(-32603),
                "Internal JSON-RPC error.",
                Some(&wrapped)
            ),
            expected
        );
        let original = json!({"originalError": {"code": 3, "data": NOT_ENOUGH, "message": "execution reverted"}});
        assert_eq!(
            WalletError::from_transaction_rpc(
                Some(-32603),
                "Internal JSON-RPC error.",
                Some(&original)
            ),
            expected
        );
        assert_eq!(
            WalletError::from_transaction_rpc(
                Some(-32603),
                "execution reverted",
                Some(&json!({"data": "0x"}))
            ),
            WalletError::Reverted(Revert::Empty)
        );
        // A transaction's other errors map by their code.
        assert_eq!(
            WalletError::from_transaction_rpc(
                Some(4001),
                "User denied transaction signature.",
                None
            ),
            WalletError::UserRejected
        );
    }

    #[test]
    fn every_error_reads_as_a_sentence_with_what_to_do() {
        let all = [
            WalletError::NoWallet,
            WalletError::UserRejected,
            WalletError::RequestPending,
            WalletError::Unauthorized,
            WalletError::Unsupported("eth_sign".into()),
            WalletError::Disconnected,
            WalletError::UnknownChain,
            WalletError::Reverted(Revert::Error("No available nodes".into())),
            WalletError::Rpc {
                code: -1,
                message: "boom".into(),
            },
        ];
        for error in all {
            let text = error.to_string();
            assert!(text.ends_with('.') && text.len() > 20, "{text}");
        }
        assert!(WalletError::NoWallet
            .to_string()
            .contains("Install MetaMask"));
        assert!(
            WalletError::Reverted(Revert::Error("No available nodes".into()))
                .to_string()
                .contains("No available nodes")
        );
    }
}
