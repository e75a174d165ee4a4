//! Compact storage of the aggregated fact tables: one fixed-size [`Grp`] per (site, month,
//! dimensions) group, dimension values interned per table, groups bucketed by (site, month).
//!
//! Sites are four digits (validated on input), so a bucket is `site × months + month offset` and the
//! index is a plain vector: no hashing on lookup, no per-group heap allocation. The number of
//! dimensions of a group is fixed per table by [`TableName::columns`] (checked by a test); the
//! measures of all groups of a table stay in the one vector they were summed in ([`Measures`]), so
//! finishing a table copies no amounts.

use billc_lang::eval::RowView;
use billc_lang::schema::TableName;
use billc_lang::time::YearMonth;
use rust_decimal::Decimal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Interned dimension values of a table.
pub type Strings = Arc<Vec<Box<str>>>;

/// The summed measures of every group of a table, `width` per group.
#[derive(Debug, Default)]
pub struct MeasureStore {
    pub values: Vec<Decimal>,
    pub width: usize,
}

/// Shared measures of a table.
pub type Measures = Arc<MeasureStore>;

/// One group: dimension ids, where its measures are, first line, row count, file, and whether a
/// rule used it.
#[derive(Debug)]
pub struct Grp<const D: usize> {
    strings: Strings,
    measures: Measures,
    dims: [u32; D],
    /// Its row in `measures`.
    row: u32,
    first_line: u32,
    last_line: u32,
    count: u32,
    file: u16,
    used: AtomicBool,
}

/// What accounting needs from a group beyond what rules read.
pub trait GroupInfo: RowView {
    fn used(&self) -> bool;
    fn file(&self) -> u16;
}

impl<const D: usize> RowView for Grp<D> {
    fn dim(&self, index: usize) -> &str {
        self.dims
            .get(index)
            .and_then(|&id| self.strings.get(id as usize))
            .map_or("", |s| s)
    }
    fn measure(&self, index: usize) -> Decimal {
        if index >= self.measures.width {
            return Decimal::ZERO;
        }
        self.measures
            .values
            .get(self.row as usize * self.measures.width + index)
            .copied()
            .unwrap_or_default()
    }
    fn first_line(&self) -> u32 {
        self.first_line
    }
    fn last_line(&self) -> u32 {
        self.last_line
    }
    fn count(&self) -> u32 {
        self.count
    }
    fn mark_used(&self) {
        self.used.store(true, Ordering::Relaxed);
    }
    /// The file names are the first entries of the table's strings.
    fn file_name(&self) -> &str {
        self.strings.get(usize::from(self.file)).map_or("", |s| s)
    }
}

impl<const D: usize> GroupInfo for Grp<D> {
    fn used(&self) -> bool {
        self.used.load(Ordering::Relaxed)
    }
    fn file(&self) -> u16 {
        self.file
    }
}

/// A group as the builder hands it over: dims already interned, measures at `row` of the store.
pub struct NewGroup<'a> {
    pub bucket: u32,
    pub dims: &'a [u32],
    pub row: u32,
    pub first_line: u32,
    pub last_line: u32,
    pub count: u32,
    pub file: u16,
}

/// The months of a run and the bucket arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Buckets {
    pub first: YearMonth,
    pub months: u32,
}

impl Buckets {
    pub const SITES: u32 = 10_000;

    /// The bucket of a 4-digit site and a month of the run.
    pub fn of(self, site: &str, month: YearMonth) -> Option<u32> {
        let b = site.as_bytes();
        if b.len() != 4 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
        let off = month.months_since(self.first);
        let off = u32::try_from(off).ok().filter(|o| *o < self.months)?;
        Some(n * self.months + off)
    }

    /// The site and month of a bucket.
    pub fn site_month(self, bucket: u32) -> (String, YearMonth) {
        let site = bucket / self.months.max(1);
        (format!("{site:04}"), self.month_of(bucket))
    }

    /// The month of a bucket.
    pub fn month_of(self, bucket: u32) -> YearMonth {
        let off = bucket % self.months.max(1);
        self.first.plus(i64::from(off)).unwrap_or(self.first)
    }

    fn len(self) -> usize {
        (Self::SITES * self.months) as usize
    }
}

/// A table of groups with `D` dimensions, sorted by bucket then dimension values.
#[derive(Debug)]
pub struct TableN<const D: usize> {
    groups: Vec<Grp<D>>,
    /// Per bucket: (first group, group count).
    index: Vec<(u32, u32)>,
}

impl<const D: usize> TableN<D> {
    fn new(buckets: Buckets, capacity: usize) -> Self {
        TableN {
            groups: Vec::with_capacity(capacity),
            index: vec![(0, 0); buckets.len()],
        }
    }

