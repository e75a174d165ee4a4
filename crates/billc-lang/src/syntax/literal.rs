//! From the text a grammar rule matched to its value in the AST, for both parsers: pest's lowering
//! (`parser.rs`) and the fast path (`fast.rs`) call these, so a literal means the same whichever
//! parser read it.
//!
//! The functions take the whole text of one rule's match (`$1,250.00` for `money`, `7.5h` for
//! `quantity`) and trust the grammar for its shape: they do not check it again. A literal that has
//! the grammar's shape can still fail to convert (`2025-13-01`, a number too large for a
//! `Decimal`): [`Literal::value`] answers `None`, pest's lowering reports it as
//! [`Code::BadLiteral`](crate::diag::Code::BadLiteral) with [`Literal::what`], and the fast path
//! gives the file to pest.
//!
//! Besides literals proper, the few other conversions of matched text that both parsers make are
//! here too: text escapes, doc comment lines, `check` kinds, and which part of a tier is its fee.

use crate::syntax::ast::{CheckKind, DurationUnit, ExprKind, TextPart, Tier, Unit};
use rust_decimal::Decimal;
use std::str::FromStr;

/// The literal rules of the grammar whose text converts to a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Literal {
    /// `money = ${ "$" ~ grouped }`: `$1,250.00`, dollars.
    Money,
    /// `currency_money = ${ currency_code ~ " " ~ grouped }`: `EUR 12.50`.
    CurrencyMoney,
    /// `rate = ${ "$" ~ grouped ~ "/" ~ unit_word }`: `$25.08/h`, dollars per unit.
    Rate,
    /// `percent = ${ decimal ~ "%" }`: `31.15%`.
    Percent,
    /// `date`: `2025-01-31`.
    Date,
    /// `month`: `2025-06`.
    Month,
    /// `quantity = ${ decimal ~ (unit_word | " "+ ~ unit_word) }`: `12 rooms`, `7.5h`, or a
    /// duration, `3 days`, `1 month`.
    Quantity,
    /// `number = @{ decimal }`: `2`, `0.5`.
    Number,
}

impl Literal {
    /// The value of `text`, the whole text the rule matched, or `None` if it does not convert.
    pub fn value(self, text: &str) -> Option<ExprKind> {
        match self {
            Literal::Money => Some(ExprKind::Money(grouped(text.trim_start_matches('$'))?, "USD".into())),
            Literal::CurrencyMoney => {
                let (code, amount) = text.split_at_checked(3)?;
                Some(ExprKind::Money(grouped(amount.trim())?, code.to_string()))
            }
            Literal::Rate => {
                let body = text.trim_start_matches('$');
                let (amount, unit) = body.split_once('/').unwrap_or((body, ""));
                Some(ExprKind::Rate(grouped(amount)?, "USD".into(), Unit::from_word(unit)?))
            }
            Literal::Percent => Some(ExprKind::Percent(decimal(text.trim_end_matches('%'))?)),
            Literal::Date => crate::time::parse_date(text).map(ExprKind::Date),
            Literal::Month => crate::time::YearMonth::parse(text).map(ExprKind::Month),
            Literal::Quantity => {
                let split = text
                    .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .unwrap_or(text.len());
                let (number, word) = text.split_at(split);
                let word = word.trim();
                let number = decimal(number)?;
                match (Unit::from_word(word), DurationUnit::from_word(word)) {
                    (Some(unit), _) => Some(ExprKind::Quantity(number, unit)),
                    (None, Some(unit)) => Some(ExprKind::Duration(number, unit)),
                    (None, None) => None,
                }
            }
            Literal::Number => decimal(text).map(ExprKind::Number),
        }
    }

    /// What the literal is called in "`…` is not a valid …".
    pub fn what(self) -> &'static str {
        match self {
            Literal::Money | Literal::CurrencyMoney => "amount",
            Literal::Rate => "rate",
            Literal::Percent => "percentage",
            Literal::Date => "date",
            Literal::Month => "month",
            Literal::Quantity => "quantity",
            Literal::Number => "number",
        }
    }
}

/// `decimal`: `12.50` → 12.50.
fn decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text).ok()
}

/// `grouped`: `100,750.25` → 100750.25 (commas must group thousands; the grammar checked that).
fn grouped(text: &str) -> Option<Decimal> {
    if text.contains(',') {
        decimal(&text.replace(',', ""))
    } else {
        decimal(text)
    }
}

/// `text_escape = @{ "\\" ~ ANY | "{{" | "}}" }`: what the escape stands for (`\n` a line break,
/// `\t` a tab, `{{` and `}}` a brace, a backslash and any other character that character).
pub fn unescape(escape: &str) -> &str {
    match escape {
        "{{" => "{",
        "}}" => "}",
        "\\n" => "\n",
        "\\t" => "\t",
        other => other.get(1..).unwrap_or(""),
    }
}

