//! The data directory of DATA.md, loaded for one run: every row validated, the fact tables
//! aggregated per (site, month, dimensions), every row accounted for.
//!
//! - **Layouts.** Each file may sit at the top of the directory (`revenue.csv`, many months) and/or in
//!   a month folder (`2025-06/revenue.csv`, that month only; a row dated outside the folder's month is a
//!   bad row, and so is a top-level row for a month that has its own folder file).
//! - **Months read.** The run's period and `history` earlier months (accumulation windows read them);
//!   rows of other months are counted, never aggregated, and month folders outside that range are not
//!   even opened, so memory does not grow with the years kept in the directory.
//! - **Aggregation.** The fact tables (revenue, statistics, gl, timesheets) keep one [`Group`] per
//!   (site, month, dimension values): measures summed exactly, with the first line and the row count.
//!   Timesheet hours are rounded per row before summing (RULES.md §4), the `week` dimension is the Monday
//!   of the shift's week. Groups are sorted, so the evaluator sees the same rows whatever the threads.
//! - **Bad rows** ([`BadRow`]) name the file, line and reason; they are left out of every sum and the
//!   caller decides whether the run fails. Among them, rows that must not be counted twice: an exact
//!   repeat of a revenue, statistics or gl row (`duplicate_row`, [`dedup`] says which repeats a real
//!   export can hold: timesheet shifts can), a second value for a unique key (`duplicate_key`), and
//!   an ad-hoc row for an invoice group its site's contract does not declare (`undeclared_group`,
//!   [`InvoiceGroups`], given in [`LoadOptions::groups`]). A missing required column, an empty file
//!   or an unreadable header is a [`LoadError`].
//! - **What is there** ([`scan`]): the directory is listed once; every entry that is not a data file
//!   or month folder DATA.md names (misnamed, a folder or FIFO where a file belongs, a dangling link)
//!   is a [`Finding`] with what it was probably meant to be. A missing file is no error here: whether
//!   the period needs it is the billing layer's decision ([`DataSet::period_rows`] tells it).
//! - **Accounting** ([`FileAccount`]): every data row is bad, outside the months read, used by a
//!   contract, history (an earlier month nobody read), or unmatched (the period's rows no contract used).
//!
//! The data set implements [`billc_lang::eval::DataView`]; [`csvio`] does the parallel reading.
//!
//! Modules, bottom to top (a module imports only modules listed before it; this root module uses
//! them all): [`parse`], [`scan`], [`csvio`], [`store`], [`dedup`], [`groups`], [`tables`],
//! [`generate`]. Above the language crate (the table schema, months, the demand, the `DataView`
//! trait); it reads files but never writes outside [`generate`], and never prints.

pub mod csvio;
mod dedup;
pub mod generate;
mod groups;
pub mod parse;
pub mod scan;
mod store;
mod tables;

use billc_lang::demand::{Demand, FACT_TABLES, table_slot};
use billc_lang::eval::{AdhocItem, DataView, RowView};
use billc_lang::schema::TableName;
use billc_lang::time::YearMonth;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use store::{Buckets, GroupInfo, Table};

pub use groups::InvoiceGroups;
pub use scan::{Finding, FindingKind, Meant};
pub use tables::{BadKind, BadRow};

/// What to load.
#[derive(Clone, Copy, Debug)]
pub struct LoadOptions<'d> {
    /// The service month of the run.
    pub period: YearMonth,
    /// How many months before the period may be read for accumulation windows.
    pub history: u32,
    /// Which sites read how many of those months, per table (`None`: every site all of them).
    pub demand: Option<&'d Demand>,
    /// The invoice groups of each contract site: an ad-hoc row of the period for another group is a
    /// bad row (`None`: not checked).
    pub groups: Option<&'d InvoiceGroups>,
}

