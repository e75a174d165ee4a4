//! Queries over tables and lists: `sum`, `count`, `first` and `len`.
//!
//! `sum(revenue.net_external_revenue where revenue_code in CODES)` reads the rows the evaluator
//! selects for the call's month and site, marks them used (for the accounting of input rows) and,
//! when traced, lists the row groups behind the value. Over a list, `sum` and `count` work on the
//! items. The rows themselves are chosen by the evaluator ([`super::Call::select`]); this file may
//! not walk `where` filters or read the data any other way.

use super::{BuiltinSig, Call, Reach, TyCall, add_values, opt, req, zero_like};
use crate::diag::{Code, Diagnostic};
use crate::eval_error::{EvalErrorKind, Expected, InternalError, R, arith};
use crate::hir::Builtin;
use crate::input::RowView;
use crate::schema::{ColumnTy, TableName, column_position};
use crate::trace::{Amount, Dim, Fact, RowGroup, TraceNode};
use crate::ty::{Currency, Ty};
use crate::value::Value;
use crate::value::money;
use rust_decimal::Decimal;

pub const SIGS: &[BuiltinSig] = &[
    BuiltinSig {
        builtin: Builtin::Sum,
        name: "sum",
        params: &[req("values")],
        variadic: false,
        summary: "Σ of a column (filtered with `where`) or of a list",
    },
    BuiltinSig {
        builtin: Builtin::Count,
        name: "count",
        params: &[req("rows")],
        variadic: false,
        summary: "number of rows of a table or column, or of items of a list",
    },
    BuiltinSig {
        builtin: Builtin::First,
        name: "first",
        params: &[req("column"), opt("default")],
        variadic: false,
        summary: "the value of the first row (in file order) of a filtered column",
    },
    BuiltinSig {
        builtin: Builtin::Len,
        name: "len",
        params: &[req("list")],
        variadic: false,
        summary: "the number of items of a list",
    },
];

// ------------------------------------------------------------------ type rules

pub fn ty(b: Builtin, c: &mut TyCall<'_>) -> Ty {
    match b {
        Builtin::Sum => sum_ty(c),
        Builtin::Count => match c.ty_of(0) {
            Ty::Column(..) | Ty::Table(_) | Ty::List(_) | Ty::Error => Ty::Number,
            other => {
                let span = c.span;
                c.error(
                    Code::TypeMismatch,
                    span,
                    format!("`count` needs a table, a column or a list, found `{other}`"),
                    "cannot count",
                );
                Ty::Error
            }
        },
        Builtin::First => match c.ty_of(0) {
            Ty::Column(_, t) => {
                c.want(1, &t, "default");
                *t
            }
            Ty::Error => Ty::Error,
            other => {
                let span = c.span;
                c.error(
                    Code::TypeMismatch,
                    span,
                    format!("`first` needs a column, found `{other}`"),
                    "not a column",
                );
                Ty::Error
            }
        },
        _ => match c.ty_of(0) {
            Ty::List(_) | Ty::Error => Ty::Number,
            other => {
                let span = c.span;
                c.error(
                    Code::NotAList,
                    span,
                    format!("`len` needs a list, found `{other}`"),
                    "not a list",
                );
                Ty::Error
            }
        },
    }
}

fn sum_ty(c: &mut TyCall<'_>) -> Ty {
    let span = c.span;
    match c.ty_of(0) {
        Ty::Column(_, t) | Ty::List(t) if t.is_additive() => *t,
        Ty::Error => Ty::Error,
        Ty::Table(t) => {
            c.diags.push(
                Diagnostic::error(
                    Code::TypeMismatch,
                    span,
                    format!("`sum` of a whole table: say which column of `{}`", t.name()),
                    "which column?",
                )
                .with_help(format!(
                    "e.g. `sum({}.{})`",
                    t.name(),
                    t.columns()
                        .iter()
                        .find(|(_, c)| !c.is_dimension())
                        .map_or("", |(n, _)| *n)
                )),
            );
            Ty::Error
        }
        other => {
            c.error(
                Code::TypeMismatch,
                span,
                format!("`sum` needs a column or a list of numbers, found `{other}`"),
                "cannot sum",
            );
            Ty::Error
        }
    }
}

// ------------------------------------------------------------------ evaluation rules

/// Traces list the row groups behind a query, up to this many (a bound on a trace's size; no
/// real contract's query comes near: a site's month has tens of groups).
const MAX_TRACED_GROUPS: usize = 1_000;

