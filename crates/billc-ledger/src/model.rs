//! What the ledger holds, as plain values: documents (invoices and credit notes) with their lines,
//! their statuses and the transitions between them, events, payments and the people acting.
//!
//! Nothing here touches storage ([`crate::store`]) or decides anything about a run
//! ([`crate::record`]): it is the vocabulary both share.

use rust_decimal::Decimal;
use serde::Serialize;
use std::fmt;

/// Where a document is in its life (README → "The ledger").
///
/// ```text
/// draft ─┬─► approved ─► sent ─► partially_paid ─► paid
/// needs_approval ┘   │       │  └──────────┴──► disputed ─► (withdrawn: back by balance)
///   │  ▲             │       └─► credited (a sent credit note covers it)
///   ▼  │ approve     ▼
/// rejected        voided        superseded (a re-run changed it before it was sent)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Made by a run, within the review thresholds: waiting for approval.
    Draft,
    /// Made by a run, above the review thresholds, a `check … else approval`, or over a customer's
    /// credit limit: waiting for approval (by a finance manager above the approval limit).
    NeedsApproval,
    /// Approved, not yet sent.
    Approved,
    /// Sent back to the analyst: a re-run (or `billc approve`) takes it further.
    Rejected,
    /// Sent to the customer: from here on its content never changes.
    Sent,
    /// Sent, and paid in part.
    PartiallyPaid,
    /// Sent and paid in full (or more: the excess is an explicit overpayment).
    Paid,
    /// Sent, and a sent credit note covers what was not paid.
    Credited,
    /// Sent, and the customer disputes it: resolved by a credit note or withdrawn.
    Disputed,
    /// Cancelled before sending.
    Voided,
    /// Replaced by a later version before it was sent.
    Superseded,
}

impl Status {
    /// Every status, in the order of the enum.
    pub const ALL: [Status; 11] = [
        Status::Draft,
        Status::NeedsApproval,
        Status::Approved,
        Status::Rejected,
        Status::Sent,
        Status::PartiallyPaid,
        Status::Paid,
        Status::Credited,
        Status::Disputed,
        Status::Voided,
        Status::Superseded,
    ];

    /// The word stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::NeedsApproval => "needs_approval",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Sent => "sent",
            Status::PartiallyPaid => "partially_paid",
            Status::Paid => "paid",
            Status::Credited => "credited",
            Status::Disputed => "disputed",
            Status::Voided => "voided",
            Status::Superseded => "superseded",
        }
    }

    /// Reads a stored or typed status.
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Sent to the customer (whatever happened after): its content is frozen, and a correction is a
    /// credit note and a replacement.
    pub fn was_sent(self) -> bool {
        matches!(
            self,
            Status::Sent | Status::PartiallyPaid | Status::Paid | Status::Credited | Status::Disputed
        )
    }

    /// Not sent, still in the analyst's and approvers' hands: a re-run that changes it makes a new
    /// version and supersedes it.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Draft | Status::NeedsApproval | Status::Approved | Status::Rejected
        )
    }

    /// Owed by the customer (a receivable): sent and not settled.
    pub fn is_receivable(self) -> bool {
        matches!(self, Status::Sent | Status::PartiallyPaid | Status::Disputed)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An invoice or a credit note (a negative document that corrects a sent invoice).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Invoice,
    CreditNote,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Invoice => "invoice",
            Kind::CreditNote => "credit_note",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "invoice" => Some(Kind::Invoice),
            "credit_note" => Some(Kind::CreditNote),
            _ => None,
        }
    }
}

/// The tag of a line `billc adjust` added (RULES.md §13).
pub const ADJUSTMENT_TAG: &str = "adjustment";

/// One line of a stored document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    pub title: String,
    pub description: String,
    pub gl: String,
    pub amount: Decimal,
    pub tags: Vec<String>,
    /// `run` (made by the contract), `adjustment` (`billc adjust`) or `credit` (negating a sent line).
    pub origin: String,
}

/// A document's content: what its digest covers and what a customer is sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Content {
    /// `{site}-{YYYYMM}-{GG}`: the number without its version.
    pub base: String,
    pub kind: Kind,
    /// The service month, `YYYY-MM`.
    pub period: String,
    pub site: String,
    /// The customer as the contract names it.
    pub customer: String,
    /// The customer id of `customers.csv`, when the data has one for the site.
    pub customer_id: Option<String>,
    pub contract: String,
    pub group: u32,
    pub group_title: Option<String>,
    pub date: String,
    pub due: Option<String>,
    pub terms: String,
    pub total: Decimal,
    pub lines: Vec<Line>,
}

/// A document as the ledger has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Document {
    pub id: i64,
    pub number: String,
    pub version: u32,
    pub status: Status,
    /// Why the run set the status (review figures, failed checks, credit limit); empty otherwise.
    pub reasons: Vec<String>,
    /// For a credit note: the invoice it credits. For a later version: the version it replaces.
    pub corrects: Option<String>,
    /// The run that made it (none for `billc credit` and `billc adjust`).
    pub run: Option<i64>,
    pub created_by: String,
    pub created_at: String,
    /// BLAKE3 of the content ([`crate::digest::content`]).
    pub digest: String,
    #[serde(flatten)]
    pub content: Content,
}

/// An entry of the append-only audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    pub id: i64,
    pub at: String,
    pub actor: String,
    /// What happened: `run`, `created`, `superseded`, `approved`, `refused`, `payment`, …
    pub action: String,
    pub number: Option<String>,
    pub run: Option<i64>,
    pub from: Option<Status>,
    pub to: Option<Status>,
    pub reason: String,
    /// Facts of the event as JSON (a document's digest, a payment's amounts, a run's counts).
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// A recorded payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Payment {
    pub reference: String,
    /// The invoice number as the payment file gives it.
    pub invoice: String,
    pub date: String,
    pub amount: Decimal,
    /// What was applied to the invoice's balance.
    pub applied: Decimal,
    /// What exceeded the balance (an explicit overpayment: a credit in the customer's favour).
    pub overpaid: Decimal,
    /// `applied` or `unmatched`.
    pub outcome: String,
    pub reason: String,
}

/// A recorded run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunRow {
    pub id: i64,
    pub period: String,
    pub contracts_digest: String,
    pub data_digest: String,
    pub billc: String,
    pub actor: String,
    pub started_at: String,
    pub finished_at: String,
    pub options: String,
    pub refused: bool,
    pub invoices: i64,
    pub created: i64,
    pub unchanged: i64,
    pub replaced: i64,
    pub credit_notes: i64,
    pub withdrawn: i64,
    pub exceptions: i64,
}

/// A customer of the ledger's customer master (snapshotted from `customers.csv` at each run).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Customer {
    pub id: String,
    pub name: String,
    pub parent: Option<String>,
    pub credit_limit: Option<Decimal>,
    pub payment_terms: String,
    pub billing_contacts: Vec<String>,
}
