//! Token amounts for people: 18-decimal integers shown as decimal numbers.

use ethers_core::types::U256;

/// Decimals of CNX and ETH.
pub const DECIMALS: usize = 18;

/// `amount` (in the smallest unit) as a decimal number without trailing zeros:
/// 30·10¹⁸ → `30`, 5·10¹⁷ → `0.5`.
pub fn format_units(amount: U256, decimals: usize) -> String {
    format_units_truncated(amount, decimals, decimals)
}

/// Like [`format_units`], with at most `fraction_digits` digits after the point (cut, not
/// rounded: a balance is never shown larger than it is).
pub fn format_units_truncated(amount: U256, decimals: usize, fraction_digits: usize) -> String {
    let digits = decimal(amount);
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let fraction = fraction[..fraction_digits.min(decimals)].trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_owned()
    } else {
        format!("{whole}.{fraction}")
    }
}

/// `amount`'s decimal digits, by long division of its 32-bit halves by 10⁹ in 64-bit
/// numbers: `U256`'s own `to_string` divides one 256-bit number by another (2 KB of code),
/// and 64-bit halves would divide 128-bit numbers (1 KB), which the first screen, showing
/// the fee, has no other use for.
pub fn decimal(amount: U256) -> String {
    const GROUP: u64 = 1_000_000_000;
    // The highest first.
    let mut halves = [0u64; 8];
    for (i, word) in amount.0.iter().rev().enumerate() {
        halves[2 * i] = word >> 32;
        halves[2 * i + 1] = word & 0xffff_ffff;
    }
    // 9 digits each, the lowest first.
    let mut groups = Vec::new();
    loop {
        let mut rest = 0u64;
        for half in &mut halves {
            let part = rest << 32 | *half;
            *half = part / GROUP;
            rest = part % GROUP;
        }
        groups.push(rest);
        if halves == [0; 8] {
            break;
        }
    }
    let mut text = groups.pop().unwrap_or_default().to_string();
    for group in groups.iter().rev() {
        text += &format!("{group:09}");
    }
    text
}

/// `amount` of CNX (wei) as `30 CNX`.
pub fn format_cnx(amount: U256) -> String {
    format!("{} CNX", format_units(amount, DECIMALS))
}

/// A decimal number typed by a person (`30`, `0.5`, `1,000.25` is refused) in the smallest
/// unit: `parse_units("0.5", 18)` = 5·10¹⁷.
pub fn parse_units(text: &str, decimals: usize) -> Result<U256, String> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits_only = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits_only(whole) || !digits_only(fraction) {
        return Err(format!(
            "“{text}” is not an amount: write digits, like 30 or 0.5"
        ));
    }
    if fraction.len() > decimals {
        return Err(format!("at most {decimals} digits after the point"));
    }
    let scaled = format!("{whole}{fraction:0<decimals$}");
    U256::from_dec_str(&scaled).map_err(|_| format!("“{text}” is too large"))
}

/// Serde for amounts as decimal strings: JSON numbers cannot hold 18-decimal amounts exactly.
pub mod decimal_u256 {
    use ethers_core::types::U256;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    /// Writes the amount as a decimal string.
    pub fn serialize<S: Serializer>(value: &U256, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
    }

    /// Reads a decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
        let text = String::deserialize(d)?;
        U256::from_dec_str(&text)
            .map_err(|_| D::Error::custom(format!("not a decimal amount: {text:?}")))
    }
}

/// An address as people glance at it: the checksummed form's first 4 and last 4 digits,
/// `0x1234…abCD`.
pub fn short_address(address: &ethers_core::types::Address) -> String {
    let full = ethers_core::utils::to_checksum(address, None);
    format!("{}…{}", &full[..6], &full[full.len() - 4..])
}