pub fn eval<'p>(b: Builtin, c: &mut dyn Call<'p>) -> R<Value> {
    if b == Builtin::Len {
        return match c.req(0)? {
            Value::List(items) => Ok(Value::Number(Decimal::from(items.len()))),
            _ => Err(c.internal(InternalError::NotA(Expected::List))),
        };
    }
    let Some(arg) = c.expr(0) else {
        return Err(c.internal(InternalError::MissingArgument));
    };
    if let Ty::List(elem) = &arg.ty {
        let Some(Value::List(items)) = c.arg(0)? else {
            return Err(c.internal(InternalError::NotA(Expected::List)));
        };
        if b == Builtin::Count {
            return Ok(Value::Number(Decimal::from(items.len())));
        }
        let mut total = zero_like(elem);
        for v in items.iter() {
            total = add_values(&total, v).map_err(|k| c.fail(k))?;
        }
        return Ok(total);
    }
    let (table, col, rows, filters) = c.select(0)?;
    for r in &rows {
        r.mark_used();
    }
    let nrows: u64 = rows.iter().map(|r| u64::from(r.count())).sum();
    let result = match b {
        Builtin::Count => Value::Number(Decimal::from(nrows)),
        Builtin::Sum => sum_rows(c, table, col.as_deref(), &rows)?,
        _ => first_row(c, table, col.as_deref(), &rows)?,
    };
    if c.tracing() {
        let what = match b {
            Builtin::Sum => "sum",
            Builtin::Count => "count",
            _ => "first",
        };
        let (facts, groups) = query_facts(table, col.as_deref(), &rows, nrows, c.month().to_string(), filters);
        let label = format!(
            "{what} {}{}",
            table.name(),
            col.as_ref().map(|c| format!(".{c}")).unwrap_or_default()
        );
        c.trace(TraceNode {
            facts,
            rows: groups,
            ..TraceNode::of(label, &result)
        });
    }
    Ok(result)
}

fn sum_rows(c: &dyn Call<'_>, table: TableName, col: Option<&str>, rows: &[&dyn RowView]) -> R<Value> {
    let Some(col) = col else {
        return Err(c.internal(InternalError::SumOfTable));
    };
    let Some((_, idx)) = column_position(table, col) else {
        return Err(c.internal(InternalError::UnknownColumn { column: col.into() }));
    };
    let mut total = Decimal::ZERO;
    for r in rows {
        total = money::add(total, r.measure(idx)).map_err(|x| arith(x, c.span()))?;
    }
    Ok(column_value(table, col, total))
}

fn first_row(c: &mut dyn Call<'_>, table: TableName, col: Option<&str>, rows: &[&dyn RowView]) -> R<Value> {
    let Some(col) = col else {
        return Err(c.internal(InternalError::FirstOfTable));
    };
    match rows.iter().min_by_key(|r| r.first_line()) {
        Some(r) => row_value(table, *r, col).ok_or_else(|| c.fail(EvalErrorKind::BadFirstValue { column: col.into() })),
        None => match c.arg(1)? {
            Some(d) => Ok(d),
            None => Err(
                c.fail(EvalErrorKind::MissingData(crate::eval_error::Missing::NoFirstRow {
                    table,
                })),
            ),
        },
    }
}

/// The facts of a query's trace (rows, month, filters) and the row groups behind it, so that an
/// auditor can find them.
fn query_facts(
    table: TableName,
    col: Option<&str>,
    rows: &[&dyn RowView],
    nrows: u64,
    month: String,
    filters: Vec<String>,
) -> (Vec<Fact>, Vec<RowGroup>) {
    let mut facts = vec![
        Fact {
            name: "rows".into(),
            value: nrows.to_string(),
        },
        Fact {
            name: "month".into(),
            value: month,
        },
    ];
    for f in filters {
        facts.push(Fact {
            name: "where".into(),
            value: f,
        });
    }
    if rows.len() > MAX_TRACED_GROUPS {
        facts.push(Fact {
            name: "groups".into(),
            value: format!("{} (the first {MAX_TRACED_GROUPS} are listed)", rows.len()),
        });
    }
    let dims: Vec<&str> = table
        .columns()
        .iter()
        .filter(|(_, t)| t.is_dimension())
        .map(|(n, _)| *n)
        .collect();
    let groups = rows
        .iter()
        .take(MAX_TRACED_GROUPS)
        .map(|r| {
            // The group's own value of the column read: a summed measure or a dimension (`first`).
            let value = col.and_then(|c| row_value(table, *r, c));
            RowGroup {
                file: r.file_name().to_string(),
                first_line: r.first_line(),
                last_line: r.last_line(),
                rows: r.count(),
                dims: dims
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !r.dim(*i).is_empty())
                    .map(|(i, n)| Dim {
                        column: (*n).to_string(),
                        value: r.dim(i).to_string(),
                    })
                    .collect(),
                value: value.as_ref().map(Value::display),
                amount: value.as_ref().and_then(Amount::of),
            }
        })
        .collect();
    (facts, groups)
}

/// A summed measure as a typed value.
pub fn column_value(table: TableName, col: &str, d: Decimal) -> Value {
    match table.column(col) {
        Some(ColumnTy::Money) => Value::Money(d, Currency::USD),
        Some(ColumnTy::Hours) => Value::Quantity(d, crate::syntax::ast::Unit::Hour),
        _ => Value::Number(d),
    }
}

/// A column of one row as a typed value.
pub fn row_value(table: TableName, row: &dyn RowView, col: &str) -> Option<Value> {
    let (ty, idx) = column_position(table, col)?;
    Some(match ty {
        ColumnTy::Text => Value::text(row.dim(idx)),
        ColumnTy::NumberDim => Value::Number(row.dim(idx).parse::<Decimal>().ok()?),
        ColumnTy::DateDim => Value::Date(crate::time::parse_date(row.dim(idx))?),
        _ => column_value(table, col, row.measure(idx)),
    })
}

// ------------------------------------------------------------------ demand rules

/// Queries read their rows in the call's month and site.
pub fn demand(_: Builtin) -> Reach {
    Reach::Here
}

/// Queries read the call's month, which the evaluator checks when it selects rows.
pub fn month_dependent(_: Builtin) -> bool {
    false
}
