//! Calendar arithmetic for billing: service months, day counts and the explicit month-end policy.
//!
//! A [`YearMonth`] is a service month (`2025-06`). Adding months to a *month* is exact. Adding months
//! to a *date* is ambiguous at month ends (what is 31 January + 1 month?), so [`add_months`] takes an
//! explicit [`MonthEnd`] policy and the language refuses `date + n months` without one.

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// A calendar month, the unit of billing (`2025-06`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct YearMonth {
    /// The year, e.g. 2025.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
}

impl YearMonth {
    /// The month `year-month`, or `None` if `month` is not 1 to 12 or the year is out of range.
    pub fn new(year: i32, month: u32) -> Option<YearMonth> {
        ((1..=12).contains(&month) && (1..=9999).contains(&year)).then_some(YearMonth { year, month })
    }

    /// The month a date falls in.
    pub fn of(date: NaiveDate) -> YearMonth {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Parses `YYYY-MM` exactly (four-digit year, two-digit month).
    pub fn parse(text: &str) -> Option<YearMonth> {
        let bytes = text.as_bytes();
        if bytes.len() != 7 || bytes.get(4) != Some(&b'-') {
            return None;
        }
        let year: i32 = parse_digits(text.get(0..4)?)?;
        let month: u32 = parse_digits(text.get(5..7)?)?;
        YearMonth::new(year, month)
    }

    /// A month index that makes month arithmetic a subtraction: `year * 12 + month - 1`.
    pub fn index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    /// The inverse of [`YearMonth::index`].
    pub fn from_index(index: i64) -> Option<YearMonth> {
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        let month = u32::try_from(index.rem_euclid(12) + 1).ok()?;
        YearMonth::new(year, month)
    }

    /// This month moved by `months` (negative moves back); `None` outside years 1 to 9999.
    pub fn plus(self, months: i64) -> Option<YearMonth> {
        YearMonth::from_index(self.index().checked_add(months)?)
    }

    /// The number of months from `earlier` to `self` (negative if `earlier` is later).
    pub fn months_since(self, earlier: YearMonth) -> i64 {
        self.index() - earlier.index()
    }

    /// The first day of the month.
    pub fn first_day(self) -> NaiveDate {
        // INVARIANT: year is 1..=9999 and month 1..=12 (checked by every constructor), so day 1 exists.
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last day of the month.
    pub fn last_day(self) -> NaiveDate {
        let days = self.days();
        NaiveDate::from_ymd_opt(self.year, self.month, days).unwrap_or(NaiveDate::MIN)
    }

    /// The number of days in the month (28 to 31).
    pub fn days(self) -> u32 {
        match self.month {
            4 | 6 | 9 | 11 => 30,
            2 if is_leap(self.year) => 29,
            2 => 28,
            _ => 31,
        }
    }

    /// Every month from `self` to `last`, both included (empty if `last` is earlier).
    pub fn through(self, last: YearMonth) -> impl Iterator<Item = YearMonth> {
        (self.index()..=last.index()).filter_map(YearMonth::from_index)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// What adding months to a date does when the day does not exist in the target month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MonthEnd {
    /// Clamp to the last day of the target month: 31 Jan + 1 month = 28 (or 29) Feb.
    Clamp,
    /// Carry the extra days into the next month: 31 Jan + 1 month = 3 (or 2) Mar.
    Overflow,
}

/// `date` moved by `months` months under an explicit month-end policy.
pub fn add_months(date: NaiveDate, months: i64, policy: MonthEnd) -> Option<NaiveDate> {
    let target = YearMonth::of(date).plus(months)?;
    let day = date.day();
    if day <= target.days() {
        return NaiveDate::from_ymd_opt(target.year, target.month, day);
    }
    match policy {
        MonthEnd::Clamp => Some(target.last_day()),
        MonthEnd::Overflow => target
            .last_day()
            .checked_add_days(chrono::Days::new(u64::from(day - target.days()))),
    }
}

/// Parses `YYYY-MM-DD` exactly.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let year: i32 = parse_digits(text.get(0..4)?)?;
    let month: u32 = parse_digits(text.get(5..7)?)?;
    let day: u32 = parse_digits(text.get(8..10)?)?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// The months' names, as the language writes them (`every: january`).
pub const MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The month named in English (`January`, case-insensitive, or its three-letter abbreviation).
pub fn month_number(name: &str) -> Option<u32> {
    let lower = name.trim().to_ascii_lowercase();
    MONTH_NAMES
        .iter()
        .position(|n| *n == lower || (lower.len() == 3 && n.starts_with(&lower)))
        .and_then(|i| u32::try_from(i + 1).ok())
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn parse_digits<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}
