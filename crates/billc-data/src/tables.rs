//! The tables of DATA.md: their required columns, the validation of every row, and the aggregation of
//! the fact tables per (site, month, dimensions).
//!
//! Each block of a file is parsed into its own [`Agg`] (in parallel); the blocks' aggregates are merged
//! in file order, so first lines and duplicate reports are the same whatever the threads. A group key
//! is the bytes `site · year · month · (len · dimension)*`, hashed once per row.
//!
//! Rows must not be counted twice ([`crate::dedup`] says which repeats a real export can hold):
//! every revenue and statistics row read in full gets a fingerprint while its block is parsed; once
//! the file is in, a file holding repeats is read again into a fresh aggregate with the repeats left
//! out as bad rows (`duplicate_row`, or `duplicate_key` for a second statistic of a day). Each file
//! is aggregated on its own, then merged into its table (the first file is moved in). gl's key is
//! its group key: a second row for it is `duplicate_row` when its balance is equal, else
//! `duplicate_key`. Timesheet rows may repeat (one row per shift, no employee column).

use super::{Customer, LoadError, Site, Source};
use crate::csvio::{self, Chunk, Record, Records};
use crate::dedup::{Prints, Repeat, Repeated, Repeats};
use crate::parse::{self, DecimalError};
use crate::store::{self, Buckets, MeasureStore, Measures, NewGroup, Strings, Table};
use billc_lang::eval::AdhocItem;
use billc_lang::schema::{ColumnTy, TableName};
use billc_lang::time::YearMonth;
use billc_lang::value::money;
use chrono::{Datelike, Duration, NaiveDate};
use hashbrown::HashTable;
use rust_decimal::Decimal;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::collections::BTreeSet;
use std::hash::BuildHasher;
use std::sync::Arc;

/// What is wrong with a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BadKind {
    /// The row has more or fewer fields than the header.
    FieldCount,
    /// A quoted field is not closed, or text follows its closing quote.
    Quoting,
    /// A text field is not UTF-8.
    NotUtf8,
    /// `site` is not four digits.
    BadSite,
    /// `date` is not a real `YYYY-MM-DD` date.
    BadDate,
    /// `period` is not `YYYY-MM`.
    BadPeriod,
    /// An amount or quantity is not a plain decimal.
    BadAmount,
    /// `deposit_flag` is not Y, N or V.
    UnknownDepositFlag,
    /// `tax_rate` is not a fraction in [0, 1).
    BadTaxRate,
    /// Minutes are negative.
    NegativeMinutes,
    /// A count or statistic is negative.
    NegativeQuantity,
    /// A key that must be unique appears again with other values (a second gl balance of an
    /// account, a second statistic of a day and category, a site listed twice).
    Duplicate,
    /// A row equal in every column to an earlier row of its file, where a real export never repeats
    /// one (revenue, statistics, gl; [`crate::dedup`]). The first stays, the repeat is left out.
    DuplicateRow,
    /// A row in a month folder is dated in another month.
    OutsideFolder,
    /// A top-level row for a month that has its own folder file.
    ShadowedByFolder,
    /// A required text field is empty.
    EmptyField,
    /// `close_date` is before `start_date`.
    CloseBeforeStart,
    /// An ad-hoc `kind` that DATA.md does not list.
    UnknownAdhocKind,
    /// An ad-hoc `group` that is not a whole number from 1 to 99.
    BadGroup,
    /// An ad-hoc row of the period for an invoice group that its site's contract does not declare
    /// ([`crate::InvoiceGroups`]).
    UndeclaredGroup,
    /// An index value that is not positive.
    BadIndexValue,
    /// Summing the row would overflow an exact decimal.
    Overflow,
    /// A billing contact of `customers.csv` that is not an e-mail address.
    BadEmail,
    /// A customer's `parent` is no customer of `customers.csv` (or is itself a bad row).
    UnknownParent,
    /// A customer's chain of parents comes back to it.
    ParentCycle,
    /// A site's `customer` is no customer of `customers.csv`.
    UnknownCustomer,
}

impl BadKind {
    /// The kind as written in `exceptions.csv` messages and summaries.
    pub fn name(self) -> &'static str {
        match self {
            BadKind::FieldCount => "field_count",
            BadKind::Quoting => "quoting",
            BadKind::NotUtf8 => "not_utf8",
            BadKind::BadSite => "bad_site",
            BadKind::BadDate => "bad_date",
            BadKind::BadPeriod => "bad_period",
            BadKind::BadAmount => "bad_amount",
            BadKind::UnknownDepositFlag => "unknown_deposit_flag",
            BadKind::BadTaxRate => "bad_tax_rate",
            BadKind::NegativeMinutes => "negative_minutes",
            BadKind::NegativeQuantity => "negative_quantity",
            BadKind::Duplicate => "duplicate_key",
            BadKind::DuplicateRow => "duplicate_row",
            BadKind::OutsideFolder => "outside_folder_month",
            BadKind::ShadowedByFolder => "month_has_folder",
            BadKind::EmptyField => "empty_field",
            BadKind::CloseBeforeStart => "close_before_start",
            BadKind::UnknownAdhocKind => "unknown_adhoc_kind",
            BadKind::BadGroup => "bad_group",
            BadKind::UndeclaredGroup => "undeclared_group",
            BadKind::BadIndexValue => "bad_index_value",
            BadKind::Overflow => "overflow",
            BadKind::BadEmail => "bad_email",
            BadKind::UnknownParent => "unknown_parent",
            BadKind::ParentCycle => "parent_cycle",
            BadKind::UnknownCustomer => "unknown_customer",
        }
    }
}

/// A rejected row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    /// The file, relative to the data directory.
    pub file: String,
    pub line: u32,
    pub kind: BadKind,
    /// Why, naming the column and quoting the value.
    pub reason: String,
    /// The row's site when it could be read (a bad row then affects that site only).
    pub site: Option<String>,
}

impl BadRow {
    pub fn new(file: &str, line: u32, kind: BadKind, reason: String, site: Option<String>) -> BadRow {
        BadRow {
            file: file.to_string(),
            line,
            kind,
            reason,
            site,
        }
    }
}

/// The months a run reads.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub first: YearMonth,
    pub last: YearMonth,
}

impl Window {
    fn contains(self, m: YearMonth) -> bool {
        m >= self.first && m <= self.last
    }
}

/// Which rows of a fact table the contracts need: every row of the period, and of each earlier
/// month only for the sites whose rules read that far back ([`billc_lang::demand::Demand`]).
#[derive(Clone, Copy, Debug)]
pub struct Needs<'a> {
    /// Earlier months needed, by site number.
    pub back: &'a [u16],
}

impl Needs<'_> {
    /// Whether a row of site number `site` and `month` (within the window) is needed.
    fn needs(self, window: Window, site: usize, month: YearMonth) -> bool {
        billc_lang::demand::reaches(self.back, site, window.last.months_since(month))
    }
}

/// A field value quoted in a message (shortened when long).
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut s: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        s.push('…');
    }
    format!("`{s}`")
}

