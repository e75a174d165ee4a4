//! Amounts: `min`, `max`, `abs`, `round`, `ceil`, `cap` and `floor`.
//!
//! These work on one value where the call is; `round` is the only rounding a rule asks for
//! explicitly (with a named mode, through `value::money`'s one rounding function). Nothing here
//! reads data or another month.

use super::{BuiltinSig, Call, Reach, TyCall, compare, enum_ty, opt, req};
use crate::diag::Code;
use crate::eval_error::{EvalErrorKind, InternalError, R};
use crate::hir::Builtin;
use crate::ty::Ty;
use crate::value::Value;
use crate::value::money::{self, Rounding};

pub const SIGS: &[BuiltinSig] = &[
    BuiltinSig {
        builtin: Builtin::Min,
        name: "min",
        params: &[req("a")],
        variadic: true,
        summary: "the smallest of its arguments (or of a list)",
    },
    BuiltinSig {
        builtin: Builtin::Max,
        name: "max",
        params: &[req("a")],
        variadic: true,
        summary: "the largest of its arguments (or of a list)",
    },
    BuiltinSig {
        builtin: Builtin::Abs,
        name: "abs",
        params: &[req("value")],
        variadic: false,
        summary: "absolute value",
    },
    BuiltinSig {
        builtin: Builtin::Round,
        name: "round",
        params: &[req("value"), opt("places"), opt("mode")],
        variadic: false,
        summary: "round to `places` decimals (default 2) with a named mode (default half_away)",
    },
    BuiltinSig {
        builtin: Builtin::Ceil,
        name: "ceil",
        params: &[req("value")],
        variadic: false,
        summary: "the smallest whole number not below the value",
    },
    BuiltinSig {
        builtin: Builtin::Cap,
        name: "cap",
        params: &[req("value"), req("at")],
        variadic: false,
        summary: "the value, but at most `at`",
    },
    BuiltinSig {
        builtin: Builtin::Floor,
        name: "floor",
        params: &[req("value"), req("at")],
        variadic: false,
        summary: "the value, but at least `at`",
    },
];

// ------------------------------------------------------------------ type rules

pub fn ty(b: Builtin, c: &mut TyCall<'_>) -> Ty {
    match b {
        Builtin::Min | Builtin::Max => minmax_ty(c),
        Builtin::Abs | Builtin::Ceil => {
            let name = c.sig.name;
            let t = c.ty_of(0);
            c.additive(
                t.clone(),
                format!("`{name}` needs a number or an amount, found `{t}`"),
                "not a number",
            )
        }
        Builtin::Round => {
            let t = c.ty_of(0);
            c.want(1, &Ty::Number, "places");
            c.want(2, &enum_ty("Rounding"), "mode");
            c.additive(
                t.clone(),
                format!("`round` needs a number or an amount, found `{t}`"),
                "not a number",
            )
        }
        _ => {
            let t = c.ty_of(0);
            c.want(1, &t, "at");
            t
        }
    }
}

/// `min` and `max`: of one list, its items; of several arguments, one comparable type.
fn minmax_ty(c: &mut TyCall<'_>) -> Ty {
    let name = c.sig.name;
    let args = c.args;
    let exprs: Vec<_> = args.iter().flatten().collect();
    if let [single] = exprs.as_slice() {
        return match &single.ty {
            Ty::List(t) => (**t).clone(),
            Ty::Error => Ty::Error,
            t if t.is_additive() || matches!(t, Ty::Date | Ty::Month) => t.clone(),
            other => {
                c.error(
                    Code::TypeMismatch,
                    single.span,
                    format!("`{name}` needs numbers, found `{other}`"),
                    "not comparable",
                );
                Ty::Error
            }
        };
    }
    let mut ty = Ty::Error;
    for e in exprs {
        if ty.is_error() {
            ty = e.ty.clone();
        } else if !e.ty.fits(&ty) {
            let (code, msg) = match (&ty, &e.ty) {
                (Ty::Money(a), Ty::Money(b)) if a != b => (
                    Code::CurrencyMismatch,
                    format!("`{name}` of money in `{}` and `{}`", a.code(), b.code()),
                ),
                _ => (
                    Code::TypeMismatch,
                    format!("`{name}` needs arguments of one type: `{ty}` and `{}`", e.ty),
                ),
            };
            c.error(code, e.span, msg, format!("this is `{}`", e.ty));
            return Ty::Error;
        }
    }
    if !(ty.is_additive() || matches!(ty, Ty::Date | Ty::Month)) {
        let span = c.span;
        c.error(
            Code::TypeMismatch,
            span,
            format!("`{name}` needs numbers, amounts, dates or months, found `{ty}`"),
            "not comparable",
        );
        return Ty::Error;
    }
    ty
}

