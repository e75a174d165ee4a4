//! The abstract syntax tree: what the source says, nothing more.
//!
//! INVARIANT: every node carries the [`Span`] of the text it came from; the tree holds no resolved
//! names, no types and no salsa ids, so it can be compared (salsa backdating) and cloned freely.

use crate::span::Span;
use rust_decimal::Decimal;

/// An identifier with its span.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A parsed `.bill` file: its items in source order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Module {
    pub items: Vec<Item>,
}

/// A top-level declaration. The larger ones are boxed, like [`Stmt`]'s, to keep modules compact.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Item {
    Use(Ident),
    Const(Box<Const>),
    Type(TypeDecl),
    Fn(Box<FnDecl>),
    Component(Component),
    Contract(Contract),
    Test(Box<Test>),
}

/// `const NAME [: Type] = expr`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Const {
    pub doc: Doc,
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Expr,
    pub span: Span,
}

/// `///` lines before a declaration, without the slashes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Doc {
    pub lines: Vec<(String, Span)>,
}

/// `type Name = { field: Type, … }` or `type Name = a | b | c`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeDecl {
    pub doc: Doc,
    pub name: Ident,
    pub def: TypeDef,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TypeDef {
    Record(Vec<(Ident, TypeExpr)>),
    Enum(Vec<Ident>),
}

/// A written type: `Money`, `List<Text>`, `Money/Hour`, `Quantity<room>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeExpr {
    pub name: Ident,
    pub args: Vec<TypeExpr>,
    pub per: Option<Ident>,
    pub span: Span,
}

/// `fn name(params) -> Type = expr`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FnDecl {
    pub doc: Doc,
    pub name: Ident,
    pub params: Vec<Param>,
    pub ret: TypeExpr,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub span: Span,
}

/// `component name(params) { statements }`: a reusable block of lets, lines and checks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Component {
    pub doc: Doc,
    pub name: Ident,
    pub params: Vec<Param>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

/// `contract "site" { statements }`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Contract {
    pub doc: Doc,
    pub name: String,
    pub name_span: Span,
    pub body: Vec<Stmt>,
    pub span: Span,
}

/// A statement of a contract or component body. The larger statements are boxed so that a body
/// (mostly properties and component instances) is a compact vector: parsed modules are kept by salsa
/// for every file of a session.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Stmt {
    Let(Box<Let>),
    Line(Box<Line>),
    Check(Box<Check>),
    If(IfStmt),
    For(Box<ForStmt>),
    Group(Box<GroupStmt>),
    Review(Box<Review>),
    Instance(Instance),
    Property(Property),
    Test(Box<Test>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Let {
    pub doc: Doc,
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Expr,
    pub span: Span,
}

/// `line [name:] title [gl e] [group e] [tags [..]] [order e] [desc e] = amount`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Line {
    pub doc: Doc,
    pub name: Option<Ident>,
    pub title: Expr,
    pub gl: Option<Expr>,
    pub group: Option<Expr>,
    pub tags: Vec<Ident>,
    pub order: Option<Expr>,
    pub desc: Option<Expr>,
    pub amount: Expr,
    /// The span of `line … =` (the header), for diagnostics and the trace.
    pub span: Span,
}

impl Line {
    /// A line with its title and header span, no attributes yet, and an amount still to be read
    /// (both parsers fill in the rest as they read it).
    pub fn header(doc: Doc, name: Option<Ident>, title: Expr, amount_span: Span, span: Span) -> Line {
        Line {
            doc,
            name,
            title,
            gl: None,
            group: None,
            tags: Vec::new(),
            order: None,
            desc: None,
            amount: Expr {
                kind: ExprKind::Error,
                span: amount_span,
            },
            span,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CheckKind {
    /// The contract's invoices are not issued; an exception row is written.
    Exception,
    /// The invoices are issued with status `needs_approval`.
    Approval,
}

/// `check cond else exception|approval "message"`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Check {
    pub cond: Expr,
    pub kind: CheckKind,
    pub message: Expr,
    pub span: Span,
}

/// A compile-time `if`: the condition must be a constant.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IfStmt {
    pub cond: Expr,
    pub then: Vec<Stmt>,
    pub otherwise: Vec<Stmt>,
    pub span: Span,
}

/// A compile-time `for`: the list must be a constant; the body is repeated per element.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ForStmt {
    pub var: Ident,
    pub list: Expr,
    pub body: Vec<Stmt>,
    pub span: Span,
}