/// Why the data directory cannot be used at all.
#[derive(Debug)]
pub enum LoadError {
    /// The directory does not exist or cannot be listed.
    NoDirectory(PathBuf, String),
    /// A file cannot be read.
    Io(PathBuf, String),
    /// A file has no header row.
    Empty(PathBuf),
    /// A required column is missing from the header.
    MissingColumn {
        file: PathBuf,
        column: String,
        header: Vec<String>,
    },
    /// A column name appears twice in the header.
    DuplicateColumn { file: PathBuf, column: String },
    /// The header is unreadable.
    BadHeader(PathBuf, String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NoDirectory(p, e) => write!(f, "{}: cannot read the data directory: {e}", p.display()),
            LoadError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            LoadError::Empty(p) => write!(f, "{}: the file is empty (a header row is required)", p.display()),
            LoadError::MissingColumn { file, column, header } => write!(
                f,
                "{}: missing required column `{column}` (the header has: {})",
                file.display(),
                header.join(", ")
            ),
            LoadError::DuplicateColumn { file, column } => {
                write!(f, "{}: column `{column}` appears twice in the header", file.display())
            }
            LoadError::BadHeader(p, e) => write!(f, "{}: {e}", p.display()),
        }
    }
}

/// A row of `sites.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub site: String,
    pub name: String,
    pub gl_string: String,
    pub start_date: Option<NaiveDate>,
    pub close_date: Option<NaiveDate>,
    pub vendor_id: String,
    pub billing_email: String,
    /// The `customer` column (optional in the file): a customer id of `customers.csv`; `None` when
    /// the column is absent or the field empty.
    pub customer: Option<String>,
    pub line: u32,
}

/// A row of `customers.csv` (DATA.md): the customer master. Kept rows always have a kept parent,
/// so every chain of parents ends at a root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    pub id: String,
    pub name: String,
    /// The parent account's id (every Disney property under one parent), or none.
    pub parent: Option<String>,
    /// E-mail addresses.
    pub billing_contacts: Vec<String>,
    /// `None`: no limit.
    pub credit_limit: Option<Decimal>,
    pub payment_terms: String,
    pub line: u32,
}

/// How the rows of one input file were accounted for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileAccount {
    /// The path relative to the data directory.
    pub file: String,
    /// The DATA.md file it is one of (`revenue`, `sites`, …): a file of the data directory or of a
    /// month folder.
    pub table: &'static str,
    /// Data rows (the header and blank lines are not rows).
    pub rows: u64,
    /// Rows rejected (see `exceptions.csv`).
    pub bad: u64,
    /// Rows of months the run did not read.
    pub other_months: u64,
    /// Rows some contract used.
    pub used: u64,
    /// Rows of earlier months that no contract needed: read for a window and not used, or not read
    /// at all because no contract's window reaches them (only their site and date are checked).
    pub history: u64,
    /// Rows of the period that no contract used (each listed in `exceptions.csv`).
    pub unmatched: u64,
    /// Reference rows (sites, indexes) that describe rather than bill.
    pub reference: u64,
    /// Bytes read.
    pub bytes: u64,
}

impl FileAccount {
    /// Whether the categories add up to the rows.
    pub fn balances(&self) -> bool {
        self.bad + self.other_months + self.used + self.history + self.unmatched + self.reference == self.rows
    }
}

/// Rows of the period that no contract used, as one finding.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unmatched {
    pub site: String,
    pub file: String,
    pub first_line: u32,
    pub rows: u64,
    pub what: String,
}

/// The data of one run.
#[derive(Debug)]
pub struct DataSet {
    pub period: YearMonth,
    pub first_month: YearMonth,
    buckets: Buckets,
    tables: [Table; 4],
    pub sites: BTreeMap<String, Site>,
    /// `customers.csv`, by id (empty when there is none).
    pub customers: BTreeMap<String, Customer>,
    /// Whether the data directory has a `customers.csv` (then every site's `customer` must be in it).
    pub has_customers: bool,
    /// Customer ids whose rows of `customers.csv` are bad (a site naming one says so).
    bad_customers: BTreeSet<String>,
    forecast: FxHashMap<(String, YearMonth), Decimal>,
    indexes: FxHashMap<(String, YearMonth), Decimal>,
    adhoc: BTreeMap<(String, YearMonth), Vec<AdhocItem>>,
    /// Every rejected row, sorted by file and line.
    pub bad_rows: Vec<BadRow>,
    /// Every file read, in the order read (by table, then path).
    files: Vec<FileAccount>,
    /// Rows of the small files by category (index into `files`).
    small: Vec<SmallRows>,
    /// BLAKE3 over the digests of the files read, in order, with their names (`blake3:<hex>`).
    pub digest: String,
    /// Month folders skipped because they are outside the months read.
    pub skipped_folders: Vec<String>,
    /// Entries of the data directory that are not read as they stand (misnamed, not regular files, …).
    pub findings: Vec<Finding>,
    /// The earlier months read, per table and site.
    demand: Demand,
    /// Rows of each fact table per month of the window, over all its files and sites.
    month_rows: [tables::MonthRows; 4],
}

