//! Builtin functions, one file per family: each family's signatures, type rules, evaluation rules
//! and data-window (demand) rules side by side, so that adding a builtin touches its family file, a
//! variant of [`Builtin`] in `hir` and one arm of [`family`].
//!
//! The shape. The checker, the evaluator and the demand analysis are three layers (`eval` sits below
//! `check`, which folds constants with it; `demand` sits above both), so a builtin's three rules
//! cannot live in any one of them. This module sits below all three (after `plan`, `input` and
//! `eval_error` in lib.rs's order) and each family file holds three plain functions:
//!
//! - `ty(b, &mut TyCall) -> Ty`: the type rule. The arguments are already typed `hir` expressions
//!   when it runs, so it needs nothing of the checker but somewhere to put diagnostics ([`TyCall`]).
//! - `eval(b, &mut dyn Call) -> R<Value>`: the evaluation rule. Arguments are passed by name, so the
//!   rule asks the evaluator to evaluate them, here or in another month or site, through the small
//!   [`Call`] trait that `eval::Machine` implements; data is read through [`crate::input`].
//! - `demand(b) -> Reach`: which argument the rule evaluates in which other months or sites, as data
//!   that `demand`'s walker interprets ([`Reach`]).
//!
//! Each family also says whether a call depends on the service month (`month_dependent`), so that it
//! is never folded at compile time. This module may not import `eval`, `check`, `compile` or
//! `demand`: they call it, never the other way round. Inside it, families may use each other's
//! helpers (`tiers` uses `windows::window_months`).

pub mod dates;
pub mod escalation;
pub mod lines;
pub mod money;
pub mod queries;
pub mod tiers;
pub mod windows;

use crate::diag::{Code, Diagnostic};
use crate::eval_error::{EvalError, EvalErrorKind, InternalError, R, kind_of};
use crate::hir::{Builtin, Expr};
use crate::input::{DataView, RowView};
use crate::schema::TableName;
use crate::span::Span;
use crate::time::YearMonth;
use crate::ty::{EnumTy, Ty};
use crate::value::Value;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::sync::Arc;

// ------------------------------------------------------------------ signatures

/// A builtin parameter: its name and whether it may be left out.
pub struct BParam {
    pub name: &'static str,
    pub optional: bool,
}

const fn req(name: &'static str) -> BParam {
    BParam { name, optional: false }
}

const fn opt(name: &'static str) -> BParam {
    BParam { name, optional: true }
}

/// A builtin's name, parameters, whether it takes any number of arguments, and a one-line summary.
///
/// Each builtin declares its parameters by name so that named arguments, defaults and arity errors
/// work the same for builtins as for `fn`s written in the language.
pub struct BuiltinSig {
    pub builtin: Builtin,
    pub name: &'static str,
    pub params: &'static [BParam],
    pub variadic: bool,
    pub summary: &'static str,
}

/// The families of builtins, each a file of this module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Queries,
    Money,
    Tiers,
    Windows,
    Escalation,
    Dates,
    Lines,
}

/// The family a builtin belongs to.
pub fn family(b: Builtin) -> Family {
    use Builtin as B;
    match b {
        B::Sum | B::Count | B::First | B::Len => Family::Queries,
        B::Min | B::Max | B::Abs | B::Round | B::Ceil | B::Cap | B::Floor => Family::Money,
        B::Tiered | B::Volume => Family::Tiers,
        B::Prior | B::At | B::Across => Family::Windows,
        B::Escalate | B::IndexChange | B::IndexLevel => Family::Escalation,
        B::Prorate
        | B::ByYear
        | B::ServiceMonth
        | B::DaysInMonth
        | B::FirstDay
        | B::LastDay
        | B::AddMonths
        | B::ContractYear
        | B::SiteStart
        | B::Year
        | B::MonthNumber
        | B::MonthOf => Family::Dates,
        B::Adhoc | B::Lines => Family::Lines,
    }
}

/// Every builtin's signature, family by family.
pub fn all() -> impl Iterator<Item = &'static BuiltinSig> {
    [
        queries::SIGS,
        money::SIGS,
        tiers::SIGS,
        windows::SIGS,
        escalation::SIGS,
        dates::SIGS,
        lines::SIGS,
    ]
    .into_iter()
    .flatten()
}

/// The builtin called `name`.
pub fn lookup(name: &str) -> Option<&'static BuiltinSig> {
    all().find(|b| b.name == name)
}

/// The enumerations every module sees, with their variants.
pub const PRELUDE_ENUMS: &[(&str, &[&str])] = &[
    ("Window", &["monthly", "calendar_year", "anniversary"]),
    ("Rounding", &["half_away", "half_even", "up", "down"]),
    ("MonthName", &crate::time::MONTH_NAMES),
    ("Billing", &["arrears", "advanced"]),
    ("MonthEnd", &["clamp", "overflow"]),
    ("AdhocKind", &["misc", "reimbursable", "client_paid", "non_billable"]),
];

