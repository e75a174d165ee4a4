//! Review status: is a statement ready to send, or does a person approve it first (RULES.md §11)?
//!
//! Actual revenue = revenue posted to the GL (`−Σ balance` of accounts 4000–4999, entity ≠ `06`, summed
//! and sign-flipped by the caller) + revenue invoiced (Σ lines with gl 4000–4999, see
//! [`invoiced_revenue`]). With forecast F:
//!
//! ```text
//! Dev$ = |F − Actual|        Dev% = |F − Actual| / |F| × 100   (0 when F = 0)
//! needs approval  ⇔  Dev% > percent threshold  AND  Dev$ > amount threshold
//! ```
//!
//! Decisions (where RULES.md is silent or its formula and its prose disagree):
//! - **Thresholds 0 % / $0 always need approval**, even at zero deviation and without a forecast. The
//!   formula alone would let a statement that matches its forecast exactly through, but RULES.md says
//!   the 13 real contracts with 0/0 "always need approval", and that is what those customers set it for.
//! - **No forecast → ready** (unless 0/0), and [`Review::reason`] says the forecast is missing so the
//!   caller can list it in `exceptions.csv` (kind `missing_data`). This is also what the formula gives
//!   when a missing forecast is read as F = 0 (Dev% = 0 is never above a non-negative threshold), so a
//!   missing row and a zero row behave alike; the deviation figures are those of F = 0.
//! - Dev% is compared **exactly** (no rounding before the comparison: 10.004 % is above 10 %); the
//!   reason shows it rounded to two places.
//! - Every sum and difference is checked: an overflow is [`ReviewError::Overflow`], never a wrap.

use crate::invoice::{InvoiceLine, Status};
use billc_lang::eval::DataView;
use billc_lang::schema::{TableName, column_position};
use billc_lang::time::YearMonth;
use billc_lang::value::format::{format_cents, format_percent};
use rust_decimal::Decimal;
use std::fmt;

/// The review thresholds of a contract (`deviationPercentage`, `deviationAmount`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    /// In points: 10 means 10 %.
    pub percent: Decimal,
    /// In dollars.
    pub amount: Decimal,
}

impl Thresholds {
    /// Whether both thresholds are zero, the "always needs approval" setting.
    pub fn always_review(self) -> bool {
        self.percent.is_zero() && self.amount.is_zero()
    }
}

/// The outcome of the review of one statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    /// The forecast, if there was one.
    pub forecast: Option<Decimal>,
    /// Posted + invoiced revenue.
    pub actual: Decimal,
    /// `|F − Actual|` (F = 0 when there is no forecast).
    pub deviation_amount: Decimal,
    /// `|F − Actual| / |F| × 100`, exact (0 when F is 0 or missing).
    pub deviation_percent: Decimal,
    /// Whether a person must approve the statement before it is sent.
    pub needs_approval: bool,
    /// One lowercase sentence saying why, with the figures in backticks.
    pub reason: String,
}

impl Review {
    /// `needs_approval` or `ready`.
    pub fn status(&self) -> Status {
        if self.needs_approval {
            Status::NeedsApproval
        } else {
            Status::Ready
        }
    }
}

/// Why a review could not be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewError {
    /// A sum, difference or ratio exceeded the decimal range.
    Overflow,
}

impl fmt::Display for ReviewError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReviewError::Overflow => f.write_str("revenue review overflowed the decimal range"),
        }
    }
}

impl std::error::Error for ReviewError {}

/// Whether a gl code is a revenue account, 4000 to 4999 (a plain four-digit number).
pub fn is_revenue_gl(gl: &str) -> bool {
    gl.len() == 4 && gl.bytes().all(|b| b.is_ascii_digit()) && gl.starts_with('4')
}

/// Revenue posted to the GL for a site and month: −Σ balance of accounts 4000–4999, entity ≠ 06
/// (RULES.md §11). The rows it reads are marked used. `None` on overflow.
pub fn posted_revenue(data: &dyn DataView, site: &str, month: YearMonth) -> Option<Decimal> {
    let account = column_position(TableName::Gl, "account").map(|(_, i)| i)?;
    let entity = column_position(TableName::Gl, "entity").map(|(_, i)| i)?;
    let balance = column_position(TableName::Gl, "balance").map(|(_, i)| i)?;
    let mut sum = Decimal::ZERO;
    for r in data.rows(TableName::Gl, site, month) {
        if is_revenue_gl(r.dim(account)) && r.dim(entity) != "06" {
            r.mark_used();
            sum = sum.checked_sub(r.measure(balance))?;
        }
    }
    Some(sum)
}

