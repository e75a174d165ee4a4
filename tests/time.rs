//! Calendar arithmetic: the month-end policy and month parsing.

use billc_lang::time::*;
use chrono::NaiveDate;

#[expect(clippy::unwrap_used, reason = "a test helper: a bad date in a test is a test bug")]
fn d(text: &str) -> NaiveDate {
    parse_date(text).unwrap()
}

#[test]
fn month_end_policy_is_explicit() {
    assert_eq!(add_months(d("2025-01-31"), 1, MonthEnd::Clamp), Some(d("2025-02-28")));
    assert_eq!(add_months(d("2024-01-31"), 1, MonthEnd::Clamp), Some(d("2024-02-29")));
    assert_eq!(
        add_months(d("2025-01-31"), 1, MonthEnd::Overflow),
        Some(d("2025-03-03"))
    );
    assert_eq!(
        add_months(d("2024-01-31"), 1, MonthEnd::Overflow),
        Some(d("2024-03-02"))
    );
    assert_eq!(add_months(d("2025-03-15"), -3, MonthEnd::Clamp), Some(d("2024-12-15")));
}

#[test]
fn months_parse_and_move() {
    let m = YearMonth::parse("2025-06").unwrap();
    assert_eq!(m.plus(7).unwrap().to_string(), "2026-01");
    assert_eq!(m.plus(-6).unwrap().to_string(), "2024-12");
    assert_eq!(m.days(), 30);
    assert_eq!(YearMonth::parse("2024-02").unwrap().days(), 29);
    assert_eq!(YearMonth::parse("2025-13"), None);
    assert_eq!(YearMonth::parse("25-06"), None);
    assert_eq!(parse_date("2025-02-29"), None);
    assert_eq!(month_number("Sep"), Some(9));
    assert_eq!(month_number("JANUARY"), Some(1));
}