/// Per-row facts of the small files needed to account for them after the run.
#[derive(Debug, Default)]
struct SmallRows {
    file: usize,
    /// (site, month) of each good row; month `None` for reference rows.
    keys: Vec<(String, Option<YearMonth>)>,
}

/// The files of one kind: the top-level file and the month folders' files within the months read.
fn files_of(dir: &Path, name: &'static str, layout: &scan::Layout) -> Vec<Source> {
    let mut out = Vec::new();
    if layout.top.contains(name) {
        out.push(Source {
            path: dir.join(format!("{name}.csv")),
            rel: format!("{name}.csv"),
            folder: None,
        });
    }
    for folder in &layout.folders {
        if folder.files.contains(name) {
            out.push(Source {
                path: folder.path.join(format!("{name}.csv")),
                rel: format!("{}/{name}.csv", folder.month),
                folder: Some(folder.month),
            });
        }
    }
    out
}

/// One file to read.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    pub path: PathBuf,
    pub rel: String,
    /// The month of its folder, when in one.
    pub folder: Option<YearMonth>,
}

/// Loads the data directory for a run.
pub fn load(dir: &Path, options: LoadOptions<'_>) -> Result<DataSet, LoadError> {
    let period = options.period;
    let demand = match options.demand {
        Some(d) => d.clone(),
        None => Demand::everything(options.history),
    };
    let first_month = period.plus(-i64::from(options.history)).unwrap_or(period);
    let months: BTreeSet<YearMonth> = first_month.through(period).collect();
    let layout = scan::scan(dir, &months).map_err(|e| LoadError::NoDirectory(dir.to_path_buf(), e.to_string()))?;
    let mut set = DataSet {
        period,
        first_month,
        buckets: Buckets {
            first: first_month,
            months: u32::try_from(months.len()).unwrap_or(1),
        },
        tables: Default::default(),
        sites: BTreeMap::new(),
        customers: BTreeMap::new(),
        has_customers: false,
        bad_customers: BTreeSet::new(),
        forecast: FxHashMap::default(),
        indexes: FxHashMap::default(),
        adhoc: BTreeMap::new(),
        bad_rows: Vec::new(),
        files: Vec::new(),
        small: Vec::new(),
        digest: String::new(),
        skipped_folders: layout.skipped_folders.clone(),
        findings: layout.findings.clone(),
        demand: Demand::everything(0),
        month_rows: Default::default(),
    };
    let mut digests = Vec::new();
    let window = tables::Window {
        first: first_month,
        last: period,
    };
    // A table's files (the top-level one, then month folders) and the months that have a folder file.
    let sources_of = |table: &'static str| {
        let sources = files_of(dir, table, &layout);
        let shadowed: BTreeSet<YearMonth> = sources.iter().filter_map(|s| s.folder).collect();
        (sources, shadowed)
    };
    // The small files (sites, forecast, indexes, ad hoc charges) are read while the fact tables are;
    // they are taken into the data set afterwards, in the same order as before.
    let read_small_files = || -> Result<Vec<(&'static str, Source, tables::SmallRead)>, LoadError> {
        let mut reads = Vec::new();
        for kind in tables::SMALL_FILES {
            let (sources, shadowed) = sources_of(kind.name());
            for source in sources {
                let read = tables::read_small(kind, &source, window, &shadowed)?;
                reads.push((kind.name(), source, read));
            }
        }
        Ok(reads)
    };
    let read_fact_tables = || -> Result<(), LoadError> {
        // Each table is read while the previous one is finished (sorted and indexed) on the other cores.
        let mut pending: Option<(TableName, tables::FactBuilder)> = None;
        for t in FACT_TABLES.into_iter().map(Some).chain([None]) {
            let buckets = set.buckets;
            let (finished, read) = rayon::join(
                || pending.take().map(|(done, b)| (done, b.finish(buckets))),
                || -> Result<Option<(TableName, tables::FactBuilder)>, LoadError> {
                    let Some(t) = t else { return Ok(None) };
                    let (sources, shadowed) = sources_of(t.name());
                    let mut builder = tables::FactBuilder::new(t);
                    for source in &sources {
                        let file_index = set.files.len() + builder.files_read();
                        let needs = tables::Needs { back: demand.table(t) };
                        let outcome = builder.read(source, file_index, window, needs, &shadowed)?;
                        builder.record(source.rel.clone(), outcome);
                    }
                    Ok(Some((t, builder)))
                },
            );
            if let Some((done, (table, bad))) = finished {
                set.bad_rows.extend(bad);
                if let Some(slot) = set.tables.get_mut(table_slot(done)) {
                    *slot = table;
                }
            }
            pending = read?;
            if let Some((t, builder)) = &mut pending {
                for (rel, outcome) in builder.take_outcomes() {
                    if let Some(m) = set.month_rows.get_mut(table_slot(*t)) {
                        m.add(&outcome.months);
                    }
                    digests.push((rel.clone(), outcome.digest));
                    set.files.push(FileAccount {
                        file: rel,
                        table: t.name(),
                        rows: outcome.rows,
                        bad: outcome.bad,
                        other_months: outcome.other_months,
                        history: outcome.not_needed,
                        bytes: outcome.bytes,
                        ..FileAccount::default()
                    });
                }
            }
        }
        Ok(())
    };
    let (facts, small_reads) = rayon::join(read_fact_tables, read_small_files);
    facts?;
    for (table, source, read) in small_reads? {
        let file_index = set.files.len();
        digests.push((source.rel.clone(), read.digest.clone()));
        set.files.push(FileAccount {
            file: source.rel.clone(),
            table,
            rows: read.rows,
            bad: read.bad.len() as u64,
            other_months: read.other_months,
            bytes: read.bytes,
            ..FileAccount::default()
        });
        let mut keys = Vec::new();
        set.absorb(read, &mut keys, options.groups);
        set.small.push(SmallRows { file: file_index, keys });
    }
    set.demand = demand;
    set.bad_rows
        .sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
    set.digest = {
        let mut h = blake3::Hasher::new();
        for (rel, d) in &digests {
            h.update(rel.as_bytes());
            h.update(&[0]);
            h.update(d.as_bytes());
            h.update(b"\n");
        }
        format!("blake3:{}", h.finalize().to_hex())
    };
    Ok(set)
}