fn line32(line: u64) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// Column positions of a file, by required name.
struct Columns {
    positions: Vec<usize>,
    width: usize,
    /// The optional `customer` column of `sites.csv`, when the header has it.
    customer: Option<usize>,
}

fn map_columns(source: &Source, header: &[String], required: &[&str]) -> Result<Columns, LoadError> {
    let mut seen = BTreeSet::new();
    for h in header {
        if !h.is_empty() && !seen.insert(h.as_str()) {
            return Err(LoadError::DuplicateColumn {
                file: source.path.clone(),
                column: h.clone(),
            });
        }
    }
    let positions = required
        .iter()
        .map(|name| {
            header
                .iter()
                .position(|h| h == name)
                .ok_or_else(|| LoadError::MissingColumn {
                    file: source.path.clone(),
                    column: (*name).to_string(),
                    header: header.to_vec(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Columns {
        positions,
        width: header.len(),
        customer: header.iter().position(|h| h == "customer"),
    })
}

fn csv_error(source: &Source, e: csvio::CsvError) -> LoadError {
    match e {
        csvio::CsvError::Io(e) => LoadError::Io(source.path.clone(), e.to_string()),
        csvio::CsvError::Empty => LoadError::Empty(source.path.clone()),
        csvio::CsvError::BadHeader(m) => LoadError::BadHeader(source.path.clone(), m),
    }
}

/// The file columns a fact table requires: site, its time column, then its own columns (derived
/// columns excepted).
fn fact_columns(t: TableName) -> Vec<&'static str> {
    let time = if t == TableName::Gl { "period" } else { "date" };
    let mut cols = vec!["site", time];
    cols.extend(
        t.columns()
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| !matches!(*n, "week" | "regular_hours" | "overtime_hours")),
    );
    cols
}

/// One group being summed; its key lives in the aggregate's key arena.
#[derive(Clone, Copy, Debug)]
struct Acc {
    hash: u64,
    /// The first and last file lines of the group's rows (a trace cites them as a range).
    first_line: u32,
    last_line: u32,
    key_start: u32,
    key_len: u32,
    count: u32,
    file: u16,
}

/// The aggregate of a block (or, merged, of a table). Keys are stored end to end in one arena and
/// the hash table holds group indexes, so a new group costs no allocation of its own.
#[derive(Default)]
struct Agg {
    table: HashTable<u32>,
    keys: Vec<u8>,
    accs: Vec<Acc>,
    measures: Vec<Decimal>,
    bad: Vec<BadRow>,
    rows: u64,
    other_months: u64,
    /// Rows of earlier months that no contract reads (counted, not parsed).
    not_needed: u64,
    /// Rows dated in each month of the window, by months before the period ([`MonthRows`]).
    months: MonthRows,
    /// The fingerprints of the rows read in full (of a block, then of its file; [`crate::dedup`]).
    prints: Prints,
}

fn hash_key(key: &[u8]) -> u64 {
    FxBuildHasher.hash_one(key)
}

impl Agg {
    /// Whether nothing was taken in yet (a table before its first file).
    fn is_empty(&self) -> bool {
        self.accs.is_empty() && self.bad.is_empty() && self.rows == 0
    }

    fn with_capacity(groups: usize) -> Agg {
        Agg {
            table: HashTable::with_capacity(groups),
            keys: Vec::with_capacity(groups * 24),
            ..Agg::default()
        }
    }

    fn key(&self, acc: &Acc) -> &[u8] {
        self.keys
            .get(acc.key_start as usize..(acc.key_start + acc.key_len) as usize)
            .unwrap_or_default()
    }

    fn find(&self, hash: u64, key: &[u8]) -> Option<u32> {
        self.table
            .find(hash, |&i| {
                self.accs
                    .get(i as usize)
                    .is_some_and(|a| a.hash == hash && self.key(a) == key)
            })
            .copied()
    }

    /// A new group: key into the arena, index into the table.
    fn insert(&mut self, key: &[u8], mut acc: Acc, values: &[Decimal]) -> Result<(), AddError> {
        let i = u32::try_from(self.accs.len()).map_err(|_| AddError::Overflow)?;
        acc.key_start = u32::try_from(self.keys.len()).map_err(|_| AddError::Overflow)?;
        acc.key_len = u32::try_from(key.len()).map_err(|_| AddError::Overflow)?;
        self.keys.extend_from_slice(key);
        let accs = &self.accs;
        self.table
            .insert_unique(acc.hash, i, |&j| accs.get(j as usize).map_or(0, |a| a.hash));
        self.accs.push(acc);
        self.measures.extend_from_slice(values);
        Ok(())
    }

    /// Adds one row's measures to its group; `Err` names the line it duplicates or says it overflows.
    fn add(&mut self, key: &[u8], values: &[Decimal], line: u64, file: u16, unique: bool) -> Result<(), AddError> {
        let hash = hash_key(key);
        let acc = Acc {
            first_line: line32(line),
            last_line: line32(line),
            hash,
            key_start: 0,
            key_len: 0,
            count: 1,
            file,
        };
        match self.find(hash, key) {
            Some(i) if unique => Err(self.repeated_key(i, values)),
            Some(i) => self.add_to(i, values, acc, values.len()),
            None => {
                // Text is validated once per distinct key, not once per row.
                let dims = key.get(KEY_DIMS..).unwrap_or_default();
                if std::str::from_utf8(dims).is_err() {
                    let column = dims.split(|b| *b == 0).position(|d| std::str::from_utf8(d).is_err());
                    return Err(AddError::NotUtf8(column.unwrap_or(0)));
                }
                self.insert(key, acc, values)
            }
        }
    }

    /// Merges a later block's aggregate into this one, group by group in the block's order.
    fn merge(&mut self, mut other: Agg, n: usize, unique: bool, files: &[String], table: TableName) {
        self.rows += other.rows;
        self.other_months += other.other_months;
        self.not_needed += other.not_needed;
        self.months.add(&other.months);
        self.bad.append(&mut other.bad);
        self.prints.append(&mut other.prints);
        for (i, acc) in other.accs.iter().enumerate() {
            let key = other.key(acc);
            let start = i * n;
            let values = other.measures.get(start..start + n).unwrap_or_default();
            let result = match self.find(acc.hash, key) {
                Some(j) if unique => Err(self.repeated_key(j, values)),
                Some(j) => self.add_to(j, values, *acc, n),
                None => self.insert(key, *acc, values),
            };
            if let Err(e) = result {
                let file_name = files.get(usize::from(acc.file)).map_or("", String::as_str);
                let site = String::from_utf8_lossy(key.get(..4).unwrap_or_default()).into_owned();
                self.bad
                    .push(e.bad_row(file_name, u64::from(acc.first_line), site, table));
            }
        }
    }

    /// A second row for group `i` of a table whose key is unique (gl): the same row again (every
    /// measure equal as a decimal) or another value for the key.
    fn repeated_key(&self, i: u32, values: &[Decimal]) -> AddError {
        let first = self.accs.get(i as usize).map_or(0, |a| u64::from(a.first_line));
        let start = i as usize * values.len();
        let mine = self.measures.get(start..start + values.len());
        if mine == Some(values) {
            AddError::SameRow(first)
        } else {
            AddError::Duplicate(first)
        }
    }

    fn add_to(&mut self, j: u32, values: &[Decimal], acc: Acc, n: usize) -> Result<(), AddError> {
        let start = j as usize * n;
        let slot = self.measures.get_mut(start..start + n).ok_or(AddError::Overflow)?;
        let mut sums = [Decimal::ZERO; 16];
        for ((s, a), b) in sums.iter_mut().zip(slot.iter()).zip(values) {
            *s = parse::exact_add(*a, *b).ok_or(AddError::Overflow)?;
        }
        slot.copy_from_slice(sums.get(..n).unwrap_or_default());
        if let Some(mine) = self.accs.get_mut(j as usize) {
            mine.count = mine.count.saturating_add(acc.count);
            mine.first_line = mine.first_line.min(acc.first_line);
            mine.last_line = mine.last_line.max(acc.last_line);
        }
        Ok(())
    }
}

enum AddError {
    /// Another value for a unique key, first seen on that line.
    Duplicate(u64),
    /// The same row again (unique key and every value equal).
    SameRow(u64),
    Overflow,
    /// The n-th dimension value is not UTF-8.
    NotUtf8(usize),
}

impl AddError {
    fn bad_row(self, file: &str, line: u64, site: String, table: TableName) -> BadRow {
        match self {
            AddError::NotUtf8(n) => {
                let name = table
                    .columns()
                    .iter()
                    .filter(|(_, c)| c.is_dimension())
                    .nth(n)
                    .map_or("a text field", |(n, _)| n);
                BadRow::new(
                    file,
                    line32(line),
                    BadKind::NotUtf8,
                    format!("`{name}` is not UTF-8 text"),
                    Some(site),
                )
            }
            AddError::Duplicate(first) => BadRow::new(
                file,
                line32(line),
                BadKind::Duplicate,
                format!("the same site, period, account and entity as line {first}"),
                Some(site),
            ),
            AddError::SameRow(first) => repeat_row(
                file,
                line,
                site,
                table,
                Repeat {
                    first_line: line32(first),
                    exact: true,
                },
            ),
            AddError::Overflow => BadRow::new(
                file,
                line32(line),
                BadKind::Overflow,
                "adding this row overflows an exact decimal sum".into(),
                Some(site),
            ),
        }
    }
}

/// The bad row of a repeat ([`crate::dedup`]): `duplicate_row` when every column is equal, else
/// `duplicate_key` naming the table's key.
fn repeat_row(file: &str, line: u64, site: String, table: TableName, repeat: Repeat) -> BadRow {
    let first = repeat.first_line;
    if repeat.exact {
        return BadRow::new(
            file,
            line32(line),
            BadKind::DuplicateRow,
            format!("the same row as line {first}"),
            Some(site),
        );
    }
    let time = if table == TableName::Gl { "period" } else { "date" };
    let dims: Vec<&str> = table
        .columns()
        .iter()
        .filter(|(_, c)| c.is_dimension())
        .map(|(n, _)| *n)
        .collect();
    BadRow::new(
        file,
        line32(line),
        BadKind::Duplicate,
        format!(
            "the same site, {time} and {} as line {first}, with another value",
            dims.join(", ")
        ),
        Some(site),
    )
}

/// How many rows of a fact table are dated in each month of the window, read in full or only
/// counted: index 0 is the period, 1 the month before, and so on. The completeness check tells a
/// month the data directory has no rows of at all (a gap in the history) from a site's own quiet
/// month with it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonthRows(Vec<u64>);

impl MonthRows {
    fn count(&mut self, back: i64) {
        let Ok(i) = usize::try_from(back) else { return };
        if self.0.len() <= i {
            self.0.resize(i + 1, 0);
        }
        if let Some(n) = self.0.get_mut(i) {
            *n += 1;
        }
    }

    /// Adds another file's or block's counts to these.
    pub fn add(&mut self, other: &MonthRows) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a += b;
        }
    }

    /// The rows dated `back` months before the period.
    pub fn rows(&self, back: i64) -> u64 {
        usize::try_from(back)
            .ok()
            .and_then(|i| self.0.get(i))
            .copied()
            .unwrap_or(0)
    }
}