/// Appends literal characters to a text's parts, joined to the literal piece before them if there
/// is one (so `"a\{b"` is one piece, as both parsers build it).
pub fn push_text(parts: &mut Vec<TextPart>, s: &str) {
    if let Some(TextPart::Lit(last)) = parts.last_mut() {
        last.push_str(s);
    } else {
        parts.push(TextPart::Lit(s.to_string()));
    }
}

/// `doc_line = @{ "///" ~ (!"\n" ~ ANY)* }`: the line without `///` and one space after it.
pub fn doc_line(line: &str) -> String {
    let text = line.strip_prefix("///").unwrap_or("");
    text.strip_prefix(' ').unwrap_or(text).to_string()
}

/// `check_kind = @{ ("exception" | "approval") ~ !ident_char }`.
pub fn check_kind(word: &str) -> Option<CheckKind> {
    match word {
        "approval" => Some(CheckKind::Approval),
        "exception" => Some(CheckKind::Exception),
        _ => None,
    }
}

/// A part of a tier after its price (`tier = … simple ~ (kw_up ~ kw_to ~ simple)? ~ (kw_plus ~
/// simple)?`): the fee when the source text before it (`before`, up to the part's start) ends with
/// `plus`, else the limit. pest keeps no pair for the keywords, so the text tells them apart.
pub fn place_tier_part(tier: &mut Tier, before: &str, part: crate::syntax::ast::Expr) {
    if before.trim_end().ends_with("plus") {
        tier.fee = Some(part);
    } else {
        tier.limit = Some(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[track_caller]
    fn check(literal: Literal, text: &str, expect: Option<ExprKind>) {
        assert_eq!(literal.value(text), expect, "{text}");
    }

    #[test]
    fn money_and_rates() {
        check(
            Literal::Money,
            "$1,250.00",
            Some(ExprKind::Money(dec!(1250.00), "USD".into())),
        );
        check(Literal::Money, "$5", Some(ExprKind::Money(dec!(5), "USD".into())));
        check(
            Literal::CurrencyMoney,
            "EUR 12.50",
            Some(ExprKind::Money(dec!(12.50), "EUR".into())),
        );
        check(
            Literal::CurrencyMoney,
            "GBP 1,000",
            Some(ExprKind::Money(dec!(1000), "GBP".into())),
        );
        check(
            Literal::Rate,
            "$25.08/h",
            Some(ExprKind::Rate(dec!(25.08), "USD".into(), Unit::Hour)),
        );
        check(
            Literal::Rate,
            "$1.30/room",
            Some(ExprKind::Rate(dec!(1.30), "USD".into(), Unit::Room)),
        );
        check(Literal::Money, "$99999999999999999999999999999999", None);
    }

    #[test]
    fn numbers_percentages_quantities() {
        check(Literal::Percent, "31.15%", Some(ExprKind::Percent(dec!(31.15))));
        check(Literal::Number, "0.5", Some(ExprKind::Number(dec!(0.5))));
        check(
            Literal::Quantity,
            "12 rooms",
            Some(ExprKind::Quantity(dec!(12), Unit::Room)),
        );
        check(
            Literal::Quantity,
            "7.5h",
            Some(ExprKind::Quantity(dec!(7.5), Unit::Hour)),
        );
        check(
            Literal::Quantity,
            "3 days",
            Some(ExprKind::Duration(dec!(3), DurationUnit::Day)),
        );
        check(
            Literal::Quantity,
            "1 month",
            Some(ExprKind::Duration(dec!(1), DurationUnit::Month)),
        );
    }

    #[test]
    fn dates_and_months() {
        assert!(matches!(Literal::Date.value("2025-01-31"), Some(ExprKind::Date(_))));
        assert!(matches!(Literal::Month.value("2025-06"), Some(ExprKind::Month(_))));
        check(Literal::Date, "2025-02-30", None);
        check(Literal::Month, "2025-13", None);
    }

    #[test]
    fn text_pieces() {
        assert_eq!(unescape("{{"), "{");
        assert_eq!(unescape("}}"), "}");
        assert_eq!(unescape("\\n"), "\n");
        assert_eq!(unescape("\\t"), "\t");
        assert_eq!(unescape("\\\""), "\"");
        assert_eq!(unescape("\\é"), "é");
        let mut parts = Vec::new();
        push_text(&mut parts, "a");
        push_text(&mut parts, "{");
        assert_eq!(parts, vec![TextPart::Lit("a{".into())]);
        assert_eq!(doc_line("/// Rounds."), "Rounds.");
        assert_eq!(doc_line("///  two"), " two");
        assert_eq!(check_kind("approval"), Some(CheckKind::Approval));
        assert_eq!(check_kind("exception"), Some(CheckKind::Exception));
    }
}
