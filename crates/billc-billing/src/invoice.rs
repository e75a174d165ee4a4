//! What a run produces: invoices (a group's lines with number, dates and review status) and the
//! exceptions a person must look at.
//!
//! These are plain owned data (no salsa ids, no spans into live sources): [`crate::run`] builds them
//! from the evaluator's lines ([`billc_lang::trace`]), [`crate::output`] writes them
//! (`invoices.json`, `invoices.csv`, `invoices-summary.csv`, `exceptions.csv`, `trace.json`) and
//! [`crate::explain`] reads the trace back. Amounts are exact decimals, already rounded to cents where a line was made.

pub use billc_lang::trace::{Fact, InvoiceLine, SourceLoc, TraceNode};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Whether an invoice can be sent as is (RULES.md §11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Within the review thresholds (or no forecast rule applies).
    Ready,
    /// Deviation from forecast above both thresholds, or a `check` asked for approval.
    NeedsApproval,
}

impl Status {
    /// The word written in outputs: `ready` or `needs_approval`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ready => "ready",
            Status::NeedsApproval => "needs_approval",
        }
    }
}

/// One invoice: the non-zero lines of one invoice group of one contract for one service month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// `{site}-{YYYYMM}-{GG}-{VV}` (RULES.md §1).
    pub number: String,
    /// The 4-digit site number (or the group's override).
    pub site: String,
    /// The contract's source file, as given on the command line.
    pub contract: String,
    /// The customer named by the contract (or the group's override).
    pub customer: String,
    /// The invoice group number (1 when the contract has no groups).
    pub group: u32,
    /// The group's title, if the contract names one.
    pub group_title: Option<String>,
    /// The service month, `YYYY-MM`.
    pub period: String,
    /// Invoice date (RULES.md §1).
    pub date: NaiveDate,
    /// Due date computed from the payment terms; `None` when the terms cannot be read.
    pub due: Option<NaiveDate>,
    /// Payment terms as written in the contract.
    pub terms: String,
    /// Ready to send, or needs approval.
    pub status: Status,
    /// Why the status is what it is (deviation figures, failed checks); empty when ready.
    pub status_reasons: Vec<String>,
    /// Sum of the rounded line amounts.
    pub total: Decimal,
    /// Lines in invoice order.
    pub lines: Vec<InvoiceLine>,
}

/// What kind of finding an [`Exception`] is: the `kind` column of `exceptions.csv`.
///
/// Ordered by its written name, so that exceptions sort the same as the file reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// A data row that cannot be read or validated (DATA.md); never summed.
    BadRow,
    /// The run made no invoices: bad rows without `--skip-bad-sites` (or rows naming no site).
    RunRefused,
    /// A contract could not be evaluated (overflow, a read outside the data loaded, …): no invoice.
    ContractFailed,
    /// A contract's `check … else exception` failed: no invoice for it.
    CheckFailed,
    /// With `--skip-bad-sites`: a site with bad rows, left out.
    SiteSkipped,
    /// An invoice needs approval (review above both thresholds, or a `check … else approval`).
    NeedsApproval,
    /// Data a rule needs is absent (a forecast for the review, an index value, …).
    MissingData,
    /// Rows of the period for a site without a contract.
    UnmatchedData,
    /// Two invoices with one number (two contracts for one site and group).
    DuplicateInvoice,
    /// Something to look at that changes no amount (unreadable payment terms, a data file of
    /// another month that looks misnamed, …).
    Warning,
    /// An entry of the data directory that is no data file billc reads (`notes.txt`): only reported.
    UnreadFile,
    /// A contract that bills nothing for the period (every line zero, or none applies): only reported.
    NoInvoice,
}

impl ExceptionKind {
    /// Every kind, in the order of their names (the order `exceptions.csv` sorts them in):
    /// `summary.json` counts each, zeros included.
    pub const ALL: [ExceptionKind; 12] = [
        ExceptionKind::BadRow,
        ExceptionKind::CheckFailed,
        ExceptionKind::ContractFailed,
        ExceptionKind::DuplicateInvoice,
        ExceptionKind::MissingData,
        ExceptionKind::NeedsApproval,
        ExceptionKind::NoInvoice,
        ExceptionKind::RunRefused,
        ExceptionKind::SiteSkipped,
        ExceptionKind::UnmatchedData,
        ExceptionKind::UnreadFile,
        ExceptionKind::Warning,
    ];

    /// The name written in `exceptions.csv` and the run summary.
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionKind::BadRow => "bad_row",
            ExceptionKind::RunRefused => "run_refused",
            ExceptionKind::ContractFailed => "contract_failed",
            ExceptionKind::CheckFailed => "check_failed",
            ExceptionKind::SiteSkipped => "site_skipped",
            ExceptionKind::NeedsApproval => "needs_approval",
            ExceptionKind::MissingData => "missing_data",
            ExceptionKind::UnmatchedData => "unmatched_data",
            ExceptionKind::DuplicateInvoice => "duplicate_invoice",
            ExceptionKind::Warning => "warning",
            ExceptionKind::UnreadFile => "unread_file",
            ExceptionKind::NoInvoice => "no_invoice",
        }
    }
}

impl Ord for ExceptionKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for ExceptionKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for ExceptionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something a person must look at after a run (`exceptions.csv`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Exception {
    /// The site concerned, empty when the finding is not about one site.
    pub site: String,
    /// What kind of finding.
    pub kind: ExceptionKind,
    /// Where: a data file and line (`revenue.csv:1042`) or a source location (`contracts/0238.bill:12`).
    pub location: String,
    /// Why, in one sentence.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::ExceptionKind;

    /// `ALL` holds every kind once, sorted: a kind added to the enum without being added to `ALL`
    /// fails to compile here (the match has no wildcard).
    #[test]
    fn all_holds_every_kind_sorted() {
        let position = |k: ExceptionKind| match k {
            ExceptionKind::BadRow => 0,
            ExceptionKind::CheckFailed => 1,
            ExceptionKind::ContractFailed => 2,
            ExceptionKind::DuplicateInvoice => 3,
            ExceptionKind::MissingData => 4,
            ExceptionKind::NeedsApproval => 5,
            ExceptionKind::NoInvoice => 6,
            ExceptionKind::RunRefused => 7,
            ExceptionKind::SiteSkipped => 8,
            ExceptionKind::UnmatchedData => 9,
            ExceptionKind::UnreadFile => 10,
            ExceptionKind::Warning => 11,
        };
        for (i, k) in ExceptionKind::ALL.iter().enumerate() {
            assert_eq!(position(*k), i, "{k}");
        }
        assert!(ExceptionKind::ALL.windows(2).all(|w| w[0] < w[1]));
    }
}
