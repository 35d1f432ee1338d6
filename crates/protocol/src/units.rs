//! Token amounts for people: 18-decimal integers shown as decimal numbers.

use ethers_core::types::U256;

/// Decimals of CNX and ETH.
pub const DECIMALS: usize = 18;

/// `amount` (in the smallest unit) as a decimal number without trailing zeros:
/// 30·10¹⁸ → `30`, 5·10¹⁷ → `0.5`.
pub fn format_units(amount: U256, decimals: usize) -> String {
    let digits = amount.to_string();
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{fraction}")
    }
}

/// `amount` of CNX (wei) as `30 CNX`.
pub fn format_cnx(amount: U256) -> String {
    format!("{} CNX", format_units(amount, DECIMALS))
}