impl DataSet {
    /// Takes the rows of a small file into the data set, rejecting duplicate keys across files and
    /// the period's ad-hoc rows for undeclared invoice groups.
    fn absorb(
        &mut self,
        read: tables::SmallRead,
        keys: &mut Vec<(String, Option<YearMonth>)>,
        groups: Option<&InvoiceGroups>,
    ) {
        let mut bad = read.bad;
        let mut customers = Vec::new();
        for row in read.rows_out {
            match row {
                tables::SmallRow::Customer(c) => customers.push(c),
                tables::SmallRow::Site(site)
                    if self.has_customers
                        && site.customer.as_ref().is_some_and(|c| !self.customers.contains_key(c)) =>
                {
                    bad.push(BadRow::new(
                        &read.file,
                        site.line,
                        BadKind::UnknownCustomer,
                        {
                            let c = site.customer.as_deref().unwrap_or_default();
                            if self.bad_customers.contains(c) {
                                format!(
                                    "site {} names customer {c}, whose row of customers.csv is bad",
                                    site.site
                                )
                            } else {
                                format!(
                                    "site {} names customer {c}, which customers.csv does not list",
                                    site.site
                                )
                            }
                        },
                        Some(site.site.clone()),
                    ));
                }
                tables::SmallRow::Site(site) => {
                    if let Some(first) = self.sites.get(&site.site) {
                        bad.push(BadRow::new(
                            &read.file,
                            site.line,
                            BadKind::Duplicate,
                            format!("site {} is listed twice (first on line {})", site.site, first.line),
                            Some(site.site.clone()),
                        ));
                    } else {
                        keys.push((site.site.clone(), None));
                        self.sites.insert(site.site.clone(), site);
                    }
                }
                tables::SmallRow::Forecast {
                    site,
                    month,
                    value,
                    line,
                } => {
                    if self.forecast.contains_key(&(site.clone(), month)) {
                        bad.push(BadRow::new(
                            &read.file,
                            line,
                            BadKind::Duplicate,
                            format!("a second forecast for site {site} and {month}"),
                            Some(site),
                        ));
                    } else {
                        keys.push((site.clone(), Some(month)));
                        self.forecast.insert((site, month), value);
                    }
                }
                tables::SmallRow::Index {
                    name,
                    month,
                    value,
                    line,
                } => {
                    if self.indexes.contains_key(&(name.clone(), month)) {
                        bad.push(BadRow::new(
                            &read.file,
                            line,
                            BadKind::Duplicate,
                            format!("a second value of index {name} for {month}"),
                            None,
                        ));
                    } else {
                        keys.push((String::new(), None));
                        self.indexes.insert((name, month), value);
                    }
                }
                tables::SmallRow::Adhoc { site, month, item } => {
                    let undeclared = groups
                        .filter(|_| month == self.period)
                        .and_then(|g| g.undeclared(&site, item.group));
                    if let Some(reason) = undeclared {
                        bad.push(BadRow::new(
                            &read.file,
                            item.line,
                            BadKind::UndeclaredGroup,
                            reason,
                            Some(site),
                        ));
                        continue;
                    }
                    keys.push((site.clone(), Some(month)));
                    self.adhoc.entry((site, month)).or_default().push(item);
                }
            }
        }
        if read.file.ends_with("customers.csv") {
            self.has_customers = true;
            for c in self.take_customers(customers, &read.file, &mut bad) {
                keys.push((c.id.clone(), None));
                self.customers.insert(c.id.clone(), c);
            }
        }
        if let Some(f) = self.files.last_mut() {
            f.bad = bad.len() as u64;
        }
        self.bad_rows.extend(bad);
    }

