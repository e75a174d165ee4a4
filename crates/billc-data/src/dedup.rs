//! Rows that must not be counted twice: which repeats of a fact table a real export can hold, and
//! finding the others without keeping the rows.
//!
//! What may repeat is decided per table from what its rows stand for (DATA.md):
//! - **`revenue.csv`** is daily revenue detail, one row per site, date, revenue code, category,
//!   collection type, deposit flag and tax rate. Two rows that agree on every column (after parsing:
//!   text byte for byte, amounts and the tax rate as exact decimals, so `17500` and `17500.00` are
//!   equal; extra columns ignored) are one day's detail exported twice: the repeat is a bad row
//!   `duplicate_row` ("the same row as line 7"). Rows that differ in any column are both kept
//!   (summed into their group as before): a second row of the same day and dimensions with another
//!   amount is a legitimate second entry.
//! - **`statistics.csv`** holds one value per site, date and category: an exact repeat is
//!   `duplicate_row`, the same site, date and category with another value is `duplicate_key` (like
//!   `gl.csv`'s key rule: billc cannot know which value is right).
//! - **`gl.csv`**'s key (site, period, account, entity) is unique through its group key (the
//!   aggregation in `tables`); there an exact repeat is `duplicate_row`, another balance
//!   `duplicate_key`. No fingerprint is needed.
//! - **`timesheets.csv`** has one row per employee shift and no employee column: two employees with
//!   the same job code, date and minutes give identical rows, so repeats are billed
//!   ([`Repeats::Allowed`]).
//!
//! Repeats are looked for within one file: a month's rows come from one file only (a top-level row
//! of a month that has its own folder file is already a bad row, `month_has_folder`).
//!
//! **How, and what it costs.** Only rows read in full (the period's, and the earlier months the
//! demand reads) get a fingerprint ([`Print`]): XXH3-128 over the row's group key (site, month,
//! dimension values as validated), its date, and each measure in canonical form (mantissa and scale
//! without trailing zeros). A print is 16 bytes: nothing of the row itself is kept. Each block
//! records its rows' prints while it is parsed (in parallel); the blocks' lists are kept in file
//! order, and once the file is in the prints are spread over 256 buckets by their top byte and each
//! bucket is sorted on its own (in parallel, within the cache): equal neighbours are repeats
//! ([`Prints::repeats`]). Sorting, not a hash set, because a set probed once per row misses the
//! cache and the TLB on every probe (2.2 M rows of revenue: 0.4 s of CPU on the one thread that
//! merges blocks, against about 0.2 s for the buckets, on every core). A file that
//! holds repeats (rare: only when the data is wrong) is read a second time with them left out as bad
//! rows, so that its aggregate is exactly the one of the file without them (sums, first lines and
//! counts; nothing is subtracted). The prints live while their file is read: 16 bytes per row read
//! in full, 35 MB for the 2.2 M revenue rows of a 10,000-site month (and as much again while they
//! are sorted).
//!
//! Two different rows have the same print with a probability of about n²/2⁹⁷ (96 bits of the
//! 128-bit hash are kept; n rows of a file: 3·10⁻¹⁷ for 2 M rows): never, in practice. Under the key
//! rule, the key keeps 64 bits (statistics files are small: 2·10⁻⁸ for 800,000 rows) and the other
//! fields are told apart by 32 bits; a collision there would call a different value an exact repeat
//! (still a bad row, its kind named differently).

use billc_lang::schema::TableName;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use xxhash_rust::xxh3::{xxh3_64, xxh3_128};

/// Which repeats of a table are bad rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repeats {
    /// Every row stands for itself (timesheets: one row per shift; gl: its key rule is the group key).
    Allowed,
    /// A row equal to an earlier one in every column is a bad row (revenue).
    Row,
    /// One row per site, date and dimension values (statistics): a second one is a bad row.
    Key,
}

impl Repeats {
    /// The rule of a fact table.
    pub fn of(table: TableName) -> Repeats {
        match table {
            TableName::Revenue => Repeats::Row,
            TableName::Statistics => Repeats::Key,
            TableName::Gl | TableName::Timesheets => Repeats::Allowed,
        }
    }
}

/// The fingerprint of a row, 16 bytes. Under [`Repeats::Row`], `id` and `tag` are 96 bits of the
/// row's XXH3-128; under [`Repeats::Key`], `id` is 64 bits of the key's and `tag` 32 bits of the
/// other fields' hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Print {
    id: u64,
    tag: u32,
    line: u32,
}

