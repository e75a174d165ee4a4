//! `test` blocks are checked code: `billc check` types their `period`, their `given` rows against
//! the table schema ([`crate::schema`]) and their `expect`s, in the module's scope (the scope
//! `billc test` evaluates them in), so that a misspelled table or column, a value of the wrong unit
//! or a malformed month is an error with a line and a did-you-mean, not a surprise of `billc test`.
//!
//! Given rows are the CSV rows of DATA.md, written as records: a column takes a value of its type.
//! The language converts no unit implicitly (`160h` is hours, the minutes columns count minutes),
//! so `regular_minutes: 160h` is a type error whose help gives the minutes (`9600`). The columns
//! the data layer computes (`regular_hours`, `overtime_hours` from the minutes, `week` from the
//! date) cannot be given. What depends on the contract's lines (an `expect line` that two lines
//! answer) is checked on the compiled plan, in [`crate::compile::test_expects`].

use super::{CheckedModule, Checker, Cx, ItemState};
use crate::diag::{Code, Diagnostic};
use crate::schema::{ColumnTy, TableName};
use crate::span::Span;
use crate::syntax::ast::{self, BinOp, Expect, ExprKind as K};
use crate::ty::{Currency, Ty};
use std::sync::Arc;

/// The tables a `given` may fill besides the fact tables, with their columns.
const OTHER_TABLES: [(&str, &[(&str, Given)]); 3] = [
    ("sites", &[("site", Given::Text), ("start_date", Given::Date)]),
    (
        "indexes",
        &[
            ("index", Given::Text),
            ("period", Given::Month),
            ("value", Given::Number),
        ],
    ),
    (
        "adhoc",
        &[
            ("site", Given::Text),
            ("period", Given::Month),
            ("group", Given::Number),
            ("kind", Given::Text),
            ("title", Given::Text),
            ("gl", Given::Text),
            ("amount", Given::Money),
        ],
    ),
];

/// What a given column takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Given {
    /// Text; a number is read as its digits (`account: 6010`).
    Text,
    Number,
    Money,
    Date,
    Month,
    /// Computed by the data layer, never given: the help says from what.
    Computed(&'static str),
}

impl Given {
    fn of(column: &str, ty: ColumnTy) -> Given {
        match (column, ty) {
            ("week", _) => Given::Computed("the row's `date` (its Monday)"),
            ("regular_hours", _) => Given::Computed("`regular_minutes`"),
            ("overtime_hours", _) => Given::Computed("the overtime, holiday and double-overtime minutes"),
            (_, ColumnTy::Text) => Given::Text,
            (_, ColumnTy::NumberDim | ColumnTy::Number) => Given::Number,
            (_, ColumnTy::Money) => Given::Money,
            (_, ColumnTy::DateDim) => Given::Date,
            (_, ColumnTy::Hours) => Given::Computed("the minutes"),
        }
    }

    fn accepts(self, ty: &Ty) -> bool {
        match self {
            Given::Text => matches!(ty, Ty::Text | Ty::Number | Ty::Error),
            Given::Number => ty.fits(&Ty::Number),
            Given::Money => ty.fits(&Ty::Money(Currency::USD)),
            Given::Date => ty.fits(&Ty::Date),
            Given::Month => ty.fits(&Ty::Month),
            Given::Computed(_) => false,
        }
    }

    fn ty(self) -> Ty {
        match self {
            Given::Text | Given::Computed(_) => Ty::Text,
            Given::Number => Ty::Number,
            Given::Money => Ty::usd(),
            Given::Date => Ty::Date,
            Given::Month => Ty::Month,
        }
    }
}

/// The columns a `given` of `table` may name, or `None` for a table test data cannot give.
fn columns(table: &str) -> Option<Vec<(&'static str, Given)>> {
    if let Some(t) = TableName::from_name(table) {
        let mut cols = vec![("date", Given::Date), ("period", Given::Month), ("site", Given::Text)];
        cols.extend(t.columns().iter().map(|(n, ty)| (*n, Given::of(n, *ty))));
        return Some(cols);
    }
    OTHER_TABLES
        .iter()
        .find(|(n, _)| *n == table)
        .map(|(_, cols)| cols.to_vec())
}

/// The columns a row of `table` must give: each entry is satisfied by any one of its names.
fn required(table: &str) -> &'static [&'static [&'static str]] {
    match table {
        "indexes" => &[&["index"], &["period"], &["value"]],
        "adhoc" => &[&["period"]],
        "sites" => &[],
        _ => &[&["date", "period"]],
    }
}

