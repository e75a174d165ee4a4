//! The Great Plains (GP) export of an approved invoice (RULES.md §12).
//!
//! An invoice becomes one balanced GP document:
//!
//! - **total > 0 → receivable (AR).** One row per line, account `{gl_string}{gl}-{site}` (gl_string from
//!   `sites.csv`, e.g. `02-02-4401-` → `02-02-4401-4790-0238`): a credit for a positive line, a debit
//!   for a negative one. A balancing debit of the total to accounts receivable `{CC}-00-0000-1200-0000`.
//! - **total ≤ 0 → payable (AP) voucher** to the site's `vendor_id`: the same line rows, and a balancing
//!   credit of −total to accounts payable `{CC}-00-0000-2000-0000`.
//! - **CC** is the company: the first two characters of gl_string when they are `07` (ENC) or `22`
//!   (UPP), else `02` (TOWNE).
//! - **Batch** `{YYYYMM}POWERBILL{YYYYMMDD}`, both from the invoice date (which lies in the month of the
//!   invoice number for both billing types, RULES.md §1); **document** = the invoice number without
//!   dashes. [`parking_tax_journal`] makes the parking-tax journal of §12.
//!
//! Decisions where RULES.md §12 leaves room:
//! - **Advanced billing** ("adds deferred account `{CC}-00-0000-2450-0000`"): an advance invoice is
//!   billed before the service is given, so its revenue is not yet earned. billc posts each line row to
//!   the deferred-revenue account instead of the line's revenue account (same amounts, sides and order,
//!   so the rows still reconcile line by line with the invoice); the receivable row is unchanged. When
//!   the service month comes, [`deferral_release`] moves each line from deferred revenue to its revenue
//!   account. A payable (total ≤ 0) is a refund, not unearned revenue, and is never deferred.
//! - A total of exactly zero is a payable (RULES.md: "≤ 0") whose balancing row is left out: nothing is
//!   owed either way, and GP rejects zero distributions.
//! - Zero-amount lines (never on an invoice, RULES.md §1) make no row.
//! - The export refuses rather than guesses: a gl_string that is empty or does not end with `-`, a
//!   payable without a vendor, a total that is not the sum of the lines, or an overflow is a [`GpError`].
//! - Approval is the caller's business: the invoice's `status` is not consulted, because a person may
//!   approve a `needs_approval` invoice after the run.

use crate::invoice::Invoice;
use billc_lang::terms::Billing;
use billc_lang::time::YearMonth;
use billc_lang::value::format::plain_amount;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::fmt;
use std::io;

/// What GP needs to know about a site (`sites.csv`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpSite {
    /// The account prefix, e.g. `02-02-4401-`.
    pub gl_string: String,
    /// The vendor to pay when an invoice is negative.
    pub vendor_id: String,
}

/// The kind of GP document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum GpKind {
    /// A receivables transaction (the customer owes Towne Park).
    Receivable,
    /// A payables voucher (Towne Park owes the customer).
    Payable,
    /// A general-ledger journal entry (parking tax, release of deferred revenue).
    Journal,
}

impl GpKind {
    /// `receivable`, `payable` or `journal`.
    pub fn as_str(self) -> &'static str {
        match self {
            GpKind::Receivable => "receivable",
            GpKind::Payable => "payable",
            GpKind::Journal => "journal",
        }
    }
}

/// One distribution row: exactly one of `debit` and `credit` is non-zero, and both are ≥ 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpRow {
    pub account: String,
    pub debit: Decimal,
    pub credit: Decimal,
}

/// One balanced GP document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpDocument {
    pub kind: GpKind,
    /// `{YYYYMM}POWERBILL{YYYYMMDD}`.
    pub batch: String,
    /// The invoice number without dashes.
    pub document: String,
    /// The document date.
    pub date: NaiveDate,
    /// The vendor, for payables only.
    pub vendor_id: Option<String>,
    pub rows: Vec<GpRow>,
}

impl GpDocument {
    /// Σ debits and Σ credits (`None` on overflow).
    pub fn totals(&self) -> Option<(Decimal, Decimal)> {
        self.rows.iter().try_fold((Decimal::ZERO, Decimal::ZERO), |(d, c), r| {
            Some((d.checked_add(r.debit)?, c.checked_add(r.credit)?))
        })
    }

    /// Whether debits equal credits.
    pub fn is_balanced(&self) -> bool {
        self.totals().is_some_and(|(d, c)| d == c)
    }
}

