//! One period billed end to end, the way `billc run` does it and the tests repeat it: the contract
//! files read and checked ([`read_contracts`], [`compile`]), the data directory loaded for what the
//! contracts can read, every contract evaluated ([`crate::run`]), and the period folder written
//! ([`write`]: the invoice files, the exceptions, the row accounting and `summary.json`, the run's
//! figures with the phase times the caller measured, all published at once).
//!
//! The command line adds only what is about people: arguments, the progress bar, the summary and the
//! exit status. Nothing here prints; every failure is a [`PeriodError`] value.

use crate::figures::{self, Measured};
use crate::output;
use crate::publish::{self, LockError, OutLock};
use crate::run::{self, RunOptions, RunReport};
use crate::sources;
use billc_data::{DataSet, InvoiceGroups, LoadError, LoadOptions};
use billc_lang::db::SourceFile;
use billc_lang::demand::Demand;
use billc_lang::diag::Diagnostic;
use billc_lang::plan::Plan;
use billc_lang::session::Session;
use billc_lang::time::YearMonth;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

/// Contract files read into a checking session, in the order given (folders in sorted order).
pub struct Contracts {
    pub session: Session,
    pub files: Vec<SourceFile>,
}

/// Why a period could not be billed (or its folder not written).
#[derive(Debug)]
pub enum PeriodError {
    /// A contracts path does not exist or a folder cannot be listed (a usage error: nothing was read).
    Sources(String),
    /// A contract file cannot be read.
    Unreadable { path: PathBuf, error: io::Error },
    /// The contracts have errors: nothing is billed. The sources are those the diagnostics point into.
    Contracts {
        diagnostics: Vec<Diagnostic>,
        sources: Vec<(String, String)>,
    },
    /// The data directory cannot be read as DATA.md describes.
    Data(LoadError),
    /// Another run holds the output folder, or it cannot be locked.
    Locked(LockError),
    /// The period folder cannot be written.
    Write { dir: PathBuf, error: io::Error },
}

impl fmt::Display for PeriodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeriodError::Sources(message) => f.write_str(message),
            PeriodError::Unreadable { path, error } => write!(f, "cannot read `{}`: {error}", path.display()),
            PeriodError::Contracts { .. } => f.write_str("the contracts have errors; nothing was billed"),
            PeriodError::Data(e) => write!(f, "{e}"),
            PeriodError::Locked(e) => write!(f, "{e}"),
            PeriodError::Write { dir, error } => write!(f, "cannot write `{}`: {error}", dir.display()),
        }
    }
}

impl std::error::Error for PeriodError {}

/// Reads the `.bill` files under `paths` (files, or folders searched recursively) into a session.
/// Files are read in parallel (thousands of small files) and added in the order given.
pub fn read_contracts(paths: &[PathBuf]) -> Result<Contracts, PeriodError> {
    let mut found = Vec::new();
    for p in paths {
        sources::collect(p, "bill", &mut found).map_err(PeriodError::Sources)?;
    }
    use rayon::prelude::*;
    let texts: Vec<io::Result<String>> = found.par_iter().map(std::fs::read_to_string).collect();
    let mut session = Session::default();
    let mut files = Vec::with_capacity(found.len());
    for (path, text) in found.iter().zip(texts) {
        match text {
            Ok(text) => files.push(session.add_file(&sources::display(path), &text)),
            Err(error) => {
                return Err(PeriodError::Unreadable {
                    path: path.clone(),
                    error,
                });
            }
        }
    }
    Ok(Contracts { session, files })
}

/// Checked and compiled contracts, ready to bill any period.
pub struct Compiled {
    pub plans: Vec<Arc<Plan>>,
    /// BLAKE3 over the contract sources (path and text, sorted by path): `blake3:<hex>`.
    pub digest: String,
}

/// Checks and compiles the contracts. Any error: no plans, the diagnostics are returned. The
/// session (the compiler's caches) is freed on another thread while the caller goes on: plans are
/// owned data and need none of it.
pub fn compile(contracts: Contracts) -> Result<Compiled, PeriodError> {
    let Contracts { session, files } = contracts;
    let (diagnostics, plans) = session.check(&files);
    let sources = session.sources();
    if diagnostics.iter().any(|d| d.is_error()) {
        return Err(PeriodError::Contracts { diagnostics, sources });
    }
    let digest = digest_sources(&sources);
    std::thread::spawn(move || drop(session));
    Ok(Compiled { plans, digest })
}

/// How to bill a period.
#[derive(Clone, Debug)]
pub struct PeriodOptions {
    pub period: YearMonth,
    /// Months before the period that accumulation windows may read.
    pub history: u32,
    /// Bill the other sites when some rows are bad (the bad sites are listed).
    pub skip_bad_sites: bool,
    /// Data files that may be missing for the period (`revenue`; [`crate::complete`]).
    pub allow_missing: std::collections::BTreeSet<String>,
    /// Read earlier months only for the sites whose rules reach them (the demand analysis). `false`
    /// reads every row of every month in full: the same invoices, slower (a check of the demand).
    pub demand: bool,
}

