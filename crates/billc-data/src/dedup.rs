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
//!   the same job code, date and minutes give identical rows, so repeats are billed ([`Repeats::Allowed`]).
//!
//! Repeats are looked for within one file: a month's rows come from one file only (a top-level row of
//! a month that has its own folder file is already a bad row, `month_has_folder`).
//!
//! **How, and what it costs.** Only rows read in full (the period's, and the earlier months the
//! demand reads) get a fingerprint ([`Print`]): XXH3-128 over the row's group key (site, month,
//! dimension values as validated), its date, and each measure in canonical form (mantissa and scale
//! without trailing zeros). A print is 24 bytes: nothing of the row itself is kept. Each block of a
//! file checks its rows against its own prints while it is parsed (in parallel, [`BlockPrints`]), so a
//! repeat inside a block is never summed; the blocks' prints are then taken, in file order, into the
//! file's set ([`FilePrints`]). A block holding a repeat of an earlier block's row (rare: only when
//! the data is wrong) is parsed again against the file's set, so that its aggregate leaves the
//! repeats out exactly (no subtraction, first lines and counts as if the rows were never there).
//! The file's set lives while the file is read: at most 24 bytes (plus the hash table's slack) per
//! row of the table's largest file read in full.
//!
//! Two different rows have the same print with a probability of about n²/2¹²⁹ (n rows of a file):
//! never, in practice. For the key rule, the fields outside the key are told apart by a 32-bit hash;
//! a collision there would call a different value an exact repeat (still a bad row, the kind named
//! differently).

use billc_lang::schema::TableName;
use hashbrown::HashTable;
use rust_decimal::Decimal;
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

