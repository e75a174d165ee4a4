//! The input data as rules read it: the rows of a table for a site and month, site start dates,
//! price indexes and the reviewer's ad-hoc lines.
//!
//! These are traits and plain data only: the data layer (`billc-data`) and the in-memory test data
//! ([`crate::testdata`]) implement them, the evaluator and the builtins read through them. This
//! module knows nothing of how rows are stored or parsed, and may not read files.

use crate::schema::TableName;
use crate::time::YearMonth;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One aggregated input row as the evaluator sees it.
pub trait RowView {
    /// A dimension column's text (`revenue_code`, …), by its position among the table's dimensions.
    fn dim(&self, index: usize) -> &str;
    /// A measure's sum, by its position among the table's measures.
    fn measure(&self, index: usize) -> Decimal;
    /// The smallest file line of the rows in this group ("first row" order).
    fn first_line(&self) -> u32;
    /// The largest file line of the rows in this group.
    fn last_line(&self) -> u32 {
        self.first_line()
    }
    /// How many input rows this group holds.
    fn count(&self) -> u32;
    /// Records that a rule read this row (for the accounting of input rows).
    fn mark_used(&self);
    /// The file the rows were read from (`2025-03/revenue.csv`), empty when they come from no file.
    fn file_name(&self) -> &str {
        ""
    }
    /// Where the rows come from, for traces: `revenue.csv:1042`, or `revenue.csv:1042-1060` for
    /// rows on several lines (that range holds the group's `count` rows, and maybe others).
    fn origin(&self) -> String {
        origin(self.file_name(), self.first_line(), self.last_line())
    }
}

/// `revenue.csv:1042`, `revenue.csv:1042-1060` (lines `first` to `last`), or `line 1042` without a file.
pub fn origin(file: &str, first: u32, last: u32) -> String {
    let lines = if last > first {
        format!("{first}-{last}")
    } else {
        first.to_string()
    };
    match file {
        "" => format!("line {lines}"),
        file => format!("{file}:{lines}"),
    }
}

/// An ad-hoc reviewer line (adhoc.csv).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdhocItem {
    pub group: u32,
    pub kind: String,
    pub title: String,
    pub gl: String,
    pub amount: Decimal,
    pub line: u32,
}

impl AdhocItem {
    /// The amount of a reviewer line as billed (RULES.md §13): client-paid and non-billable expenses
    /// are always negative, whatever sign the row was written with; misc and reimbursable lines keep
    /// their sign.
    pub fn billed_amount(kind: &str, amount: Decimal) -> Decimal {
        match kind {
            "client_paid" | "non_billable" => -amount.abs(),
            _ => amount,
        }
    }
}

/// The input data, as the evaluator needs it. Implemented by the data layer and by test data.
pub trait DataView: Sync {
    /// The rows of a table for a site and month (empty when there are none).
    fn rows<'a>(&'a self, table: TableName, site: &str, month: YearMonth) -> Vec<&'a dyn RowView>;
    fn site_start(&self, site: &str) -> Option<NaiveDate>;
    fn index(&self, name: &str, month: YearMonth) -> Option<Decimal>;
    fn adhoc(&self, site: &str, month: YearMonth) -> Vec<AdhocItem>;
    /// Whether the rows of a table for a site and month were loaded (reading any other month is an
    /// error, never a silent zero).
    fn covers(&self, table: TableName, site: &str, month: YearMonth) -> bool;
}