/// Every table name a `given` may fill (for the did-you-mean).
fn table_names() -> impl Iterator<Item = &'static str> {
    TableName::ALL
        .into_iter()
        .map(TableName::name)
        .chain(OTHER_TABLES.iter().map(|(n, _)| *n))
}

/// Checks one test block in the module's scope; returns its diagnostics.
pub fn check_test(
    module: &ast::Module,
    imports: &[Arc<CheckedModule>],
    own: &CheckedModule,
    t: &ast::Test,
) -> Vec<Diagnostic> {
    let mut checker = Checker::new(module, imports);
    for (name, item) in &own.items {
        checker.done.insert(name.clone(), ItemState::Done(Some(item.clone())));
    }
    if let Some(p) = &t.period {
        period(&mut checker, p);
    }
    for g in &t.given {
        given(&mut checker, g);
    }
    for e in &t.expects {
        expect(&mut checker, e);
    }
    checker.diags
}

/// The type of a test expression (in the module's scope, as `billc test` evaluates it).
fn ty_of(checker: &mut Checker<'_>, e: &ast::Expr) -> Ty {
    checker.expr(e, &mut Cx::default()).ty
}

/// `2025-3` is the number 2022 to the parser: when a period reads like a month with a one-digit
/// month, the month it meant.
fn meant_month(e: &ast::Expr) -> Option<String> {
    let K::Binary(BinOp::Sub, a, b) = &e.kind else {
        return None;
    };
    let (K::Number(y), K::Number(m)) = (&a.kind, &b.kind) else {
        return None;
    };
    let (y, m) = (y.to_string(), m.to_string());
    let month: u32 = m.parse().ok()?;
    (y.len() == 4 && (1..=12).contains(&month)).then(|| format!("{y}-{month:02}"))
}

fn period(checker: &mut Checker<'_>, p: &ast::Expr) {
    let ty = ty_of(checker, p);
    if ty.fits(&Ty::Month) {
        return;
    }
    let help = match meant_month(p) {
        Some(m) => format!("a month is written with two digits: `period {m}`"),
        None => "write the service month as `YYYY-MM`, e.g. `period 2025-03`".to_string(),
    };
    checker.diags.push(
        Diagnostic::error(
            Code::TestPeriod,
            p.span,
            format!("a test's period is a month (`2025-03`), found `{ty}`"),
            "not a month",
        )
        .with_help(help),
    );
}

fn given(checker: &mut Checker<'_>, g: &ast::Given) {
    let table = g.table.name.as_str();
    let Some(cols) = columns(table) else {
        let mut d = Diagnostic::error(
            Code::UnknownTable,
            g.table.span,
            format!("there is no table `{table}` to give rows of"),
            "unknown table",
        );
        d = match super::suggest::closest(table, table_names()) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!(
                "the tables are {}",
                table_names().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            )),
        };
        checker.diags.push(d);
        return;
    };
    let K::List(rows) = &g.rows.kind else {
        // A named list of rows (a const): its type is checked, its columns are not known here.
        let ty = ty_of(checker, &g.rows);
        if !matches!(ty, Ty::List(_) | Ty::Error) {
            checker.error(
                Code::TypeMismatch,
                g.rows.span,
                format!("`given {table}` takes a list of rows `[{{column: value, …}}]`, found `{ty}`"),
                "not a list of rows",
            );
        }
        return;
    };
    for row in rows {
        let K::Record(fields) = &row.kind else {
            let ty = ty_of(checker, row);
            if !ty.is_error() {
                checker.error(
                    Code::TypeMismatch,
                    row.span,
                    format!("a row of `{table}` is a record `{{column: value, …}}`, found `{ty}`"),
                    "not a row",
                );
            }
            continue;
        };
        for (name, value) in fields {
            field(checker, table, &cols, name, value);
        }
        let has = |n: &str| fields.iter().any(|(f, _)| f.name == n);
        let missing: Vec<&str> = required(table)
            .iter()
            .filter(|any_of| !any_of.iter().any(|n| has(n)))
            .map(|any_of| any_of.first().copied().unwrap_or_default())
            .collect();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|n| format!("`{n}`")).collect();
            checker.diags.push(
                Diagnostic::error(
                    Code::MissingArgument,
                    row.span,
                    format!("a row of `{table}` needs {}", list.join(" and ")),
                    "incomplete row",
                )
                .with_help(if TableName::from_name(table).is_some() {
                    "a fact row is of the month of its `date` (or of its `period`)"
                } else {
                    "billc cannot place this row without it"
                }),
            );
        }
    }
}