/// `group 2 "Title" { description "…" site "0544" customer "…" }`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupStmt {
    pub number: Expr,
    pub title: Expr,
    pub args: Vec<Arg>,
    pub span: Span,
}

/// `review over 10% and $2,500` or `review always`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReviewKind {
    Always,
    Over { percent: Expr, amount: Expr },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Review {
    pub kind: ReviewKind,
    pub span: Span,
}

/// `component_name [as alias] { arg value … }`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Instance {
    pub component: Ident,
    pub alias: Option<Ident>,
    pub args: Vec<Arg>,
    pub span: Span,
}

/// `name value` in a contract body: a contract property (`customer "…"`) or a one-argument component.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Property {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `name value` inside an instance or group block.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Arg {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `test "name" { contract "…" period 2025-06 given table [...] expect … }`
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Test {
    pub doc: Doc,
    pub name: String,
    pub contract: Option<(String, Span)>,
    pub period: Option<Expr>,
    pub given: Vec<Given>,
    pub expects: Vec<Expect>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Given {
    pub table: Ident,
    pub rows: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expect {
    Line {
        title: Expr,
        group: Option<Expr>,
        amount: Expr,
        span: Span,
    },
    NoLine {
        title: Expr,
        group: Option<Expr>,
        span: Span,
    },
    Total {
        group: Option<Expr>,
        amount: Expr,
        span: Span,
    },
    Value {
        actual: Expr,
        expected: Expr,
        span: Span,
    },
}

/// Units a quantity or rate can be counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    Hour,
    Room,
    Unit,
    Vehicle,
    Person,
}

impl Unit {
    pub fn from_word(word: &str) -> Option<Unit> {
        Some(match word {
            "h" | "hour" | "hours" | "Hour" | "Hours" => Unit::Hour,
            "room" | "rooms" | "Room" | "Rooms" => Unit::Room,
            "unit" | "units" | "Unit" | "Units" => Unit::Unit,
            "vehicle" | "vehicles" | "Vehicle" | "Vehicles" => Unit::Vehicle,
            "person" | "people" | "Person" | "People" => Unit::Person,
            _ => return None,
        })
    }

    /// The singular word, as written after `/` in a rate: `$1.30/room`.
    pub fn word(self) -> &'static str {
        match self {
            Unit::Hour => "h",
            Unit::Room => "room",
            Unit::Unit => "unit",
            Unit::Vehicle => "vehicle",
            Unit::Person => "person",
        }
    }
}

/// Units of a length of time: `3 days`, `1 month`, `2 years`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DurationUnit {
    Day,
    Month,
    Year,
}

impl DurationUnit {
    pub fn from_word(word: &str) -> Option<DurationUnit> {
        Some(match word {
            "day" | "days" => DurationUnit::Day,
            "month" | "months" => DurationUnit::Month,
            "year" | "years" => DurationUnit::Year,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    In,
    NotIn,
    Where,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Where => "where",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Neg,
    Not,
}

/// A piece of a text literal: plain text or an interpolated `{expr}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TextPart {
    Lit(String),
    Expr(Expr),
}

/// A tier of a tier table: `price [up to limit] [plus fee]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tier {
    pub price: Expr,
    pub limit: Option<Expr>,
    pub fee: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallArg {
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExprKind {
    /// `$1,250.00` or `EUR 12.50` (currency code).
    Money(Decimal, String),
    /// `$25.08/h`
    Rate(Decimal, String, Unit),
    /// `31.15%`, stored as the written number (31.15).
    Percent(Decimal),
    Number(Decimal),
    Quantity(Decimal, Unit),
    Duration(Decimal, DurationUnit),
    Date(chrono::NaiveDate),
    Month(crate::time::YearMonth),
    Text(Vec<TextPart>),
    Bool(bool),
    Name(Ident),
    List(Vec<Expr>),
    Comprehension {
        body: Box<Expr>,
        var: Ident,
        list: Box<Expr>,
    },
    Record(Vec<(Ident, Expr)>),
    Tiers(Vec<Tier>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<CallArg>),
    Field(Box<Expr>, Ident),
    Cast(Box<Expr>, Ident),
    Paren(Box<Expr>),
    /// Stands where a syntax error was: it type-checks as anything and reports nothing more.
    Error,
}
