//! The one place numbers are written for people and for files: money exactly as computed
//! (traces), money rounded to cents (invoices, messages, and text interpolation: descriptions and
//! check messages, see `Value::display_in_text`), plain two-decimal amounts (CSV and JSON outputs)
//! and percentages. Rounding for display is half away from zero, as a line is rounded (RULES.md
//! §3); nothing here changes a value that is billed.

use crate::ty::Currency;
use rust_decimal::{Decimal, RoundingStrategy};

/// A decimal without trailing zeros (`12.50` → `12.5`, `3.000` → `3`).
pub fn trim(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Money for people: `$18,234.55`, `-$12,000.00`, `EUR 5.00`; at least two decimals, more only
/// when the exact value has them (`$12,846.875` in a trace).
pub fn format_money(d: Decimal, currency: Currency) -> String {
    let mut d = d.normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    let text = d.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let grouped = group_thousands(int);
    let sign = if d.is_sign_negative() && !d.is_zero() { "-" } else { "" };
    let symbol = if currency == Currency::USD {
        "$".to_string()
    } else {
        format!("{} ", currency.code())
    };
    if frac.is_empty() {
        format!("{sign}{symbol}{grouped}")
    } else {
        format!("{sign}{symbol}{grouped}.{frac}")
    }
}

/// Money for people: `$18,234.55`, `-$12,000.00`, `$0.00`. Rounded to cents, half away from zero.
pub fn format_cents(amount: Decimal) -> String {
    let cents = two_places(amount);
    let text = cents.abs().to_string();
    let (whole, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let sign = if cents.is_sign_negative() && !cents.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}${}.{frac}", group_thousands(whole))
}

/// A count for people: `10,000,000`.
pub fn format_count(n: u64) -> String {
    group_thousands(&n.to_string())
}

/// A percentage in points for people: `12.50%`, `0.00%`. Rounded to two places, half away from zero.
pub fn format_percent(points: Decimal) -> String {
    format!("{}%", plain_amount(points))
}

/// An amount as written in the machine-readable outputs: exactly two decimals, no separators
/// (`18234.55`, `-12000.00`, `0.00`).
pub fn plain_amount(amount: Decimal) -> String {
    two_places(amount).to_string()
}

/// `amount` rounded half away from zero to exactly two decimal places, with no negative zero.
fn two_places(amount: Decimal) -> Decimal {
    let mut d = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    if d.is_zero() {
        d = Decimal::ZERO;
    }
    d.rescale(2);
    d
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn money() {
        let cases = [
            (dec!(18234.55), "$18,234.55"),
            (dec!(-12000), "-$12,000.00"),
            (dec!(0), "$0.00"),
            (dec!(-0.001), "$0.00"),
            (dec!(0.005), "$0.01"),
            (dec!(-0.005), "-$0.01"),
            (dec!(12846.875), "$12,846.88"),
            (dec!(999.999), "$1,000.00"),
            (dec!(1), "$1.00"),
            (dec!(12.5), "$12.50"),
            (dec!(123456), "$123,456.00"),
            (dec!(1234567.891), "$1,234,567.89"),
            (dec!(-53866.92), "-$53,866.92"),
        ];
        for (amount, want) in cases {
            assert_eq!(format_cents(amount), want, "{amount}");
        }
        assert_eq!(format_cents(Decimal::MAX), "$79,228,162,514,264,337,593,543,950,335.00");
    }

    #[test]
    fn plain_amounts_and_percentages() {
        assert_eq!(plain_amount(dec!(18234.55)), "18234.55");
        assert_eq!(plain_amount(dec!(-12000)), "-12000.00");
        assert_eq!(plain_amount(dec!(-0.00)), "0.00");
        assert_eq!(plain_amount(dec!(0.125)), "0.13");
        assert_eq!(format_percent(dec!(12.5)), "12.50%");
        assert_eq!(format_percent(dec!(8.75)), "8.75%");
    }
}
