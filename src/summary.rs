//! What `billc run` tells a person when it ends: the summary (standard output) and its outcome,
//! which decides the exit status.
//!
//! Every line counts one thing and says what: contracts are evaluated, failed or skipped (a refused
//! run evaluates none, it does not "fail" them); exceptions are counted by the kind written in
//! `exceptions.csv`. The outcome is one of three, in the summary's first line and, when it is not
//! the first, on standard error too:
//! - `billed cleanly`: every contract evaluated and nothing in `exceptions.csv` but invoices that
//!   need approval (their status says so, in `invoices.json`): exit status 0;
//! - `run refused: N bad rows in the data (see …/exceptions.csv)`: no invoice written: exit status 1;
//! - `not billed cleanly: …` (contracts failed or skipped, bad rows skipped, exceptions such as
//!   `unmatched_data`): exit status 1.

use billc_billing::figures::{ContractCounts, exception_counts};
use billc_billing::invoice::{ExceptionKind, Status};
use billc_billing::run::RunReport;
use billc_lang::value::format::format_cents;
use std::collections::BTreeMap;
use std::path::Path;

/// How a run ended, counted from its report.
pub struct Tally {
    refused: bool,
    /// Some bad rows name no site, so `--skip-bad-sites` could not skip them.
    unattributed: bool,
    /// The data files missing for the period that refused the run.
    missing: Vec<String>,
    contracts: usize,
    failed: usize,
    skipped: usize,
    bad_rows: usize,
    /// Exceptions by kind (names of `exceptions.csv`).
    kinds: BTreeMap<&'static str, usize>,
}

/// Exception kinds that need no person beyond what the invoice itself says (its status), or that
/// are only reported (a file billc does not read, a contract with nothing to bill).
const CLEAN_KINDS: [ExceptionKind; 3] = [
    ExceptionKind::NeedsApproval,
    ExceptionKind::UnreadFile,
    ExceptionKind::NoInvoice,
];

/// Exception kinds already told by the counts of contracts and bad rows.
const COUNTED_KINDS: [ExceptionKind; 5] = [
    ExceptionKind::BadRow,
    ExceptionKind::RunRefused,
    ExceptionKind::ContractFailed,
    ExceptionKind::CheckFailed,
    ExceptionKind::SiteSkipped,
];

impl Tally {
    /// `contracts`: how many contracts the run billed (or would have).
    pub fn of(report: &RunReport, contracts: usize) -> Tally {
        // Counted as summary.json counts them (a refused run: none failed, none skipped).
        let counts = ContractCounts::of(report, contracts);
        Tally {
            refused: report.refused,
            unattributed: report.unattributed,
            missing: report.missing.clone(),
            contracts,
            failed: counts.failed,
            skipped: counts.skipped,
            bad_rows: report.bad_rows,
            kinds: exception_counts(&report.output.exceptions)
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .collect(),
        }
    }

    /// The outcome in one line, `None` when the run billed cleanly (exit status 0).
    pub fn problem(&self, dir: &Path) -> Option<String> {
        let see = format!("(see {}/exceptions.csv)", dir.display());
        if self.refused {
            let why = if self.unattributed {
                ", some naming no site, so no site could be skipped"
            } else {
                ""
            };
            let mut reasons = Vec::new();
            if self.bad_rows > 0 {
                reasons.push(format!("{} in the data{why}", count(self.bad_rows, "bad row")));
            }
            if !self.missing.is_empty() {
                reasons.push(format!("data missing ({})", self.missing.join(", ")));
            }
            return Some(format!("run refused: {} {see}", reasons.join(" and ")));
        }
        let mut parts = Vec::new();
        if self.failed > 0 {
            parts.push(format!("{} failed", count(self.failed, "contract")));
        }
        if self.skipped > 0 {
            parts.push(format!(
                "{} skipped for bad rows (--skip-bad-sites)",
                count(self.skipped, "contract")
            ));
        }
        if self.bad_rows > 0 {
            parts.push(format!("{} in the data", count(self.bad_rows, "bad row")));
        }
        let others: Vec<String> = self
            .kinds
            .iter()
            .filter(|(k, _)| !CLEAN_KINDS.iter().chain(&COUNTED_KINDS).any(|c| c.as_str() == **k))
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if !others.is_empty() {
            parts.push(format!("exceptions {}", others.join(", ")));
        }
        (!parts.is_empty()).then(|| format!("not billed cleanly: {} {see}", parts.join(", ")))
    }

    /// The `contracts` line's detail: what happened to them.
    fn contracts_detail(&self) -> String {
        if self.refused {
            return "none evaluated: the run was refused".into();
        }
        let evaluated = self.contracts.saturating_sub(self.failed + self.skipped);
        let mut parts = vec![format!("{evaluated} evaluated")];
        if self.failed > 0 {
            parts.push(format!("{} failed", self.failed));
        }
        if self.skipped > 0 {
            parts.push(format!("{} skipped for bad rows", self.skipped));
        }
        parts.join(", ")
    }
}

/// What a run measured, for people: seconds and megabytes are `f64` (not money).
pub struct Measures {
    pub rows: u64,
    pub bytes: u64,
    /// Contracts, data, evaluation, output.
    pub phases: [f64; 4],
}

/// The one-screen summary printed after a run, ending with the folder written.
pub fn summary(report: &RunReport, tally: &Tally, measures: &Measures, dir: &Path) -> String {
    let out = &report.output;
    let outcome = tally.problem(dir).unwrap_or_else(|| "billed cleanly".into());
    let mut s = format!("billc run {}: {outcome}\n", out.period);
    if tally.refused {
        s.push_str(&format!("  invoices   {:>9}  (none written: the run was refused)\n", 0));
    } else {
        let lines: usize = out.invoices.iter().map(|i| i.lines.len()).sum();
        let approval = out
            .invoices
            .iter()
            .filter(|i| i.status == Status::NeedsApproval)
            .count();
        let total = report.total_billed().map_or_else(|| "overflow".into(), format_cents);
        s.push_str(&format!(
            "  invoices   {:>9}  ({} {approval} need approval)\n",
            out.invoices.len(),
            count(lines, "line") + ","
        ));
        s.push_str(&format!("  billed     {total:>9}\n"));
    }
    s.push_str(&format!(
        "  contracts  {:>9}  ({})\n",
        tally.contracts,
        tally.contracts_detail()
    ));
    let kinds: Vec<String> = tally.kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    s.push_str(&format!(
        "  exceptions {:>9}{}\n",
        out.exceptions.len(),
        if kinds.is_empty() {
            String::new()
        } else {
            format!("  ({})", kinds.join(", "))
        }
    ));
    // Seconds and rates are measurements shown with one decimal, not money: `f64` is right.
    let seconds: f64 = measures.phases.iter().sum();
    let rate = if seconds > 0.0 {
        measures.rows as f64 / seconds
    } else {
        0.0
    };
    s.push_str(&format!(
        "  input      {:>9} rows, {:.1} MB, {} bad\n",
        measures.rows,
        measures.bytes as f64 / 1e6,
        tally.bad_rows
    ));
    s.push_str(&format!("  time       {seconds:>8.2}s  ({:.1} M rows/s)\n", rate / 1e6));
    let [c, d, e, o] = measures.phases;
    s.push_str(&format!(
        "  phases     contracts {c:.2}s, data {d:.2}s, evaluation {e:.2}s, output {o:.2}s\n"
    ));
    s.push_str(&format!("  written    {}\n", dir.display()));
    s
}

/// `1 contract`, `2 contracts`.
pub fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