/// What reading one file of a fact table gave.
pub struct FileOutcome {
    pub digest: String,
    pub rows: u64,
    pub bad: u64,
    pub other_months: u64,
    /// Rows of earlier months that no contract reads.
    pub not_needed: u64,
    /// Rows dated in each month of the window (read in full or only counted).
    pub months: MonthRows,
    pub bytes: u64,
}

/// Builds one fact table from its files.
pub struct FactBuilder {
    table: TableName,
    agg: Agg,
    files: Vec<String>,
    /// What each file read gave, until the caller takes it.
    outcomes: Vec<(String, FileOutcome)>,
    read: usize,
}

/// What to do with each column of a fact table, decided once per table instead of once per row.
#[derive(Clone, Copy, Debug)]
enum Col {
    /// The Monday of the row's date (timesheets).
    Week,
    /// Derived later (timesheet hours).
    Skip,
    Text {
        name: &'static str,
        check: TextCheck,
    },
    NumberDim {
        name: &'static str,
        tax_rate: bool,
    },
    Measure {
        name: &'static str,
        negative: Negative,
    },
}

#[derive(Clone, Copy, Debug)]
enum TextCheck {
    None,
    DepositFlag,
    NonEmpty,
}

/// Whether a measure may be negative.
#[derive(Clone, Copy, Debug)]
enum Negative {
    Allowed,
    Minutes,
    Quantity,
}

fn column_plan(table: TableName) -> Vec<Col> {
    table
        .columns()
        .iter()
        .map(|(name, ty)| match (*name, ty) {
            ("week", _) => Col::Week,
            ("regular_hours" | "overtime_hours", _) => Col::Skip,
            (_, ColumnTy::Text) => Col::Text {
                name,
                check: match *name {
                    "deposit_flag" => TextCheck::DepositFlag,
                    "revenue_code" | "account" | "job_code" | "category" => TextCheck::NonEmpty,
                    _ => TextCheck::None,
                },
            },
            (_, ColumnTy::NumberDim) => Col::NumberDim {
                name,
                tax_rate: *name == "tax_rate",
            },
            (_, ColumnTy::DateDim) => Col::Skip,
            _ => Col::Measure {
                name,
                negative: if name.ends_with("_minutes") {
                    Negative::Minutes
                } else if *name == "vehicle_count" || (table == TableName::Statistics && *name == "value") {
                    Negative::Quantity
                } else {
                    Negative::Allowed
                },
            },
        })
        .collect()
}

/// Where a row's values go, by table column order.
struct RowShape {
    table: TableName,
    /// What to do with each column, in the table's column order (dimensions first).
    plan: Vec<Col>,
    n_measures: usize,
    /// Where the derived hours go (timesheets only).
    hours: Option<HourSlots>,
}

impl FactBuilder {
    pub fn new(table: TableName) -> FactBuilder {
        FactBuilder {
            table,
            agg: Agg::default(),
            files: Vec::new(),
            outcomes: Vec::new(),
            read: 0,
        }
    }

    /// Files read so far.
    pub fn files_read(&self) -> usize {
        self.read
    }