/// Why an invoice could not be exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GpError {
    /// The site's gl_string is empty or does not end with `-`, e.g. `02-02-4401`.
    BadGlString(String),
    /// A payable needs a vendor, and the site has none.
    MissingVendor { site: String },
    /// The invoice total is not the sum of its lines, so the document could not balance.
    TotalMismatch {
        number: String,
        total: Decimal,
        lines: Decimal,
    },
    /// A sum exceeded the decimal range.
    Overflow { number: String },
}

impl fmt::Display for GpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpError::BadGlString(s) => {
                write!(f, "gl string `{s}` is not an account prefix like `02-02-4401-`")
            }
            GpError::MissingVendor { site } => {
                write!(f, "site `{site}` has no vendor id for a payables voucher")
            }
            GpError::TotalMismatch { number, total, lines } => write!(
                f,
                "invoice `{number}` totals `{}` but its lines sum to `{}`",
                plain_amount(*total),
                plain_amount(*lines)
            ),
            GpError::Overflow { number } => {
                write!(f, "amounts of invoice `{number}` overflow the decimal range")
            }
        }
    }
}

impl std::error::Error for GpError {}

/// The company code: `07` or `22` when gl_string starts with it, else `02`.
pub fn company_code(gl_string: &str) -> &'static str {
    match gl_string.get(0..2) {
        Some("07") => "07",
        Some("22") => "22",
        _ => "02",
    }
}

/// `{YYYYMM}POWERBILL{YYYYMMDD}` for a document dated `date`.
pub fn batch_id(date: NaiveDate) -> String {
    format!(
        "{:04}{:02}POWERBILL{:04}{:02}{:02}",
        date.year(),
        date.month(),
        date.year(),
        date.month(),
        date.day()
    )
}

/// The GP document of an approved invoice (see the module documentation).
pub fn export(invoice: &Invoice, site: &GpSite, billing: Billing) -> Result<GpDocument, GpError> {
    check_gl_string(&site.gl_string)?;
    let total = checked_total(invoice)?;
    let cc = company_code(&site.gl_string);
    let receivable = total > Decimal::ZERO;
    let deferred = receivable && billing == Billing::Advanced;
    let mut rows = Vec::with_capacity(invoice.lines.len() + 1);
    for line in invoice.lines.iter().filter(|l| !l.amount.is_zero()) {
        let account = if deferred {
            format!("{cc}-00-0000-2450-0000")
        } else {
            line_account(&site.gl_string, &line.gl, &invoice.site)
        };
        rows.push(signed_row(account, line.amount, Side::CreditWhenPositive));
    }
    let (kind, vendor_id) = if receivable {
        rows.push(signed_row(
            format!("{cc}-00-0000-1200-0000"),
            total,
            Side::DebitWhenPositive,
        ));
        (GpKind::Receivable, None)
    } else {
        if site.vendor_id.trim().is_empty() {
            return Err(GpError::MissingVendor {
                site: invoice.site.clone(),
            });
        }
        if !total.is_zero() {
            rows.push(signed_row(
                format!("{cc}-00-0000-2000-0000"),
                total,
                Side::DebitWhenPositive,
            ));
        }
        (GpKind::Payable, Some(site.vendor_id.clone()))
    };
    Ok(GpDocument {
        kind,
        batch: batch_id(invoice.date),
        document: document_number(&invoice.number),
        date: invoice.date,
        vendor_id,
        rows,
    })
}

/// For an Advanced receivable, the journal that releases its deferred revenue in the service month:
/// per line, the deferred account takes the opposite side of the line's row in [`export`] and the
/// line's revenue account the same side. Dated the first day of `service`; `None` when nothing was
/// deferred (Arrears billing, or a payable).
pub fn deferral_release(
    invoice: &Invoice,
    site: &GpSite,
    billing: Billing,
    service: YearMonth,
) -> Result<Option<GpDocument>, GpError> {
    check_gl_string(&site.gl_string)?;
    let total = checked_total(invoice)?;
    if billing != Billing::Advanced || total <= Decimal::ZERO {
        return Ok(None);
    }
    let cc = company_code(&site.gl_string);
    let mut rows = Vec::with_capacity(invoice.lines.len() * 2);
    for line in invoice.lines.iter().filter(|l| !l.amount.is_zero()) {
        rows.push(signed_row(
            format!("{cc}-00-0000-2450-0000"),
            line.amount,
            Side::DebitWhenPositive,
        ));
        rows.push(signed_row(
            line_account(&site.gl_string, &line.gl, &invoice.site),
            line.amount,
            Side::CreditWhenPositive,
        ));
    }
    let date = service.first_day();
    Ok(Some(GpDocument {
        kind: GpKind::Journal,
        batch: batch_id(date),
        document: document_number(&invoice.number),
        date,
        vendor_id: None,
        rows,
    }))
}

