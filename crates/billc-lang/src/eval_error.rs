//! Why evaluation failed: the error the evaluator and the builtins return, and its text.
//!
//! Errors are data (names, values, spans; never pre-formatted text), and [`EvalErrorKind::describe`]
//! is the one place they become text. Each variant's doc says what triggers it, with the smallest
//! billc snippet where a contract can. [`InternalError`]s are the failures a checked contract cannot
//! produce (a broken invariant of the checker, the compiler or the evaluator); they are kept apart
//! so that a caller can tell a bug from a contract or data problem ([`EvalErrorKind::is_internal`]).
//!
//! This module sits below the builtins and the evaluator so that both can return these errors; it
//! may not evaluate anything.

use crate::schema::TableName;
use crate::span::Span;
use crate::syntax::ast::BinOp;
use crate::time::YearMonth;
use crate::value::Value;
use crate::value::money::ArithError;
use rust_decimal::Decimal;

/// Why evaluation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalErrorKind {
    /// A decimal overflowed: `line "x" = $79,228,162,514,264,337,593,543,950,335 * 2`.
    Overflow,
    /// `line "x" = $100 / (1 - 1)`.
    DivisionByZero,
    /// A compile-time value that needs data or a let (says what it uses):
    /// `const C = sum(revenue.net_external_revenue)`.
    NotConstant(Uses),
    /// Data the rule needs is absent (a site's start date, an index level…): `site_start()` for a
    /// site that sites.csv does not list.
    MissingData(Missing),
    /// A line that reads itself: `line total: "Total" tags [fee] = lines(fee)`.
    Cycle { name: String },
    /// `min`, `max` or `by_year` of an empty list: `by_year(2025-01-01, [])`, or `min(rates)` in a
    /// component given `rates: []`.
    EmptyList { builtin: &'static str },
    /// `round(x, places)` with `places` negative or above 20: `round($1.25, 21)`.
    RoundPlaces { places: Decimal },
    /// `add_months(2025-01-31, 1.5, clamp)`: whole months only.
    FractionalMonths { months: Decimal },
    /// A date beyond the calendar: `add_months(2025-01-31, 10000000, clamp)`.
    DateOutOfRange,
    /// A month beyond the calendar: `index_change("CPI", months: 10000000000)`.
    MonthOutOfRange,
    /// A row whose `column` (a number or date dimension) does not read as one, in a `where`
    /// filter: `count(revenue where tax_rate > 0)` over a row whose `tax_rate` is `abc`.
    BadColumnValue { column: String },
    /// The same, in the row `first` returns: `first(revenue.tax_rate)` over that row.
    BadFirstValue { column: String },
    /// Part of the amount lies above the last tier's limit, so no tier would bill it:
    /// `tiered($1,500, { 10% up to $1,000 })` (`above` is $500). A last tier without a limit is
    /// unlimited; a cap is written as an explicit `0%` last tier.
    AboveLastTier { above: Box<Value>, limit: Box<Value> },
    /// `escalate` would step more than [`ESCALATION_HORIZON`] times between `since` and the service
    /// month: `escalate($100, by: 1%, every: january, since: 1800-01-01)`.
    EscalationHorizon { steps: u32 },
    /// A line amount of [`LARGEST_AMOUNT`] or more, which no contract bills and whose cents a
    /// decimal may no longer hold: `line "x" = $25.08/h * hours(job: "GSA")` over 10²⁷ minutes.
    ImplausibleAmount {
        amount: Decimal,
        currency: crate::ty::Currency,
    },
    /// The evaluation went past [`MAX_STEPS`] expressions: functions that call one
    /// another twice, 40 deep (`fn g1(x: Money) -> Money = g0(x) + g0(x)`, …, `g40($1)`).
    TooManySteps,
    /// A text longer than [`MAX_TEXT`] bytes: a text doubled 40 times
    /// (`let t1 = "{t0}{t0}"`, …).
    TextTooLong,
    /// A list of more than [`MAX_LIST`] elements: a list added to itself 40 times.
    ListTooLong,
    /// A failure a checked contract cannot produce.
    Internal(InternalError),
}

