//! Whether the data is complete enough to bill the period, before any contract is evaluated.
//!
//! A table that some contract's rules read (the demand analysis knows which:
//! [`billc_lang::demand::tables_read`]) must have rows dated in the period; and no entry of the data
//! directory may look like a file the period needs that billc did not read (`Revenue.csv`, `2025-3/`,
//! a `revenue.csv` that is a folder, a FIFO or a dangling link: [`billc_data::scan`]). Either is a
//! `missing_data` exception that refuses the run, like a bad row, unless the user names the file
//! with `--allow-missing`: then the exception is still written and the run goes on.
//!
//! What is only reported: an entry that looks like a data file for another month or a table no
//! contract reads, or a dated folder that is no month, is a `warning` (exit status 1: a person
//! should look); an entry that looks like nothing billc reads is `unread_file` (exit status 0).
//!
//! Earlier months are checked after evaluation, against the months the contracts really read
//! ([`history_gaps`]): a month of a window that the data directory holds no rows of at all, for any
//! site, is a gap in the history, refused like a missing period file; a month that only the
//! contract's own site lacks is a `missing_data` exception of that site, whose invoice needs
//! approval (`run::evaluate`).
//!
//! Decisions where DATA.md is silent: a month before the site's `start_date` (sites.csv) is not
//! required (an accumulation window reaching before a site's first month legitimately finds
//! nothing); a site with no `start_date` is taken to have started before any month read; the small files
//! (`sites`, `forecast`, `indexes`, `adhoc`) may be absent, but a misnamed or unreadable one is as
//! serious as a missing fact table, because its rows would silently not apply.

use crate::invoice::{Exception, ExceptionKind};
use billc_data::{DataSet, Finding, FindingKind};
use billc_lang::demand::{FACT_TABLES, table_slot, tables_read};
use billc_lang::plan::Plan;
use billc_lang::schema::TableName;
use billc_lang::time::YearMonth;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// What the completeness check found.
#[derive(Debug, Default)]
pub struct Completeness {
    /// One row per finding, in a stable order.
    pub exceptions: Vec<Exception>,
    /// Files whose absence refuses the run (not allowed), as `revenue.csv` or `2025-03/`.
    pub refusing: Vec<String>,
}

impl Completeness {
    /// A `missing_data` row at `location`. It refuses the run unless `allowed_as` names the
    /// `--allow-missing` value that lets it pass, which its message then says.
    fn missing(&mut self, location: String, message: String, allowed_as: Option<&str>) {
        let message = match allowed_as {
            Some(name) => format!("{message} Billed anyway: --allow-missing {name}."),
            None => {
                self.refusing.push(location.clone());
                message
            }
        };
        self.exceptions.push(Exception {
            site: String::new(),
            kind: ExceptionKind::MissingData,
            location,
            message,
        });
    }
}

/// Checks the data for the period against what the plans read. `allowed` are file names without
/// `.csv` (`revenue`) the user allows to be missing.
pub fn check(plans: &[Arc<Plan>], data: &DataSet, period: YearMonth, allowed: &BTreeSet<String>) -> Completeness {
    // Which sites' contracts read each fact table: recorded by the demand the data was loaded
    // for, or (data loaded without one) found by walking the plans here.
    let mut readers: [Vec<&str>; 4] = Default::default();
    if data.demand().readers(TableName::Revenue).is_some() {
        for t in FACT_TABLES {
            if let (Some(r), Some(sites)) = (readers.get_mut(table_slot(t)), data.demand().readers(t)) {
                r.extend(sites.iter().map(String::as_str));
            }
        }
    } else {
        let per_plan: Vec<Vec<TableName>> = plans.par_iter().map(|p| tables_read(p, period)).collect();
        for (plan, tables) in plans.iter().zip(&per_plan) {
            for t in tables {
                if let Some(r) = readers.get_mut(table_slot(*t)) {
                    r.push(plan.site.as_str());
                }
            }
        }
    }
    let read = |file: &str| -> Option<&[&str]> {
        let t = TableName::from_name(file)?;
        readers.get(table_slot(t)).map(Vec::as_slice).filter(|r| !r.is_empty())
    };
    let mut out = Completeness::default();
    let refuse = |out: &mut Completeness, file: Option<&str>, location: String, message: String| {
        let allowed_here = match file {
            Some(f) => allowed.contains(f),
            // A whole month folder: allowed when every table the contracts read is.
            None => FACT_TABLES
                .iter()
                .filter(|t| read(t.name()).is_some())
                .all(|t| allowed.contains(t.name())),
        };
        let allowed_as = allowed_here.then(|| file.unwrap_or("for every table read"));
        out.missing(location, message, allowed_as);
    };
    for finding in &data.findings {
        match needed(finding, period, &read) {
            Need::Needed(file) => {
                let why = match file.and_then(read) {
                    Some(sites) => format!("Its {period} rows are read by {}.", contracts(sites)),
                    None => format!("Its rows for {period} would not be billed."),
                };
                refuse(&mut out, file, finding.path.clone(), sentences(finding, &why));
            }
            Need::Elsewhere => out.exceptions.push(Exception {
                site: String::new(),
                kind: ExceptionKind::Warning,
                location: finding.path.clone(),
                message: sentences(finding, &format!("It is not read for {period}.")),
            }),
            Need::Unknown => out.exceptions.push(Exception {
                site: String::new(),
                kind: ExceptionKind::UnreadFile,
                location: finding.path.clone(),
                message: sentences(finding, "It is left out."),
            }),
        }
    }
    for t in FACT_TABLES {
        let Some(sites) = read(t.name()) else { continue };
        if data.period_rows(t) > 0 {
            continue;
        }
        let files = data.files_of(t.name());
        let name = t.name();
        let whence = match files.as_slice() {
            [] => format!("the data directory has neither {name}.csv nor {period}/{name}.csv"),
            [one] => format!("{one} has none"),
            many => format!("{} have none", many.join(" and ")),
        };
        refuse(
            &mut out,
            Some(name),
            format!("{name}.csv"),
            format!(
                "no {name} rows for {period}: {whence}, and {} read them.",
                contracts(sites)
            ),
        );
    }
    out
}