    /// The good customers of a `customers.csv`: a duplicate id, an unknown parent and a cycle of
    /// parents are bad rows, and so is a customer whose parent is one (so that every kept chain of
    /// parents ends at a kept root).
    fn take_customers(&mut self, rows: Vec<Customer>, file: &str, bad: &mut Vec<BadRow>) -> Vec<Customer> {
        let mut by_id: BTreeMap<String, Customer> = BTreeMap::new();
        for c in rows {
            let clash = by_id
                .get(&c.id)
                .or_else(|| self.customers.get(&c.id))
                .map(|first| first.line);
            match clash {
                Some(first) => bad.push(BadRow::new(
                    file,
                    c.line,
                    BadKind::Duplicate,
                    format!("customer {} is listed twice (first on line {first})", c.id),
                    None,
                )),
                None => {
                    by_id.insert(c.id.clone(), c);
                }
            }
        }
        // Cycles first: each customer's chain of parents, followed until it ends or repeats.
        let mut rejected: BTreeMap<String, (BadKind, String)> = BTreeMap::new();
        for id in by_id.keys() {
            let mut chain = vec![id.as_str()];
            let mut at = id.as_str();
            while let Some(parent) = by_id.get(at).and_then(|c| c.parent.as_deref()) {
                if let Some(start) = chain.iter().position(|c| *c == parent) {
                    if start == 0 {
                        let mut cycle: Vec<&str> = chain.clone();
                        cycle.push(parent);
                        rejected.insert(
                            id.clone(),
                            (
                                BadKind::ParentCycle,
                                format!("the parents of customer {id} come back to it: {}", cycle.join(" → ")),
                            ),
                        );
                    }
                    break;
                }
                chain.push(parent);
                at = parent;
            }
        }
        // Then unknown parents, and parents that are bad rows, until nothing more is rejected.
        loop {
            let mut more = Vec::new();
            for (id, c) in &by_id {
                if rejected.contains_key(id) {
                    continue;
                }
                let Some(parent) = &c.parent else { continue };
                if rejected.contains_key(parent) {
                    more.push((
                        id.clone(),
                        format!("the parent {parent} of customer {id} is itself a bad row"),
                    ));
                } else if !by_id.contains_key(parent) {
                    more.push((
                        id.clone(),
                        format!("the parent `{parent}` of customer {id} is no customer of customers.csv"),
                    ));
                }
            }
            if more.is_empty() {
                break;
            }
            for (id, why) in more {
                rejected.insert(id, (BadKind::UnknownParent, why));
            }
        }
        let mut good = Vec::new();
        for (id, c) in by_id {
            match rejected.remove(&id) {
                Some((kind, why)) => {
                    self.bad_customers.insert(id);
                    bad.push(BadRow::new(file, c.line, kind, why, None));
                }
                None => good.push(c),
            }
        }
        good
    }

