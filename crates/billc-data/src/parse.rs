//! Field parsers for the data files: exact decimals, `YYYY-MM-DD` dates and `YYYY-MM` periods, read
//! straight from the bytes of a CSV field.
//!
//! These run once per field of every input row (tens of millions per run), so the common shapes take
//! a fast path that never allocates; anything unusual falls back to `rust_decimal`'s exact parser or is
//! rejected with the reason a person needs to fix the export. Amounts never pass through a float.

use billc_lang::time::YearMonth;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Why a field is not a plain decimal (DATA.md: a `.` point, no thousands separators).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecimalError {
    Empty,
    ThousandsSeparator,
    Spaces,
    Exponent,
    NotANumber,
    TooLarge,
}

impl DecimalError {
    /// The reason, as written in a bad-row report.
    pub fn reason(self) -> &'static str {
        match self {
            DecimalError::Empty => "is empty",
            DecimalError::ThousandsSeparator => "has a thousands separator (write 1234.50, not 1,234.50)",
            DecimalError::Spaces => "has spaces around or inside the number",
            DecimalError::Exponent => "is in exponent notation (write the plain decimal)",
            DecimalError::NotANumber => "is not a decimal number",
            DecimalError::TooLarge => "has more digits than an exact decimal holds (28)",
        }
    }
}

