//! `billc run`: every contract's plan evaluated for a service month over the loaded data, in parallel,
//! assembled into invoices (numbers, dates, due dates, review status) and exceptions.
//!
//! The batch never stops for one contract: a contract that cannot be evaluated, whose `check … else
//! exception` fails, or whose site has bad data rows (with `skip_bad_sites`) yields a row of
//! `exceptions.csv` and no invoice. Results are gathered in plan order and the output files sort them,
//! so the outcome is the same for any number of threads.
//!
//! Unmatched rows of the period: those of a site without a contract are exceptions (money may be
//! unbilled); those of a contract's site that none of its rules read (payroll accounts under a pure
//! revenue-share contract) are listed in `unmatched.csv` and counted in `inputs.csv`, not exceptions.
//!
//! Decisions where RULES.md is silent: the review (§11) is per contract ("statement"): the contract's
//! invoiced revenue across its invoices plus the site's posted revenue, against the site's forecast,
//! and its status applies to each of its invoices. Bad data rows fail the whole run by default (no
//! invoices are written, only `exceptions.csv`), because an invoice computed without a rejected row
//! would be silently wrong.

use crate::complete;
use crate::invoice::{Exception, ExceptionKind, Invoice, InvoiceLine, Status};
use crate::output::RunOutput;
use crate::review::{self, Thresholds};
use billc_data::{BadRow, DataSet, FileAccount};
use billc_lang::demand::{FACT_TABLES, table_slot};
use billc_lang::eval::{self, DataView, RowView, RunLine};
use billc_lang::plan::Plan;
use billc_lang::schema::TableName;
use billc_lang::time::YearMonth;
use rayon::prelude::*;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// How to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOptions {
    pub period: YearMonth,
    /// Leave out the invoices of sites with bad rows instead of failing the run.
    pub skip_bad_sites: bool,
    /// Data files (`revenue`, without `.csv`) that may be missing for the period: their
    /// `missing_data` exceptions are written, and the run goes on ([`crate::complete`]).
    pub allow_missing: BTreeSet<String>,
}

/// The outcome of a run.
#[derive(Debug)]
pub struct RunReport {
    pub output: RunOutput,
    /// How every input row was accounted for, per file.
    pub accounts: Vec<FileAccount>,
    /// Contracts that produced no invoice because of an error (evaluation, exception check, bad data).
    pub failed_contracts: usize,
    /// Bad rows in the data.
    pub bad_rows: usize,
    /// Rows of the period at sites that have a contract which none of its rules read (`unmatched.csv`).
    /// Rows of sites without a contract are exceptions instead.
    pub unread: Vec<billc_data::Unmatched>,
    /// Whether the run was refused (then there are no invoices): bad rows, or missing data.
    pub refused: bool,
    /// Refused with `--skip-bad-sites` because some bad rows name no site.
    pub unattributed: bool,
    /// The data files (or month folders) missing for the period that refused the run.
    pub missing: Vec<String>,
}

impl RunReport {
    /// Total billed (sum of invoice totals).
    pub fn total_billed(&self) -> Option<Decimal> {
        self.output
            .invoices
            .iter()
            .try_fold(Decimal::ZERO, |acc, i| acc.checked_add(i.total))
    }
}

/// What one contract gave.
#[derive(Default)]
struct Outcome {
    invoices: Vec<Invoice>,
    exceptions: Vec<Exception>,
    failed: bool,
    /// Earlier months whose rows the contract read and that the data directory has no rows of at
    /// all, for any site (a gap in the history: refuses the run, [`complete::history_gaps`]).
    gaps: Vec<(TableName, YearMonth)>,
}

impl Outcome {
    /// Records that the contract (or one of its invoices) could not be billed, and why.
    fn fail(&mut self, site: &str, location: String, message: String) {
        self.exceptions
            .push(exception(site, ExceptionKind::ContractFailed, location, message));
        self.failed = true;
    }
}

fn exception(site: &str, kind: ExceptionKind, location: String, message: String) -> Exception {
    Exception {
        site: site.to_string(),
        kind,
        location,
        message,
    }
}