    /// Keeps what reading a file gave, for [`FactBuilder::take_outcomes`].
    pub fn record(&mut self, rel: String, outcome: FileOutcome) {
        self.read += 1;
        self.outcomes.push((rel, outcome));
    }

    /// What each file read gave, in the order read.
    pub fn take_outcomes(&mut self) -> Vec<(String, FileOutcome)> {
        std::mem::take(&mut self.outcomes)
    }

    fn n_measures(&self) -> usize {
        self.table.columns().iter().filter(|(_, t)| !t.is_dimension()).count()
    }

    /// Reads one file into the table. `file_index` numbers the file in the run's accounting.
    pub fn read(
        &mut self,
        source: &Source,
        file_index: usize,
        window: Window,
        needs: Needs<'_>,
        shadowed: &BTreeSet<YearMonth>,
    ) -> Result<FileOutcome, LoadError> {
        let table = self.table;
        let shape = RowShape {
            table,
            plan: column_plan(table),
            n_measures: self.n_measures(),
            hours: if table == TableName::Timesheets {
                hour_slots(table)
            } else {
                None
            },
        };
        while self.files.len() <= file_index {
            self.files.push(String::new());
        }
        if let Some(f) = self.files.get_mut(file_index) {
            f.clone_from(&source.rel);
        }
        let cx = ChunkCx {
            shape: &shape,
            source,
            file: u16::try_from(file_index).unwrap_or(u16::MAX),
            window,
            needs,
            shadowed,
            unique: table == TableName::Gl,
            repeats: Repeats::of(table),
            known: None,
        };
        let (mut agg, mut read) = self.read_once(&cx)?;
        // Repeats are known once the whole file is in (a month's rows are in one file only). A file
        // holding some is read again, leaving them out.
        let known = std::mem::take(&mut agg.prints).repeats(cx.repeats);
        if !known.is_empty() {
            drop(agg);
            (agg, read) = self.read_once(&ChunkCx {
                known: Some(&known),
                ..cx
            })?;
        }
        let mut outcome = FileOutcome {
            digest: read.digest,
            rows: agg.rows,
            bad: 0,
            other_months: agg.other_months,
            not_needed: agg.not_needed,
            months: std::mem::take(&mut agg.months),
            bytes: read.bytes,
        };
        // The file's bad rows, and any that merging it into the table finds (none, since a month's
        // rows come from one file; counted all the same, so that the accounting always balances).
        let bad_before = self.agg.bad.len();
        if self.agg.is_empty() {
            self.agg = agg;
        } else {
            self.agg.merge(agg, shape.n_measures, cx.unique, &self.files, table);
        }
        outcome.bad = (self.agg.bad.len() - bad_before) as u64;
        Ok(outcome)
    }

    /// Reads one file into an aggregate of its own.
    fn read_once(&self, cx: &ChunkCx<'_>) -> Result<(Agg, csvio::FileRead), LoadError> {
        let source = cx.source;
        let required = fact_columns(self.table);
        let mut columns = None;
        let mut agg = Agg::default();
        let cols_cell = std::sync::OnceLock::new();
        let read = csvio::read_file(
            &source.path,
            |header| match map_columns(source, header, &required) {
                Ok(c) => {
                    let _ = cols_cell.set(c);
                    Ok(())
                }
                Err(e) => {
                    columns = Some(e);
                    Err(String::new())
                }
            },
            |chunk| parse_fact_chunk(chunk, cols_cell.get(), cx),
            |block| agg.merge(block, cx.shape.n_measures, cx.unique, &self.files, self.table),
        )
        .map_err(|e| csv_error(source, e))?;
        if let Some(e) = columns {
            return Err(e);
        }
        let read = read.map_err(|m| LoadError::BadHeader(source.path.clone(), m))?;
        Ok((agg, read))
    }

    /// The finished table (groups sorted by site, month and dimension values) and the bad rows found.
    pub fn finish(self, buckets: Buckets) -> (Table, Vec<BadRow>) {
        let n = self.n_measures();
        let (ndims, _) = store::sizes(self.table);
        let mut agg = self.agg;
        let bad = std::mem::take(&mut agg.bad);
        let mut order: Vec<(u32, &[u8], u32)> = Vec::with_capacity(agg.accs.len());
        for (i, acc) in agg.accs.iter().enumerate() {
            let key = agg.key(acc);
            let Some(bucket) = key_bucket(key, buckets) else {
                continue;
            };
            order.push((bucket, key.get(KEY_DIMS..).unwrap_or_default(), i as u32));
        }
        order.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let mut ids: FxHashMap<&[u8], u32> = FxHashMap::default();
        // The files come first (a group's `file` is its index here), then the dimension values.
        let mut strings: Vec<Box<str>> = self.files.iter().map(|f| f.as_str().into()).collect();
        let mut dim_ids: Vec<u32> = Vec::with_capacity(order.len() * ndims);
        for (_, dims, _) in &order {
            for d in dims.split(|b| *b == 0).take(ndims) {
                let id = *ids.entry(d).or_insert_with(|| {
                    strings.push(String::from_utf8_lossy(d).into());
                    strings.len() as u32 - 1
                });
                dim_ids.push(id);
            }
        }
        let rows: Vec<(u32, u32)> = order.iter().map(|(bucket, _, i)| (*bucket, *i)).collect();
        drop(order);
        drop(ids);
        // The keys and the hash table are no longer needed: free them before the groups are built,
        // and hand the summed measures over as they are.
        let accs = std::mem::take(&mut agg.accs);
        let measures: Measures = Arc::new(MeasureStore {
            values: std::mem::take(&mut agg.measures),
            width: n,
        });
        drop(agg);
        let strings: Strings = Arc::new(strings);
        let mut table = Table::new(self.table, buckets, rows.len());
        for (k, (bucket, i)) in rows.iter().enumerate() {
            let Some(acc) = accs.get(*i as usize) else { continue };
            table.push(
                &strings,
                &measures,
                &NewGroup {
                    bucket: *bucket,
                    dims: dim_ids.get(k * ndims..(k + 1) * ndims).unwrap_or_default(),
                    row: *i,
                    first_line: acc.first_line,
                    last_line: acc.last_line,
                    count: acc.count,
                    file: acc.file,
                },
            );
        }
        (table, bad)
    }
}

/// Where the dimension values start in a group key: site (4 bytes), year (4), month (1).
const KEY_DIMS: usize = 9;

/// The bucket of a group key.
fn key_bucket(key: &[u8], buckets: Buckets) -> Option<u32> {
    let site = std::str::from_utf8(key.get(..4)?).ok()?;
    let year = i32::from_be_bytes(key.get(4..8)?.try_into().ok()?);
    let month = u32::from(*key.get(8)?);
    buckets.of(site, YearMonth { year, month })
}

