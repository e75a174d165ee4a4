//! Diagnostics are data: a code, a one-line message, a primary span, secondary labels and help.
//!
//! Every phase (parse, resolve/check, compile) produces [`Diagnostic`] values; none of them formats
//! text for a terminal. Rendering lives in [`render`] alone. Message conventions (cedar's): lowercase,
//! one sentence, no final period, user input in backticks, explanations in `help`.

pub mod render;

use crate::span::Span;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// A labelled span.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One finding about the source.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with a primary label.
    pub fn error(code: Code, span: Span, message: impl Into<String>, label: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            primary: Label {
                span,
                message: label.into(),
            },
            secondary: Vec::new(),
            help: None,
        }
    }

    /// A warning with a primary label.
    pub fn warning(code: Code, span: Span, message: impl Into<String>, label: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message, label)
        }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary label ("declared here").
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $name:ident = $code:literal,)*) => {
        /// Every diagnostic has a stable code. Each variant's doc shows the smallest source that
        /// triggers it; the same snippet is a case in `tests/corpus/`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($(#[doc = $doc])* $name,)* }
        impl Code {
            /// Every code, in declaration order (for tests that every code is covered).
            pub const ALL: &[Code] = &[$(Code::$name,)*];
            /// The code as printed: `E0101`.
            pub fn as_str(self) -> &'static str { match self { $(Code::$name => $code,)* } }
        }
    };
}

codes! {
    /// `let x = (1 +` — the parser expected something else.
    Syntax = "E0001",
    /// `let m = 2025-13` — a literal that is not a valid value.
    BadLiteral = "E0002",
    /// `let x = revnue` — a name that is not defined (with a suggestion).
    UnknownName = "E0101",
    /// `use tonwe_park` — a module that does not exist.
    UnknownModule = "E0102",
    /// `let a = 1  let a = 2` — a name defined twice in one scope; or two contracts for one site.
    Duplicate = "E0103",
    /// `revenue_shar { … }` — a block that is no component.
    UnknownComponent = "E0104",
    /// `fixed_fee { amout $5 }` — an argument the component or function does not take.
    UnknownArgument = "E0105",
    /// `fixed_fee { title "X" }` — a required argument is missing.
    MissingArgument = "E0106",
    /// `f(a: 1, a: 2)` — the same argument given twice.
    DuplicateArgument = "E0107",
    /// `job.rat` — a field that the record or table does not have.
    UnknownField = "E0108",
    /// `let x: Mony = $1` — a type name that does not exist.
    UnknownType = "E0109",
    /// `custmer "X"` in a contract — not a contract property nor a component.
    UnknownProperty = "E0110",
    /// `let x = 5(1)` — calling something that is not a function.
    NotCallable = "E0111",
    /// `let x: Money = 5%` — a value of the wrong type.
    TypeMismatch = "E0201",
    /// `$5 + 3h` — adding or subtracting values of different dimensions.
    AddMismatch = "E0202",
    /// `$5 * $5` — a product with no meaning.
    MulMismatch = "E0203",
    /// `5% / $2` — a quotient with no meaning.
    DivMismatch = "E0204",
    /// `$5 + EUR 5` — money in two currencies.
    CurrencyMismatch = "E0205",
    /// `round($5, 2, half_even, 1)` — too many or too few arguments.
    ArgumentCount = "E0206",
    /// `if $5 then …` — a condition that is not a boolean.
    NotBool = "E0207",
    /// `$5 < 5%` — comparing values of different types.
    CompareMismatch = "E0208",
    /// `2025-01-31 + 1 month` — adding months to a date without a month-end policy.
    AmbiguousMonth = "E0209",
    /// `for x in 5 { … }` — a list was expected.
    NotAList = "E0210",
    /// `[1, $2]` — a list whose elements have different types.
    MixedList = "E0211",
    /// `{ 10% up to $200  20% up to $100  5% }` — tier limits that do not increase.
    TiersNotIncreasing = "E0212",
    /// `{ 10%  20% up to $100 }` — a tier table with an unlimited tier before the last.
    TiersMalformed = "E0213",
    /// `$5 as room` — a conversion that does not exist.
    BadCast = "E0214",
    /// `5 where true` — `where` applied to something that is not a table or column.
    NotATable = "E0215",
    /// `line "X" = 5h` — a line amount that is not money.
    LineNotMoney = "E0216",
    /// `-"abc"` — an operator applied to a value it does not take.
    BadOperand = "E0217",
    /// `let a = b  let b = a` — lets that depend on each other.
    Cycle = "E0301",
    /// `line "X" group 7 = $5` where the contract has no group 7.
    UnknownGroup = "E0302",
    /// `if revenue_total > $5 { … }` in a body — a compile-time value that depends on data.
    NotConstant = "E0303",
    /// two lines named `fee` — line names must be unique in a contract.
    DuplicateLine = "E0304",
    /// `contract "1" { }` without `customer`.
    MissingProperty = "E0305",
    /// `group 1 "A"  group 1 "B"` — a group number declared twice.
    DuplicateGroup = "E0306",
    /// `test "t" { contract "9999" … }` naming a contract that does not exist.
    UnknownContract = "E0307",
    /// `contract "12" { … }` — a site number that is not 4 digits.
    BadSite = "E0308",
    /// `"Due in 30 Dais"` — payment terms that billc cannot turn into a due date.
    UnreadableTerms = "W0401",
    /// A constant that failed to evaluate (overflow, division by zero).
    ConstEval = "E0402",
    /// `/// 2 + 2 => 5` — a doc example whose value differs.
    DocExample = "E0403",
    /// A component or function parameter whose default does not match its type.
    BadDefault = "E0404",
}