/// The most annual steps `escalate` applies (two centuries of a contract); more is an error
/// ([`EvalErrorKind::EscalationHorizon`]), never a schedule that silently stops.
pub const ESCALATION_HORIZON: u32 = 200;

/// The magnitude from which a line amount is an error ([`EvalErrorKind::ImplausibleAmount`]):
/// $1,000,000,000,000 (a trillion dollars), far above any month of parking and far below where a
/// decimal of 28 digits starts dropping cents.
/// (`from_parts` because it is `const`: 10¹² = 232 × 2³² + 3,567,587,328.)
pub const LARGEST_AMOUNT: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0);

/// The most expressions one evaluation (a contract's month, or a constant) may evaluate. The
/// largest contract of the examples and of the generated mix takes about 1,400; this allows seven
/// thousand times more, about 0.6 s of work in a release build, before the contract fails with
/// [`EvalErrorKind::TooManySteps`] (the other contracts of the run are billed).
pub const MAX_STEPS: u64 = 10_000_000;

/// The longest text a value may be, in bytes (an invoice line's title is a few dozen).
pub const MAX_TEXT: usize = 1 << 20;

/// The most elements a list value may have (the rows of a table are not a list value).
pub const MAX_LIST: usize = 1_000_000;

/// A broken invariant: each of these is excluded by checking (types, arity, names) or by
/// compilation (slots, resolved `lines`), so it is a bug in billc, never in a contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InternalError {
    /// A body reference resolved to a slot the plan does not have.
    UnknownSlot,
    /// A local variable beyond the scope stack.
    UnboundVariable,
    /// An erroneous node (reported by the checker) reached evaluation.
    ErroneousExpression,
    /// A field a record or tier result does not have (the checker resolves fields).
    NoField { name: String },
    /// A required builtin argument is absent (the checker enforces arity).
    MissingArgument,
    /// `tiered` or `volume` without an amount.
    MissingAmount,
    /// `prior`, `at` or `across` without a value.
    MissingValue,
    /// A value of the wrong kind where the types say otherwise.
    NotA(Expected),
    /// `add_months` arguments of the wrong kinds.
    BadArguments,
    /// `escalate(every:)` that is not a month name.
    EveryNotAMonth,
    /// `escalate(every:)` naming no month.
    UnknownMonth { name: String },
    /// A window that is not `monthly`, `calendar_year` or `anniversary`.
    UnknownWindow { name: String },
    /// A query over a column the table does not have.
    UnknownColumn { column: String },
    /// `sum` of a whole table.
    SumOfTable,
    /// `first` of a whole table.
    FirstOfTable,
    /// Two values `min`, `max`, `cap` or `floor` cannot order.
    Incomparable,
    /// An operator applied to values its type rule refuses.
    BadOperands { op: BinOp, left: Value, right: Value },
    /// Unary minus of a value without a number.
    CannotNegate,
    /// `not` of a value that is not a `Bool`.
    BadOperand,
    /// A line whose amount is not money.
    LineNotMoney { amount: Value },
    /// A `lines(…)` builtin call left for the evaluator (the checker makes it `ExprKind::Lines`).
    LinesUnresolved,
    /// A value not of its expression's checked type (asserted in debug builds: the checker is
    /// unsound there).
    Unsound { value: Value, ty: String },
}