fn bad_row_exception(b: &BadRow) -> Exception {
    exception(
        b.site.as_deref().unwrap_or(""),
        ExceptionKind::BadRow,
        format!("{}:{}", b.file, b.line),
        format!("{}: {}", b.kind.name(), b.reason),
    )
}

/// Runs every plan for the period. `progress` counts finished contracts (for a progress bar).
pub fn run(
    plans: &[Arc<Plan>],
    data: &DataSet,
    options: RunOptions,
    contracts_digest: String,
    progress: &AtomicUsize,
) -> RunReport {
    let period = options.period;
    let mut exceptions: Vec<Exception> = data.bad_rows.iter().map(bad_row_exception).collect();
    let bad_sites: BTreeSet<&str> = data.bad_rows.iter().filter_map(|b| b.site.as_deref()).collect();
    let unattributed = options.skip_bad_sites && data.bad_rows.iter().any(|b| b.site.is_none());
    let bad_refuse = !data.bad_rows.is_empty() && (!options.skip_bad_sites || unattributed);
    let completeness = complete::check(plans, data, period, &options.allow_missing);
    exceptions.extend(completeness.exceptions);
    if bad_refuse || !completeness.refusing.is_empty() {
        let mut reasons = Vec::new();
        if unattributed {
            reasons.push("some bad rows name no readable site, so no site's invoices can be trusted".to_owned());
        } else if bad_refuse {
            reasons
                .push("the data has bad rows; fix them, or pass --skip-bad-sites to bill the other sites".to_owned());
        }
        if !completeness.refusing.is_empty() {
            reasons.push(missing_reason(period, &completeness.refusing));
        }
        progress.store(plans.len(), Ordering::Relaxed);
        let refused = Refused {
            exceptions,
            reasons,
            unattributed,
            missing: completeness.refusing,
        };
        return refused.report(plans, data, contracts_digest);
    }
    let outcomes: Vec<Outcome> = plans
        .par_iter()
        .map(|plan| {
            let o = if bad_sites.contains(plan.site.as_str()) {
                Outcome {
                    exceptions: vec![exception(
                        &plan.site,
                        ExceptionKind::SiteSkipped,
                        plan.file.clone(),
                        format!(
                            "no invoices for site {}: its data has bad rows (--skip-bad-sites)",
                            plan.site
                        ),
                    )],
                    failed: true,
                    ..Outcome::default()
                }
            } else {
                evaluate(plan, data, period)
            };
            progress.fetch_add(1, Ordering::Relaxed);
            o
        })
        .collect();
    // Gaps in the history are known only once the contracts have read it: the months they really
    // read, not the demand's over-approximation.
    let mut gaps: BTreeMap<(usize, YearMonth), Vec<&str>> = BTreeMap::new();
    for (plan, o) in plans.iter().zip(&outcomes) {
        for (table, month) in &o.gaps {
            gaps.entry((table_slot(*table), *month)).or_default().push(&plan.site);
        }
    }
    let history = complete::history_gaps(data, period, &gaps, &options.allow_missing);
    exceptions.extend(history.exceptions);
    if !history.refusing.is_empty() {
        let refused = Refused {
            exceptions,
            reasons: vec![missing_reason(period, &history.refusing)],
            unattributed: false,
            missing: history.refusing,
        };
        return refused.report(plans, data, contracts_digest);
    }
    let mut invoices = Vec::new();
    let mut failed = 0;
    let mut contract_sites = BTreeSet::new();
    for (plan, o) in plans.iter().zip(outcomes) {
        if o.failed {
            failed += 1;
        } else {
            contract_sites.insert(plan.site.clone());
        }
        invoices.extend(o.invoices);
        exceptions.extend(o.exceptions);
    }
    // Two contracts must not make the same invoice number.
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    invoices.sort_by(|a, b| (&a.number, &a.contract).cmp(&(&b.number, &b.contract)));
    invoices.retain(|inv| match seen.get(&inv.number) {
        Some(first) => {
            exceptions.push(exception(
                &inv.site,
                ExceptionKind::DuplicateInvoice,
                inv.contract.clone(),
                format!(
                    "invoice {} is also made by {first}; this contract's copy is left out",
                    inv.number
                ),
            ));
            false
        }
        None => {
            seen.insert(inv.number.clone(), inv.contract.clone());
            true
        }
    });
    let planned: BTreeSet<&str> = plans.iter().map(|p| p.site.as_str()).collect();
    let (accounts, unmatched) = data.account(&contract_sites);
    let (unread, unmatched): (Vec<_>, Vec<_>) = unmatched.into_iter().partition(|u| contract_sites.contains(&u.site));
    for u in unmatched {
        let location = if u.first_line > 0 {
            format!("{}:{}", u.file, u.first_line)
        } else {
            u.file.clone()
        };
        // A site whose contract failed or was skipped has a contract: its rows are not billed
        // because of that contract's own row, not because nobody bills the site.
        let rows = if u.rows == 1 {
            "1 row".to_owned()
        } else {
            format!("{} rows", u.rows)
        };
        let message = if planned.contains(u.site.as_str()) {
            format!(
                "{rows} of {period} not billed: the contract of site {} made no invoice (see its own row)",
                u.site
            )
        } else {
            format!("{rows} of {period} not used by any contract: {}", u.what)
        };
        exceptions.push(exception(&u.site, ExceptionKind::UnmatchedData, location, message));
    }
    RunReport {
        output: RunOutput {
            period,
            contracts_digest,
            data_digest: data.digest.clone(),
            invoices,
            exceptions,
        },
        accounts,
        failed_contracts: failed,
        bad_rows: data.bad_rows.len(),
        unread,
        refused: false,
        unattributed: false,
        missing: Vec::new(),
    }
}

