//! `summary.json`: the run's figures, for finance and for tools that check a month at a glance.
//!
//! Written into the period folder by [`crate::period::write`], beside `inputs.csv`, through the same
//! staging folder as every other file ([`crate::publish`]): a reader never sees one run's summary
//! beside another run's invoices. A refused run writes it too (`"refused": true`, no invoices).
//!
//! The README's March 2025 run (`billc run contracts/ --data examples/data --period 2025-03`):
//!
//! ```json
//! {"period": "2025-03",
//!  "run": {"contracts_digest": "blake3:…", "data_digest": "blake3:…", "billc": "0.1.0"},
//!  "refused": false,
//!  "invoices": {"total": 37, "lines": 81, "ready": 35, "needs_approval": 2},
//!  "amounts": {"receivables": "3628308.86", "credits": "-207268.52", "net": "3421040.34"},
//!  "contracts": {"total": 42, "billed": 42, "failed": 0, "skipped": 0},
//!  "exceptions": {"bad_row": 0, "check_failed": 0, …, "needs_approval": 2, …, "warning": 0},
//!  "input": {"rows": 132, "bad_rows": 0, "bytes": 8265},
//!  "phases_seconds": {"contracts": 0.092, "data": 0.03, "evaluation": 0.075}}
//! ```
//!
//! - **Amounts** are decimal strings with exactly two decimals, never floats: `receivables` sums the
//!   positive invoice totals, `credits` the negative ones (so it is negative or zero), `net` is both
//!   (the total billed). An invoice of $0 counts in neither. A sum that would overflow a decimal (28
//!   digits) is `null`.
//! - **Exceptions** are counted for every kind of `exceptions.csv`, zeros included, by name.
//! - **Contracts** are counted as the terminal summary counts them: `billed` evaluated into invoices
//!   (or into nothing to bill), `failed` could not be (an error, a failed `check … else exception`),
//!   `skipped` left out for bad rows (`--skip-bad-sites`); a refused run evaluates none, so all three
//!   are 0 and `total` says how many there were.
//! - **`phases_seconds`** (the last key) is the one part that is not a function of the inputs: the
//!   seconds the contracts, data and evaluation phases took, measured by the caller (the command
//!   line) and rounded to milliseconds. The output phase is not in it: this file is written during
//!   it (the terminal summary shows it). Everything else is byte-identical for identical inputs,
//!   whatever the thread count; the determinism tests compare the file without that object.

use crate::invoice::{Exception, ExceptionKind, Invoice, Status};
use crate::output::{JsonMeta, pretty_json};
use crate::run::RunReport;
use billc_lang::value::format::plain_amount;
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::io;
use std::str::FromStr;
use std::time::Duration;

/// The key of the one object of `summary.json` that varies between identical runs.
pub const PHASES_KEY: &str = "phases_seconds";

/// What the caller measured about a run, beyond its [`RunReport`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Measured {
    /// How many contracts the run billed (or would have, when refused).
    pub contracts: usize,
    /// Rows read, every file.
    pub rows: u64,
    /// Bytes read, every file.
    pub bytes: u64,
    /// How long the phases before the output took.
    pub phases: Phases,
}

/// How long each phase took. Durations, not amounts: written as seconds with three decimals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Phases {
    #[serde(serialize_with = "milliseconds")]
    pub contracts: Duration,
    #[serde(serialize_with = "milliseconds")]
    pub data: Duration,
    #[serde(serialize_with = "milliseconds")]
    pub evaluation: Duration,
}

/// A duration as a JSON number of seconds rounded to the millisecond (`12.3456 ms` → `0.012`),
/// computed in integers: no float is involved.
fn milliseconds<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    let ms = d.as_micros().saturating_add(500) / 1000;
    let text = format!("{}.{:03}", ms / 1000, ms % 1000);
    match serde_json::Number::from_str(&text) {
        Ok(n) => n.serialize(s),
        Err(e) => Err(serde::ser::Error::custom(e)),
    }
}

/// What happened to the contracts of a run, counted as the terminal summary counts them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ContractCounts {
    pub total: usize,
    pub billed: usize,
    pub failed: usize,
    pub skipped: usize,
}

impl ContractCounts {
    /// `total`: how many contracts the run billed (or would have).
    pub fn of(report: &RunReport, total: usize) -> ContractCounts {
        if report.refused {
            // A refused run evaluated nothing: its contracts are neither failed nor skipped.
            return ContractCounts {
                total,
                ..ContractCounts::default()
            };
        }
        let skipped = report
            .output
            .exceptions
            .iter()
            .filter(|e| e.kind == ExceptionKind::SiteSkipped)
            .count();
        let failed = report.failed_contracts.saturating_sub(skipped);
        ContractCounts {
            total,
            billed: total.saturating_sub(failed + skipped),
            failed,
            skipped,
        }
    }
}

/// How many exceptions of each kind, every kind included (zeros too), by name.
pub fn exception_counts(exceptions: &[Exception]) -> BTreeMap<&'static str, usize> {
    let mut counts: BTreeMap<&'static str, usize> = ExceptionKind::ALL.iter().map(|k| (k.as_str(), 0)).collect();
    for e in exceptions {
        *counts.entry(e.kind.as_str()).or_default() += 1;
    }
    counts
}

/// The invoice totals split by sign: what customers owe and what is credited to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split {
    /// Σ of the positive totals.
    pub receivables: Decimal,
    /// Σ of the negative totals (negative or zero).
    pub credits: Decimal,
}