/// The month of a row from its time field, checked against its folder; `Err` is the bad row.
fn row_month(
    raw: &[u8],
    is_date: bool,
    source: &Source,
    shadowed: &BTreeSet<YearMonth>,
) -> Result<(YearMonth, Option<NaiveDate>), (BadKind, String)> {
    let (month, date) = if is_date {
        let d = parse::date(raw).ok_or_else(|| {
            (
                BadKind::BadDate,
                format!("`date` {} is not a date (YYYY-MM-DD)", shown(raw)),
            )
        })?;
        (YearMonth::of(d), Some(d))
    } else {
        let m = parse::period(raw).ok_or_else(|| {
            (
                BadKind::BadPeriod,
                format!("`period` {} is not a month (YYYY-MM)", shown(raw)),
            )
        })?;
        (m, None)
    };
    match source.folder {
        Some(f) if f != month => Err((
            BadKind::OutsideFolder,
            format!("dated {} but in the folder of {f}", String::from_utf8_lossy(raw)),
        )),
        None if shadowed.contains(&month) => Err((
            BadKind::ShadowedByFolder,
            format!(
                "{month} has its own folder file ({month}/{}), so this row would count twice",
                file_name(source)
            ),
        )),
        _ => Ok((month, date)),
    }
}

fn file_name(source: &Source) -> String {
    source
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What parsing a block needs besides the bytes: the file, the months and sites read, the table.
#[derive(Clone, Copy)]
struct ChunkCx<'a> {
    shape: &'a RowShape,
    source: &'a Source,
    file: u16,
    window: Window,
    needs: Needs<'a>,
    shadowed: &'a BTreeSet<YearMonth>,
    unique: bool,
    /// Which repeated rows are bad rows.
    repeats: Repeats,
    /// When a file is read again: the rows that repeat an earlier one ([`Prints::check`]).
    known: Option<&'a Repeated>,
}

fn parse_fact_chunk(chunk: &Chunk, columns: Option<&Columns>, cx: &ChunkCx<'_>) -> Agg {
    let mut agg = Agg::with_capacity(1024);
    let Some(columns) = columns else { return agg };
    let buf = &chunk.bytes;
    let mut rec = Record::default();
    let mut key = Vec::with_capacity(64);
    let mut values = [Decimal::ZERO; 16];
    // The common case, a block without quotes, is split line by line at commas; the rows no contract
    // needs are recognised from their first two fields and skipped without splitting.
    if memchr::memchr(b'"', buf).is_none() {
        let quick = QuickLayout::of(columns, cx);
        let mut line = chunk.first_line;
        let mut start = 0;
        let mut ends = memchr::memchr_iter(b'\n', buf);
        while start < buf.len() {
            let nl = ends.next().unwrap_or(buf.len());
            let mut end = nl;
            if end > start && buf.get(end - 1) == Some(&b'\r') {
                end -= 1;
            }
            let (row_start, this_line) = (start, line);
            let row = buf.get(start..end).unwrap_or_default();
            start = nl + 1;
            line += 1;
            if row.is_empty() {
                continue;
            }
            agg.rows += 1;
            if let Some(q) = &quick {
                match q.classify(row) {
                    Some(Quick::OtherMonth) => {
                        agg.other_months += 1;
                        continue;
                    }
                    Some(Quick::NotNeeded(back)) => {
                        agg.not_needed += 1;
                        agg.months.count(back);
                        continue;
                    }
                    Some(Quick::Read) | None => {}
                }
            }
            rec.split_plain(buf, row_start, end, this_line);
            fact_record(&mut agg, buf, &rec, Ok(()), columns, cx, &mut key, &mut values);
        }
        return agg;
    }
    let mut records = Records::new(buf, chunk.first_line);
    while let Some(result) = records.next_into(&mut rec) {
        agg.rows += 1;
        fact_record(&mut agg, buf, &rec, result, columns, cx, &mut key, &mut values);
    }
    agg
}

/// Where the site and time fields are in the canonical layout (site first, then date or period),
/// for deciding from a row's first bytes whether it is read at all.
struct QuickLayout<'a> {
    /// Byte length of the time field (10 for a date, 7 for a period).
    time_len: usize,
    window: Window,
    needs: Needs<'a>,
}

enum Quick {
    OtherMonth,
    /// Not read in full; the row's month, as months before the period.
    NotNeeded(i64),
    Read,
}

impl<'a> QuickLayout<'a> {
    /// Only files with the canonical column order outside month folders take the quick path; the
    /// others are classified by [`fact_row`] after splitting, with the same outcome.
    fn of(columns: &Columns, cx: &ChunkCx<'a>) -> Option<QuickLayout<'a>> {
        let canonical = columns.positions.first() == Some(&0) && columns.positions.get(1) == Some(&1);
        (canonical && cx.source.folder.is_none() && cx.shadowed.is_empty()).then_some(QuickLayout {
            time_len: if cx.shape.table == TableName::Gl { 7 } else { 10 },
            window: cx.window,
            needs: cx.needs,
        })
    }

    /// `None` when the row's first two fields are not a valid site and date (the full path reports
    /// why).
    fn classify(&self, row: &[u8]) -> Option<Quick> {
        let site = row.get(..4)?;
        let n = parse::site_number(site)?;
        let t = self.time_len;
        if row.get(4) != Some(&b',') || row.get(5 + t) != Some(&b',') {
            return None;
        }
        let time = row.get(5..5 + t)?;
        let month = if t == 10 {
            parse::date_month(time)?
        } else {
            parse::period(time)?
        };
        Some(if !self.window.contains(month) {
            Quick::OtherMonth
        } else if !self.needs.needs(self.window, n, month) {
            Quick::NotNeeded(self.window.last.months_since(month))
        } else {
            Quick::Read
        })
    }
}

/// Validates and aggregates one record (or reports why it is bad).
#[allow(
    clippy::too_many_arguments,
    reason = "the hot loop's state, borrowed once per block and passed flat"
)]
fn fact_record(
    agg: &mut Agg,
    buf: &[u8],
    rec: &Record,
    result: Result<(), &'static str>,
    columns: &Columns,
    cx: &ChunkCx<'_>,
    key: &mut Vec<u8>,
    values: &mut [Decimal; 16],
) {
    let line = rec.line;
    let source = cx.source;
    let bad = |kind: BadKind, reason: String, site: Option<&[u8]>| {
        BadRow::new(
            &source.rel,
            line32(line),
            kind,
            reason,
            site.map(|s| String::from_utf8_lossy(s).into_owned()),
        )
    };
    if let Err(reason) = result {
        agg.bad.push(bad(BadKind::Quoting, format!("the row {reason}"), None));
        return;
    }
    if rec.len() != columns.width {
        let site = rec.get(buf, columns.positions.first().copied().unwrap_or(usize::MAX));
        agg.bad.push(bad(
            BadKind::FieldCount,
            format!("the row has {} fields, the header has {}", rec.len(), columns.width),
            parse::is_site(site).then_some(site),
        ));
        return;
    }
    match fact_row(buf, rec, columns, cx, key, values) {
        Ok(RowOutcome::OtherMonth) => agg.other_months += 1,
        Ok(RowOutcome::NotNeeded(back)) => {
            agg.not_needed += 1;
            agg.months.count(back);
        }
        Ok(RowOutcome::Row(back)) => {
            agg.months.count(back);
            let values = values.get(..cx.shape.n_measures).unwrap_or_default();
            let date = rec.get(buf, columns.positions.get(1).copied().unwrap_or(usize::MAX));
            if let Some(repeat) = agg.prints.check(cx.repeats, key, date, values, line, cx.known) {
                let site = String::from_utf8_lossy(key.get(..4).unwrap_or_default()).into_owned();
                agg.bad
                    .push(repeat_row(&source.rel, line, site, cx.shape.table, repeat));
                return;
            }
            if let Err(e) = agg.add(key, values, line, cx.file, cx.unique) {
                let site = String::from_utf8_lossy(key.get(..4).unwrap_or_default()).into_owned();
                agg.bad.push(e.bad_row(&source.rel, line, site, cx.shape.table));
            }
        }
        Err(RowError(e)) => {
            let (kind, reason, site) = *e;
            agg.bad.push(bad(kind, reason, site.then(|| key.get(..4)).flatten()));
        }
    }
}

