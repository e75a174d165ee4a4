//! Escalation and price indexes: `escalate` (a value raised every year on the 1st of a month,
//! compounding, RULES.md §2), `index_change` (the change of a price index over the months before the
//! service month) and `index` (an index level).
//!
//! `escalate` evaluates its rate (`by:`) or amount (`add:`) at each past step, so its demand rule is
//! unbounded for every argument but the base. Index levels come from the data (indexes.csv).

use super::{At, BuiltinSig, Call, Reach, TyCall, enum_ty, opt, req};
use crate::diag::Code;
use crate::eval_error::{ESCALATION_HORIZON, EvalErrorKind, InternalError, R, arith};
use crate::hir::Builtin;
use crate::time::YearMonth;
use crate::trace::{Fact, TraceNode};
use crate::ty::Ty;
use crate::value::Value;
use crate::value::money::{self, Rounding};
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub const SIGS: &[BuiltinSig] = &[
    BuiltinSig {
        builtin: Builtin::Escalate,
        name: "escalate",
        params: &[
            req("base"),
            opt("by"),
            opt("add"),
            req("every"),
            opt("since"),
            opt("cap"),
            opt("floor"),
            opt("places"),
        ],
        variadic: false,
        summary: "a value raised every year on the 1st of a month, compounding",
    },
    BuiltinSig {
        builtin: Builtin::IndexChange,
        name: "index_change",
        params: &[req("index"), opt("months")],
        variadic: false,
        summary: "the change of a price index over the 12 months before the service month",
    },
    BuiltinSig {
        builtin: Builtin::IndexLevel,
        name: "index",
        params: &[req("index"), opt("month")],
        variadic: false,
        summary: "the level of a price index in a month",
    },
];

// ------------------------------------------------------------------ type rules

pub fn ty(b: Builtin, c: &mut TyCall<'_>) -> Ty {
    match b {
        Builtin::Escalate => escalate_ty(c),
        Builtin::IndexChange => {
            c.want(0, &Ty::Text, "index");
            c.want(1, &Ty::Number, "months");
            Ty::Percent
        }
        _ => {
            c.want(0, &Ty::Text, "index");
            c.want(1, &Ty::Month, "month");
            Ty::Number
        }
    }
}

fn escalate_ty(c: &mut TyCall<'_>) -> Ty {
    let span = c.span;
    let base = c.ty_of(0);
    if !matches!(base, Ty::Money(_) | Ty::Rate(..) | Ty::Percent | Ty::Number | Ty::Error) {
        c.error(
            Code::TypeMismatch,
            span,
            format!("`escalate` raises money, a rate, a percentage or a number, not `{base}`"),
            "cannot escalate",
        );
        return Ty::Error;
    }
    c.want(1, &Ty::Percent, "by");
    c.want(2, &base, "add");
    c.want(3, &enum_ty("MonthName"), "every");
    c.want(4, &Ty::Date, "since");
    c.want(5, &Ty::Percent, "cap");
    c.want(6, &Ty::Percent, "floor");
    c.want(7, &Ty::Number, "places");
    if c.arg(1).is_none() && c.arg(2).is_none() {
        c.error(
            Code::ArgumentCount,
            span,
            "`escalate` needs `by:` (a percentage) or `add:` (a fixed amount)",
            "how much?",
        );
    }
    base
}

// ------------------------------------------------------------------ evaluation rules

pub fn eval<'p>(b: Builtin, c: &mut dyn Call<'p>) -> R<Value> {
    match b {
        Builtin::Escalate => escalate(c),
        Builtin::IndexChange => index_change(c),
        _ => {
            let name = c.req(0)?;
            let name = name.as_text().unwrap_or("").to_string();
            let month = match c.arg(1)? {
                Some(Value::Month(m)) => m,
                _ => c.month(),
            };
            c.data()
                .and_then(|d| d.index(&name, month))
                .map(Value::Number)
                .ok_or_else(|| {
                    c.fail(EvalErrorKind::MissingData(crate::eval_error::Missing::Index {
                        name: name.clone(),
                        month,
                    }))
                })
        }
    }
}

/// The options of an escalation: the month of its steps, since when, the bounds of its rate and the
/// decimals it rounds to.
struct Steps {
    month: u32,
    since: NaiveDate,
    cap: Option<Decimal>,
    floor: Option<Decimal>,
    places: u32,
}

