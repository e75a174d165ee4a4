//! A contract's billing terms (RULES.md §1): when it bills relative to the service month
//! ([`Billing`]: arrears or advance, which fixes the invoice month and date) and when its invoices
//! fall due (payment terms → due dates).
//!
//! Contracts copy their payment terms as free text ("Due in 30 Days", "Due by 20th", "Due on Receipt").
//! [`due_date`] reads the three shapes that occur in the real configurations and computes the due date
//! from the invoice date:
//!
//! - `Due in N Days` → invoice date + N days (`Due in 1 Day` is accepted too);
//! - `Due on Receipt` → the invoice date;
//! - `Due by Nth` / `Due by Nth of the Month` → the first day N strictly after the invoice date, or the
//!   last day of a month that has no day N (`Due by 31st` after 10 February → 28/29 February).
//!
//! Matching ignores ASCII case and collapses runs of white space; the ordinal suffix must be the right
//! one for the number (`1st`, `2nd`, `3rd`, `4th`, `11th`, `21st`, …) and N must be 1 to 31. Anything
//! else is [`TermsError::Unrecognised`]; the caller writes no due date and a warning (RULES.md §1).
//! Nothing here guesses: "Net 30" or "Due in thirty days" are refused rather than interpreted.

use crate::time::YearMonth;
use chrono::{Datelike, Days, NaiveDate};
use std::fmt;

/// When a contract bills relative to the service month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Billing {
    /// After the service month (the usual case).
    Arrears,
    /// Before the service month: the invoice is dated and numbered in the month before.
    Advanced,
}

impl Billing {
    /// Reads `Arrears` or `Advanced` (the PowerBill `billingType` values), ignoring ASCII case.
    pub fn parse(text: &str) -> Option<Billing> {
        match text.trim().to_ascii_lowercase().as_str() {
            "arrears" => Some(Billing::Arrears),
            "advanced" | "advance" => Some(Billing::Advanced),
            _ => None,
        }
    }

    /// The word used in configurations and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Billing::Arrears => "Arrears",
            Billing::Advanced => "Advanced",
        }
    }

    /// The month written in the invoice number (and holding the invoice date) for a service month.
    pub fn invoice_month(self, service: YearMonth) -> Option<YearMonth> {
        match self {
            Billing::Arrears => Some(service),
            Billing::Advanced => service.plus(-1),
        }
    }

    /// The invoice date for a service month: the last day of it (Arrears) or the first day of the
    /// month before it (Advanced). `None` only before year 1.
    pub fn invoice_date(self, service: YearMonth) -> Option<NaiveDate> {
        match self {
            Billing::Arrears => Some(service.last_day()),
            Billing::Advanced => service.plus(-1).map(YearMonth::first_day),
        }
    }

    /// The service month billed by a run made in `run_month`: the month before (Arrears) or the
    /// month after (Advanced). A run may also name its service month explicitly instead.
    pub fn service_month(self, run_month: YearMonth) -> Option<YearMonth> {
        match self {
            Billing::Arrears => run_month.plus(-1),
            Billing::Advanced => run_month.plus(1),
        }
    }
}

impl fmt::Display for Billing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why payment terms gave no due date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TermsError {
    /// The text is none of the shapes above, e.g. `Net 30`. Holds the text as written.
    Unrecognised(String),
    /// The terms were read but the due date is past the calendar's end (year 9999).
    OutOfRange(String),
}

impl fmt::Display for TermsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TermsError::Unrecognised(text) => write!(f, "unrecognised payment terms `{text}`"),
            TermsError::OutOfRange(text) => {
                write!(f, "payment terms `{text}` give a due date out of range")
            }
        }
    }
}

impl std::error::Error for TermsError {}

/// The shapes of payment terms billc understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Terms {
    /// `Due in N Days`.
    InDays(u32),
    /// `Due on Receipt`.
    OnReceipt,
    /// `Due by Nth [of the Month]`, N in 1..=31.
    ByDay(u32),
}

impl Terms {
    /// Reads payment terms; see the module documentation for the accepted shapes.
    pub fn parse(text: &str) -> Result<Terms, TermsError> {
        let lower = text.to_ascii_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        let unrecognised = || TermsError::Unrecognised(text.to_owned());
        match words.as_slice() {
            ["due", "on", "receipt"] => Ok(Terms::OnReceipt),
            ["due", "in", n, unit] if *unit == "days" || *unit == "day" => {
                parse_number(n).map(Terms::InDays).ok_or_else(unrecognised)
            }
            ["due", "by", nth] | ["due", "by", nth, "of", "the", "month"] => parse_ordinal(nth)
                .filter(|d| (1..=31).contains(d))
                .map(Terms::ByDay)
                .ok_or_else(unrecognised),
            _ => Err(unrecognised()),
        }
    }

    /// The due date of an invoice dated `invoice_date` under these terms; `None` past year 9999.
    pub fn due(self, invoice_date: NaiveDate) -> Option<NaiveDate> {
        let due = match self {
            Terms::OnReceipt => Some(invoice_date),
            Terms::InDays(n) => invoice_date.checked_add_days(Days::new(u64::from(n))),
            Terms::ByDay(day) => {
                let this = YearMonth::of(invoice_date);
                // Day N of this month (clamped) if it is still ahead, else day N of the next month.
                let candidate = day_in(this, day);
                if candidate > invoice_date {
                    Some(candidate)
                } else {
                    this.plus(1).map(|next| day_in(next, day))
                }
            }
        };
        // The calendar of billc (`YearMonth`) ends with year 9999.
        due.filter(|d| d.year() <= 9999)
    }
}

