//! Why evaluation failed: the error the evaluator and the builtins return, and its text.
//!
//! Errors are data; [`EvalErrorKind::describe`] is the one place they become text. This module sits
//! below the builtins and the evaluator so that both can return these errors; it may not evaluate
//! anything.

use crate::span::Span;
use crate::value::money::ArithError;

/// Why evaluation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalErrorKind {
    Overflow,
    DivisionByZero,
    /// A compile-time value that needs data or a let (says what it uses).
    NotConstant(String),
    /// Data the rule needs is absent (a site's start date, an index level…).
    MissingData(String),
    /// A value outside what a rule accepts (a negative number of places, …).
    Invalid(String),
}

impl EvalErrorKind {
    pub fn describe(&self) -> String {
        match self {
            EvalErrorKind::Overflow => "the amount is too large (decimal overflow)".into(),
            EvalErrorKind::DivisionByZero => "division by zero".into(),
            EvalErrorKind::NotConstant(what) => format!("it depends on {what}"),
            EvalErrorKind::MissingData(what) => format!("missing data: {what}"),
            EvalErrorKind::Invalid(what) => what.clone(),
        }
    }
}

/// An evaluation error with the span of the rule that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    pub kind: EvalErrorKind,
    pub span: Option<Span>,
}

impl EvalError {
    pub fn new(kind: EvalErrorKind, span: Span) -> EvalError {
        EvalError { kind, span: Some(span) }
    }
}

/// An arithmetic failure at a span.
pub fn arith(e: ArithError, span: Span) -> EvalError {
    EvalError::new(
        match e {
            ArithError::Overflow => EvalErrorKind::Overflow,
            ArithError::DivisionByZero => EvalErrorKind::DivisionByZero,
        },
        span,
    )
}

/// The kind of an arithmetic failure.
pub fn kind_of(e: ArithError) -> EvalErrorKind {
    match e {
        ArithError::Overflow => EvalErrorKind::Overflow,
        ArithError::DivisionByZero => EvalErrorKind::DivisionByZero,
    }
}

/// What evaluation returns.
pub type R<T> = Result<T, EvalError>;