/// The earlier row a row repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repeat {
    /// Its line in the file.
    pub first_line: u32,
    /// Whether every column is equal (`false`: the same key with other values).
    pub exact: bool,
}

impl Print {
    fn against(&self, earlier: &Print) -> Repeat {
        Repeat {
            first_line: earlier.line,
            exact: earlier.tag == self.tag,
        }
    }
}

/// A decimal as its value alone: mantissa and scale without trailing zeros (`12.50` and `12.5`
/// give the same bytes, and so do `0`, `0.00` and `-0`).
fn push_decimal(buf: &mut Vec<u8>, d: Decimal) {
    let (mut m, mut s) = (d.mantissa(), d.scale());
    if m == 0 {
        s = 0;
    } else if let Ok(mut small) = i64::try_from(m) {
        // The usual case: 64-bit division by a constant is a multiplication.
        while s > 0 && small % 10 == 0 {
            small /= 10;
            s -= 1;
        }
        m = i128::from(small);
    } else {
        while s > 0 && m % 10 == 0 {
            m /= 10;
            s -= 1;
        }
    }
    buf.extend_from_slice(&m.to_le_bytes());
    buf.push(u8::try_from(s).unwrap_or(u8::MAX));
}

/// Rows that repeat an earlier row of their file, by line.
pub type Repeated = FxHashMap<u32, Repeat>;

/// The prints of rows read in full, in the order taken: a block's (filled while it is parsed),
/// then a file's (the blocks' appended in file order).
#[derive(Default)]
pub struct Prints {
    list: Vec<Print>,
    /// The lists of the blocks taken in, kept as they are (never copied into a growing one).
    blocks: Vec<Vec<Print>>,
    /// The bytes being hashed (reused row after row).
    scratch: Vec<u8>,
}

impl Prints {
    /// The print of a row: `key` is its group key (site, month, dimension values), `date` its date
    /// field (a valid `YYYY-MM-DD`), `measures` its parsed measures.
    fn print(&mut self, repeats: Repeats, key: &[u8], date: &[u8], measures: &[Decimal], line: u64) -> Print {
        let buf = &mut self.scratch;
        buf.clear();
        buf.extend_from_slice(key);
        buf.push(0);
        buf.extend_from_slice(date);
        buf.push(0);
        let key_end = buf.len();
        for d in measures {
            push_decimal(buf, *d);
        }
        let line = u32::try_from(line).unwrap_or(u32::MAX);
        match repeats {
            Repeats::Key => {
                let (key, rest) = buf.split_at(key_end);
                Print {
                    id: xxh3_128(key) as u64,
                    tag: xxh3_64(rest) as u32,
                    line,
                }
            }
            Repeats::Row | Repeats::Allowed => {
                let h = xxh3_128(buf);
                Print {
                    id: h as u64,
                    tag: (h >> 64) as u32,
                    line,
                }
            }
        }
    }

    /// Checks one row read in full. The first time a file is read, `known` is `None`: the row's
    /// print is recorded (repeats are found when the whole file is in, [`Prints::repeats`]). When
    /// the file is read again because it holds repeats, `known` are they. `Some`: the row is a
    /// repeat, leave it out.
    pub fn check(
        &mut self,
        repeats: Repeats,
        key: &[u8],
        date: &[u8],
        measures: &[Decimal],
        line: u64,
        known: Option<&Repeated>,
    ) -> Option<Repeat> {
        if repeats == Repeats::Allowed {
            return None;
        }
        if let Some(known) = known {
            return known.get(&u32::try_from(line).unwrap_or(u32::MAX)).copied();
        }
        let p = self.print(repeats, key, date, measures, line);
        self.list.push(p);
        None
    }

    /// Takes a later block's prints in.
    pub fn append(&mut self, later: &mut Prints) {
        if !later.list.is_empty() {
            self.blocks.push(std::mem::take(&mut later.list));
        }
        self.blocks.append(&mut later.blocks);
    }