    /// A customer of `customers.csv`.
    pub fn customer(&self, id: &str) -> Option<&Customer> {
        self.customers.get(id)
    }

    /// The customer a site's `customer` column names.
    pub fn site_customer(&self, site: &str) -> Option<&Customer> {
        self.sites
            .get(site)
            .and_then(|s| s.customer.as_deref())
            .and_then(|c| self.customers.get(c))
    }

    /// A customer's parents, nearest first, up to the root.
    pub fn ancestors(&self, id: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let mut at = id;
        while let Some(parent) = self.customers.get(at).and_then(|c| c.parent.as_deref()) {
            if out.contains(&parent) || parent == id {
                break;
            }
            out.push(parent);
            at = parent;
        }
        out
    }

    /// The site master row of a site.
    pub fn site(&self, site: &str) -> Option<&Site> {
        self.sites.get(site)
    }

    /// The forecast internal revenue of a site and month.
    pub fn forecast(&self, site: &str, month: YearMonth) -> Option<Decimal> {
        self.forecast.get(&(site.to_string(), month)).copied()
    }

    /// The good rows of a fact table dated in the period, over every file that holds the table.
    pub fn period_rows(&self, table: TableName) -> u64 {
        let Some(t) = self.tables.get(table_slot(table)) else {
            return 0;
        };
        t.buckets()
            .into_iter()
            .filter(|b| self.buckets.month_of(*b) == self.period)
            .flat_map(|b| t.rows(b))
            .map(|g| u64::from(g.count()))
            .sum()
    }

    /// The rows of a fact table dated in `month` (the good rows read in full and the rows only
    /// counted), over every file and site; 0 for a month outside the months read.
    pub fn month_rows(&self, table: TableName, month: YearMonth) -> u64 {
        self.month_rows
            .get(table_slot(table))
            .map_or(0, |m| m.rows(self.period.months_since(month)))
    }

    /// The files read for a table (`revenue.csv`, `2025-03/revenue.csv`), in the order read.
    pub fn files_of(&self, table: &str) -> Vec<&str> {
        self.files
            .iter()
            .filter(|f| f.table == table)
            .map(|f| f.file.as_str())
            .collect()
    }

    /// The demand the data was loaded for.
    pub fn demand(&self) -> &Demand {
        &self.demand
    }

    /// Sites that have rows of the period in any fact table (for reporting sites without contracts).
    pub fn rows_read(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }

