//! What evaluation produces for one line: its title, GL code, rounded amount and the calculation
//! trace behind it, down to the input rows and the source lines of the rules.
//!
//! Plain owned data (no salsa ids, no spans into live sources), serializable: the billing crate puts
//! these lines on invoices and writes them to `trace.json`, and `billc explain` reads them back.

use crate::syntax::ast::DurationUnit;
use crate::value::Value;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// One invoice line, with the trace that explains its amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub title: String,
    pub description: String,
    pub gl: String,
    /// Rounded to cents, half away from zero, when the line was made (RULES.md §3).
    pub amount: Decimal,
    pub tags: Vec<String>,
    /// How the amount came about.
    pub trace: TraceNode,
}

/// A node of a calculation trace: one named value, the rule that produced it, and what it used.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceNode {
    /// What this node is, e.g. `line "Management Fee"`, `let qualifying`, `tiered`, `sum revenue.net_external_revenue`.
    pub label: String,
    /// The value, rendered with its unit (`$18,234.55`, `12.50%`, `160.25 h`).
    pub value: String,
    /// The value as an exact number and its unit, when it is one (for tools: no display text to parse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// How a let or line computed its value from its inputs and the values written in the rules,
    /// each part with its value ([`Term`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<Term>,
    /// Where the rule is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Arc<SourceLoc>>,
    /// Extra facts about this step: filters, row counts, a window's name, escalation steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<Fact>,
    /// The input rows a query read, one entry per group of rows (same site, month and dimensions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<RowGroup>,
    /// The earlier months of a window and the value in each (`prior`, a cumulative `tiered`'s bases).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub months: Vec<MonthValue>,
    /// The bands of a tier calculation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<BandTrace>,
    /// The values this one was computed from. A value used in several places (a `let` read by two
    /// lines) is one shared node, not a copy per use; it is written out in full at each use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<Arc<TraceNode>>,
}

impl TraceNode {
    /// A node for a value: its label, display text and exact amount; the rest empty.
    pub fn of(label: String, value: &Value) -> TraceNode {
        TraceNode {
            label,
            value: value.display(),
            amount: Amount::of(value),
            ..TraceNode::default()
        }
    }
}

/// A group of input rows a query read: the same site, month and dimension values, summed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowGroup {
    /// The file, as in the data directory (`2025-03/revenue.csv`).
    pub file: String,
    /// The first and last lines of the group's rows (the range may hold other rows too).
    pub first_line: u32,
    pub last_line: u32,
    /// How many rows the group holds.
    pub rows: u32,
    /// The dimension columns that are not empty, in the table's column order.
    pub dims: Vec<Dim>,
    /// The group's value of the column read: the rows' sum for a measure, the value for a dimension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
}

impl RowGroup {
    /// `revenue.csv:1042`, or `revenue.csv:1042-1060` for rows on several lines.
    pub fn origin(&self) -> String {
        crate::input::origin(&self.file, self.first_line, self.last_line)
    }
}

/// A dimension column's value in a [`RowGroup`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dim {
    pub column: String,
    pub value: String,
}

/// A value in one month of a window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthValue {
    /// `YYYY-MM`.
    pub month: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
}

/// One band of a tier calculation: the part of the amount between `from` and `to` that fell in it
/// this month, at its price. `price` is a fraction for a percentage, an amount per unit for a rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BandTrace {
    pub from: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Decimal>,
    pub amount: Decimal,
    pub price: Decimal,
    pub price_is_percent: bool,
    pub due: Decimal,
    /// The band in words, with units (`$100,750.00 at 40% = $40,300.00 (from $0.00 to $400,000.00)`).
    pub text: String,
}

/// A labelled fact attached to a trace node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub name: String,
    pub value: String,
}

/// A position in a `.bill` source file, with the text of the rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLoc {
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The source text of the rule (first line only when long).
    pub text: String,
}