/// The gaps in the history: `gaps` maps (table slot, month) to the sites whose contracts read that
/// earlier month of the table and found it empty in the whole data directory. One `missing_data`
/// row each, refusing unless the table is allowed.
pub fn history_gaps(
    data: &DataSet,
    period: YearMonth,
    gaps: &BTreeMap<(usize, YearMonth), Vec<&str>>,
    allowed: &BTreeSet<String>,
) -> Completeness {
    let mut out = Completeness::default();
    for ((slot, month), sites) in gaps {
        let Some(table) = FACT_TABLES.get(*slot) else { continue };
        let name = table.name();
        let files = data.files_of(name);
        let (top, folder) = (format!("{name}.csv"), format!("{month}/{name}.csv"));
        let whence = match (files.contains(&top.as_str()), files.contains(&folder.as_str())) {
            (true, true) => format!("{top} and {folder} have none"),
            (true, false) => format!("{top} has none and there is no {folder}"),
            (false, true) => format!("{folder} has none"),
            (false, false) => format!("the data directory has neither {top} nor {folder}"),
        };
        let message = format!(
            "no {name} rows for {month}: {whence}. The rules of {} read that month for {period}.",
            contracts(sites)
        );
        out.missing(folder, message, allowed.contains(name).then_some(name));
    }
    out
}

/// Whether the period needs what a finding stands for.
enum Need {
    /// The file (or, `None`, the whole month folder) is one the period reads.
    Needed(Option<&'static str>),
    /// A data file of another month, or of a table no contract reads.
    Elsewhere,
    /// Not recognisably any data file.
    Unknown,
}

fn needed<'a>(finding: &Finding, period: YearMonth, read: &impl Fn(&str) -> Option<&'a [&'a str]>) -> Need {
    let Some(meant) = &finding.meant else {
        // A dated folder that is no month (`2025-13/`) may hold data: a person should look.
        return if finding.kind == FindingKind::NotAMonth {
            Need::Elsewhere
        } else {
            Need::Unknown
        };
    };
    if meant.month.is_some_and(|m| m != period) {
        return Need::Elsewhere;
    }
    match meant.file {
        None => Need::Needed(None),
        // A fact table only matters when some contract reads it; the small files always apply.
        Some(f) if TableName::from_name(f).is_some() && read(f).is_none() => Need::Elsewhere,
        Some(f) => Need::Needed(Some(f)),
    }
}

/// The finding's own sentence, then `then`.
fn sentences(finding: &Finding, then: &str) -> String {
    let first = finding.message();
    let stop = if first.ends_with('?') { "" } else { "." };
    format!("{first}{stop} {then}")
}

/// "the contract of site 0238" / "14 contracts (sites 0238, 0239, 0240, …)".
fn contracts(sites: &[&str]) -> String {
    let mut unique: Vec<&str> = sites.to_vec();
    unique.sort_unstable();
    unique.dedup();
    match unique.as_slice() {
        [one] => format!("the contract of site {one}"),
        many => {
            let shown: Vec<&str> = many.iter().take(5).copied().collect();
            let more = if many.len() > shown.len() { ", …" } else { "" };
            format!("{} contracts (sites {}{more})", many.len(), shown.join(", "))
        }
    }
}
