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

impl Code {
    /// The code as written by a user (`e0201`, ` E0201 `), if billc has it.
    pub fn parse(text: &str) -> Option<Code> {
        let text = text.trim();
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(text))
    }

    /// What `billc explain-error` prints: the code and its summary line, then the explanation with
    /// the fix (the variant's own documentation, so the two cannot drift apart).
    pub fn explanation(self) -> String {
        let lines = self.doc_lines();
        let mut out = format!("{}:{}\n", self.as_str(), lines.first().copied().unwrap_or(""));
        for line in lines.iter().skip(1) {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }
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
            /// The variant's documentation, one string per line (each with the leading space that
            /// `///` leaves): the example that triggers the code, then what it means and the fix.
            fn doc_lines(self) -> &'static [&'static str] { match self { $(Code::$name => &[$($doc),*],)* } }
        }
    };
}

codes! {
    /// `let x = (1 +` — the parser expected something else.
    ///
    /// The text is not billc syntax at the point shown. Common slips: an unclosed `(`, `[` or `{`; a
    /// missing `=` after `line "Title"`; `upto` for `up to`; a percentage written as `0.35` where
    /// `35%` is meant. Fix: write the construct the message expects at that position; the language
    /// tour in README shows every form.
    Syntax = "E0001",
    /// `let m = 2025-13` — a literal that is not a valid value.
    ///
    /// The literal has the right shape but no valid value: a month `2025-13`, a date `2025-02-30`, an
    /// amount with more digits than a decimal holds. Fix: write a real month (`2025-12`), date
    /// (`2025-02-28`) or a smaller amount.
    BadLiteral = "E0002",
    /// `let x = ((((((…1…))))))` 200 deep — nesting beyond what billc reads.
    ///
    /// Brackets, `if … else if …` chains, operator chains (a sum of terms is one level per `+`) and
    /// type arguments may nest at most 100 (brackets) or 256 (everything else) levels: billc
    /// refuses deeper input with this error instead of exhausting its stack. No real contract comes
    /// near; a generated one might. Fix: name the inner parts with `let` (or a `fn`), add up a long
    /// list of terms with `sum([…])`, and turn a long `else if` chain into a tier table or a lookup
    /// in a list of records.
    TooDeep = "E0003",
    /// A file whose parse needs more steps than billc allows (after an earlier syntax error).
    ///
    /// The parser tries alternatives at each position; a file with an error early in a deeply nested
    /// structure could make it try very many. billc stops after a fixed budget of steps and reports
    /// this error at the item instead of running for minutes. Fix: correct the syntax errors reported
    /// before this one (usually an unclosed or stray bracket), then check again.
    TooComplex = "E0004",
    /// `let x = revnue` — a name that is not defined (with a suggestion).
    ///
    /// The name is not a `let`, a parameter, a function, an input table or a builtin in scope. Names
    /// are case-sensitive. Fix: correct the spelling (the help suggests the nearest name), define it
    /// with `let`, or `use` the module that defines it.
    UnknownName = "E0101",
    /// `use tonwe_park` — a module that does not exist.
    ///
    /// `use` names a module that neither the standard library nor the files being checked define.
    /// Fix: correct the name (`use towne_park`) or pass the file that defines the module to billc.
    UnknownModule = "E0102",
    /// `let a = 1  let a = 2` — a name defined twice in one scope; or two contracts for one site.
    ///
    /// Two definitions with one name in the same scope, or two contracts for the same site in the files
    /// being checked (both files are named). Fix: rename or remove one; a site has exactly one contract.
    Duplicate = "E0103",
    /// `revenue_shar { … }` — a block that is no component.
    ///
    /// A block `name { … }` whose name is not a component of the modules in use. Fix: correct the
    /// spelling (the help suggests the nearest component) or `use` the module that defines it.
    UnknownComponent = "E0104",
    /// `fixed_fee { amout $5 }` — an argument the component or function does not take.
    ///
    /// An argument the component or function does not declare. Fix: correct the spelling; the help
    /// lists the arguments it takes.
    UnknownArgument = "E0105",
    /// `fixed_fee { title "X" }` — a required argument is missing.
    ///
    /// A required argument (one with no default) is not given. Fix: add it, as `name value` in a
    /// component block or `name: value` in a call.
    MissingArgument = "E0106",
    /// `f(a: 1, a: 2)` — the same argument given twice.
    ///
    /// The same argument is given twice. Fix: keep one.
    DuplicateArgument = "E0107",
    /// `job.rat` — a field that the record or table does not have.
    ///
    /// A field that the record, the tier result or the input table does not have. Fix: correct the
    /// spelling (the help suggests the nearest field); DATA.md lists every table's columns.
    UnknownField = "E0108",
    /// `let x: Mony = $1` — a type name that does not exist.
    ///
    /// A type name that does not exist. Types are `Money`, `Number`, `Percent`, `Date`, `Month`, `Text`,
    /// `Bool`, quantities (`Hours`, declared units) and rates (`Money/Hour`). Fix: correct the spelling.
    UnknownType = "E0109",
    /// `custmer "X"` in a contract — not a contract property nor a component.
    ///
    /// A line in a contract that is neither a contract property (`customer`, `billing`, `terms`,
    /// `effective`, `review`, `group`, …) nor a component block. Fix: correct the spelling.
    UnknownProperty = "E0110",
    /// `let x = 5(1)` — calling something that is not a function.
    ///
    /// Parentheses after something that is not a function. Fix: remove them, or name the function to call.
    NotCallable = "E0111",
    /// `let x: Money = 5%` — a value of the wrong type.
    ///
    /// A value of one type where another is required: a declared type, an argument, a line amount.
    /// Units count: `$5` is `Money`, `5` is `Number`, `5%` is `Percent`, `5h` is `Hours`. Fix: write the
    /// value with its unit (`35%`, not `0.35` or `35`; `$2,500`, not `2500`), or convert it.
    TypeMismatch = "E0201",
    /// `$5 + 3h` — adding or subtracting values of different dimensions.
    ///
    /// Only values of one dimension add up: money with money, hours with hours. Fix: multiply by a rate
    /// first (`3h * $20/h` is money) or convert with `as`.
    AddMismatch = "E0202",
    /// `$5 * $5` — a product with no meaning.
    ///
    /// The product of these two types has no meaning in billing (`$5 * $5`). Fix: multiply money by a
    /// number, a percentage or a quantity, or a quantity by a rate.
    MulMismatch = "E0203",
    /// `5% / $2` — a quotient with no meaning.
    ///
    /// The quotient of these two types has no meaning in billing. Fix: divide money by money (a
    /// number), money by hours (a rate), or any value by a number.
    DivMismatch = "E0204",
    /// `$5 + EUR 5` — money in two currencies.
    ///
    /// Amounts in two currencies are combined. billc never converts currencies by itself. Fix: convert
    /// one amount first, with a rate you name.
    CurrencyMismatch = "E0205",
    /// `round($5, 2, half_even, 1)` — too many or too few arguments.
    ///
    /// A call with too many or too few positional arguments. Fix: match the function's signature
    /// (the message gives it).
    ArgumentCount = "E0206",
    /// `if $5 then …` — a condition that is not a boolean.
    ///
    /// `if` and `where` take a condition that is true or false. Fix: compare the value (`if $5 > $0`).
    NotBool = "E0207",
    /// `$5 < 5%` — comparing values of different types.
    ///
    /// Only values of one type compare. Fix: compare money with money, a percentage with a percentage;
    /// write the constant with its unit (`revenue > $1,000`, not `revenue > 1000`).
    CompareMismatch = "E0208",
    /// `2025-01-31 + 1 month` — adding months to a date without a month-end policy.
    ///
    /// 31 January + 1 month is 28 February or 3 March, depending on the policy. Fix: say which:
    /// `add_months(date, n, clamp)` or `add_months(date, n, overflow)`; months (`2025-01 + 1 month`)
    /// add without ambiguity.
    AmbiguousMonth = "E0209",
    /// `for x in 5 { … }` — a list was expected.
    ///
    /// `for`, `in`, `sum` and the list builtins take a list. Fix: give a list (`[a, b]`) or a column.
    NotAList = "E0210",
    /// `[1, $2]` — a list whose elements have different types.
    ///
    /// Every element of a list has one type. Fix: write every element with the same unit.
    MixedList = "E0211",
    /// `{ 10% up to $200  20% up to $100  5% }` — tier limits that do not increase.
    ///
    /// The `up to` limits of a tier table must increase from tier to tier. Fix: order the tiers by
    /// their limits, or correct the limit that is out of order.
    TiersNotIncreasing = "E0212",
    /// `{ 10%  20% up to $100 }` — a tier table with an unlimited tier before the last.
    ///
    /// Only the last tier of a table may be unlimited (have no `up to`). Fix: give the earlier tier
    /// a limit, or move the unlimited tier last.
    TiersMalformed = "E0213",
    /// `$5 as room` — a conversion that does not exist.
    ///
    /// `as` converts between a Number and a quantity (`rooms as room`, `hours as number`); there is
    /// no other conversion. Fix: convert through a rate or a number.
    BadCast = "E0214",
    /// `5 where true` — `where` applied to something that is not a table or column.
    ///
    /// `where` filters an input table or a column of one. Fix: apply it to a table
    /// (`revenue where deposit_flag == "Y"`) or a column (`revenue.net_external_revenue where …`).
    NotATable = "E0215",
    /// `line "X" = 5h` — a line amount that is not money.
    ///
    /// Every invoice line is an amount of money. Fix: multiply the quantity by a rate
    /// (`hours(job: "GSA") * $24/h`) or write the amount with `$`.
    LineNotMoney = "E0216",
    /// `-"abc"` — an operator applied to a value it does not take.
    ///
    /// The operator does not apply to this type (`-` to text, `not` to money). Fix: apply it to a
    /// value of a type it takes.
    BadOperand = "E0217",
    /// `let a = b  let b = a` — lets that depend on each other.
    ///
    /// Definitions that depend on each other cannot be computed: billc has no recursion. Fix: break
    /// the circle by computing one of them from the inputs alone.
    Cycle = "E0301",
    /// `line "X" group 7 = $5` where the contract has no group 7.
    ///
    /// A line, a component or a test names an invoice group that the contract does not declare. Fix:
    /// declare it (`group 7 "Description"`) or use a declared group.
    UnknownGroup = "E0302",
    /// `if revenue_total > $5 { … }` in a body — a compile-time value that depends on data.
    ///
    /// `if` and `for` in a contract body decide which lines exist, so they must be known before any
    /// data is read. Fix: move the data-dependent choice into the line's amount
    /// (`line "Fee" = if revenue > $5 { … } else { $0 }`).
    NotConstant = "E0303",
    /// two lines named `fee` — line names must be unique in a contract.
    ///
    /// Two lines of one contract with the same name. Fix: rename one; line names are how traces,
    /// exceptions and tests refer to a line.
    DuplicateLine = "E0304",
    /// `contract "1" { }` without `customer`.
    ///
    /// A contract names no `customer`, which every invoice prints. Fix: add
    /// `customer "Name of the customer"`.
    MissingProperty = "E0305",
    /// `group 1 "A"  group 1 "B"` — a group number declared twice.
    ///
    /// An invoice group number declared twice in one contract. Fix: keep one declaration per number.
    DuplicateGroup = "E0306",
    /// `test "t" { contract "9999" … }` naming a contract that does not exist.
    ///
    /// A test block names a contract that the files being checked do not define. Fix: correct the
    /// site number or pass the file with that contract.
    UnknownContract = "E0307",
    /// `test "t" { period 2025-3 … }` — a test's period that is not a month.
    ///
    /// A test bills one service month, written `YYYY-MM` with two digits for the month: `2025-3` is
    /// read as the number 2025 − 3. Fix: write the month as `2025-03`.
    TestPeriod = "E0309",
    /// `expect line "Valet" = $100` where two lines are titled `Valet`.
    ///
    /// An `expect line` compares one line, and the contract gives more than one line that title
    /// (in the group the expectation names, if any); summing them would hide which one is wrong.
    /// (`billc test` fails the same way when more than one line of a title bills, e.g. the regular
    /// and overtime lines of one `per_labor_hour`.) Fix: name the invoice group
    /// (`expect line "Valet" group 2 = …`) when the lines are in different groups, list the amounts
    /// in invoice order (`expect line "Valet" = [$2,342.40, $219.60]`), or give the lines different
    /// titles.
    AmbiguousExpect = "E0310",
    /// `given revnue [ … ]` — a table that test rows cannot be given for.
    ///
    /// A `given` names the table its rows belong to: one of DATA.md's `revenue`, `statistics`, `gl`,
    /// `timesheets`, or `sites`, `indexes`, `adhoc`. Fix: correct the spelling (the help suggests the
    /// nearest table).
    UnknownTable = "E0311",
    /// `contract "12" { … }` — a site number that is not 4 digits.
    ///
    /// Sites are four digits (`"0238"`), as in DATA.md. Fix: pad the number with zeros.
    BadSite = "E0308",
    /// A contract whose `for` blocks unroll to more than 100,000 statements.
    ///
    /// A block `for` repeats its body once per element of its list, so a `for` inside a `for`
    /// multiplies: eight nested loops over ten elements would make 10⁸ lines. billc stops at
    /// 100,000 statements (the largest contract of the repository has a few hundred). Fix: loop
    /// over fewer elements, or compute over the data with a query (`sum(revenue.x where …)`)
    /// instead of a line per combination.
    PlanTooLarge = "E0312",
    /// `"Due in 30 Dais"` — payment terms that billc cannot turn into a due date.
    ///
    /// billc reads three shapes of payment terms to compute the due date: `"Due in 30 Days"`,
    /// `"Due on Receipt"` and `"Due by 20th"`; it refuses to guess at others (`"Net 30"`), so these
    /// invoices show no due date. Fix: write the terms in one of those shapes.
    UnreadableTerms = "W0401",
    /// A constant that failed to evaluate (overflow, division by zero).
    ///
    /// A value that billc computes once, before any data (a constant `let`, a tier limit), fails:
    /// overflow or division by zero. Fix: correct the constant.
    ConstEval = "E0402",
    /// `/// 2 + 2 => 5` — a doc example whose value differs.
    ///
    /// A doc comment's example (`/// f(2) => 4`) does not give the value it states. Fix: correct the
    /// example or the function.
    DocExample = "E0403",
    /// A component or function parameter whose default does not match its type.
    ///
    /// A parameter's default value does not have the parameter's type. Fix: write the default with
    /// the declared unit.
    BadDefault = "E0404",
    /// `{ 10% up to $100  20% up to $200 }` — the last tier has a limit.
    ///
    /// An amount above the last tier's `up to` is billed by no tier: billing such a month fails
    /// (`above the last tier`), and PowerBill, which this shape comes from, billed it at 0 %. The
    /// program checks, but a person should say what is due above the limit. Fix: add a last tier
    /// without a limit (`0%` if nothing is due above it, as `{ 10% up to $100  20% up to $200  0% }`),
    /// or remove the last `up to`.
    LastTierLimited = "W0501",
    /// `{ 120% }` — a share over 100 % (or below 0 %).
    ///
    /// A tier's percentage is the part of the amount that is billed; above 100 % the invoice bills
    /// more than the whole amount, below 0 % it credits. Usually a slip (`120%` for `12%`, points for
    /// a fraction). Fix: write the share between `0%` and `100%`.
    ShareOutOfRange = "W0502",
    /// `escalate($1,000, by: 3%, every: january)` in a contract without `effective`.
    ///
    /// An escalation counts its steps from `since:`, or else from the contract's `effective` date.
    /// With neither, the program checks but every month fails to bill, as missing data. Fix: give
    /// the escalation its start (`since: 2025-01-01`) or the contract an `effective` date.
    EscalationWithoutStart = "W0503",
    /// `billing advanced` in a contract whose lines read `timesheets`.
    ///
    /// An invoice billed in advance is made at the start of the month, before its hours are worked:
    /// labour actuals (`timesheets`, the hours of labour components) would bill hours not yet worked,
    /// or none. Fix: bill the contract in arrears, move the labour to a contract billed in arrears, or
    /// bill a fixed amount in advance.
    ActualsBilledInAdvance = "W0504",
}