/// What a compile-time value uses that is not known before data is read, in
/// [`EvalErrorKind::NotConstant`]. Its [`Display`](std::fmt::Display) is the phrase after "it uses".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Uses {
    /// A let or line that does not resolve to a named one: `const C = total` inside a body.
    LetOrLine,
    /// A named let: `const C = fee` where `let fee = $10`.
    Let { name: String },
    /// A column of a row outside a query: `const C = revenue.tax_rate` in a filter position.
    Column { column: String },
    /// A whole table: `const C = sum(revenue)`.
    Table { table: TableName },
    /// A table's column: `const C = revenue.net_external_revenue`.
    TableColumn { table: TableName, column: String },
    /// `const C = revenue where tax_rate > 0`.
    FilteredTable,
    /// A query over something that is not a table of the data.
    AnyTable,
    /// `lines(fee)` in a constant.
    InvoiceLines,
    /// `adhoc(…)` in a constant.
    AdhocLines,
    /// A builtin that reads the service month (`days_in_month()`), named in snake case.
    ServiceMonth { builtin: String },
}

impl std::fmt::Display for Uses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Uses::LetOrLine => f.write_str("a let or line"),
            Uses::Let { name } => write!(f, "`{name}`"),
            Uses::Column { column } => write!(f, "the column `{column}`"),
            Uses::Table { table } => write!(f, "the table `{}`", table.name()),
            Uses::TableColumn { table, column } => write!(f, "`{}.{column}`", table.name()),
            Uses::FilteredTable => f.write_str("a filtered table"),
            Uses::AnyTable => f.write_str("a table"),
            Uses::InvoiceLines => f.write_str("invoice lines"),
            Uses::AdhocLines => f.write_str("ad-hoc lines"),
            Uses::ServiceMonth { builtin } => write!(f, "the service month (`{builtin}`)"),
        }
    }
}

/// Data a rule needs that the run does not have, in [`EvalErrorKind::MissingData`]. Its
/// [`Display`](std::fmt::Display) is the phrase after "missing data:".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Missing {
    /// A table's month for a site outside the data loaded (the demand missed it, or `--history`
    /// is too short): `prior(x, anniversary)` reaching before the months read.
    NotLoaded {
        table: TableName,
        month: YearMonth,
        site: String,
    },
    /// `first(revenue.tax_rate where …)` with no matching row and no `default:`.
    NoFirstRow { table: TableName },
    /// `site_start()` for a site that sites.csv does not list (`for_anniversary`: when an
    /// `anniversary` window needs it).
    SiteStart { site: String, for_anniversary: bool },
    /// `index_level("CPI")` or `index_change("CPI")` for a month indexes.csv lacks.
    Index { name: String, month: YearMonth },
    /// `escalate(…)` without `since:` in a contract without `effective`.
    EscalationStart,
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::NotLoaded { table, month, site } => write!(
                f,
                "{} of {month} for site {site}, which is not in the data loaded for this run",
                table.name()
            ),
            Missing::NoFirstRow { table } => {
                write!(f, "no row of `{}` matches, and `first` has no default", table.name())
            }
            Missing::SiteStart { site, for_anniversary } => {
                write!(f, "the start date of site `{site}` (sites.csv)")?;
                if *for_anniversary {
                    f.write_str(", for an anniversary window")?;
                }
                Ok(())
            }
            Missing::Index { name, month } => write!(f, "index `{name}` has no value for {month} (indexes.csv)"),
            Missing::EscalationStart => f.write_str("`escalate` needs `since:` or the contract's `effective` date"),
        }
    }
}

/// What a value should have been, in [`InternalError::NotA`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected {
    List,
    Table,
    Month,
    Date,
    TierTable,
    SiteList,
    DataNode,
    Composite,
}

