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

/// What a run measured, for people. Times are `Duration`s and every figure is written with
/// integer arithmetic (no floats anywhere in billc), rounded to the last digit shown.
pub struct Measures {
    pub rows: u64,
    pub bytes: u64,
    /// Contracts, data, evaluation, ledger, output.
    pub phases: [std::time::Duration; 5],
}

/// `n / unit` with `places` decimals, rounded half up: `fixed(1_234, 1_000, 2)` is `1.23`.
pub fn fixed(n: u128, unit: u128, places: u32) -> String {
    let scale = 10u128.pow(places);
    let scaled = (n * scale + unit / 2) / unit.max(1);
    let (whole, frac) = (scaled / scale, scaled % scale);
    match places {
        0 => whole.to_string(),
        _ => format!("{whole}.{frac:0width$}", width = places as usize),
    }
}

/// Seconds with two decimals: `0.12`.
fn seconds(d: std::time::Duration) -> String {
    fixed(d.as_micros(), 1_000_000, 2)
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
    let total: std::time::Duration = measures.phases.iter().sum();
    // Millions of rows a second: rows × 10⁶ / microseconds, in millions.
    let rate = match total.as_micros() {
        0 => "0.0".to_string(),
        us => fixed(u128::from(measures.rows) * 1_000_000, us * 1_000_000, 1),
    };
    s.push_str(&format!(
        "  input      {:>9} rows, {} MB, {} bad\n",
        measures.rows,
        fixed(u128::from(measures.bytes), 1_000_000, 1),
        tally.bad_rows
    ));
    s.push_str(&format!("  time       {:>8}s  ({rate} M rows/s)\n", seconds(total)));
    let [c, d, e, l, o] = measures.phases.map(seconds);
    s.push_str(&format!(
        "  phases     contracts {c}s, data {d}s, evaluation {e}s, ledger {l}s, output {o}s\n"
    ));
    s.push_str(&format!("  written    {}\n", dir.display()));
    s
}

/// `1 contract`, `2 contracts`.
pub fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn figures_are_rounded_half_up_with_integers() {
        assert_eq!(fixed(1_234, 1_000, 2), "1.23");
        assert_eq!(fixed(1_235, 1_000, 2), "1.24");
        assert_eq!(fixed(1_108_000_000, 1_000_000, 1), "1108.0");
        assert_eq!(fixed(49_999, 1_000_000, 1), "0.0");
        assert_eq!(fixed(50_000, 1_000_000, 1), "0.1");
        assert_eq!(fixed(7, 2, 0), "4");
        assert_eq!(seconds(Duration::from_millis(1_965)), "1.97");
        assert_eq!(seconds(Duration::ZERO), "0.00");
    }
}
