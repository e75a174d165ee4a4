//! The typed, resolved tree that checking produces and compilation consumes.
//!
//! INVARIANT: a `hir` tree has no unresolved names and every node has a type. Names became
//! [`ExprKind::Local`] (parameters, loop and comprehension variables, by stack position),
//! [`ExprKind::BodyRef`] (lets and named lines of the enclosing contract or component body), direct
//! `Arc` references to functions and components (which forbids recursion by construction: a function
//! can only refer to functions checked before it), or folded constants. An erroneous node has type
//! `Ty::Error` and kind `ExprKind::Error`; it was reported once and is silently skipped afterwards.

use crate::schema::TableName;
use crate::span::Span;
use crate::syntax::ast::{BinOp, CheckKind, UnOp};
use crate::ty::Ty;
use crate::value::Value;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Ty,
    pub span: Span,
}

/// Builtin functions. Each belongs to a family of `builtins` (see `builtins::family`), which holds
/// its signature, type rule, evaluation rule and demand rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    Sum,
    Count,
    First,
    Min,
    Max,
    Abs,
    Round,
    Cap,
    Floor,
    Tiered,
    Volume,
    Prior,
    At,
    Across,
    Escalate,
    IndexChange,
    IndexLevel,
    Prorate,
    ByYear,
    ServiceMonth,
    DaysInMonth,
    FirstDay,
    LastDay,
    AddMonths,
    ContractYear,
    SiteStart,
    Adhoc,
    Len,
    Year,
    MonthNumber,
    MonthOf,
    Ceil,
    Lines,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextPart {
    Lit(String),
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tier {
    pub price: Expr,
    pub limit: Option<Expr>,
    pub fee: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    Lit(Value),
    /// A parameter or a loop/comprehension variable, by position on the scope stack.
    Local(u32),
    /// A let or named line of the enclosing body, by its index in that body.
    BodyRef(u32),
    Call(Arc<FnDef>, Vec<Expr>),
    /// Builtin call; arguments in the builtin's parameter order, absent optional ones as `None`.
    Builtin(Builtin, Vec<Option<Expr>>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Field(Box<Expr>, String),
    Table(TableName),
    Column(TableName, String),
    /// A column of the row being filtered, inside `where`.
    RowField(TableName, String),
    Where(Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
    /// `[body for var in list]`; the variable is pushed on the scope stack.
    Comprehension(Box<Expr>, Box<Expr>),
    Record(Vec<(String, Expr)>),
    Tiers(Vec<Tier>),
    Text(Vec<TextPart>),
    /// A Number made a quantity (`rooms as room`) or a quantity made a Number (`h as number`).
    Cast(Box<Expr>),
    /// `lines(tag)`: Σ of the rounded lines with a tag, optionally of one invoice group.
    Lines(String, Option<Box<Expr>>),
    Error,
}

impl Expr {
    pub fn error(span: Span) -> Expr {
        Expr {
            kind: ExprKind::Error,
            ty: Ty::Error,
            span,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamDef {
    pub name: String,
    pub ty: Ty,
    /// A constant default (folded at check time).
    pub default: Option<Value>,
    pub span: Span,
}

/// A checked function: `fn name(params) -> ret = body`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FnDef {
    pub name: String,
    pub params: Vec<ParamDef>,
    pub ret: Ty,
    pub body: Expr,
    pub span: Span,
}

/// A checked component: parameters and a body of statements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComponentDef {
    pub name: String,
    pub params: Vec<ParamDef>,
    pub body: Vec<Stmt>,
    /// How many lets and named lines the body declares (the size of its `BodyRef` table).
    pub refs: u32,
    pub span: Span,
}

/// Line attributes, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineDef {
    /// The `BodyRef` index of this line (every line has one, named or not).
    pub index: u32,
    pub name: Option<String>,
    pub title: Arc<Expr>,
    pub gl: Option<Arc<Expr>>,
    pub group: Option<Expr>,
    pub tags: Vec<String>,
    pub order: Option<Expr>,
    pub desc: Option<Arc<Expr>>,
    /// Shared (not copied) by every plan that instantiates this line's component.
    pub amount: Arc<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stmt {
    Let {
        index: u32,
        name: String,
        /// Shared (not copied) by every plan that instantiates this let's component.
        value: Arc<Expr>,
        span: Span,
    },
    Line(LineDef),
    Check {
        cond: Arc<Expr>,
        kind: CheckKind,
        message: Arc<Expr>,
        span: Span,
    },
    If {
        cond: Expr,
        then: Vec<Stmt>,
        otherwise: Vec<Stmt>,
    },
    /// The loop variable is pushed on the scope stack for the body.
    For {
        list: Expr,
        body: Vec<Stmt>,
    },
    Instance {
        component: Arc<ComponentDef>,
        name: String,
        /// One per component parameter: the argument given, or `None` for the default.
        args: Vec<Option<Arc<Expr>>>,
        span: Span,
    },
}

/// Calls `f` on each direct child expression. The walks built on it recurse through it, so it
/// enters the children through [`crate::stack::deeper`].
pub fn for_each_child<'e>(e: &'e Expr, f: &mut dyn FnMut(&'e Expr)) {
    crate::stack::deeper(|| children(e, f));
}

fn children<'e>(e: &'e Expr, f: &mut dyn FnMut(&'e Expr)) {
    match &e.kind {
        ExprKind::Call(_, args) | ExprKind::List(args) => args.iter().for_each(f),
        ExprKind::Builtin(_, args) => args.iter().flatten().for_each(f),
        ExprKind::Unary(_, a) | ExprKind::Field(a, _) | ExprKind::Cast(a) => f(a),
        ExprKind::Binary(_, a, b) | ExprKind::Where(a, b) | ExprKind::Comprehension(a, b) => {
            f(a);
            f(b);
        }
        ExprKind::If(a, b, c) => {
            f(a);
            f(b);
            f(c);
        }
        ExprKind::Record(fields) => fields.iter().for_each(|(_, x)| f(x)),
        ExprKind::Tiers(tiers) => {
            for t in tiers {
                f(&t.price);
                if let Some(l) = &t.limit {
                    f(l);
                }
                if let Some(x) = &t.fee {
                    f(x);
                }
            }
        }
        ExprKind::Text(parts) => parts.iter().for_each(|p| {
            if let TextPart::Expr(x) = p {
                f(x);
            }
        }),
        ExprKind::Lines(_, Some(g)) => f(g),
        _ => {}
    }
}

/// A contract's invoice group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupDef {
    pub number: u32,
    pub title: String,
    pub description: String,
    pub site: Option<String>,
    pub customer: Option<String>,
    pub vendor: Option<String>,
    pub span: Span,
}

/// Review thresholds (RULES.md §11).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewDef {
    Always,
    Over {
        percent: rust_decimal::Decimal,
        amount: rust_decimal::Decimal,
    },
}