impl EvalErrorKind {
    /// The one-line text of the error (lowercase, no final period).
    pub fn describe(&self) -> String {
        match self {
            EvalErrorKind::Overflow => "the amount is too large (decimal overflow)".into(),
            EvalErrorKind::DivisionByZero => "division by zero".into(),
            EvalErrorKind::NotConstant(uses) => format!("it depends on {uses}"),
            EvalErrorKind::MissingData(what) => format!("missing data: {what}"),
            EvalErrorKind::Cycle { name } => format!("`{name}` depends on itself"),
            EvalErrorKind::EmptyList { builtin } => format!("`{builtin}` of an empty list"),
            EvalErrorKind::RoundPlaces { places } => format!("cannot round to `{places}` places"),
            EvalErrorKind::FractionalMonths { months } => format!("cannot add `{months}` months: whole months only"),
            EvalErrorKind::DateOutOfRange => "date out of range".into(),
            EvalErrorKind::MonthOutOfRange => "month out of range".into(),
            EvalErrorKind::BadColumnValue { column } => format!("bad value in column `{column}`"),
            EvalErrorKind::BadFirstValue { column } => format!("bad value in `{column}`"),
            EvalErrorKind::AboveLastTier { above, limit } => format!(
                "{} lies above the last tier's limit of {}, and no tier bills it (give the last tier no limit, or an explicit 0% tier)",
                above.display(),
                limit.display()
            ),
            EvalErrorKind::EscalationHorizon { steps } => format!(
                "`escalate` would apply {steps} annual steps, more than the {ESCALATION_HORIZON} it allows (is `since:` right?)"
            ),
            EvalErrorKind::ImplausibleAmount { amount, currency } => format!(
                "the line amount {} is implausible (a trillion dollars or more): check the data",
                crate::value::format_money(*amount, *currency)
            ),
            EvalErrorKind::TooManySteps => format!(
                "the evaluation takes more than {} steps (do functions call each other over and over?)",
                crate::value::format_count(MAX_STEPS)
            ),
            EvalErrorKind::TextTooLong => format!(
                "a text grows past {} bytes (is a text added to itself over and over?)",
                crate::value::format_count(MAX_TEXT as u64)
            ),
            EvalErrorKind::ListTooLong => format!(
                "a list grows past {} elements (is a list added to itself over and over?)",
                crate::value::format_count(MAX_LIST as u64)
            ),
            EvalErrorKind::Internal(e) => e.describe(),
        }
    }

    /// Whether this is a broken invariant of billc rather than a problem of the contract or data.
    pub fn is_internal(&self) -> bool {
        matches!(self, EvalErrorKind::Internal(_))
    }
}

impl InternalError {
    fn describe(&self) -> String {
        use InternalError as I;
        match self {
            I::UnknownSlot => "unknown slot".into(),
            I::UnboundVariable => "unbound variable".into(),
            I::ErroneousExpression => "erroneous expression".into(),
            I::NoField { name } => format!("no field `{name}`"),
            I::MissingArgument => "missing argument".into(),
            I::MissingAmount => "missing amount".into(),
            I::Unsound { value, ty } => format!("the value {} is not of its checked type `{ty}`", value.display()),
            I::MissingValue => "missing value".into(),
            I::NotA(what) => format!(
                "not a {}",
                match what {
                    Expected::List => "list",
                    Expected::Table => "table",
                    Expected::Month => "month",
                    Expected::Date => "date",
                    Expected::TierTable => "tier table",
                    Expected::SiteList => "list of sites",
                    Expected::DataNode => "data node",
                    Expected::Composite => "composite",
                }
            ),
            I::BadArguments => "bad arguments".into(),
            I::EveryNotAMonth => "`every` must be a month".into(),
            I::UnknownMonth { name } => format!("`{name}` is not a month"),
            I::UnknownWindow { name } => format!("unknown window `{name}`"),
            I::UnknownColumn { column } => format!("unknown column `{column}`"),
            I::SumOfTable => "sum of a table".into(),
            I::FirstOfTable => "first of a table".into(),
            I::Incomparable => "incomparable values".into(),
            I::BadOperands { op, left, right } => format!(
                "cannot apply `{}` to {} and {}",
                op.symbol(),
                left.display(),
                right.display()
            ),
            I::CannotNegate => "cannot negate".into(),
            I::BadOperand => "bad operand".into(),
            I::LineNotMoney { amount } => format!("a line amount is {}", amount.display()),
            I::LinesUnresolved => "`lines` is resolved by the compiler".into(),
        }
    }
}