/// An exact number with its unit: `{"amount": "0.32", "unit": "percent"}`. Money is in its currency
/// (`USD`); a percentage is a fraction (`0.32` for 32%); a quantity or rate names its unit (`h`,
/// `USD/h`); a plain number is `number`; a duration `days`, `months` or `years`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    pub amount: Decimal,
    pub unit: String,
}

impl Amount {
    /// The number in a value, if it holds one.
    pub fn of(v: &Value) -> Option<Amount> {
        let (amount, unit) = match v {
            Value::Money(d, c) => (*d, c.code().to_string()),
            Value::Percent(d) => (*d, "percent".into()),
            Value::Number(d) => (*d, "number".into()),
            Value::Quantity(d, u) => (*d, u.word().into()),
            Value::Rate(d, c, u) => (*d, format!("{}/{}", c.code(), u.word())),
            Value::Duration(d, u) => (
                *d,
                match u {
                    DurationUnit::Day => "days",
                    DurationUnit::Month => "months",
                    DurationUnit::Year => "years",
                }
                .into(),
            ),
            Value::TierResult(t) => (t.due, "number".into()),
            _ => return None,
        };
        Some(Amount { amount, unit })
    }
}

/// A let's or line's formula, mirroring the rule's expression, with the value of every part: what
/// lets an auditor see `$50,000.00 × 32% = $16,000.00` and where the 32% was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Term {
    /// A value written in a rule (a literal), or the value of a name: a component's or function's
    /// argument, a constant, a loop variable. `at` is where the value was written: for an argument,
    /// the contract line that gave it.
    Value {
        value: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        amount: Option<Amount>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<Arc<SourceLoc>>,
    },
    /// The value of one of the node's inputs (an index into [`TraceNode::inputs`]).
    Input { input: usize },
    /// An operation on its arguments: `+`, `-`, `*`, `/`, `neg`, `not`, a comparison, `and`, `or`,
    /// `in`, `.field`, a function's or builtin's name.
    Op {
        op: String,
        args: Vec<Term>,
        value: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        amount: Option<Amount>,
    },
    /// `if`: the condition, whether it held, and the branch that was taken.
    If {
        cond: Box<Term>,
        taken: bool,
        branch: Box<Term>,
    },
    /// A part that was not evaluated (the right side of an `and` already false) or that is
    /// evaluated in other months or sites (a window's value: see the input node's months).
    Unevaluated,
}

impl Term {
    /// The formula in the rule's words (`payroll_line × pteb`) and with the values substituted
    /// (`$50,000.00 × 32%`), given the node's inputs (their labels name the lets and lines).
    pub fn render(&self, inputs: &[Arc<TraceNode>]) -> (String, String) {
        let mut words = String::new();
        let mut values = String::new();
        self.write(inputs, &mut words, &mut values, 0);
        (words, values)
    }

    /// The named values the formula used with where each was written, in order of first use.
    pub fn named_values(&self) -> Vec<(&str, &str, Option<&SourceLoc>)> {
        let mut out: Vec<(&str, &str, Option<&SourceLoc>)> = Vec::new();
        self.each_named(&mut |name, value, at| {
            if !out.iter().any(|(n, _, _)| *n == name) {
                out.push((name, value, at));
            }
        });
        out
    }

    fn each_named<'a>(&'a self, f: &mut dyn FnMut(&'a str, &'a str, Option<&'a SourceLoc>)) {
        crate::stack::deeper(|| match self {
            Term::Value {
                value,
                name: Some(n),
                at: Some(at),
                ..
            } => f(n, value, Some(at)),
            Term::Op { args, .. } => args.iter().for_each(|a| a.each_named(f)),
            Term::If { cond, branch, .. } => {
                cond.each_named(f);
                branch.each_named(f);
            }
            _ => {}
        });
    }