/// The parking-tax journal when Towne Park is responsible for parking tax (RULES.md §10, §12):
/// debit `{gl_string}4790-{site}`, credit `{CC}-00-0000-2030-0000`, by `tax` = client-collected tax +
/// tax on deposited revenue (computed by the evaluator). A negative `tax` swaps the sides; zero gives
/// `None`. Same batch, date and document number as the invoice's document.
pub fn parking_tax_journal(invoice: &Invoice, site: &GpSite, tax: Decimal) -> Result<Option<GpDocument>, GpError> {
    check_gl_string(&site.gl_string)?;
    if tax.is_zero() {
        return Ok(None);
    }
    let cc = company_code(&site.gl_string);
    Ok(Some(GpDocument {
        kind: GpKind::Journal,
        batch: batch_id(invoice.date),
        document: document_number(&invoice.number),
        date: invoice.date,
        vendor_id: None,
        rows: vec![
            signed_row(
                line_account(&site.gl_string, "4790", &invoice.site),
                tax,
                Side::DebitWhenPositive,
            ),
            signed_row(format!("{cc}-00-0000-2030-0000"), tax, Side::CreditWhenPositive),
        ],
    }))
}

/// Writes documents as CSV: header `batch,document,kind,vendor_id,date,account,debit,credit`, one
/// row per distribution, amounts with two decimals, in the order given. RFC 4180 quoting, `\n` line ends.
pub fn write_csv<W: io::Write>(out: W, documents: &[GpDocument]) -> io::Result<()> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    w.write_record([
        "batch",
        "document",
        "kind",
        "vendor_id",
        "date",
        "account",
        "debit",
        "credit",
    ])?;
    for doc in documents {
        let date = doc.date.to_string();
        for row in &doc.rows {
            w.write_record([
                doc.batch.as_str(),
                &doc.document,
                doc.kind.as_str(),
                doc.vendor_id.as_deref().unwrap_or(""),
                &date,
                &row.account,
                &plain_amount(row.debit),
                &plain_amount(row.credit),
            ])?;
        }
    }
    w.flush()
}

/// The invoice number without dashes.
pub fn document_number(number: &str) -> String {
    number.chars().filter(|c| *c != '-').collect()
}

fn line_account(gl_string: &str, gl: &str, site: &str) -> String {
    format!("{gl_string}{gl}-{site}")
}

fn check_gl_string(gl_string: &str) -> Result<(), GpError> {
    if gl_string.len() < 3 || !gl_string.ends_with('-') {
        return Err(GpError::BadGlString(gl_string.to_owned()));
    }
    Ok(())
}

/// The invoice total, checked against the sum of its lines.
fn checked_total(invoice: &Invoice) -> Result<Decimal, GpError> {
    let lines = invoice
        .lines
        .iter()
        .try_fold(Decimal::ZERO, |acc, l| acc.checked_add(l.amount))
        .ok_or_else(|| GpError::Overflow {
            number: invoice.number.clone(),
        })?;
    if lines != invoice.total {
        return Err(GpError::TotalMismatch {
            number: invoice.number.clone(),
            total: invoice.total,
            lines,
        });
    }
    Ok(lines)
}

#[derive(Clone, Copy)]
enum Side {
    CreditWhenPositive,
    DebitWhenPositive,
}

/// A row carrying `amount` on the side `side` picks for its sign, as a non-negative number.
fn signed_row(account: String, amount: Decimal, side: Side) -> GpRow {
    let positive = amount > Decimal::ZERO;
    let debit_side = matches!(
        (side, positive),
        (Side::DebitWhenPositive, true) | (Side::CreditWhenPositive, false)
    );
    let value = amount.abs();
    if debit_side {
        GpRow {
            account,
            debit: value,
            credit: Decimal::ZERO,
        }
    } else {
        GpRow {
            account,
            debit: Decimal::ZERO,
            credit: value,
        }
    }
}