/// A fact row's outcome; the month of a row within the window, as months before the period.
enum RowOutcome {
    Row(i64),
    OtherMonth,
    NotNeeded(i64),
}

/// Why a fact row is bad: the kind, the reason, and whether the key already holds the (valid) site.
/// Boxed, so that the hot path moves a pointer rather than the message.
struct RowError(Box<(BadKind, String, bool)>);

#[cold]
fn row_error(kind: BadKind, reason: String, site_known: bool) -> RowError {
    RowError(Box::new((kind, reason, site_known)))
}

/// Validates one fact row, writing its group key and measures. The `bool` of an error says whether the
/// key already holds the (valid) site.
fn fact_row(
    buf: &[u8],
    rec: &Record,
    columns: &Columns,
    cx: &ChunkCx<'_>,
    key: &mut Vec<u8>,
    values: &mut [Decimal; 16],
) -> Result<RowOutcome, RowError> {
    let (shape, source, window, shadowed) = (cx.shape, cx.source, cx.window, cx.shadowed);
    let field = |k: usize| rec.get(buf, columns.positions.get(k).copied().unwrap_or(usize::MAX));
    key.clear();
    let site = field(0);
    if !parse::is_site(site) {
        return Err(row_error(
            BadKind::BadSite,
            format!("`site` {} is not a 4-digit site number", shown(site)),
            false,
        ));
    }
    key.extend_from_slice(site);
    let (month, date) =
        row_month(field(1), shape.table != TableName::Gl, source, shadowed).map_err(|(k, m)| row_error(k, m, true))?;
    if !window.contains(month) {
        return Ok(RowOutcome::OtherMonth);
    }
    if !cx
        .needs
        .needs(window, parse::site_number(site).unwrap_or(usize::MAX), month)
    {
        return Ok(RowOutcome::NotNeeded(window.last.months_since(month)));
    }
    key.extend_from_slice(&month.year.to_be_bytes());
    key.push(u8::try_from(month.month).unwrap_or(0));
    let mut file_col = 2;
    let mut m = 0;
    let err = |kind: BadKind, msg: String| row_error(kind, msg, true);
    for col in &shape.plan {
        match *col {
            Col::Week => {
                let Some(d) = date else { continue };
                let monday = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
                push_date(key, monday);
            }
            Col::Skip => {}
            Col::Text { name, check } => {
                let raw = field(file_col);
                file_col += 1;
                // UTF-8 is checked once per distinct key (`Agg::add`); a NUL would break the key.
                if raw.contains(&0) {
                    return Err(err(BadKind::NotUtf8, format!("`{name}` holds a NUL character")));
                }
                match check {
                    TextCheck::DepositFlag if !matches!(raw, b"Y" | b"N" | b"V") => {
                        return Err(err(
                            BadKind::UnknownDepositFlag,
                            format!("`deposit_flag` {} is not Y, N or V", shown(raw)),
                        ));
                    }
                    TextCheck::NonEmpty if raw.is_empty() => {
                        return Err(err(BadKind::EmptyField, format!("`{name}` is empty")));
                    }
                    _ => {}
                }
                push_dim(key, raw);
            }
            Col::NumberDim { name, tax_rate } => {
                let raw = field(file_col);
                file_col += 1;
                let d = amount(name, raw)?;
                if tax_rate && (d.is_sign_negative() || d >= Decimal::ONE) {
                    return Err(err(
                        BadKind::BadTaxRate,
                        format!(
                            "`tax_rate` {} is not a fraction from 0 to 1 (write 0.075 for 7.5%)",
                            shown(raw)
                        ),
                    ));
                }
                if is_canonical(raw) {
                    push_dim(key, raw);
                } else {
                    push_dim(key, d.normalize().to_string().as_bytes());
                }
            }
            Col::Measure { name, negative } => {
                let raw = field(file_col);
                file_col += 1;
                let d = amount(name, raw)?;
                if d.is_sign_negative() && !d.is_zero() {
                    match negative {
                        Negative::Allowed => {}
                        Negative::Minutes => {
                            return Err(err(
                                BadKind::NegativeMinutes,
                                format!("`{name}` {} is negative", shown(raw)),
                            ));
                        }
                        Negative::Quantity => {
                            return Err(err(
                                BadKind::NegativeQuantity,
                                format!("`{name}` {} is negative", shown(raw)),
                            ));
                        }
                    }
                }
                if let Some(slot) = values.get_mut(m) {
                    *slot = d;
                }
                m += 1;
            }
        }
    }
    if let Some(slots) = &shape.hours
        && timesheet_hours(slots, values).is_none()
    {
        return Err(err(
            BadKind::Overflow,
            "the row's overtime minutes overflow an exact decimal".into(),
        ));
    }
    Ok(RowOutcome::Row(window.last.months_since(month)))
}

/// Positions among a timesheet row's measures: regular minutes, the five overtime kinds, and the two
/// derived hour measures.
struct HourSlots {
    regular: usize,
    overtime: [usize; 5],
    regular_hours: usize,
    overtime_hours: usize,
}

fn hour_slots(t: TableName) -> Option<HourSlots> {
    let pos = |name: &str| {
        t.columns()
            .iter()
            .filter(|(_, c)| !c.is_dimension())
            .position(|(n, _)| *n == name)
    };
    Some(HourSlots {
        regular: pos("regular_minutes")?,
        overtime: [
            pos("overtime_minutes")?,
            pos("holiday_minutes")?,
            pos("double_overtime_minutes")?,
            pos("holiday_overtime_minutes")?,
            pos("holiday_double_overtime_minutes")?,
        ],
        regular_hours: pos("regular_hours")?,
        overtime_hours: pos("overtime_hours")?,
    })
}

/// Minutes to hours rounded to 0.01 h, half away from zero (RULES.md §4). Whole minutes (the usual
/// case) take an integer path; anything else goes through exact decimal division.
fn hours(minutes: Decimal) -> Decimal {
    if minutes.scale() == 0
        && let Ok(m) = i64::try_from(minutes.mantissa())
        && (0..i64::MAX / 200).contains(&m)
    {
        return Decimal::new((m * 100 + 30) / 60, 2);
    }
    money::cents(minutes / Decimal::from(60))
}