/// Parses a plain decimal: optional `-`, digits, optional `.` and digits. Exact, no float.
#[inline]
pub fn decimal(bytes: &[u8]) -> Result<Decimal, DecimalError> {
    if bytes.is_empty() {
        return Err(DecimalError::Empty);
    }
    let (negative, digits) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    // Fast path: at most 18 significant characters fit an i64 mantissa.
    if !digits.is_empty() && digits.len() <= 18 {
        let mut mantissa: i64 = 0;
        let mut scale: u32 = 0;
        let mut seen_point = false;
        let mut seen_digit = false;
        let mut ok = true;
        for &b in digits {
            match b {
                b'0'..=b'9' => {
                    mantissa = mantissa * 10 + i64::from(b - b'0');
                    seen_digit = true;
                    if seen_point {
                        scale += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok && seen_digit {
            let m = if negative { -mantissa } else { mantissa };
            return Ok(Decimal::new(m, scale));
        }
    }
    slow_decimal(bytes)
}

fn slow_decimal(bytes: &[u8]) -> Result<Decimal, DecimalError> {
    let text = std::str::from_utf8(bytes).map_err(|_| DecimalError::NotANumber)?;
    if text.trim() != text || text.contains(' ') {
        return Err(DecimalError::Spaces);
    }
    if text.contains(',') {
        return Err(DecimalError::ThousandsSeparator);
    }
    if text.contains(['e', 'E']) {
        return Err(DecimalError::Exponent);
    }
    let body = text.strip_prefix('-').unwrap_or(text);
    let plain = !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().filter(|b| *b == b'.').count() <= 1
        && body.bytes().any(|b| b.is_ascii_digit());
    if !plain {
        return Err(DecimalError::NotANumber);
    }
    Decimal::from_str_exact(text).map_err(|_| DecimalError::TooLarge)
}

/// Parses `YYYY-MM-DD` into a real calendar date (`2025-02-30` is not one).
pub fn date(bytes: &[u8]) -> Option<NaiveDate> {
    if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let year = digits(bytes.get(0..4)?)?;
    let month = digits(bytes.get(5..7)?)?;
    let day = digits(bytes.get(8..10)?)?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// The month of a `YYYY-MM-DD` date, when it is a real calendar date (the same dates as [`date`]
/// accepts, without building one).
#[inline]
pub fn date_month(bytes: &[u8]) -> Option<YearMonth> {
    if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let year = i32::try_from(digits(bytes.get(0..4)?)?).ok()?;
    let month = digits(bytes.get(5..7)?)?;
    let day = digits(bytes.get(8..10)?)?;
    let m = YearMonth { year, month };
    ((1..=12).contains(&month) && day >= 1 && day <= m.days()).then_some(m)
}

/// The number of a well-formed site ("0238" → 238).
#[inline]
pub fn site_number(bytes: &[u8]) -> Option<usize> {
    is_site(bytes).then(|| bytes.iter().fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0')))
}

/// `a + b` exactly: the mantissas are aligned to the larger scale and added as 128-bit integers.
/// `None` when the sum does not fit a decimal's 96-bit mantissa (never rounded to fit).
#[inline]
pub fn exact_add(a: Decimal, b: Decimal) -> Option<Decimal> {
    let (sa, sb) = (a.scale(), b.scale());
    let (ma, mb) = (a.mantissa(), b.mantissa());
    let (m, scale) = match sa.cmp(&sb) {
        std::cmp::Ordering::Equal => (ma.checked_add(mb)?, sa),
        std::cmp::Ordering::Greater => (ma.checked_add(mb.checked_mul(10i128.checked_pow(sa - sb)?)?)?, sa),
        std::cmp::Ordering::Less => (ma.checked_mul(10i128.checked_pow(sb - sa)?)?.checked_add(mb)?, sb),
    };
    Decimal::try_from_i128_with_scale(m, scale).ok()
}

/// Parses `YYYY-MM`.
pub fn period(bytes: &[u8]) -> Option<YearMonth> {
    if bytes.len() != 7 || bytes.get(4) != Some(&b'-') {
        return None;
    }
    let year = digits(bytes.get(0..4)?)?;
    let month = digits(bytes.get(5..7)?)?;
    if !(1..=12).contains(&month) {
        return None;
    }
    Some(YearMonth {
        year: i32::try_from(year).ok()?,
        month,
    })
}

#[inline]
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Whether a site number is well formed: exactly four ASCII digits ("0238").
#[inline]
pub fn is_site(bytes: &[u8]) -> bool {
    bytes.len() == 4 && bytes.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(text: &str) -> Result<String, DecimalError> {
        decimal(text.as_bytes()).map(|d| d.to_string())
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(d("18234.55"), Ok("18234.55".into()));
        assert_eq!(d("-0.10"), Ok("-0.10".into()));
        assert_eq!(d("0.075"), Ok("0.075".into()));
        assert_eq!(d("12"), Ok("12".into()));
        assert_eq!(d(".5"), Ok("0.5".into()));
        assert_eq!(d("5."), Ok("5".into()));
        assert_eq!(d("1234567890123456789.25"), Ok("1234567890123456789.25".into()));
        assert_eq!(
            d("0.1234567890123456789012345678"),
            Ok("0.1234567890123456789012345678".into())
        );
    }

    #[test]
    fn bad_decimals_say_why() {
        assert_eq!(d(""), Err(DecimalError::Empty));
        assert_eq!(d("1,234.50"), Err(DecimalError::ThousandsSeparator));
        assert_eq!(d(" 12.00"), Err(DecimalError::Spaces));
        assert_eq!(d("1e5"), Err(DecimalError::Exponent));
        assert_eq!(d("12.3.4"), Err(DecimalError::NotANumber));
        assert_eq!(d("-"), Err(DecimalError::NotANumber));
        assert_eq!(d("+5"), Err(DecimalError::NotANumber));
        assert_eq!(d("$5"), Err(DecimalError::NotANumber));
        assert_eq!(d("99999999999999999999999999999999"), Err(DecimalError::TooLarge));
    }

    #[test]
    fn exact_sums_never_round() {
        let add = |a: &str, b: &str| {
            exact_add(Decimal::from_str(a).unwrap(), Decimal::from_str(b).unwrap()).map(|d| d.to_string())
        };
        assert_eq!(add("1.10", "2.205"), Some("3.305".into()));
        assert_eq!(add("-0.01", "0.01"), Some("0.00".into()));
        assert_eq!(
            add("79228162514264337593543950335", "0"),
            Some("79228162514264337593543950335".into())
        );
        assert_eq!(add("79228162514264337593543950335", "1"), None);
        // Decimal's own addition would round this to fit; an exact sum refuses.
        assert_eq!(add("7922816251426433759354395033.5", "0.05"), None);
    }

    #[test]
    fn dates_and_periods() {
        assert_eq!(date(b"2025-06-30"), NaiveDate::from_ymd_opt(2025, 6, 30));
        assert_eq!(date(b"2025-02-30"), None);
        assert_eq!(date(b"2025-6-30"), None);
        assert_eq!(date(b"2025/06/30"), None);
        assert_eq!(date_month(b"2024-02-29"), Some(YearMonth { year: 2024, month: 2 }));
        assert_eq!(date_month(b"2025-02-29"), None);
        assert_eq!(date_month(b"2025-06-00"), None);
        assert_eq!(date_month(b"2025-13-01"), None);
        assert_eq!(site_number(b"0238"), Some(238));
        assert_eq!(site_number(b"23a8"), None);
        assert_eq!(period(b"2025-06"), Some(YearMonth { year: 2025, month: 6 }));
        assert_eq!(period(b"2025-13"), None);
        assert_eq!(period(b"2025-6"), None);
        assert!(is_site(b"0238"));
        assert!(!is_site(b"238"));
        assert!(!is_site(b"02a8"));
    }
}