fn field(checker: &mut Checker<'_>, table: &str, cols: &[(&'static str, Given)], name: &ast::Ident, value: &ast::Expr) {
    let ty = ty_of(checker, value);
    let Some((_, want)) = cols.iter().find(|(n, _)| *n == name.name) else {
        let givable = cols
            .iter()
            .filter(|(_, g)| !matches!(g, Given::Computed(_)))
            .map(|(n, _)| *n);
        let mut d = Diagnostic::error(
            Code::UnknownField,
            name.span,
            format!("table `{table}` has no column `{}`", name.name),
            "unknown column",
        );
        d = match super::suggest::closest(&name.name, givable.clone()) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!(
                "its columns are {}",
                givable.map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            )),
        };
        checker.diags.push(d);
        return;
    };
    if let Given::Computed(from) = want {
        checker.diags.push(
            Diagnostic::error(
                Code::UnknownField,
                name.span,
                format!("`{}` of `{table}` is computed, not given", name.name),
                "computed by the data layer",
            )
            .with_help(format!("billc computes `{}` from {from}: give that instead", name.name)),
        );
        return;
    }
    if want.accepts(&ty) {
        return;
    }
    let mut d = Diagnostic::error(
        Code::TypeMismatch,
        value.span,
        format!(
            "column `{}` of `{table}` takes `{}`, found `{ty}`",
            name.name,
            want.ty()
        ),
        format!("not `{}`", want.ty()),
    );
    if name.name.ends_with("_minutes") {
        d = match &value.kind {
            K::Quantity(h, ast::Unit::Hour) => d.with_help(format!(
                "minutes are a number and billc converts no unit by itself: `{}` is `{}` minutes",
                format_args!("{}h", h.normalize()),
                (*h * rust_decimal::Decimal::from(60)).normalize()
            )),
            _ => d.with_help("minutes are a number: `480` is 8 hours"),
        };
    }
    checker.diags.push(d);
}

fn expect(checker: &mut Checker<'_>, e: &Expect) {
    let want = |checker: &mut Checker<'_>, x: &ast::Expr, ty: &Ty, what: &str| {
        let found = ty_of(checker, x);
        if !found.fits(ty) {
            checker.error(
                Code::TypeMismatch,
                x.span,
                format!("{what} is `{ty}`, found `{found}`"),
                format!("not `{ty}`"),
            );
        }
    };
    match e {
        Expect::Line {
            title, group, amount, ..
        } => {
            want(checker, title, &Ty::Text, "a line's title");
            if let Some(g) = group {
                want(checker, g, &Ty::Number, "an invoice group");
            }
            // One amount, or the amounts of the lines with that title in invoice order.
            let found = ty_of(checker, amount);
            if !found.fits(&Ty::usd()) && !found.fits(&Ty::List(Box::new(Ty::usd()))) {
                checker.error(
                    Code::TypeMismatch,
                    amount.span,
                    format!("a line's amount is `Money` (or a list of them, one per line), found `{found}`"),
                    "not `Money`",
                );
            }
        }
        Expect::NoLine { title, group, .. } => {
            want(checker, title, &Ty::Text, "a line's title");
            if let Some(g) = group {
                want(checker, g, &Ty::Number, "an invoice group");
            }
        }
        Expect::Total { group, amount, .. } => {
            if let Some(g) = group {
                want(checker, g, &Ty::Number, "an invoice group");
            }
            want(checker, amount, &Ty::usd(), "a total");
        }
        Expect::Value { actual, expected, .. } => {
            let a = ty_of(checker, actual);
            let b = ty_of(checker, expected);
            if !a.fits(&b) && !b.fits(&a) && !matches!((&a, &b), (Ty::TierResult(..), _) | (_, Ty::TierResult(..))) {
                checker.diags.push(
                    Diagnostic::error(
                        Code::CompareMismatch,
                        expected.span,
                        format!("the value is `{a}`, the expected value `{b}`"),
                        format!("not `{a}`"),
                    )
                    .with_label(actual.span, format!("this is `{a}`")),
                );
            }
        }
    }
}

/// The span of an `expect`.
pub fn expect_span(e: &Expect) -> Span {
    match e {
        Expect::Line { span, .. }
        | Expect::NoLine { span, .. }
        | Expect::Total { span, .. }
        | Expect::Value { span, .. } => *span,
    }
}