    /// Bytes of CSV read.
    pub fn bytes_read(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// After the run: how every row was accounted for, and the period's rows that no contract used.
    /// `contract_sites` are the sites some contract billed (their ad-hoc lines and forecasts are used).
    pub fn account(&self, contract_sites: &BTreeSet<String>) -> (Vec<FileAccount>, Vec<Unmatched>) {
        let mut files = self.files.clone();
        let mut unmatched: BTreeMap<(String, usize), Unmatched> = BTreeMap::new();
        for t in FACT_TABLES {
            let Some(table) = self.tables.get(table_slot(t)) else {
                continue;
            };
            for bucket in table.buckets() {
                // The site's name is only made for the period's unused rows.
                let month = self.buckets.month_of(bucket);
                let mut site: Option<String> = None;
                for g in table.rows(bucket) {
                    let Some(f) = files.get_mut(usize::from(g.file())) else {
                        continue;
                    };
                    let n = u64::from(g.count());
                    if g.used() {
                        f.used += n;
                    } else if month == self.period {
                        f.unmatched += n;
                        let site = site.get_or_insert_with(|| self.buckets.site_month(bucket).0);
                        let entry = unmatched
                            .entry((site.clone(), usize::from(g.file())))
                            .or_insert_with(|| Unmatched {
                                site: site.clone(),
                                file: f.file.clone(),
                                first_line: g.first_line(),
                                rows: 0,
                                what: String::new(),
                            });
                        entry.rows += n;
                        entry.first_line = entry.first_line.min(g.first_line());
                        if entry.what.len() < 200 {
                            if !entry.what.is_empty() {
                                entry.what.push_str("; ");
                            }
                            entry.what.push_str(&describe_group(t, g));
                        }
                    } else {
                        f.history += n;
                    }
                }
            }
        }
        for small in &self.small {
            let Some(f) = files.get_mut(small.file) else { continue };
            for (site, month) in &small.keys {
                match month {
                    None => f.reference += 1,
                    Some(m) if *m != self.period => f.history += 1,
                    Some(_) if contract_sites.contains(site) => f.used += 1,
                    Some(_) => {
                        f.unmatched += 1;
                        let entry = unmatched
                            .entry((site.clone(), small.file))
                            .or_insert_with(|| Unmatched {
                                site: site.clone(),
                                file: f.file.clone(),
                                first_line: 0,
                                rows: 0,
                                what: "rows for a site without a contract".into(),
                            });
                        entry.rows += 1;
                    }
                }
            }
        }
        let mut list: Vec<Unmatched> = unmatched.into_values().collect();
        for u in &mut list {
            if !contract_sites.contains(&u.site) {
                u.what = format!("site {} has no contract", u.site);
            }
        }
        list.sort();
        (files, list)
    }
}

/// "revenue_code PK, category Parking, …" for an unmatched group.
fn describe_group(t: TableName, g: &dyn GroupInfo) -> String {
    t.columns()
        .iter()
        .filter(|(_, ty)| ty.is_dimension())
        .enumerate()
        .map(|(i, (n, _))| (n, g.dim(i)))
        .filter(|(_, v)| !v.is_empty())
        .map(|(n, v)| format!("{n} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl DataView for DataSet {
    fn rows<'a>(&'a self, table: TableName, site: &str, month: YearMonth) -> Vec<&'a dyn RowView> {
        let Some(t) = self.tables.get(table_slot(table)) else {
            return Vec::new();
        };
        match self.buckets.of(site, month) {
            Some(b) => t.rows(b).into_iter().map(|g| g as &dyn RowView).collect(),
            None => Vec::new(),
        }
    }
    fn site_start(&self, site: &str) -> Option<NaiveDate> {
        self.sites.get(site).and_then(|s| s.start_date)
    }
    fn index(&self, name: &str, month: YearMonth) -> Option<Decimal> {
        self.indexes.get(&(name.to_string(), month)).copied()
    }
    fn adhoc(&self, site: &str, month: YearMonth) -> Vec<AdhocItem> {
        self.adhoc.get(&(site.to_string(), month)).cloned().unwrap_or_default()
    }
    fn covers(&self, table: TableName, site: &str, month: YearMonth) -> bool {
        let back = self.period.months_since(month);
        month >= self.first_month
            && back >= 0
            && (back == 0 || parse::site_number(site.as_bytes()).is_some_and(|n| self.demand.reads(table, n, back)))
    }
}