    /// Binding strength, for parentheses: higher binds tighter.
    fn strength(&self) -> u8 {
        match self {
            Term::Op { op, args, .. } if args.len() == 2 => match op.as_str() {
                "or" => 1,
                "and" => 2,
                "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in" => 3,
                "+" | "-" => 4,
                "*" | "/" => 5,
                _ => 7,
            },
            Term::Op { op, .. } if op == "neg" || op == "not" => 6,
            Term::If { .. } => 0,
            _ => 7,
        }
    }

    fn write(&self, inputs: &[Arc<TraceNode>], words: &mut String, values: &mut String, outer: u8) {
        crate::stack::deeper(|| self.write_here(inputs, words, values, outer));
    }

    fn write_here(&self, inputs: &[Arc<TraceNode>], words: &mut String, values: &mut String, outer: u8) {
        let paren = self.strength() < outer;
        if paren {
            words.push('(');
            values.push('(');
        }
        match self {
            Term::Value { value, name, .. } => {
                words.push_str(name.as_deref().unwrap_or(value));
                values.push_str(value);
            }
            Term::Input { input } => match inputs.get(*input) {
                Some(node) => {
                    words.push_str(short_label(&node.label));
                    values.push_str(&node.value);
                }
                None => {
                    words.push('?');
                    values.push('?');
                }
            },
            Term::Op { op, args, .. } if args.len() == 2 && self.strength() < 7 => {
                let s = self.strength();
                let shown = match op.as_str() {
                    "*" => "×",
                    "/" => "÷",
                    "-" => "−",
                    other => other,
                };
                if let (Some(a), Some(b)) = (args.first(), args.get(1)) {
                    a.write(inputs, words, values, s);
                    words.push_str(&format!(" {shown} "));
                    values.push_str(&format!(" {shown} "));
                    // Left-associative: the right side of `a − (b − c)` keeps its parentheses.
                    b.write(inputs, words, values, s + 1);
                }
            }
            Term::Op { op, args, .. } if op == "neg" || op == "not" => {
                let shown = if op == "neg" { "−" } else { "not " };
                words.push_str(shown);
                values.push_str(shown);
                if let Some(a) = args.first() {
                    a.write(inputs, words, values, 6);
                }
            }
            Term::Op { op, args, value, .. } if op.starts_with('.') => {
                // `profit.due`: the field's value, not the record's.
                if let Some(a) = args.first() {
                    a.write(inputs, words, &mut String::new(), 7);
                }
                words.push_str(op);
                values.push_str(value);
            }
            Term::Op { op, args, value, .. } => {
                // A call shows its arguments' values when all were evaluated here, else its own.
                let mut arg_words = String::new();
                let mut arg_values = String::new();
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        arg_words.push_str(", ");
                        arg_values.push_str(", ");
                    }
                    a.write(inputs, &mut arg_words, &mut arg_values, 0);
                }
                words.push_str(&format!("{op}({arg_words})"));
                if args.iter().any(|a| matches!(a, Term::Unevaluated)) {
                    values.push_str(value);
                } else {
                    values.push_str(&format!("{op}({arg_values})"));
                }
            }
            Term::If { cond, taken, branch } => {
                let mut cond_words = String::new();
                let mut cond_values = String::new();
                cond.write(inputs, &mut cond_words, &mut cond_values, 0);
                let side = if *taken { "then" } else { "else" };
                words.push_str(&format!("if {cond_words} {side} "));
                values.push_str(&format!("({cond_values}: {}) ", if *taken { "yes" } else { "no" }));
                branch.write(inputs, words, values, 1);
            }
            Term::Unevaluated => {
                words.push('…');
                values.push('…');
            }
        }
        if paren {
            words.push(')');
            values.push(')');
        }
    }
}

/// `let billable_accounts.payroll_line` → `payroll_line`; `sum revenue.x` → `sum revenue.x`.
fn short_label(label: &str) -> &str {
    let name = label
        .strip_prefix("let ")
        .or_else(|| label.strip_prefix("line "))
        .unwrap_or(label);
    if label.starts_with("let ") || label.starts_with("line ") {
        name.rsplit('.').next().unwrap_or(name)
    } else {
        name
    }
}