/// Why the data refuses a run, as a sentence of the `run_refused` row.
fn missing_reason(period: YearMonth, missing: &[String]) -> String {
    format!(
        "data the contracts read for {period} is missing ({}); supply it, or pass --allow-missing <file> to bill without it",
        missing.join(", ")
    )
}

/// A run refused before any invoice was made: the exceptions found so far and why.
struct Refused {
    exceptions: Vec<Exception>,
    reasons: Vec<String>,
    unattributed: bool,
    missing: Vec<String>,
}

impl Refused {
    fn report(mut self, plans: &[Arc<Plan>], data: &DataSet, contracts_digest: String) -> RunReport {
        self.exceptions.push(exception(
            "",
            ExceptionKind::RunRefused,
            String::new(),
            format!("no invoices were made: {}", self.reasons.join("; and ")),
        ));
        RunReport {
            output: RunOutput {
                period: data.period,
                contracts_digest,
                data_digest: data.digest.clone(),
                invoices: Vec::new(),
                exceptions: self.exceptions,
            },
            accounts: data.account(&BTreeSet::new()).0,
            failed_contracts: plans.len(),
            bad_rows: data.bad_rows.len(),
            unread: Vec::new(),
            refused: true,
            unattributed: self.unattributed,
            missing: self.missing,
        }
    }
}

/// Why a period is outside the site's life in `sites.csv`: billing a month wholly after its
/// `close_date` or before its `start_date` needs a person to approve it (a final settlement may be
/// right; a forgotten contract is not).
fn outside_site_dates(data: &DataSet, site: &str, period: YearMonth) -> Option<String> {
    let s = data.site(site)?;
    if let Some(close) = s.close_date.filter(|c| *c < period.first_day()) {
        return Some(format!(
            "site {site} closed on {close} (sites.csv line {}), before {period}",
            s.line
        ));
    }
    s.start_date.filter(|d| *d > period.last_day()).map(|start| {
        format!(
            "site {site} starts on {start} (sites.csv line {}), after {period}",
            s.line
        )
    })
}

