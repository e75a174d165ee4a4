//! Dates and contract time: the service month and its days, months of dates, `add_months` with an
//! explicit month-end policy, contract years (`contract_year`, `by_year`), `prorate` over the days of
//! the service month, and the site's start date.
//!
//! Most of these read the service month (so they are never folded at compile time unless they are
//! given a month); none reads a table.

use super::{BuiltinSig, Call, Reach, TyCall, enum_ty, opt, req};
use crate::diag::Code;
use crate::eval_error::{EvalErrorKind, Expected, InternalError, R, arith};
use crate::hir::Builtin;
use crate::time::YearMonth;
use crate::ty::Ty;
use crate::value::Value;
use crate::value::money;
use rust_decimal::Decimal;

pub const SIGS: &[BuiltinSig] = &[
    BuiltinSig {
        builtin: Builtin::Prorate,
        name: "prorate",
        params: &[req("amount"), opt("from"), opt("to")],
        variadic: false,
        summary: "the amount times the share of the service month's days between two dates, both included",
    },
    BuiltinSig {
        builtin: Builtin::ByYear,
        name: "by_year",
        params: &[req("start"), req("values")],
        variadic: false,
        summary: "the value for the contract year of the service month (the last one repeats)",
    },
    BuiltinSig {
        builtin: Builtin::ServiceMonth,
        name: "service_month",
        params: &[],
        variadic: false,
        summary: "the month being billed",
    },
    BuiltinSig {
        builtin: Builtin::DaysInMonth,
        name: "days_in_month",
        params: &[opt("month")],
        variadic: false,
        summary: "the number of days of a month (default: the service month)",
    },
    BuiltinSig {
        builtin: Builtin::FirstDay,
        name: "first_day",
        params: &[opt("month")],
        variadic: false,
        summary: "the first day of a month (default: the service month)",
    },
    BuiltinSig {
        builtin: Builtin::LastDay,
        name: "last_day",
        params: &[opt("month")],
        variadic: false,
        summary: "the last day of a month (default: the service month)",
    },
    BuiltinSig {
        builtin: Builtin::AddMonths,
        name: "add_months",
        params: &[req("date"), req("months"), req("end")],
        variadic: false,
        summary: "a date moved by whole months with an explicit month-end policy (clamp or overflow)",
    },
    BuiltinSig {
        builtin: Builtin::ContractYear,
        name: "contract_year",
        params: &[req("start")],
        variadic: false,
        summary: "1 in the first twelve months from `start`, 2 in the next twelve, …",
    },
    BuiltinSig {
        builtin: Builtin::SiteStart,
        name: "site_start",
        params: &[],
        variadic: false,
        summary: "the site's first worked date (sites.csv)",
    },
    BuiltinSig {
        builtin: Builtin::Year,
        name: "year",
        params: &[req("month")],
        variadic: false,
        summary: "the year of a month",
    },
    BuiltinSig {
        builtin: Builtin::MonthNumber,
        name: "month_number",
        params: &[req("month")],
        variadic: false,
        summary: "the month of the year, 1 to 12",
    },
    BuiltinSig {
        builtin: Builtin::MonthOf,
        name: "month_of",
        params: &[req("date")],
        variadic: false,
        summary: "the month a date falls in",
    },
];

// ------------------------------------------------------------------ type rules

pub fn ty(b: Builtin, c: &mut TyCall<'_>) -> Ty {
    match b {
        Builtin::Prorate => {
            c.want(1, &Ty::Date, "from");
            c.want(2, &Ty::Date, "to");
            let t = c.ty_of(0);
            c.additive(
                t.clone(),
                format!("`prorate` needs an amount, found `{t}`"),
                "not an amount",
            )
        }
        Builtin::ByYear => {
            c.want(0, &Ty::Date, "start");
            match c.ty_of(1) {
                Ty::List(t) => *t,
                Ty::Error => Ty::Error,
                other => {
                    let span = c.span;
                    c.error(
                        Code::NotAList,
                        span,
                        format!("`by_year` needs a list of values, one per contract year, found `{other}`"),
                        "not a list",
                    );
                    Ty::Error
                }
            }
        }
        Builtin::ServiceMonth => Ty::Month,
        Builtin::DaysInMonth => {
            c.want(0, &Ty::Month, "month");
            Ty::Number
        }
        Builtin::FirstDay | Builtin::LastDay => {
            c.want(0, &Ty::Month, "month");
            Ty::Date
        }
        Builtin::AddMonths => {
            c.want(0, &Ty::Date, "date");
            c.want(1, &Ty::Number, "months");
            c.want(2, &enum_ty("MonthEnd"), "end");
            Ty::Date
        }
        Builtin::ContractYear => {
            c.want(0, &Ty::Date, "start");
            Ty::Number
        }
        Builtin::SiteStart => Ty::Date,
        Builtin::Year | Builtin::MonthNumber => {
            c.want(0, &Ty::Month, "month");
            Ty::Number
        }
        _ => {
            c.want(0, &Ty::Date, "date");
            Ty::Month
        }
    }
}