/// Fills the derived hour measures of a timesheet row, each rounded to 0.01 h.
fn timesheet_hours(slots: &HourSlots, values: &mut [Decimal; 16]) -> Option<()> {
    let regular = hours(*values.get(slots.regular)?);
    let mut ot = Decimal::ZERO;
    for i in slots.overtime {
        ot = ot.checked_add(*values.get(i)?)?;
    }
    *values.get_mut(slots.regular_hours)? = regular;
    *values.get_mut(slots.overtime_hours)? = hours(ot);
    Some(())
}

/// Appends `YYYY-MM-DD` and the terminator, without the formatting machinery (once per timesheet row).
fn push_date(key: &mut Vec<u8>, d: NaiveDate) {
    let y = d.year().unsigned_abs();
    let (m, day) = (d.month(), d.day());
    for v in [y / 1000 % 10, y / 100 % 10, y / 10 % 10, y % 10] {
        key.push(b'0' + v as u8);
    }
    key.extend_from_slice(&[b'-', b'0' + (m / 10) as u8, b'0' + (m % 10) as u8, b'-']);
    key.extend_from_slice(&[b'0' + (day / 10) as u8, b'0' + (day % 10) as u8, 0]);
}

fn push_dim(key: &mut Vec<u8>, bytes: &[u8]) {
    key.extend_from_slice(bytes);
    key.push(0);
}

/// Whether a valid decimal is already written as its normalized form (`0.075`, `12`, not `0.0750`,
/// `012` or `-0`), so that its bytes can be the dimension value as they are.
fn is_canonical(raw: &[u8]) -> bool {
    let (int, frac) = match memchr::memchr(b'.', raw) {
        Some(k) => (
            raw.get(..k).unwrap_or_default(),
            Some(raw.get(k + 1..).unwrap_or_default()),
        ),
        None => (raw, None),
    };
    let int_ok = !int.is_empty() && int.iter().all(u8::is_ascii_digit) && (int == b"0" || int.first() != Some(&b'0'));
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.iter().all(u8::is_ascii_digit) && f.last() != Some(&b'0'));
    int_ok && frac_ok
}

fn amount(name: &str, raw: &[u8]) -> Result<Decimal, RowError> {
    parse::decimal(raw).map_err(|e| row_error(BadKind::BadAmount, amount_reason(name, raw, e), true))
}

/// "`net_external_revenue` `12.3.4` is not a decimal number" (the value is not quoted when empty).
fn amount_reason(name: &str, raw: &[u8], e: DecimalError) -> String {
    if raw.is_empty() {
        format!("`{name}` {}", e.reason())
    } else {
        format!("`{name}` {} {}", shown(raw), e.reason())
    }
}

// ---------------------------------------------------------------------------------------------
// The small files: sites, forecast, indexes, ad-hoc lines.

/// The files that are not fact tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmallKind {
    /// `customers.csv`: read before `sites.csv`, whose `customer` column names its rows.
    Customers,
    Sites,
    Forecast,
    Indexes,
    Adhoc,
}

pub const SMALL_FILES: [SmallKind; 5] = [
    SmallKind::Customers,
    SmallKind::Sites,
    SmallKind::Forecast,
    SmallKind::Indexes,
    SmallKind::Adhoc,
];

impl SmallKind {
    pub fn name(self) -> &'static str {
        match self {
            SmallKind::Customers => "customers",
            SmallKind::Sites => "sites",
            SmallKind::Forecast => "forecast",
            SmallKind::Indexes => "indexes",
            SmallKind::Adhoc => "adhoc",
        }
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            SmallKind::Sites => &[
                "site",
                "name",
                "gl_string",
                "start_date",
                "close_date",
                "vendor_id",
                "billing_email",
            ],
            SmallKind::Customers => &[
                "customer",
                "name",
                "parent",
                "billing_contacts",
                "credit_limit",
                "payment_terms",
            ],
            SmallKind::Forecast => &["site", "period", "internal_revenue"],
            SmallKind::Indexes => &["index", "period", "value"],
            SmallKind::Adhoc => &["site", "period", "group", "kind", "title", "gl", "amount"],
        }
    }
}

/// A good row of a small file.
pub enum SmallRow {
    Customer(Customer),
    Site(Site),
    Forecast {
        site: String,
        month: YearMonth,
        value: Decimal,
        line: u32,
    },
    Index {
        name: String,
        month: YearMonth,
        value: Decimal,
        line: u32,
    },
    Adhoc {
        site: String,
        month: YearMonth,
        item: AdhocItem,
    },
}

/// What reading a small file gave.
pub struct SmallRead {
    pub file: String,
    pub rows_out: Vec<SmallRow>,
    pub bad: Vec<BadRow>,
    pub rows: u64,
    pub other_months: u64,
    pub digest: String,
    pub bytes: u64,
}

/// Reads one small file whole (they are small: one row per site or per site and month).
pub fn read_small(
    kind: SmallKind,
    source: &Source,
    window: Window,
    shadowed: &BTreeSet<YearMonth>,
) -> Result<SmallRead, LoadError> {
    let mut header_error = None;
    let cols_cell = std::sync::OnceLock::new();
    let mut out = SmallRead {
        file: source.rel.clone(),
        rows_out: Vec::new(),
        bad: Vec::new(),
        rows: 0,
        other_months: 0,
        digest: String::new(),
        bytes: 0,
    };
    let read = csvio::read_file(
        &source.path,
        |header| match map_columns(source, header, kind.columns()) {
            Ok(c) => {
                let _ = cols_cell.set(c);
                Ok(())
            }
            Err(e) => {
                header_error = Some(e);
                Err(String::new())
            }
        },
        |chunk| {
            let mut part = (Vec::new(), Vec::new(), 0u64, 0u64);
            let Some(columns) = cols_cell.get() else { return part };
            let mut records = Records::new(&chunk.bytes, chunk.first_line);
            let mut rec = Record::default();
            while let Some(result) = records.next_into(&mut rec) {
                part.2 += 1;
                let row = match result {
                    Err(reason) => Err((BadKind::Quoting, format!("the row {reason}"), None)),
                    Ok(()) if rec.len() != columns.width => Err((
                        BadKind::FieldCount,
                        format!("the row has {} fields, the header has {}", rec.len(), columns.width),
                        None,
                    )),
                    Ok(()) => small_row(kind, &chunk.bytes, &rec, columns, source, window, shadowed),
                };
                match row {
                    Ok(Some(r)) => part.0.push(r),
                    Ok(None) => part.3 += 1,
                    Err((kind, reason, site)) => {
                        part.1
                            .push(BadRow::new(&source.rel, line32(rec.line), kind, reason, site));
                    }
                }
            }
            part
        },
        |(rows, bad, n, other)| {
            out.rows_out.extend(rows);
            out.bad.extend(bad);
            out.rows += n;
            out.other_months += other;
        },
    )
    .map_err(|e| csv_error(source, e))?;
    if let Some(e) = header_error {
        return Err(e);
    }
    let read = read.map_err(|m| LoadError::BadHeader(source.path.clone(), m))?;
    out.digest = read.digest;
    out.bytes = read.bytes;
    Ok(out)
}

type SmallError = (BadKind, String, Option<String>);