/// Loads the data directory for the period: every row of the period, and of the earlier months
/// only those the contracts can read. Ad-hoc rows are checked against the invoice groups of their
/// site's contract.
pub fn load_data(compiled: &Compiled, data_dir: &Path, options: &PeriodOptions) -> Result<DataSet, PeriodError> {
    let demand = options
        .demand
        .then(|| Demand::of_plans(&compiled.plans, options.period, options.history));
    let groups = invoice_groups(&compiled.plans);
    billc_data::load(
        data_dir,
        LoadOptions {
            period: options.period,
            history: options.history,
            demand: demand.as_ref(),
            groups: Some(&groups),
        },
    )
    .map_err(PeriodError::Data)
}

/// The invoice groups of each contract's site (an ad-hoc row for another group is a bad row).
pub fn invoice_groups(plans: &[Arc<Plan>]) -> InvoiceGroups {
    let mut groups = InvoiceGroups::default();
    for plan in plans {
        groups.declare(&plan.site, plan.invoice_groups());
    }
    groups
}

/// Evaluates every contract for the period over the data (in parallel; `progress` counts the
/// contracts done).
pub fn bill(compiled: &Compiled, data: &DataSet, options: &PeriodOptions, progress: &AtomicUsize) -> RunReport {
    let run_options = RunOptions {
        period: options.period,
        skip_bad_sites: options.skip_bad_sites,
        allow_missing: options.allow_missing.clone(),
    };
    run::run(&compiled.plans, data, run_options, compiled.digest.clone(), progress)
}

/// Writes `<out>/<period>/` as one whole run ([`crate::publish`]): the invoice files
/// ([`output::write_files`]: `invoices.json`, `invoices.csv`, `invoices-summary.csv`, `trace.json`),
/// the exceptions, the row accounting (`inputs.csv`, `unmatched.csv`) and the run's figures
/// (`summary.json`, [`crate::figures`], with what the caller `measured`). A refused run writes its
/// exceptions, accounting and figures only, so the invoice files of an earlier run of the period are
/// gone with it and nobody mistakes them for this run's. Returns the period folder.
pub fn write(lock: &OutLock, report: &RunReport, measured: &Measured) -> Result<PathBuf, PeriodError> {
    write_with(lock, report, measured, &mut |_| Ok(()))
}

/// [`write`], calling `hook` before each file and each step of publishing (for fault tests).
pub fn write_with(
    lock: &OutLock,
    report: &RunReport,
    measured: &Measured,
    hook: &mut dyn FnMut(&str) -> io::Result<()>,
) -> Result<PathBuf, PeriodError> {
    let dir = lock.out().join(report.output.period.to_string());
    let fail = |error: io::Error| PeriodError::Write {
        dir: dir.clone(),
        error,
    };
    let staging = lock.stage(report.output.period).map_err(fail)?;
    if report.refused {
        let exceptions = output::exceptions_csv(&report.output.exceptions).map_err(fail)?;
        staging
            .write_with(output::EXCEPTIONS_CSV, exceptions.as_bytes(), hook)
            .map_err(fail)?;
    } else {
        output::write_files(&staging, &report.output, hook).map_err(fail)?;
    }
    let inputs = output::inputs_csv(&report.accounts).map_err(fail)?;
    staging
        .write_with("inputs.csv", inputs.as_bytes(), hook)
        .map_err(fail)?;
    let unmatched = output::unmatched_csv(&report.unread).map_err(fail)?;
    staging
        .write_with("unmatched.csv", unmatched.as_bytes(), hook)
        .map_err(fail)?;
    let summary = figures::summary_json(report, measured).map_err(fail)?;
    staging
        .write_with(output::SUMMARY_JSON, summary.as_bytes(), hook)
        .map_err(fail)?;
    staging.publish_with(hook).map_err(fail)
}

/// Locks `out` for this run (see [`crate::publish::lock`]).
pub fn lock(out: &Path) -> Result<OutLock, PeriodError> {
    publish::lock(out).map_err(PeriodError::Locked)
}

/// BLAKE3 over the contract sources (path, text), sorted by path: `blake3:<hex>`.
fn digest_sources(sources: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = sources.iter().collect();
    sorted.sort();
    let mut h = blake3::Hasher::new();
    for (path, text) in sorted {
        h.update(path.as_bytes());
        h.update(&[0]);
        h.update(text.as_bytes());
        h.update(&[0]);
    }
    format!("blake3:{}", h.finalize().to_hex())
}