impl Split {
    /// Receivables plus credits: the total billed (`None` on overflow).
    pub fn net(&self) -> Option<Decimal> {
        self.receivables.checked_add(self.credits)
    }
}

/// Splits the invoice totals by sign; `None` when a sum overflows.
pub fn split(invoices: &[Invoice]) -> Option<Split> {
    invoices.iter().try_fold(
        Split {
            receivables: Decimal::ZERO,
            credits: Decimal::ZERO,
        },
        |acc, i| {
            Some(if i.total.is_sign_positive() {
                Split {
                    receivables: acc.receivables.checked_add(i.total)?,
                    ..acc
                }
            } else {
                Split {
                    credits: acc.credits.checked_add(i.total)?,
                    ..acc
                }
            })
        },
    )
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    period: String,
    run: JsonMeta<'a>,
    refused: bool,
    invoices: InvoiceCounts,
    amounts: Amounts,
    contracts: ContractCounts,
    exceptions: BTreeMap<&'static str, usize>,
    input: Input,
    // INVARIANT: the last key (the determinism tests cut it off the end).
    phases_seconds: Phases,
}

#[derive(Serialize)]
struct InvoiceCounts {
    total: usize,
    lines: usize,
    ready: usize,
    needs_approval: usize,
}

#[derive(Serialize)]
struct Amounts {
    receivables: Option<String>,
    credits: Option<String>,
    net: Option<String>,
}

#[derive(Serialize)]
struct Input {
    rows: u64,
    bad_rows: usize,
    bytes: u64,
}

/// `summary.json` of a run (pretty-printed, two-space indentation, ending with a newline).
pub fn summary_json(report: &RunReport, measured: &Measured) -> io::Result<String> {
    let out = &report.output;
    let approval = out
        .invoices
        .iter()
        .filter(|i| i.status == Status::NeedsApproval)
        .count();
    let split = split(&out.invoices);
    let doc = SummaryJson {
        period: out.period.to_string(),
        run: JsonMeta::of(out),
        refused: report.refused,
        invoices: InvoiceCounts {
            total: out.invoices.len(),
            lines: out.invoices.iter().map(|i| i.lines.len()).sum(),
            ready: out.invoices.len() - approval,
            needs_approval: approval,
        },
        amounts: Amounts {
            receivables: split.map(|s| plain_amount(s.receivables)),
            credits: split.map(|s| plain_amount(s.credits)),
            net: split.and_then(|s| s.net()).map(plain_amount),
        },
        contracts: ContractCounts::of(report, measured.contracts),
        exceptions: exception_counts(&out.exceptions),
        input: Input {
            rows: measured.rows,
            bad_rows: report.bad_rows,
            bytes: measured.bytes,
        },
        phases_seconds: measured.phases,
    };
    pretty_json(&doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn phases_are_seconds_rounded_to_the_millisecond_without_floats() {
        let phases = Phases {
            contracts: Duration::from_micros(12_345),
            data: Duration::from_micros(1_499_500),
            evaluation: Duration::ZERO,
        };
        let json = serde_json::to_string(&phases).unwrap_or_default();
        assert_eq!(json, r#"{"contracts":0.012,"data":1.500,"evaluation":0.000}"#);
    }

    fn invoice(number: &str, total: Decimal) -> Invoice {
        Invoice {
            number: number.into(),
            site: number.get(..4).unwrap_or_default().into(),
            contract: "contracts/x.bill".into(),
            customer: "Hotel".into(),
            group: 1,
            group_title: None,
            period: "2025-03".into(),
            date: chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap_or_default(),
            due: None,
            terms: "Due on receipt".into(),
            status: Status::Ready,
            status_reasons: Vec::new(),
            total,
            lines: Vec::new(),
        }
    }

    #[test]
    fn receivables_and_credits_are_split_by_sign() {
        let invoices = [
            invoice("0238-202503-01-01", dec!(18234.55)),
            invoice("0239-202503-01-01", dec!(-9198.89)),
            invoice("0240-202503-01-01", dec!(0.00)),
            invoice("0241-202503-01-01", dec!(1500.00)),
            invoice("0242-202503-01-01", dec!(-0.11)),
        ];
        let s = split(&invoices).unwrap();
        assert_eq!(s.receivables, dec!(19734.55));
        assert_eq!(s.credits, dec!(-9199.00));
        assert_eq!(s.net(), Some(dec!(10535.55)));
        assert_eq!(plain_amount(s.credits), "-9199.00");
        assert_eq!(split(&[]).unwrap().net(), Some(Decimal::ZERO));
        // A sum past 28 digits is no figure at all, never a wrapped one.
        assert_eq!(split(&[invoice("a", Decimal::MAX), invoice("b", Decimal::MAX)]), None);
    }

    #[test]
    fn every_exception_kind_is_counted() {
        let e = |kind| Exception {
            site: "0238".into(),
            kind,
            location: String::new(),
            message: String::new(),
        };
        let counts = exception_counts(&[
            e(ExceptionKind::Warning),
            e(ExceptionKind::Warning),
            e(ExceptionKind::BadRow),
        ]);
        assert_eq!(counts.len(), ExceptionKind::ALL.len());
        assert_eq!(counts["warning"], 2);
        assert_eq!(counts["bad_row"], 1);
        assert_eq!(counts["needs_approval"], 0);
    }
}