impl From<InternalError> for EvalErrorKind {
    fn from(e: InternalError) -> EvalErrorKind {
        EvalErrorKind::Internal(e)
    }
}

/// An evaluation error with the span of the rule that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    pub kind: EvalErrorKind,
    pub span: Option<Span>,
}

impl EvalError {
    pub fn new(kind: impl Into<EvalErrorKind>, span: Span) -> EvalError {
        EvalError {
            kind: kind.into(),
            span: Some(span),
        }
    }
}

/// The kind of an arithmetic failure.
pub fn kind_of(e: ArithError) -> EvalErrorKind {
    match e {
        ArithError::Overflow => EvalErrorKind::Overflow,
        ArithError::DivisionByZero => EvalErrorKind::DivisionByZero,
    }
}

/// An arithmetic failure at a span.
pub fn arith(e: ArithError, span: Span) -> EvalError {
    EvalError::new(kind_of(e), span)
}

/// What evaluation returns.
pub type R<T> = Result<T, EvalError>;

#[cfg(test)]
mod tests {

    #[test]
    fn the_largest_amount_is_a_trillion() {
        assert_eq!(LARGEST_AMOUNT, Decimal::from(1_000_000_000_000_i64));
    }

    use super::*;

    #[track_caller]
    fn check(kind: EvalErrorKind, text: &str, internal: bool) {
        assert_eq!(kind.describe(), text);
        assert_eq!(kind.is_internal(), internal);
    }

    #[test]
    fn contract_errors() {
        check(
            EvalErrorKind::Cycle { name: "total".into() },
            "`total` depends on itself",
            false,
        );
        check(
            EvalErrorKind::EmptyList { builtin: "min" },
            "`min` of an empty list",
            false,
        );
        check(
            EvalErrorKind::FractionalMonths {
                months: Decimal::new(15, 1),
            },
            "cannot add `1.5` months: whole months only",
            false,
        );
        check(
            EvalErrorKind::RoundPlaces {
                places: Decimal::from(21),
            },
            "cannot round to `21` places",
            false,
        );
    }

    #[test]
    fn not_constant_and_missing_data() {
        check(
            EvalErrorKind::NotConstant(Uses::TableColumn {
                table: TableName::Revenue,
                column: "net_external_revenue".into(),
            }),
            "it depends on `revenue.net_external_revenue`",
            false,
        );
        check(
            EvalErrorKind::NotConstant(Uses::ServiceMonth {
                builtin: "days_in_month".into(),
            }),
            "it depends on the service month (`days_in_month`)",
            false,
        );
        check(
            EvalErrorKind::MissingData(Missing::SiteStart {
                site: "0238".into(),
                for_anniversary: true,
            }),
            "missing data: the start date of site `0238` (sites.csv), for an anniversary window",
            false,
        );
        check(
            EvalErrorKind::MissingData(Missing::Index {
                name: "CPI".into(),
                month: YearMonth { year: 2025, month: 3 },
            }),
            "missing data: index `CPI` has no value for 2025-03 (indexes.csv)",
            false,
        );
        check(
            EvalErrorKind::MissingData(Missing::NoFirstRow {
                table: TableName::Revenue,
            }),
            "missing data: no row of `revenue` matches, and `first` has no default",
            false,
        );
    }

    #[test]
    fn internal_errors() {
        check(
            InternalError::NotA(Expected::SiteList).into(),
            "not a list of sites",
            true,
        );
        check(
            InternalError::BadOperands {
                op: BinOp::Add,
                left: Value::Bool(true),
                right: Value::Number(Decimal::ONE),
            }
            .into(),
            &format!(
                "cannot apply `+` to {} and {}",
                Value::Bool(true).display(),
                Value::Number(Decimal::ONE).display()
            ),
            true,
        );
    }
}
