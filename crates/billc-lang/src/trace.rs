//! What evaluation produces for one line: its title, GL code, rounded amount and the calculation
//! trace behind it, down to the input rows and the source lines of the rules.
//!
//! Plain owned data (no salsa ids, no spans into live sources), serializable: the billing crate puts
//! these lines on invoices and writes them to `trace.json`, and `billc explain` reads them back.

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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceNode {
    /// What this node is, e.g. `line "Management Fee"`, `let qualifying`, `tiered`, `sum revenue.net_external_revenue`.
    pub label: String,
    /// The value, rendered with its unit (`$18,234.55`, `12.50%`, `160.25 h`).
    pub value: String,
    /// Where the rule is written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Arc<SourceLoc>>,
    /// Extra facts about this step: tier bands, filters, row counts, months of a window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<Fact>,
    /// The values this one was computed from. A value used in several places (a `let` read by two
    /// lines) is one shared node, not a copy per use; it is written out in full at each use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<Arc<TraceNode>>,
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