// ------------------------------------------------------------------ evaluation rules

pub fn eval<'p>(b: Builtin, c: &mut dyn Call<'p>) -> R<Value> {
    match b {
        Builtin::Prorate => prorate(c),
        Builtin::ByYear | Builtin::ContractYear => contract_year(b, c),
        Builtin::ServiceMonth => Ok(Value::Month(c.month())),
        Builtin::DaysInMonth | Builtin::FirstDay | Builtin::LastDay => {
            let m = match c.arg(0)? {
                Some(Value::Month(m)) => m,
                _ => c.month(),
            };
            Ok(match b {
                Builtin::DaysInMonth => Value::Number(Decimal::from(m.days())),
                Builtin::FirstDay => Value::Date(m.first_day()),
                _ => Value::Date(m.last_day()),
            })
        }
        Builtin::AddMonths => add_months(c),
        Builtin::SiteStart => {
            let site = c.site();
            c.data()
                .and_then(|d| d.site_start(&site))
                .map(Value::Date)
                .ok_or_else(|| {
                    c.fail(EvalErrorKind::MissingData(crate::eval_error::Missing::SiteStart {
                        site: site.to_string(),
                        for_anniversary: false,
                    }))
                })
        }
        Builtin::Year | Builtin::MonthNumber => match c.req(0)? {
            Value::Month(m) => Ok(Value::Number(Decimal::from(if b == Builtin::Year {
                i64::from(m.year)
            } else {
                i64::from(m.month)
            }))),
            _ => Err(c.internal(InternalError::NotA(Expected::Month))),
        },
        _ => match c.req(0)? {
            Value::Date(d) => Ok(Value::Month(YearMonth::of(d))),
            _ => Err(c.internal(InternalError::NotA(Expected::Date))),
        },
    }
}

fn prorate(c: &mut dyn Call<'_>) -> R<Value> {
    let v = c.req(0)?;
    let month = c.month();
    let first = month.first_day();
    let last = month.last_day();
    let from = match c.arg(1)? {
        Some(Value::Date(d)) => d.max(first),
        _ => first,
    };
    let to = match c.arg(2)? {
        Some(Value::Date(d)) => d.min(last),
        _ => last,
    };
    let days = if to < from { 0 } else { (to - from).num_days() + 1 };
    let d = v.decimal().unwrap_or_default();
    let share = money::mul(d, Decimal::from(days))
        .and_then(|x| money::div(x, Decimal::from(month.days())))
        .map_err(|x| arith(x, c.span()))?;
    Ok(v.with_decimal(share))
}

/// `contract_year(start)`, and `by_year(start, values)`: the value of that year (the last repeats).
fn contract_year(b: Builtin, c: &mut dyn Call<'_>) -> R<Value> {
    let Value::Date(start) = c.req(0)? else {
        return Err(c.internal(InternalError::NotA(Expected::Date)));
    };
    let months = c.month().months_since(YearMonth::of(start)).max(0);
    let year = usize::try_from(months / 12).unwrap_or(0);
    if b == Builtin::ContractYear {
        return Ok(Value::Number(Decimal::from(year + 1)));
    }
    let Value::List(values) = c.req(1)? else {
        return Err(c.internal(InternalError::NotA(Expected::List)));
    };
    values
        .get(year.min(values.len().saturating_sub(1)))
        .cloned()
        .ok_or_else(|| c.fail(EvalErrorKind::EmptyList { builtin: "by_year" }))
}

fn add_months(c: &mut dyn Call<'_>) -> R<Value> {
    let (Value::Date(d), Value::Number(n), Value::Enum(policy)) = (c.req(0)?, c.req(1)?, c.req(2)?) else {
        return Err(c.internal(InternalError::BadArguments));
    };
    if !n.fract().is_zero() {
        return Err(c.fail(EvalErrorKind::FractionalMonths { months: n }));
    }
    // A count beyond i64 is beyond the calendar too: an error, never the date unchanged.
    let n = i64::try_from(n.trunc()).map_err(|_| c.fail(EvalErrorKind::DateOutOfRange))?;
    let policy = if &*policy == "overflow" {
        crate::time::MonthEnd::Overflow
    } else {
        crate::time::MonthEnd::Clamp
    };
    crate::time::add_months(d, n, policy)
        .map(Value::Date)
        .ok_or_else(|| c.fail(EvalErrorKind::DateOutOfRange))
}

// ------------------------------------------------------------------ demand rules

/// Dates read no table.
pub fn demand(_: Builtin) -> Reach {
    Reach::Here
}

/// What reads the service month: the month itself, prorating, contract years, and the days of a
/// month when no month is given.
pub fn month_dependent(b: Builtin, given: &dyn Fn(usize) -> bool) -> bool {
    match b {
        Builtin::ServiceMonth | Builtin::Prorate | Builtin::ByYear | Builtin::ContractYear => true,
        Builtin::DaysInMonth | Builtin::FirstDay | Builtin::LastDay => !given(0),
        _ => false,
    }
}