/// Σ amounts of the lines whose gl is a revenue account (4000–4999).
pub fn invoiced_revenue<'a>(lines: impl IntoIterator<Item = &'a InvoiceLine>) -> Result<Decimal, ReviewError> {
    lines
        .into_iter()
        .filter(|l| is_revenue_gl(&l.gl))
        .try_fold(Decimal::ZERO, |acc, l| acc.checked_add(l.amount))
        .ok_or(ReviewError::Overflow)
}

/// Reviews one statement; see the module documentation for the rule and the decisions.
pub fn review(
    forecast: Option<Decimal>,
    posted_revenue: Decimal,
    invoiced_revenue: Decimal,
    thresholds: Thresholds,
) -> Result<Review, ReviewError> {
    let actual = posted_revenue
        .checked_add(invoiced_revenue)
        .ok_or(ReviewError::Overflow)?;
    let f = forecast.unwrap_or(Decimal::ZERO);
    let deviation_amount = f.checked_sub(actual).ok_or(ReviewError::Overflow)?.abs();
    let deviation_percent = if f.is_zero() {
        Decimal::ZERO
    } else {
        deviation_amount
            .checked_mul(Decimal::ONE_HUNDRED)
            .and_then(|d| d.checked_div(f.abs()))
            .ok_or(ReviewError::Overflow)?
    };
    let above = deviation_percent > thresholds.percent && deviation_amount > thresholds.amount;
    let limits = format!(
        "{} and {}",
        format_percent(thresholds.percent),
        format_cents(thresholds.amount)
    );
    let (needs_approval, reason) = match forecast {
        _ if thresholds.always_review() => (
            true,
            format!(
                "review thresholds are {limits}, so every statement needs approval (revenue {}{})",
                format_cents(actual),
                match forecast {
                    Some(f) => format!(", forecast {}", format_cents(f)),
                    None => ", no forecast".to_owned(),
                }
            ),
        ),
        None => (
            false,
            format!(
                "no forecast for this site and month, so revenue {} was not compared",
                format_cents(actual)
            ),
        ),
        Some(f) => {
            let figures = format!(
                "revenue {} differs from forecast {} by {} ({})",
                format_cents(actual),
                format_cents(f),
                format_cents(deviation_amount),
                format_percent(deviation_percent)
            );
            if above {
                (true, format!("{figures}, above both thresholds {limits}"))
            } else {
                (false, format!("{figures}, within the thresholds {limits}"))
            }
        }
    };
    Ok(Review {
        forecast,
        actual,
        deviation_amount,
        deviation_percent,
        needs_approval,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoice::TraceNode;
    use rust_decimal_macros::dec;

    const STD: Thresholds = Thresholds {
        percent: dec!(10),
        amount: dec!(2500),
    };
    const ZERO: Thresholds = Thresholds {
        percent: dec!(0),
        amount: dec!(0),
    };

    #[test]
    fn deviation_figures() {
        let r = review(Some(dec!(100000)), dec!(80000), dec!(5000), STD).unwrap();
        assert_eq!(r.actual, dec!(85000));
        assert_eq!(r.deviation_amount, dec!(15000));
        assert_eq!(r.deviation_percent, dec!(15));
        assert!(r.needs_approval);
        assert_eq!(r.status(), Status::NeedsApproval);
        assert_eq!(
            r.reason,
            "revenue $85,000.00 differs from forecast $100,000.00 by $15,000.00 (15.00%), \
             above both thresholds 10.00% and $2,500.00"
        );
    }

    #[test]
    fn both_thresholds_must_be_exceeded() {
        // (forecast, actual, needs approval)
        let cases = [
            (dec!(100000), dec!(115000), true),    // 15 %, $15,000
            (dec!(100000), dec!(110000), false),   // exactly 10 %: not above
            (dec!(100000), dec!(110001), true),    // 10.001 %
            (dec!(20000), dec!(24000), true),      // 20 % and $4,000
            (dec!(10000), dec!(12000), false),     // 20 % but $2,000
            (dec!(10000), dec!(12500), false),     // 25 % and exactly $2,500: not above
            (dec!(10000), dec!(12500.01), true),   // 25 % and $2,500.01
            (dec!(1000000), dec!(1090000), false), // $90,000 but 9 %
            (dec!(-50000), dec!(-20000), true),    // negative forecast: |F| in the ratio, 60 %
            (dec!(100000), dec!(89999.99), true),  // below forecast counts too
        ];
        for (f, a, want) in cases {
            let r = review(Some(f), a, Decimal::ZERO, STD).unwrap();
            assert_eq!(r.needs_approval, want, "{f} vs {a}");
        }
    }

    #[test]
    fn exact_percentage_comparison() {
        let r = review(Some(dec!(300000)), dec!(330030), dec!(0), STD).unwrap();
        assert_eq!(r.deviation_percent, dec!(10.01));
        assert!(r.needs_approval);
        // a third: 1/3 % exactly as far as 28 digits go, shown with two places
        let r = review(Some(dec!(300000)), dec!(301000), dec!(0), ZERO).unwrap();
        assert_eq!(r.deviation_percent.round_dp(10), dec!(0.3333333333));
    }

    #[test]
    fn zero_forecast_gives_zero_percent() {
        let r = review(Some(dec!(0)), dec!(50000), dec!(0), STD).unwrap();
        assert_eq!(r.deviation_percent, dec!(0));
        assert_eq!(r.deviation_amount, dec!(50000));
        assert!(!r.needs_approval);
    }

    #[test]
    fn zero_thresholds_always_need_approval() {
        for (f, a) in [
            (Some(dec!(1000)), dec!(1000)),
            (Some(dec!(1000)), dec!(1500)),
            (Some(dec!(0)), dec!(0)),
            (None, dec!(700)),
        ] {
            let r = review(f, a, dec!(0), ZERO).unwrap();
            assert!(r.needs_approval, "{f:?} {a}");
        }
        let r = review(Some(dec!(1000)), dec!(1000), dec!(0), ZERO).unwrap();
        assert_eq!(
            r.reason,
            "review thresholds are 0.00% and $0.00, so every statement needs approval \
             (revenue $1,000.00, forecast $1,000.00)"
        );
    }

    #[test]
    fn missing_forecast_is_ready_and_said() {
        let r = review(None, dec!(40000), dec!(2000), STD).unwrap();
        assert!(!r.needs_approval);
        assert_eq!(r.status(), Status::Ready);
        assert_eq!(r.forecast, None);
        assert_eq!(r.deviation_amount, dec!(42000));
        assert_eq!(r.deviation_percent, dec!(0));
        assert_eq!(
            r.reason,
            "no forecast for this site and month, so revenue $42,000.00 was not compared"
        );
    }

    #[test]
    fn within_thresholds_reason() {
        let r = review(Some(dec!(100000)), dec!(95000), dec!(1000), STD).unwrap();
        assert!(!r.needs_approval);
        assert_eq!(
            r.reason,
            "revenue $96,000.00 differs from forecast $100,000.00 by $4,000.00 (4.00%), \
             within the thresholds 10.00% and $2,500.00"
        );
    }

    #[test]
    fn overflow_is_an_error() {
        assert_eq!(
            review(Some(Decimal::MIN), Decimal::MAX, dec!(0), STD),
            Err(ReviewError::Overflow)
        );
        assert_eq!(review(None, Decimal::MAX, dec!(1), STD), Err(ReviewError::Overflow));
    }

    #[test]
    fn invoiced_revenue_counts_4000_to_4999() {
        let line = |gl: &str, amount: Decimal| InvoiceLine {
            title: "t".into(),
            description: String::new(),
            gl: gl.into(),
            amount,
            tags: vec![],
            trace: TraceNode {
                label: "x".into(),
                ..TraceNode::default()
            },
        };
        let lines = [
            line("4790", dec!(1000.50)),
            line("4000", dec!(1)),
            line("4999", dec!(2)),
            line("4790", dec!(-200)),
            line("7000", dec!(-1284)),
            line("3999", dec!(5)),
            line("5000", dec!(5)),
            line("47900", dec!(5)),
        ];
        assert_eq!(invoiced_revenue(&lines), Ok(dec!(803.50)));
    }
}
