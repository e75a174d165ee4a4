//! What the reviewer and the invoice add: `adhoc` (Σ of the reviewer's ad-hoc amounts of a kind,
//! adhoc.csv) and `lines` (Σ of the rounded lines with a tag).
//!
//! `lines(tag)` takes a tag name, not an expression, so the checker types it itself and makes it an
//! `hir::ExprKind::Lines`, which the evaluator and the demand walker handle as a node of their own;
//! its signature is here so that `lines` is a known builtin name.

use super::{BuiltinSig, Call, Reach, TyCall, enum_ty, opt, req};
use crate::eval_error::{EvalErrorKind, InternalError, R, arith};
use crate::hir::Builtin;
use crate::trace::{Amount, Dim, RowGroup, TraceNode};
use crate::ty::{Currency, Ty};
use crate::value::Value;
use crate::value::money;
use rust_decimal::Decimal;

pub const SIGS: &[BuiltinSig] = &[
    BuiltinSig {
        builtin: Builtin::Adhoc,
        name: "adhoc",
        params: &[req("kind"), opt("group")],
        variadic: false,
        summary: "Σ of the reviewer's ad-hoc amounts of a kind (adhoc.csv)",
    },
    BuiltinSig {
        builtin: Builtin::Lines,
        name: "lines",
        params: &[req("tag"), opt("group")],
        variadic: false,
        summary: "Σ of the rounded lines with a tag (optionally of one invoice group)",
    },
];

// ------------------------------------------------------------------ type rules

pub fn ty(b: Builtin, c: &mut TyCall<'_>) -> Ty {
    if b == Builtin::Adhoc {
        c.want(0, &enum_ty("AdhocKind"), "kind");
        c.want(1, &Ty::Number, "group");
    }
    Ty::usd()
}

// ------------------------------------------------------------------ evaluation rules

pub fn eval<'p>(b: Builtin, c: &mut dyn Call<'p>) -> R<Value> {
    if b == Builtin::Lines {
        return Err(c.internal(InternalError::LinesUnresolved));
    }
    let kind = c.req(0)?;
    let kind = kind.as_text().unwrap_or("").to_string();
    let group = match c.arg(1)? {
        Some(Value::Number(n)) => u32::try_from(n.trunc().mantissa()).ok(),
        _ => None,
    };
    let Some(data) = c.data() else {
        return Err(c.fail(EvalErrorKind::NotConstant(crate::eval_error::Uses::AdhocLines)));
    };
    let mut total = Decimal::ZERO;
    let mut rows = Vec::new();
    for item in data.adhoc(&c.site(), c.month()) {
        if item.kind == kind && group.is_none_or(|g| g == item.group) {
            total = money::add(total, item.amount).map_err(|x| arith(x, c.span()))?;
            if c.tracing() {
                let amount = Value::Money(item.amount, Currency::USD);
                rows.push(RowGroup {
                    file: "adhoc.csv".into(),
                    first_line: item.line,
                    last_line: item.line,
                    rows: 1,
                    dims: vec![
                        Dim {
                            column: "kind".into(),
                            value: item.kind.clone(),
                        },
                        Dim {
                            column: "group".into(),
                            value: item.group.to_string(),
                        },
                    ],
                    value: Some(amount.display()),
                    amount: Amount::of(&amount),
                    minutes: None,
                });
            }
        }
    }
    let total = Value::Money(total, Currency::USD);
    if c.tracing() {
        c.trace(TraceNode {
            rows,
            ..TraceNode::of(format!("adhoc {kind}"), &total)
        });
    }
    Ok(total)
}

// ------------------------------------------------------------------ demand rules

/// Ad-hoc lines are not a fact table; `lines` is walked as `hir::ExprKind::Lines`.
pub fn demand(_: Builtin) -> Reach {
    Reach::Here
}

/// Both are amounts of the service month.
pub fn month_dependent(_: Builtin) -> bool {
    true
}