/// One contract: evaluated, then its lines split into invoices by group.
fn evaluate(plan: &Plan, data: &DataSet, period: YearMonth) -> Outcome {
    let mut out = Outcome::default();
    let site = plan.site.as_str();
    let watched = Watched::new(data, site);
    let result = eval::run_contract(plan, &watched, period);
    let run = match result {
        Ok(run) => run,
        Err(e) => {
            let location = e
                .span
                .and_then(|s| plan.sources.loc(s))
                .map_or_else(|| plan.file.clone(), |l| format!("{}:{}", l.file, l.line));
            out.exceptions.push(exception(
                site,
                ExceptionKind::ContractFailed,
                location,
                format!(
                    "the contract could not be evaluated for {period}: {}",
                    e.kind.describe()
                ),
            ));
            out.failed = true;
            return out;
        }
    };
    if !run.exceptions.is_empty() {
        for m in &run.exceptions {
            out.exceptions.push(exception(
                site,
                ExceptionKind::CheckFailed,
                plan.file.clone(),
                m.clone(),
            ));
        }
        out.failed = true;
        return out;
    }
    if !data.sites.is_empty() && data.site(site).is_none() {
        out.exceptions.push(exception(
            site,
            ExceptionKind::MissingData,
            "sites.csv".into(),
            format!("site {site} is not in sites.csv"),
        ));
    }
    let Some(date) = plan.billing.invoice_date(period) else {
        out.fail(site, plan.file.clone(), format!("no invoice date for {period}"));
        return out;
    };
    let due = match billc_lang::terms::due_date(&plan.terms, date) {
        Ok(d) => Some(d),
        Err(e) => {
            out.exceptions.push(exception(
                site,
                ExceptionKind::Warning,
                plan.file.clone(),
                format!("no due date: {e}"),
            ));
            None
        }
    };
    // Status: failed approval checks, the site's dates, tables read with no rows, the review.
    let mut reasons: Vec<String> = run.approvals.clone();
    reasons.extend(outside_site_dates(data, site, period));
    // A site started after a month has no rows of it for a reason; otherwise a month read with no
    // rows needs a person, and one the whole data directory lacks refuses the run (see `run`).
    let started = data.site_start(site).map(YearMonth::of);
    for (table, month) in watched.empty_reads() {
        if month < period && started.is_some_and(|s| month < s) {
            continue;
        }
        let message = if month == period {
            format!(
                "site {site} has no {} rows for {period}, and its contract reads them",
                table.name()
            )
        } else {
            if data.month_rows(table, month) == 0 {
                out.gaps.push((table, month));
            }
            format!(
                "site {site} has no {} rows for {month}, a month its contract reads for {period}",
                table.name()
            )
        };
        out.exceptions.push(exception(
            site,
            ExceptionKind::MissingData,
            format!("{}.csv", table.name()),
            message.clone(),
        ));
        reasons.push(message);
    }
    // A contract that bills nothing this month has no statement to review.
    if let Some(def) = plan.review.as_ref().filter(|_| !run.lines.is_empty()) {
        let thresholds = match def {
            billc_lang::check::ReviewDef::Always => Thresholds {
                percent: Decimal::ZERO,
                amount: Decimal::ZERO,
            },
            billc_lang::check::ReviewDef::Over { percent, amount } => Thresholds {
                percent: *percent,
                amount: *amount,
            },
        };
        let forecast = data.forecast(site, period);
        let posted = review::posted_revenue(data, site, period);
        let reviewed = posted.ok_or(review::ReviewError::Overflow).and_then(|posted| {
            review::invoiced_revenue(run.lines.iter().map(|l| &l.line))
                .and_then(|inv| review::review(forecast, posted, inv, thresholds))
        });
        match reviewed {
            Ok(r) => {
                if forecast.is_none() {
                    // The reason says it all ("no forecast for this site and month, so …").
                    out.exceptions.push(exception(
                        site,
                        ExceptionKind::MissingData,
                        "forecast.csv".into(),
                        r.reason.clone(),
                    ));
                }
                if r.needs_approval {
                    reasons.push(r.reason.clone());
                }
            }
            Err(e) => reasons.push(format!("the revenue review could not be computed: {e}")),
        }
    }
    let status = if reasons.is_empty() {
        Status::Ready
    } else {
        for r in &reasons {
            out.exceptions.push(exception(
                site,
                ExceptionKind::NeedsApproval,
                plan.file.clone(),
                r.clone(),
            ));
        }
        Status::NeedsApproval
    };
    if run.lines.is_empty() {
        out.exceptions.push(exception(
            site,
            ExceptionKind::NoInvoice,
            plan.file.clone(),
            format!("no invoice for {period}: every line of the contract is zero or does not apply"),
        ));
    }
    let mut by_group: BTreeMap<u32, Vec<InvoiceLine>> = BTreeMap::new();
    for RunLine { group, line } in run.lines {
        by_group.entry(group).or_default().push(line);
    }
    for (group, lines) in by_group {
        let def = plan.group(group);
        let inv_site = def.and_then(|g| g.site.clone()).unwrap_or_else(|| plan.site.clone());
        let number = match crate::numbering::invoice_number(&inv_site, period, group, 1, plan.billing) {
            Ok(n) => n,
            Err(e) => {
                out.fail(
                    site,
                    plan.file.clone(),
                    format!("invoice group {group} cannot be numbered: {e}"),
                );
                continue;
            }
        };
        let Some(total) = lines.iter().try_fold(Decimal::ZERO, |acc, l| acc.checked_add(l.amount)) else {
            out.fail(
                site,
                plan.file.clone(),
                format!("the total of invoice {number} overflows"),
            );
            continue;
        };
        out.invoices.push(Invoice {
            number,
            site: inv_site,
            contract: plan.file.clone(),
            customer: def
                .and_then(|g| g.customer.clone())
                .unwrap_or_else(|| plan.customer.clone()),
            group,
            group_title: def.map(|g| g.title.clone()).filter(|t| !t.is_empty()),
            period: period.to_string(),
            date,
            due,
            terms: plan.terms.clone(),
            status,
            status_reasons: reasons.clone(),
            total,
            lines,
        });
    }
    out
}