fn steps(c: &mut dyn Call<'_>) -> R<Steps> {
    let Value::Enum(every) = c.req(3)? else {
        return Err(c.internal(InternalError::EveryNotAMonth));
    };
    let month = crate::time::month_number(&every).ok_or_else(|| {
        c.internal(InternalError::UnknownMonth {
            name: every.to_string(),
        })
    })?;
    let since = match c.arg(4)? {
        Some(Value::Date(d)) => d,
        _ => c
            .effective()
            .ok_or_else(|| c.fail(EvalErrorKind::MissingData(crate::eval_error::Missing::EscalationStart)))?,
    };
    let cap = match c.arg(5)? {
        Some(Value::Percent(p)) => Some(p),
        _ => None,
    };
    let floor = match c.arg(6)? {
        Some(Value::Percent(p)) => Some(p),
        _ => None,
    };
    let places = match c.arg(7)? {
        Some(Value::Number(n)) => u32::try_from(n.trunc().mantissa()).unwrap_or(2),
        _ => 2,
    };
    Ok(Steps {
        month,
        since,
        cap,
        floor,
        places,
    })
}

/// RULES.md §2: applied once for every 1st of `every` after `since` up to and including the
/// first day of the service month, compounding, rounded at each step.
fn escalate(c: &mut dyn Call<'_>) -> R<Value> {
    let base = c.req(0)?;
    let s = steps(c)?;
    let service_start = c.month().first_day();
    let mut dates = Vec::new();
    let mut year = chrono::Datelike::year(&s.since);
    while let Some(d) = NaiveDate::from_ymd_opt(year, s.month, 1) {
        if d > service_start {
            break;
        }
        if d > s.since {
            dates.push(d);
        }
        year += 1;
    }
    let steps = u32::try_from(dates.len()).unwrap_or(u32::MAX);
    if steps > ESCALATION_HORIZON {
        return Err(c.fail(EvalErrorKind::EscalationHorizon { steps }));
    }
    let mut current = base.clone();
    let mut facts = vec![Fact {
        name: "base".into(),
        value: base.display(),
    }];
    for d in dates {
        let step = At::Month(YearMonth::of(d));
        let cur = current.decimal().unwrap_or_default();
        let next = if let Some(rate) = c.eval_at(1, step)? {
            let mut r = rate.decimal().unwrap_or_default();
            if let Some(cap) = s.cap {
                r = r.min(cap);
            }
            if let Some(f) = s.floor {
                r = r.max(f);
            }
            money::mul(cur, Decimal::ONE + r).map_err(|x| arith(x, c.span()))?
        } else if let Some(add) = c.eval_at(2, step)? {
            money::add(cur, add.decimal().unwrap_or_default()).map_err(|x| arith(x, c.span()))?
        } else {
            cur
        };
        // Money and rates round to cents; percentages to `places` decimals of their written form.
        let rounded = match current {
            Value::Percent(_) => money::round(next, s.places + 2, Rounding::HalfAway),
            Value::Number(_) => next,
            _ => money::round(next, s.places, Rounding::HalfAway),
        };
        current = current.with_decimal(rounded);
        facts.push(Fact {
            name: d.format("%Y-%m-%d").to_string(),
            value: current.display(),
        });
    }
    if c.tracing() {
        c.trace(TraceNode {
            facts,
            ..TraceNode::of("escalate".into(), &current)
        });
    }
    Ok(current)
}

fn index_change(c: &mut dyn Call<'_>) -> R<Value> {
    let name = c.req(0)?;
    let name = name.as_text().unwrap_or("").to_string();
    let months = match c.arg(1)? {
        Some(Value::Number(n)) => i64::try_from(n.trunc().mantissa()).unwrap_or(12),
        _ => 12,
    };
    let end = c
        .month()
        .plus(-1)
        .ok_or_else(|| c.fail(EvalErrorKind::MonthOutOfRange))?;
    let start = end
        .plus(-months)
        .ok_or_else(|| c.fail(EvalErrorKind::MonthOutOfRange))?;
    let data = c.data();
    let level = |m: YearMonth| {
        data.and_then(|d| d.index(&name, m)).ok_or_else(|| {
            c.fail(EvalErrorKind::MissingData(crate::eval_error::Missing::Index {
                name: name.clone(),
                month: m,
            }))
        })
    };
    let (a, z) = (level(start)?, level(end)?);
    let change = money::div(z, a)
        .and_then(|q| money::sub(q, Decimal::ONE))
        .map_err(|x| arith(x, c.span()))?;
    if c.tracing() {
        let facts = vec![
            Fact {
                name: start.to_string(),
                value: a.to_string(),
            },
            Fact {
                name: end.to_string(),
                value: z.to_string(),
            },
        ];
        c.trace(TraceNode {
            facts,
            ..TraceNode::of(format!("index_change {name}"), &Value::Percent(change))
        });
    }
    Ok(Value::Percent(change))
}

// ------------------------------------------------------------------ demand rules

/// An escalation reads its rates and amounts at each past step; indexes read no table.
pub fn demand(b: Builtin) -> Reach {
    match b {
        Builtin::Escalate => Reach::PastSteps,
        _ => Reach::Here,
    }
}

/// `escalate` and `index_change` count from the service month; `index` does when it names no month.
pub fn month_dependent(b: Builtin, given: &dyn Fn(usize) -> bool) -> bool {
    match b {
        Builtin::IndexLevel => !given(1),
        _ => true,
    }
}
