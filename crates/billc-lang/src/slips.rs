//! The common slips behind a type mismatch, and how to write them: `2500` where `$2,500` is meant,
//! `0.35` or `35` for `35%`, `01/02/2024` (a division) for `2024-01-02`.
//!
//! A mismatch says what was found and what was wanted; for these shapes it also says "write it
//! like this", with the reader's own value. Only literals are recognised, so the help is never a
//! guess about a computed value.

use crate::hir::{Expr, ExprKind};
use crate::syntax::ast::BinOp;
use crate::ty::{Currency, Ty};
use crate::value::{Value, format_money, trim};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// The help for `found` where `want` was expected, when `found` is one of the slips.
pub fn help(found: &Expr, want: &Ty) -> Option<String> {
    match want {
        Ty::Money(currency) => number(found).map(|n| money(n, *currency)),
        Ty::Percent => number(found).map(percent),
        Ty::Date => slashed_date(found),
        _ => None,
    }
}

/// The help for a number where a tier's price belongs (a percentage, an amount or a rate).
pub fn price_help(found: &Expr) -> Option<String> {
    let n = number(found)?;
    Some(format!(
        "{}, or for an amount `{}`",
        percent(n),
        format_money(n, Currency::USD)
    ))
}

fn number(e: &Expr) -> Option<Decimal> {
    match &e.kind {
        ExprKind::Lit(Value::Number(n)) => Some(*n),
        _ => None,
    }
}

fn money(n: Decimal, currency: Currency) -> String {
    format!(
        "an amount is written with its currency: `{}`",
        format_money(n, currency)
    )
}

fn percent(n: Decimal) -> String {
    if n > Decimal::ZERO && n < Decimal::ONE {
        let points = n * Decimal::ONE_HUNDRED;
        format!(
            "a percentage is written with `%`: `{}%` (`{}` is the plain number)",
            trim(points),
            trim(n)
        )
    } else {
        format!("a percentage is written with `%`: `{}%`", trim(n))
    }
}

/// `01/02/2024`: month / day / year read as two divisions.
fn slashed_date(e: &Expr) -> Option<String> {
    let ExprKind::Binary(BinOp::Div, left, year) = &e.kind else {
        return None;
    };
    let ExprKind::Binary(BinOp::Div, month, day) = &left.kind else {
        return None;
    };
    let whole = |e: &Expr| number(e).filter(|n| n.fract().is_zero()).and_then(|n| n.to_u32());
    let (month, day, year) = (whole(month)?, whole(day)?, whole(year)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(1000..=9999).contains(&year) {
        return None;
    }
    Some(format!(
        "a date is written year-month-day: `{year}-{month:02}-{day:02}` (`{month:02}/{day:02}/{year}` divides numbers)"
    ))
}