/// The due date for `terms` on an invoice dated `invoice_date` (RULES.md §1).
pub fn due_date(terms: &str, invoice_date: NaiveDate) -> Result<NaiveDate, TermsError> {
    Terms::parse(terms)?
        .due(invoice_date)
        .ok_or_else(|| TermsError::OutOfRange(terms.to_owned()))
}

/// Day `day` of `month`, or the month's last day when it is shorter.
fn day_in(month: YearMonth, day: u32) -> NaiveDate {
    let day = day.min(month.days());
    NaiveDate::from_ymd_opt(month.year, month.month, day).unwrap_or_else(|| month.last_day())
}

/// A plain decimal number of at most 5 digits (no sign, no separators).
fn parse_number(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `1st`, `2nd`, `3rd`, `4th`, `11th`, `12th`, `13th`, `21st`, … with the suffix matching the number.
fn parse_ordinal(text: &str) -> Option<u32> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, suffix) = text.split_at(split);
    let n = parse_number(digits)?;
    let expected = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    (suffix == expected).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_date;

    fn d(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    #[test]
    fn due_dates_table() {
        let cases: &[(&str, &str, &str)] = &[
            // (terms, invoice date, due date)
            ("Due in 30 Days", "2025-06-30", "2025-07-30"),
            ("Due in 15 Days", "2025-01-31", "2025-02-15"),
            ("Due in 45 Days", "2024-12-31", "2025-02-14"),
            ("Due in 60 Days", "2024-01-31", "2024-03-31"),
            ("Due in 0 Days", "2025-06-30", "2025-06-30"),
            ("Due in 1 Day", "2025-12-31", "2026-01-01"),
            ("Due in 30 Days", "2024-02-29", "2024-03-30"),
            ("Due on Receipt", "2025-06-30", "2025-06-30"),
            ("Due on Receipt", "2024-02-29", "2024-02-29"),
            // strictly after: the 20th itself is not due on the 20th
            ("Due by 20th", "2025-06-30", "2025-07-20"),
            ("Due by 20th", "2025-06-01", "2025-06-20"),
            ("Due by 20th", "2025-06-19", "2025-06-20"),
            ("Due by 20th", "2025-06-20", "2025-07-20"),
            ("Due by 20th", "2025-12-31", "2026-01-20"),
            ("Due by 20th of the Month", "2025-05-31", "2025-06-20"),
            ("Due by 1st of the Month", "2025-06-30", "2025-07-01"),
            ("Due by 1st of the Month", "2025-06-01", "2025-07-01"),
            ("Due by 2nd", "2025-06-01", "2025-06-02"),
            ("Due by 3rd", "2025-06-03", "2025-07-03"),
            ("Due by 5th", "2025-06-30", "2025-07-05"),
            // month ends: the last day when the month is shorter
            ("Due by 30th", "2025-01-31", "2025-02-28"),
            ("Due by 30th", "2024-01-31", "2024-02-29"),
            ("Due by 30th", "2025-02-01", "2025-02-28"),
            ("Due by 30th", "2025-02-28", "2025-03-30"),
            ("Due by 31st", "2025-04-01", "2025-04-30"),
            ("Due by 31st", "2025-04-30", "2025-05-31"),
            ("Due by 29th", "2024-02-01", "2024-02-29"),
            ("Due by 29th", "2100-02-01", "2100-02-28"),
            ("Due by 29th", "2000-02-01", "2000-02-29"),
            ("Due by 11th", "2025-06-10", "2025-06-11"),
            ("Due by 21st", "2025-06-21", "2025-07-21"),
            // case and space tolerant
            ("due BY 20TH", "2025-06-30", "2025-07-20"),
            ("  Due   in  30  days ", "2025-06-30", "2025-07-30"),
            ("DUE ON RECEIPT", "2025-06-30", "2025-06-30"),
            ("due by 15th of the month", "2025-06-30", "2025-07-15"),
        ];
        for (terms, date, due) in cases {
            assert_eq!(due_date(terms, d(date)), Ok(d(due)), "{terms} on {date}");
        }
    }

    #[test]
    fn unrecognised_terms_are_errors() {
        for terms in [
            "",
            "Net 30",
            "Due in thirty Days",
            "Due in -5 Days",
            "Due in 30",
            "Due by 20",
            "Due by 21th",
            "Due by 2st",
            "Due by 12nd",
            "Due by 0th",
            "Due by 32nd",
            "Due by 20th of the Year",
            "Due on Receipt please",
            "Due in 999999 Days",
        ] {
            assert_eq!(
                due_date(terms, d("2025-06-30")),
                Err(TermsError::Unrecognised(terms.to_owned())),
                "{terms:?}"
            );
        }
    }

    #[test]
    fn errors_render_lowercase_with_backticks() {
        assert_eq!(
            TermsError::Unrecognised("Net 30".into()).to_string(),
            "unrecognised payment terms `Net 30`"
        );
        assert_eq!(
            due_date("Due in 30 Days", d("9999-12-31")),
            Err(TermsError::OutOfRange("Due in 30 Days".into()))
        );
    }
}