/// The data as one contract's evaluation sees it, noting the fact tables it read for its own site
/// and found no rows in, for the period or an earlier month of a window: a management agreement
/// without GL actuals bills its profit share from zero expenses, a cumulative tier without last
/// month's revenue starts its bands again, so such a read needs a person (`missing_data`, approval).
struct Watched<'d> {
    data: &'d DataSet,
    site: &'d str,
    /// (table slot, month) of each read of the own site that found no rows.
    empty: Mutex<BTreeSet<(usize, YearMonth)>>,
}

impl<'d> Watched<'d> {
    fn new(data: &'d DataSet, site: &'d str) -> Watched<'d> {
        Watched {
            data,
            site,
            empty: Mutex::new(BTreeSet::new()),
        }
    }

    /// The tables and months read with no rows, the period's first (in
    /// [`billc_lang::demand::FACT_TABLES`] order), then the earlier months, latest first.
    fn empty_reads(&self) -> Vec<(TableName, YearMonth)> {
        let empty = self.empty.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut reads: Vec<(TableName, YearMonth)> = empty
            .iter()
            .filter_map(|(slot, month)| Some((*FACT_TABLES.get(*slot)?, *month)))
            .collect();
        reads.sort_by_key(|(t, m)| (std::cmp::Reverse(*m), table_slot(*t)));
        reads
    }
}

impl DataView for Watched<'_> {
    fn rows<'a>(&'a self, table: TableName, site: &str, month: YearMonth) -> Vec<&'a dyn RowView> {
        let rows = self.data.rows(table, site, month);
        if rows.is_empty() && site == self.site {
            self.empty
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert((table_slot(table), month));
        }
        rows
    }
    fn site_start(&self, site: &str) -> Option<chrono::NaiveDate> {
        self.data.site_start(site)
    }
    fn index(&self, name: &str, month: YearMonth) -> Option<Decimal> {
        self.data.index(name, month)
    }
    fn adhoc(&self, site: &str, month: YearMonth) -> Vec<billc_lang::eval::AdhocItem> {
        self.data.adhoc(site, month)
    }
    fn covers(&self, table: TableName, site: &str, month: YearMonth) -> bool {
        self.data.covers(table, site, month)
    }
}