    /// Appends a group; groups must come in bucket order.
    fn push(&mut self, strings: &Strings, measures: &Measures, g: &NewGroup<'_>) {
        let mut dims = [0u32; D];
        for (d, s) in dims.iter_mut().zip(g.dims) {
            *d = *s;
        }
        let at = self.groups.len() as u32;
        if let Some(slot) = self.index.get_mut(g.bucket as usize) {
            if slot.1 == 0 {
                slot.0 = at;
            }
            slot.1 += 1;
        }
        self.groups.push(Grp {
            strings: strings.clone(),
            measures: measures.clone(),
            dims,
            row: g.row,
            first_line: g.first_line,
            last_line: g.last_line,
            count: g.count,
            file: g.file,
            used: AtomicBool::new(false),
        });
    }

    fn slice(&self, bucket: u32) -> &[Grp<D>] {
        match self.index.get(bucket as usize) {
            Some(&(start, len)) if len > 0 => self
                .groups
                .get(start as usize..(start + len) as usize)
                .unwrap_or_default(),
            _ => &[],
        }
    }

    fn buckets(&self) -> impl Iterator<Item = u32> + '_ {
        self.index
            .iter()
            .enumerate()
            .filter(|(_, (_, len))| *len > 0)
            .map(|(b, _)| b as u32)
    }
}

/// One fact table.
#[derive(Debug, Default)]
pub enum Table {
    #[default]
    Empty,
    Revenue(TableN<5>),
    Statistics(TableN<1>),
    Gl(TableN<2>),
    Timesheets(TableN<2>),
}

/// Dimension and measure counts of a table (from its columns).
pub fn sizes(t: TableName) -> (usize, usize) {
    let d = t.columns().iter().filter(|(_, c)| c.is_dimension()).count();
    (d, t.columns().len() - d)
}

impl Table {
    /// An empty table of a kind, ready for `capacity` groups.
    pub fn new(t: TableName, buckets: Buckets, capacity: usize) -> Table {
        match t {
            TableName::Revenue => Table::Revenue(TableN::new(buckets, capacity)),
            TableName::Statistics => Table::Statistics(TableN::new(buckets, capacity)),
            TableName::Gl => Table::Gl(TableN::new(buckets, capacity)),
            TableName::Timesheets => Table::Timesheets(TableN::new(buckets, capacity)),
        }
    }

    pub fn push(&mut self, strings: &Strings, measures: &Measures, g: &NewGroup<'_>) {
        match self {
            Table::Empty => {}
            Table::Revenue(t) => t.push(strings, measures, g),
            Table::Statistics(t) => t.push(strings, measures, g),
            Table::Gl(t) => t.push(strings, measures, g),
            Table::Timesheets(t) => t.push(strings, measures, g),
        }
    }

    /// The groups of a bucket.
    pub fn rows(&self, bucket: u32) -> Vec<&dyn GroupInfo> {
        fn all<const D: usize>(t: &TableN<D>, b: u32) -> Vec<&dyn GroupInfo> {
            t.slice(b).iter().map(|g| g as &dyn GroupInfo).collect()
        }
        match self {
            Table::Empty => Vec::new(),
            Table::Revenue(t) => all(t, bucket),
            Table::Statistics(t) => all(t, bucket),
            Table::Gl(t) => all(t, bucket),
            Table::Timesheets(t) => all(t, bucket),
        }
    }

    /// The buckets that hold groups, in order.
    pub fn buckets(&self) -> Vec<u32> {
        match self {
            Table::Empty => Vec::new(),
            Table::Revenue(t) => t.buckets().collect(),
            Table::Statistics(t) => t.buckets().collect(),
            Table::Gl(t) => t.buckets().collect(),
            Table::Timesheets(t) => t.buckets().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_sizes_match_the_columns() {
        assert_eq!(sizes(TableName::Revenue), (5, 4));
        assert_eq!(sizes(TableName::Statistics), (1, 1));
        assert_eq!(sizes(TableName::Gl), (2, 1));
        assert_eq!(sizes(TableName::Timesheets), (2, 8));
    }

    #[test]
    fn buckets_round_trip() {
        let b = Buckets {
            first: YearMonth { year: 2024, month: 7 },
            months: 12,
        };
        let k = b.of("0238", YearMonth { year: 2025, month: 6 });
        assert_eq!(k, Some(238 * 12 + 11));
        assert_eq!(
            b.site_month(238 * 12 + 11),
            ("0238".to_string(), YearMonth { year: 2025, month: 6 })
        );
        assert_eq!(b.of("0238", YearMonth { year: 2025, month: 7 }), None);
        assert_eq!(b.of("238", YearMonth { year: 2025, month: 6 }), None);
    }
}