// ------------------------------------------------------------------ evaluation rules

pub fn eval<'p>(b: Builtin, c: &mut dyn Call<'p>) -> R<Value> {
    match b {
        Builtin::Min | Builtin::Max => minmax(b, c),
        Builtin::Abs => {
            let v = c.req(0)?;
            Ok(v.with_decimal(v.decimal().unwrap_or_default().abs()))
        }
        Builtin::Ceil => {
            let v = c.req(0)?;
            Ok(v.with_decimal(v.decimal().unwrap_or_default().ceil()))
        }
        Builtin::Round => round(c),
        _ => {
            let v = c.req(0)?;
            let at = c.req(1)?;
            let ord = compare(&v, &at).ok_or_else(|| c.internal(InternalError::Incomparable))?;
            Ok(
                if (b == Builtin::Cap && ord.is_gt()) || (b == Builtin::Floor && ord.is_lt()) {
                    at
                } else {
                    v
                },
            )
        }
    }
}

fn minmax(b: Builtin, c: &mut dyn Call<'_>) -> R<Value> {
    let n = c.args().len();
    let mut values = Vec::new();
    for i in 0..n {
        match c.arg(i)? {
            Some(Value::List(items)) if n == 1 => values.extend(items.iter().cloned()),
            Some(v) => values.push(v),
            None => {}
        }
    }
    let mut best: Option<Value> = None;
    for v in values {
        best = Some(match best {
            None => v,
            Some(cur) => {
                let ord = compare(&v, &cur).ok_or_else(|| c.internal(InternalError::Incomparable))?;
                let take = if b == Builtin::Min { ord.is_lt() } else { ord.is_gt() };
                if take { v } else { cur }
            }
        });
    }
    best.ok_or_else(|| {
        c.fail(EvalErrorKind::EmptyList {
            builtin: if b == Builtin::Min { "min" } else { "max" },
        })
    })
}

fn round(c: &mut dyn Call<'_>) -> R<Value> {
    let v = c.req(0)?;
    let places = match c.arg(1)? {
        Some(Value::Number(n)) => u32::try_from(n.trunc().mantissa())
            .ok()
            .filter(|p| *p <= 20)
            .ok_or_else(|| c.fail(EvalErrorKind::RoundPlaces { places: n }))?,
        _ => 2,
    };
    let mode = match c.arg(2)? {
        Some(Value::Enum(m)) => Rounding::from_name(&m).unwrap_or(Rounding::HalfAway),
        _ => Rounding::HalfAway,
    };
    let d = v.decimal().unwrap_or_default();
    // Percentages round their written form: round(12.345%, 2) is 12.35%.
    let rounded = if matches!(v, Value::Percent(_)) {
        money::round(d, places + 2, mode)
    } else {
        money::round(d, places, mode)
    };
    Ok(v.with_decimal(rounded))
}

// ------------------------------------------------------------------ demand rules

/// Amounts are computed where the call is.
pub fn demand(_: Builtin) -> Reach {
    Reach::Here
}

pub fn month_dependent(_: Builtin) -> bool {
    false
}