/// The prelude enumeration called `name`.
pub fn prelude_enum(name: &str) -> Option<Arc<EnumTy>> {
    PRELUDE_ENUMS.iter().find(|(n, _)| *n == name).map(|(n, vs)| {
        Arc::new(EnumTy {
            name: (*n).to_string(),
            variants: vs.iter().map(|v| (*v).to_string()).collect(),
        })
    })
}

/// The prelude enumeration that has a variant called `name`.
pub fn prelude_variant(name: &str) -> Option<Arc<EnumTy>> {
    PRELUDE_ENUMS
        .iter()
        .find(|(_, vs)| vs.contains(&name))
        .and_then(|(n, _)| prelude_enum(n))
}

/// The type of a prelude enumeration (an empty one of that name if it were missing).
fn enum_ty(name: &str) -> Ty {
    Ty::Enum(prelude_enum(name).unwrap_or_else(|| {
        Arc::new(EnumTy {
            name: name.into(),
            variants: vec![],
        })
    }))
}

// ------------------------------------------------------------------ type rules

/// One builtin call being typed: its typed arguments (in parameter order, absent optional ones as
/// `None`) and where its diagnostics go.
pub struct TyCall<'a> {
    pub sig: &'static BuiltinSig,
    pub args: &'a [Option<Expr>],
    pub span: Span,
    pub diags: &'a mut Vec<Diagnostic>,
}

impl TyCall<'_> {
    fn arg(&self, i: usize) -> Option<&Expr> {
        self.args.get(i).and_then(Option::as_ref)
    }

    fn ty_of(&self, i: usize) -> Ty {
        self.arg(i).map_or(Ty::Error, |e| e.ty.clone())
    }

    /// The span of argument `i`, or of the call when it is absent.
    fn span_of(&self, i: usize) -> Span {
        self.arg(i).map_or(self.span, |e| e.span)
    }

    /// Argument `i`, when given, must fit `ty`.
    fn want(&mut self, i: usize, ty: &Ty, name: &str) {
        let args = self.args;
        if let Some(e) = args.get(i).and_then(Option::as_ref) {
            expect_arg(self.diags, e, ty, name);
        }
    }

    fn error(&mut self, code: Code, span: Span, message: impl Into<String>, label: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, span, message, label));
    }

    /// `value` must be additive (a number or an amount): reports `message` otherwise.
    fn additive(&mut self, value: Ty, message: String, label: &str) -> Ty {
        if value.is_additive() {
            return value;
        }
        let span = self.span;
        self.error(Code::TypeMismatch, span, message, label);
        Ty::Error
    }
}

/// Reports an argument whose type does not fit its parameter's.
pub fn expect_arg(diags: &mut Vec<Diagnostic>, e: &Expr, want: &Ty, name: &str) {
    if !e.ty.fits(want) {
        let mut d = Diagnostic::error(
            Code::TypeMismatch,
            e.span,
            format!("argument `{name}` must be `{want}`, found `{}`", e.ty),
            format!("this is `{}`", e.ty),
        );
        if let Some(help) = crate::slips::help(e, want) {
            d = d.with_help(help);
        }
        diags.push(d);
    }
}

/// The type of a builtin call (its type rule, by family).
pub fn ty(call: &mut TyCall<'_>) -> Ty {
    let b = call.sig.builtin;
    match family(b) {
        Family::Queries => queries::ty(b, call),
        Family::Money => money::ty(b, call),
        Family::Tiers => tiers::ty(b, call),
        Family::Windows => windows::ty(b, call),
        Family::Escalation => escalation::ty(b, call),
        Family::Dates => dates::ty(b, call),
        Family::Lines => lines::ty(b, call),
    }
}

// ------------------------------------------------------------------ evaluation rules

/// Where the evaluator is asked to evaluate an argument.
#[derive(Clone, Copy, Debug)]
pub enum At<'a> {
    /// Where the call is (its month, site and row, traced if the call is).
    Here,
    /// The same site in another month, outside any row and untraced (windows, escalation steps).
    Month(YearMonth),
    /// Another site in the same month, outside any row and untraced (`across`).
    Site(&'a str),
}

/// Rows chosen by a query: the table, the column read, the rows, and the filters (for traces).
pub type Selection<'p> = (TableName, Option<String>, Vec<&'p dyn RowView>, Vec<String>);

