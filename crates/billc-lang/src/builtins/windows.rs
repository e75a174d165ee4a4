//! Windows: `prior` (Σ of a value over the earlier months of an accumulation window), `at` (a value
//! in another service month) and `across` (Σ of a value over several sites).
//!
//! These are the rules that evaluate an argument somewhere other than where the call is, so they are
//! also the ones whose demand rules move reads to other months and sites. [`window_months`] is the
//! one definition of an accumulation window (`monthly`, `calendar_year`, `anniversary`), shared
//! with `tiered`.

use super::{At, BuiltinSig, Call, Reach, TyCall, add_values, enum_ty, req, zero_like};
use crate::eval_error::{EvalErrorKind, Expected, InternalError, R};
use crate::hir::Builtin;
use crate::time::YearMonth;
use crate::trace::{Amount, Fact, MonthValue, TraceNode};
use crate::ty::Ty;
use crate::value::Value;

pub const SIGS: &[BuiltinSig] = &[
    BuiltinSig {
        builtin: Builtin::Prior,
        name: "prior",
        params: &[req("value"), req("window")],
        variadic: false,
        summary: "Σ of the value over the earlier months of the window",
    },
    BuiltinSig {
        builtin: Builtin::At,
        name: "at",
        params: &[req("value"), req("month")],
        variadic: false,
        summary: "the value in another service month",
    },
    BuiltinSig {
        builtin: Builtin::Across,
        name: "across",
        params: &[req("sites"), req("value")],
        variadic: false,
        summary: "Σ of the value over several sites",
    },
];

// ------------------------------------------------------------------ type rules

pub fn ty(b: Builtin, c: &mut TyCall<'_>) -> Ty {
    match b {
        Builtin::Prior => {
            c.want(1, &enum_ty("Window"), "window");
            let t = c.ty_of(0);
            c.additive(
                t.clone(),
                format!("`prior` sums a number or an amount, found `{t}`"),
                "cannot sum",
            )
        }
        Builtin::At => {
            c.want(1, &Ty::Month, "month");
            c.ty_of(0)
        }
        _ => {
            c.want(0, &Ty::List(Box::new(Ty::Text)), "sites");
            let t = c.ty_of(1);
            c.additive(
                t.clone(),
                format!("`across` sums a number or an amount, found `{t}`"),
                "cannot sum",
            )
        }
    }
}

// ------------------------------------------------------------------ evaluation rules

pub fn eval<'p>(b: Builtin, c: &mut dyn Call<'p>) -> R<Value> {
    match b {
        Builtin::Prior => prior(c),
        Builtin::At => {
            let Value::Month(m) = c.req(1)? else {
                return Err(c.internal(InternalError::NotA(Expected::Month)));
            };
            if c.expr(0).is_none() {
                return Err(c.internal(InternalError::MissingValue));
            }
            c.eval_at(0, At::Month(m))?
                .ok_or_else(|| c.internal(InternalError::MissingValue))
        }
        _ => across(c),
    }
}

fn prior(c: &mut dyn Call<'_>) -> R<Value> {
    let Some(value_expr) = c.expr(0) else {
        return Err(c.internal(InternalError::MissingValue));
    };
    let window = match c.req(1)? {
        Value::Enum(w) => w.to_string(),
        _ => "monthly".into(),
    };
    let mut total: Option<Value> = None;
    let facts = vec![Fact {
        name: "window".into(),
        value: window.clone(),
    }];
    let mut months = Vec::new();
    for m in window_months(c, &window)? {
        let v = value_at(c, At::Month(m))?;
        months.push(MonthValue {
            month: m.to_string(),
            value: v.display(),
            amount: Amount::of(&v),
        });
        total = Some(match total {
            None => v,
            Some(t) => add_values(&t, &v).map_err(|k| c.fail(k))?,
        });
    }
    let result = match total {
        Some(t) => t,
        None => zero_like(&value_expr.ty),
    };
    if c.tracing() {
        c.trace(TraceNode {
            facts,
            months,
            ..TraceNode::of("prior".into(), &result)
        });
    }
    Ok(result)
}

fn across(c: &mut dyn Call<'_>) -> R<Value> {
    let Value::List(sites) = c.req(0)? else {
        return Err(c.internal(InternalError::NotA(Expected::SiteList)));
    };
    let Some(value_expr) = c.expr(1) else {
        return Err(c.internal(InternalError::MissingValue));
    };
    let mut total: Option<Value> = None;
    let mut facts = Vec::new();
    for s in sites.iter() {
        let site = s.as_text().unwrap_or("").to_string();
        let v = c
            .eval_at(1, At::Site(&site))?
            .ok_or_else(|| c.internal(InternalError::MissingValue))?;
        facts.push(Fact {
            name: format!("site {site}"),
            value: v.display(),
        });
        total = Some(match total {
            None => v,
            Some(t) => add_values(&t, &v).map_err(|k| c.fail(k))?,
        });
    }
    let result = total.unwrap_or_else(|| zero_like(&value_expr.ty));
    if c.tracing() {
        c.trace(TraceNode {
            facts,
            ..TraceNode::of("across".into(), &result)
        });
    }
    Ok(result)
}

/// Argument 0 (known to be given) evaluated at `at`.
fn value_at(c: &mut dyn Call<'_>, at: At<'_>) -> R<Value> {
    c.eval_at(0, at)?.ok_or_else(|| c.internal(InternalError::MissingValue))
}

/// The months of a window before the call's month (oldest first).
pub fn window_months(c: &dyn Call<'_>, window: &str) -> R<Vec<YearMonth>> {
    let month = c.month();
    let start = match window {
        "monthly" => month,
        "calendar_year" => YearMonth {
            year: month.year,
            month: 1,
        },
        "anniversary" => {
            let site = c.site();
            let started = c.data().and_then(|d| d.site_start(&site)).ok_or_else(|| {
                c.fail(EvalErrorKind::MissingData(crate::eval_error::Missing::SiteStart {
                    site: site.to_string(),
                    for_anniversary: true,
                }))
            })?;
            let m = YearMonth::of(started).month;
            let year = if month.month >= m { month.year } else { month.year - 1 };
            YearMonth { year, month: m }
        }
        other => return Err(c.internal(InternalError::UnknownWindow { name: other.into() })),
    };
    Ok(start.through(month).filter(|m| *m < month).collect())
}

// ------------------------------------------------------------------ demand rules

/// `prior` reads its value over the window's earlier months, `at` in the month it names, `across`
/// at the sites it lists.
pub fn demand(b: Builtin) -> Reach {
    match b {
        Builtin::Prior => Reach::Window { value: 0, window: 1 },
        Builtin::At => Reach::InMonth { value: 0, month: 1 },
        _ => Reach::AtSites { value: 1, sites: 0 },
    }
}

/// `prior` and `at` are relative to the service month; `across` folds when its value does.
pub fn month_dependent(b: Builtin) -> bool {
    matches!(b, Builtin::Prior | Builtin::At)
}
