//! The dimensional rules of the operators: which operand types combine and what they give.
//!
//! Money × Percent → Money, Rate × Quantity → Money, Money / Money → Number, Money + Hours → error,
//! USD + EUR → error, Date + months → error (ambiguous: say `add_months(d, n, clamp)`).

use crate::diag::Code;
use crate::syntax::ast::{BinOp, DurationUnit};
use crate::ty::Ty;

/// Why an operator does not apply: a code, the message and a help line.
pub struct OpError {
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
}

fn err(code: Code, message: String, help: Option<&str>) -> OpError {
    OpError {
        code,
        message,
        help: help.map(str::to_string),
    }
}

/// The type of `l op r` for arithmetic and comparison operators.
pub fn binary(op: BinOp, l: &Ty, r: &Ty) -> Result<Ty, OpError> {
    use Ty::*;
    if l.is_error() || r.is_error() {
        return Ok(match op {
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::And | BinOp::Or => Bool,
            BinOp::In | BinOp::NotIn => Bool,
            _ => Error,
        });
    }
    match op {
        BinOp::Add | BinOp::Sub => {
            let add = op == BinOp::Add;
            match (l, r) {
                (Money(a), Money(b)) if a != b => Err(err(
                    Code::CurrencyMismatch,
                    format!(
                        "cannot {} money in `{}` and money in `{}`",
                        verb(op),
                        a.code(),
                        b.code()
                    ),
                    Some("convert one amount first; billc never converts currencies by itself"),
                )),
                (Date, Duration(DurationUnit::Day)) => Ok(Date),
                (Date, Duration(_)) => Err(err(
                    Code::AmbiguousMonth,
                    "adding months or years to a date is ambiguous at month ends".into(),
                    Some(
                        "say what 31 January + 1 month is: `add_months(date, n, clamp)` gives 28 February, `add_months(date, n, overflow)` gives 3 March",
                    ),
                )),
                (Month, Duration(DurationUnit::Month | DurationUnit::Year)) => Ok(Month),
                (Month, Duration(DurationUnit::Day)) => Err(err(
                    Code::AddMismatch,
                    "cannot add days to a month".into(),
                    Some("use a date (`first_day(m) + 3 days`) or add months"),
                )),
                (Date, Date) if !add => Ok(Duration(DurationUnit::Day)),
                (Month, Month) if !add => Ok(Duration(DurationUnit::Month)),
                (Text, Text) if add => Ok(Text),
                (List(a), List(b)) if add && a.fits(b) => Ok(List(a.clone())),
                (a, b) if a == b && a.is_additive() => Ok(a.clone()),
                (Percent, Number) | (Number, Percent) => Err(err(
                    Code::AddMismatch,
                    format!("cannot {} `{l}` and `{r}`", verb(op)),
                    Some("write the number as a percentage, e.g. `3%`"),
                )),
                _ => Err(err(
                    Code::AddMismatch,
                    format!("cannot {} `{l}` and `{r}`", verb(op)),
                    None,
                )),
            }
        }
        BinOp::Mul => match (l, r) {
            (Money(c), Percent | Number) | (Percent | Number, Money(c)) => Ok(Money(*c)),
            (Rate(c, u), Quantity(v)) | (Quantity(v), Rate(c, u)) if u == v => Ok(Money(*c)),
            (Rate(_, _), Quantity(_)) | (Quantity(_), Rate(_, _)) => Err(err(
                Code::MulMismatch,
                format!("cannot multiply `{l}` by `{r}`"),
                Some("a rate multiplies a quantity of its own unit, e.g. `$25.08/h * 8h` or `$1.30/room * 12 rooms`"),
            )),
            (Rate(c, u), Number | Percent) | (Number | Percent, Rate(c, u)) => Ok(Rate(*c, *u)),
            (Quantity(u), Number | Percent) | (Number | Percent, Quantity(u)) => Ok(Quantity(*u)),
            (Duration(u), Number) | (Number, Duration(u)) => Ok(Duration(*u)),
            (Number, Number) => Ok(Number),
            (Percent, Percent) | (Percent, Number) | (Number, Percent) => Ok(Percent),
            (Money(_), Money(_)) => Err(err(
                Code::MulMismatch,
                format!("cannot multiply `{l}` by `{r}`"),
                Some("money times money has no meaning; multiply by a percentage or a number"),
            )),
            (Money(_), Quantity(u)) | (Quantity(u), Money(_)) => Err(err(
                Code::MulMismatch,
                format!("cannot multiply `{l}` by `{r}`"),
                Some(match u {
                    crate::syntax::ast::Unit::Hour => "use a rate such as `$25.08/h`",
                    _ => "use a rate such as `$1.30/room`",
                }),
            )),
            _ => Err(err(Code::MulMismatch, format!("cannot multiply `{l}` by `{r}`"), None)),
        },
        BinOp::Div => match (l, r) {
            (Money(a), Money(b)) if a == b => Ok(Number),
            (Money(a), Money(b)) => Err(err(
                Code::CurrencyMismatch,
                format!("cannot divide money in `{}` by money in `{}`", a.code(), b.code()),
                None,
            )),
            (Money(c), Number | Percent) => Ok(Money(*c)),
            (Money(c), Quantity(u)) => Ok(Rate(*c, *u)),
            (Rate(c, u), Number | Percent) => Ok(Rate(*c, *u)),
            (Quantity(u), Quantity(v)) if u == v => Ok(Number),
            (Quantity(u), Number) => Ok(Quantity(*u)),
            (Number, Number) => Ok(Number),
            (Percent, Percent) => Ok(Number),
            (Percent, Number) => Ok(Percent),
            (Duration(u), Duration(v)) if u == v => Ok(Number),
            (Duration(u), Number) => Ok(Duration(*u)),
            _ => Err(err(Code::DivMismatch, format!("cannot divide `{l}` by `{r}`"), None)),
        },
        BinOp::Eq | BinOp::Ne => {
            if l.fits(r) || r.fits(l) {
                Ok(Bool)
            } else {
                Err(compare_error(l, r))
            }
        }
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let orderable = matches!(
                l,
                Money(_) | Percent | Number | Quantity(_) | Rate(..) | Duration(_) | Date | Month | Text
            );
            if l == r && orderable {
                Ok(Bool)
            } else {
                Err(compare_error(l, r))
            }
        }
        BinOp::And | BinOp::Or | BinOp::In | BinOp::NotIn | BinOp::Where => Ok(Bool),
    }
}

fn compare_error(l: &Ty, r: &Ty) -> OpError {
    let help = match (l, r) {
        (Ty::Money(a), Ty::Money(b)) if a != b => Some("amounts in different currencies cannot be compared"),
        (Ty::Percent, Ty::Number) | (Ty::Number, Ty::Percent) => Some("write the number as a percentage, e.g. `10%`"),
        (Ty::Text, Ty::Number) | (Ty::Number, Ty::Text) => Some("codes in the data are text: write `\"6000\"`"),
        _ => None,
    };
    let code = match (l, r) {
        (Ty::Money(a), Ty::Money(b)) if a != b => Code::CurrencyMismatch,
        _ => Code::CompareMismatch,
    };
    err(code, format!("cannot compare `{l}` with `{r}`"), help)
}

fn verb(op: BinOp) -> &'static str {
    if op == BinOp::Add { "add" } else { "subtract" }
}