/// The fingerprint of a row: `id` hashes what must not repeat (the whole row, or its key), `rest`
/// the other fields (under [`Repeats::Key`]; 0 otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Print {
    id: [u64; 2],
    rest: u32,
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
    fn hash(&self) -> u64 {
        self.id[0]
    }

    fn against(&self, earlier: &Print) -> Repeat {
        Repeat {
            first_line: earlier.line,
            exact: earlier.rest == self.rest,
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

/// The prints of one block's rows, in line order, and an index to find repeats inside the block.
#[derive(Default)]
pub struct BlockPrints {
    list: Vec<Print>,
    index: HashTable<u32>,
    /// The bytes being hashed (reused row after row).
    scratch: Vec<u8>,
}

impl BlockPrints {
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
        let (id_part, rest_part) = match repeats {
            Repeats::Key => buf.split_at(key_end),
            Repeats::Row | Repeats::Allowed => (buf.as_slice(), &[][..]),
        };
        let id = xxh3_128(id_part);
        Print {
            id: [id as u64, (id >> 64) as u64],
            rest: if rest_part.is_empty() {
                0
            } else {
                xxh3_64(rest_part) as u32
            },
            line: u32::try_from(line).unwrap_or(u32::MAX),
        }
    }

    /// Checks one row read in full. The first time the block parses, `earlier` is `None`: the row is
    /// looked for among the block's rows before it and recorded. When the block is parsed again
    /// (after [`FilePrints::absorb`] found a repeat of an earlier block), `earlier` is the file's set,
    /// which already holds this block's first occurrences. `Some`: the row is a repeat, leave it out.
    pub fn check(
        &mut self,
        repeats: Repeats,
        key: &[u8],
        date: &[u8],
        measures: &[Decimal],
        line: u64,
        earlier: Option<&FilePrints>,
    ) -> Option<Repeat> {
        if repeats == Repeats::Allowed {
            return None;
        }
        let p = self.print(repeats, key, date, measures, line);
        if let Some(file) = earlier {
            return file.find(&p).filter(|e| e.line != p.line).map(|e| p.against(e));
        }
        let list = &self.list;
        if let Some(&i) = self
            .index
            .find(p.hash(), |&i| list.get(i as usize).is_some_and(|e| e.id == p.id))
        {
            return list.get(i as usize).map(|e| p.against(e));
        }
        let i = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        let list = &self.list;
        self.index
            .insert_unique(p.hash(), i, |&j| list.get(j as usize).map_or(0, Print::hash));
        self.list.push(p);
        None
    }
}

/// The prints of a file's rows: every block taken in so far, in file order.
#[derive(Default)]
pub struct FilePrints {
    table: HashTable<Print>,
}

impl FilePrints {
    fn find(&self, p: &Print) -> Option<&Print> {
        self.table.find(p.hash(), |e| e.id == p.id)
    }

    /// Takes a block's prints in (blocks in file order). `true` when some row of the block repeats a
    /// row of an earlier block: the block must be parsed again with this set as `earlier`
    /// ([`BlockPrints::check`]) before its aggregate is merged.
    pub fn absorb(&mut self, block: &BlockPrints) -> bool {
        let mut repeats = false;
        self.table.reserve(block.list.len(), Print::hash);
        for p in &block.list {
            if self.find(p).is_some() {
                repeats = true;
            } else {
                self.table.insert_unique(p.hash(), *p, Print::hash);
            }
        }
        repeats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn check(prints: &mut BlockPrints, repeats: Repeats, date: &str, values: &[Decimal], line: u64) -> Option<Repeat> {
        prints.check(repeats, b"0238key", date.as_bytes(), values, line, None)
    }

    #[test]
    fn equal_values_written_differently_are_one_row() {
        let mut b = BlockPrints::default();
        assert_eq!(
            check(&mut b, Repeats::Row, "2025-06-01", &[dec!(17500), dec!(0)], 2),
            None
        );
        let again = check(&mut b, Repeats::Row, "2025-06-01", &[dec!(17500.00), dec!(-0.0)], 3);
        assert_eq!(
            again,
            Some(Repeat {
                first_line: 2,
                exact: true
            })
        );
        assert_eq!(
            check(&mut b, Repeats::Row, "2025-06-02", &[dec!(17500), dec!(0)], 4),
            None
        );
        assert_eq!(
            check(&mut b, Repeats::Row, "2025-06-01", &[dec!(17500.01), dec!(0)], 5),
            None
        );
    }

    #[test]
    fn the_key_rule_tells_another_value_from_a_repeat() {
        let mut b = BlockPrints::default();
        assert_eq!(check(&mut b, Repeats::Key, "2025-06-01", &[dec!(120)], 2), None);
        assert_eq!(
            check(&mut b, Repeats::Key, "2025-06-01", &[dec!(120.0)], 3),
            Some(Repeat {
                first_line: 2,
                exact: true
            })
        );
        assert_eq!(
            check(&mut b, Repeats::Key, "2025-06-01", &[dec!(121)], 4),
            Some(Repeat {
                first_line: 2,
                exact: false
            })
        );
    }

    #[test]
    fn repeats_are_allowed_where_rows_stand_for_themselves() {
        let mut b = BlockPrints::default();
        for line in 2..5 {
            assert_eq!(check(&mut b, Repeats::Allowed, "2025-06-01", &[dec!(480)], line), None);
        }
    }

    #[test]
    fn a_later_block_is_checked_against_the_earlier_ones() {
        let mut first = BlockPrints::default();
        assert_eq!(check(&mut first, Repeats::Row, "2025-06-01", &[dec!(1)], 2), None);
        let mut file = FilePrints::default();
        assert!(!file.absorb(&first));
        let mut second = BlockPrints::default();
        assert_eq!(check(&mut second, Repeats::Row, "2025-06-02", &[dec!(1)], 9), None);
        assert_eq!(check(&mut second, Repeats::Row, "2025-06-01", &[dec!(1)], 10), None);
        assert!(file.absorb(&second), "line 10 repeats line 2");
        // Parsed again against the file: line 9 is its own first occurrence, line 10 a repeat.
        let mut again = BlockPrints::default();
        let earlier = Some(&file);
        assert_eq!(
            again.check(Repeats::Row, b"0238key", b"2025-06-02", &[dec!(1)], 9, earlier),
            None
        );
        assert_eq!(
            again.check(Repeats::Row, b"0238key", b"2025-06-01", &[dec!(1)], 10, earlier),
            Some(Repeat {
                first_line: 2,
                exact: true
            })
        );
    }
}