/// One row of a small file: `Ok(None)` when it is for a month the run does not read.
fn small_row(
    kind: SmallKind,
    buf: &[u8],
    rec: &Record,
    columns: &Columns,
    source: &Source,
    window: Window,
    shadowed: &BTreeSet<YearMonth>,
) -> Result<Option<SmallRow>, SmallError> {
    let field = |k: usize| rec.get(buf, columns.positions.get(k).copied().unwrap_or(usize::MAX));
    let text = |k: usize, name: &str| -> Result<String, SmallError> {
        String::from_utf8(field(k).to_vec())
            .map_err(|_| (BadKind::NotUtf8, format!("`{name}` is not UTF-8 text"), None))
    };
    let line = line32(rec.line);
    let site_of = |k: usize| -> Result<String, SmallError> {
        let raw = field(k);
        if parse::is_site(raw) {
            Ok(String::from_utf8_lossy(raw).into_owned())
        } else {
            Err((
                BadKind::BadSite,
                format!("`site` {} is not a 4-digit site number", shown(raw)),
                None,
            ))
        }
    };
    let month_of = |k: usize, site: Option<&String>| -> Result<YearMonth, SmallError> {
        row_month(field(k), false, source, shadowed)
            .map(|(m, _)| m)
            .map_err(|(kind, m)| (kind, m, site.cloned()))
    };
    let decimal_of = |k: usize, name: &str, site: Option<&String>| -> Result<Decimal, SmallError> {
        let raw = field(k);
        parse::decimal(raw).map_err(|e: DecimalError| (BadKind::BadAmount, amount_reason(name, raw, e), site.cloned()))
    };
    match kind {
        SmallKind::Sites => {
            let site = site_of(0)?;
            let date_of = |k: usize, name: &str| -> Result<Option<NaiveDate>, SmallError> {
                let raw = field(k);
                if raw.is_empty() {
                    return Ok(None);
                }
                parse::date(raw).map(Some).ok_or_else(|| {
                    (
                        BadKind::BadDate,
                        format!("`{name}` {} is not a date (YYYY-MM-DD)", shown(raw)),
                        Some(site.clone()),
                    )
                })
            };
            let start_date = date_of(3, "start_date")?;
            let close_date = date_of(4, "close_date")?;
            if let (Some(s), Some(c)) = (start_date, close_date)
                && c < s
            {
                return Err((
                    BadKind::CloseBeforeStart,
                    format!("`close_date` {c} is before `start_date` {s}"),
                    Some(site),
                ));
            }
            Ok(Some(SmallRow::Site(Site {
                name: text(1, "name")?,
                gl_string: text(2, "gl_string")?,
                start_date,
                close_date,
                vendor_id: text(5, "vendor_id")?,
                billing_email: text(6, "billing_email")?,
                customer: match columns.customer {
                    Some(k) => {
                        let raw = rec.get(buf, k);
                        let c = String::from_utf8(raw.to_vec()).map_err(|_| {
                            (
                                BadKind::NotUtf8,
                                "`customer` is not UTF-8 text".to_owned(),
                                Some(site.clone()),
                            )
                        })?;
                        (!c.trim().is_empty()).then(|| c.trim().to_owned())
                    }
                    None => None,
                },
                site,
                line,
            })))
        }
        SmallKind::Customers => {
            let id = text(0, "customer")?.trim().to_owned();
            if id.is_empty() {
                return Err((BadKind::EmptyField, "`customer` is empty".into(), None));
            }
            let parent = text(2, "parent")?.trim().to_owned();
            let contacts = text(3, "billing_contacts")?;
            let mut billing_contacts = Vec::new();
            for c in contacts.split(';').map(str::trim).filter(|c| !c.is_empty()) {
                let ok = c.split_once('@').is_some_and(|(user, host)| {
                    !user.is_empty() && !host.is_empty() && !host.contains('@') && !c.contains(char::is_whitespace)
                });
                if !ok {
                    return Err((
                        BadKind::BadEmail,
                        format!("billing contact `{c}` of customer {id} is not an e-mail address"),
                        None,
                    ));
                }
                billing_contacts.push(c.to_owned());
            }
            let credit_limit = if field(4).is_empty() {
                None
            } else {
                let limit = decimal_of(4, "credit_limit", None)?;
                if limit.is_sign_negative() {
                    return Err((
                        BadKind::BadAmount,
                        format!("`credit_limit` {limit} of customer {id} is negative"),
                        None,
                    ));
                }
                Some(limit)
            };
            Ok(Some(SmallRow::Customer(Customer {
                name: text(1, "name")?,
                parent: (!parent.is_empty()).then_some(parent),
                billing_contacts,
                credit_limit,
                payment_terms: text(5, "payment_terms")?,
                id,
                line,
            })))
        }
        SmallKind::Forecast => {
            let site = site_of(0)?;
            let month = month_of(1, Some(&site))?;
            let value = decimal_of(2, "internal_revenue", Some(&site))?;
            if !window.contains(month) {
                return Ok(None);
            }
            Ok(Some(SmallRow::Forecast {
                site,
                month,
                value,
                line,
            }))
        }
        SmallKind::Indexes => {
            let name = text(0, "index")?;
            if name.is_empty() {
                return Err((BadKind::EmptyField, "`index` is empty".into(), None));
            }
            let month = month_of(1, None)?;
            let value = decimal_of(2, "value", None)?;
            if value <= Decimal::ZERO {
                return Err((
                    BadKind::BadIndexValue,
                    format!("`value` {value} of index {name} is not a positive index level"),
                    None,
                ));
            }
            Ok(Some(SmallRow::Index {
                name,
                month,
                value,
                line,
            }))
        }
        SmallKind::Adhoc => {
            let site = site_of(0)?;
            let month = month_of(1, Some(&site))?;
            let group_raw = field(2);
            let group = std::str::from_utf8(group_raw)
                .ok()
                .and_then(|g| g.parse::<u32>().ok())
                .filter(|g| (1..=99).contains(g))
                .ok_or_else(|| {
                    (
                        BadKind::BadGroup,
                        format!("`group` {} is not an invoice group from 1 to 99", shown(group_raw)),
                        Some(site.clone()),
                    )
                })?;
            let kind_text = text(3, "kind")?;
            if !matches!(
                kind_text.as_str(),
                "misc" | "reimbursable" | "client_paid" | "non_billable"
            ) {
                return Err((
                    BadKind::UnknownAdhocKind,
                    format!("`kind` `{kind_text}` is not misc, reimbursable, client_paid or non_billable"),
                    Some(site),
                ));
            }
            let title = text(4, "title")?;
            if title.trim().is_empty() {
                return Err((BadKind::EmptyField, "`title` is empty".into(), Some(site)));
            }
            let gl = text(5, "gl")?;
            let amount = decimal_of(6, "amount", Some(&site))?;
            if !window.contains(month) {
                return Ok(None);
            }
            Ok(Some(SmallRow::Adhoc {
                site,
                month,
                item: AdhocItem {
                    group,
                    amount: AdhocItem::billed_amount(&kind_text, amount),
                    kind: kind_text,
                    title,
                    gl,
                    line,
                },
            }))
        }
    }
}