/// One builtin call being evaluated: what an evaluation rule may ask of the evaluator.
pub trait Call<'p> {
    /// The call's typed arguments, in parameter order (absent optional ones as `None`).
    fn args(&self) -> &'p [Option<Expr>];
    /// The call's span (for errors and traces).
    fn span(&self) -> Span;
    /// The month the call is evaluated in.
    fn month(&self) -> YearMonth;
    /// The site the call is evaluated for.
    fn site(&self) -> Arc<str>;
    /// The data, when there is any (none at compile time).
    fn data(&self) -> Option<&'p dyn DataView>;
    /// The contract's `effective` date, when it has one.
    fn effective(&self) -> Option<NaiveDate>;
    /// Whether the call is traced.
    fn tracing(&self) -> bool;
    /// Evaluates argument `i` (`None` when it was left out).
    fn eval_at(&mut self, i: usize, at: At<'_>) -> R<Option<Value>>;
    /// The rows argument `i` (a table, a column or a `where`) selects, in the call's month and site.
    fn select(&mut self, i: usize) -> R<Selection<'p>>;
    /// Records a trace node for the call's result (when tracing); its source is the call's.
    fn trace(&mut self, node: crate::trace::TraceNode);

    /// Argument `i` where the call is.
    fn arg(&mut self, i: usize) -> R<Option<Value>> {
        self.eval_at(i, At::Here)
    }

    /// A required argument where the call is.
    fn req(&mut self, i: usize) -> R<Value> {
        let span = self.span();
        self.arg(i)?
            .ok_or_else(|| EvalError::new(InternalError::MissingArgument, span))
    }

    /// The expression of argument `i`.
    fn expr(&self, i: usize) -> Option<&'p Expr> {
        self.args().get(i).and_then(Option::as_ref)
    }

    /// An error of this call.
    fn fail(&self, kind: EvalErrorKind) -> EvalError {
        EvalError::new(kind, self.span())
    }

    /// A broken invariant at this call.
    fn internal(&self, e: InternalError) -> EvalError {
        EvalError::new(e, self.span())
    }
}

/// Evaluates a builtin call (its evaluation rule, by family).
pub fn eval<'p>(b: Builtin, call: &mut dyn Call<'p>) -> R<Value> {
    match family(b) {
        Family::Queries => queries::eval(b, call),
        Family::Money => money::eval(b, call),
        Family::Tiers => tiers::eval(b, call),
        Family::Windows => windows::eval(b, call),
        Family::Escalation => escalation::eval(b, call),
        Family::Dates => dates::eval(b, call),
        Family::Lines => lines::eval(b, call),
    }
}

/// Whether a builtin call depends on the service month (so that it is never folded at compile time).
pub fn month_dependent(b: Builtin, args: &[Option<Expr>]) -> bool {
    let given = |i: usize| args.get(i).is_some_and(Option::is_some);
    match family(b) {
        Family::Queries => queries::month_dependent(b),
        Family::Money => money::month_dependent(b),
        Family::Tiers => tiers::month_dependent(b),
        Family::Windows => windows::month_dependent(b),
        Family::Escalation => escalation::month_dependent(b, &given),
        Family::Dates => dates::month_dependent(b, &given),
        Family::Lines => lines::month_dependent(b),
    }
}

// ------------------------------------------------------------------ demand rules

/// Which months and sites a builtin evaluates its arguments in, for the demand analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Every argument is evaluated where the call is.
    Here,
    /// Argument `value` is also evaluated in the earlier months of the window named by argument
    /// `window` (none when it is left out).
    Window { value: usize, window: usize },
    /// Argument `value` is evaluated in the month given by argument `month`.
    InMonth { value: usize, month: usize },
    /// Argument `value` is evaluated at the sites listed by argument `sites`.
    AtSites { value: usize, sites: usize },
    /// Every argument after the first is evaluated at steps arbitrarily far back.
    PastSteps,
}

/// The demand rule of a builtin, by family.
pub fn demand(b: Builtin) -> Reach {
    match family(b) {
        Family::Queries => queries::demand(b),
        Family::Money => money::demand(b),
        Family::Tiers => tiers::demand(b),
        Family::Windows => windows::demand(b),
        Family::Escalation => escalation::demand(b),
        Family::Dates => dates::demand(b),
        Family::Lines => lines::demand(b),
    }
}

// ------------------------------------------------------------------ values

/// The zero of a type (what an empty sum is).
pub fn zero_like(ty: &Ty) -> Value {
    match ty {
        Ty::Money(c) => Value::Money(Decimal::ZERO, *c),
        Ty::Percent => Value::Percent(Decimal::ZERO),
        Ty::Quantity(u) => Value::Quantity(Decimal::ZERO, *u),
        Ty::Rate(c, u) => Value::Rate(Decimal::ZERO, *c, *u),
        Ty::Duration(u) => Value::Duration(Decimal::ZERO, *u),
        _ => Value::Number(Decimal::ZERO),
    }
}

/// The sum of two values of one additive type.
pub fn add_values(a: &Value, b: &Value) -> Result<Value, EvalErrorKind> {
    let (x, y) = (a.decimal().unwrap_or_default(), b.decimal().unwrap_or_default());
    crate::value::money::add(x, y)
        .map(|d| a.with_decimal(d))
        .map_err(kind_of)
}

/// The order of two values of one comparable type.
pub fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Month(x), Value::Month(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        _ => Some(a.decimal()?.cmp(&b.decimal()?)),
    }
}