    /// The rows that repeat an earlier row under `rule`: the prints spread by the top byte of
    /// their fingerprint over 256 buckets, each bucket sorted by fingerprint and line (in parallel,
    /// each within the cache: 2.2 M prints sort in a third of the time `par_sort_unstable` takes
    /// over one slice); each run of one fingerprint is its first row and its repeats.
    pub fn repeats(mut self, rule: Repeats) -> Repeated {
        use rayon::prelude::*;
        if !self.list.is_empty() {
            self.blocks.push(std::mem::take(&mut self.list));
        }
        let bucket = |p: &Print| (p.id >> 56) as usize;
        let mut counts = vec![0usize; 256];
        for p in self.blocks.iter().flatten() {
            if let Some(c) = counts.get_mut(bucket(p)) {
                *c += 1;
            }
        }
        let mut buckets: Vec<Vec<Print>> = counts.iter().map(|&n| Vec::with_capacity(n)).collect();
        for block in self.blocks.drain(..) {
            for p in block {
                if let Some(b) = buckets.get_mut(bucket(&p)) {
                    b.push(p);
                }
            }
        }
        // Under the key rule the tag is not part of the identity: a key's first row is its first line.
        let by_key = rule == Repeats::Key;
        let same = |a: &Print, b: &Print| a.id == b.id && (by_key || a.tag == b.tag);
        buckets
            .par_iter_mut()
            .flat_map_iter(|b| {
                b.sort_unstable_by_key(|p| (p.id, if by_key { 0 } else { p.tag }, p.line));
                let mut found = Vec::new();
                for run in b.chunk_by(|x, y| same(x, y)) {
                    if let [first, later @ ..] = run {
                        found.extend(later.iter().map(|p| (p.line, p.against(first))));
                    }
                }
                found
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// The repeats among rows (date, values), as (line, repeat), the rows split into blocks of two.
    fn repeats(repeats: Repeats, rows: &[(&str, &[Decimal])]) -> Vec<(u64, Repeat)> {
        let mut file = Prints::default();
        for (b, block_rows) in rows.chunks(2).enumerate() {
            let mut block = Prints::default();
            for (k, (date, values)) in block_rows.iter().enumerate() {
                let line = (2 + 2 * b + k) as u64;
                assert_eq!(
                    block.check(repeats, b"0238key", date.as_bytes(), values, line, None),
                    None
                );
            }
            file.append(&mut block);
        }
        let known = file.repeats(repeats);
        let mut again = Prints::default();
        let mut found: Vec<(u64, Repeat)> = (2..)
            .zip(rows)
            .filter_map(|(line, (date, values))| {
                again
                    .check(repeats, b"0238key", date.as_bytes(), values, line, Some(&known))
                    .map(|r| (line, r))
            })
            .collect();
        found.sort_by_key(|(line, _)| *line);
        found
    }

    fn exact(first_line: u32) -> Repeat {
        Repeat {
            first_line,
            exact: true,
        }
    }

    #[test]
    fn equal_values_written_differently_are_one_row() {
        let rows: [(&str, &[Decimal]); 4] = [
            ("2025-06-01", &[dec!(17500), dec!(0)]),
            ("2025-06-01", &[dec!(17500.00), dec!(-0.0)]),
            ("2025-06-02", &[dec!(17500), dec!(0)]),
            ("2025-06-01", &[dec!(17500.01), dec!(0)]),
        ];
        assert_eq!(repeats(Repeats::Row, &rows), [(3, exact(2))]);
    }

    #[test]
    fn the_key_rule_tells_another_value_from_a_repeat() {
        let rows: [(&str, &[Decimal]); 4] = [
            ("2025-06-01", &[dec!(120)]),
            ("2025-06-01", &[dec!(120.0)]),
            ("2025-06-01", &[dec!(121)]),
            ("2025-06-02", &[dec!(121)]),
        ];
        let other = Repeat {
            first_line: 2,
            exact: false,
        };
        assert_eq!(repeats(Repeats::Key, &rows), [(3, exact(2)), (4, other)]);
    }

    #[test]
    fn repeats_are_allowed_where_rows_stand_for_themselves() {
        let shift = [dec!(480)];
        let rows: [(&str, &[Decimal]); 3] = [("2025-06-01", &shift); 3];
        assert_eq!(repeats(Repeats::Allowed, &rows), []);
        assert_eq!(repeats(Repeats::Row, &rows), [(3, exact(2)), (4, exact(2))]);
    }

    #[test]
    fn repeats_are_found_across_blocks() {
        let (one, two) = ([dec!(1)], [dec!(2)]);
        let rows: [(&str, &[Decimal]); 5] = [
            ("2025-06-01", &one),
            ("2025-06-02", &one),
            ("2025-06-02", &two),
            ("2025-06-01", &one),
            ("2025-06-01", &one),
        ];
        assert_eq!(repeats(Repeats::Row, &rows), [(5, exact(2)), (6, exact(2))]);
    }
}
