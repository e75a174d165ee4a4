//! Property tests for cumulative marginal tiers (`eval::tiers::tiered`, RULES.md §6) and for the
//! rounding helpers of `eval::money`. Amounts are exact decimals with cents; rates are percentages
//! with two decimals, so every expected value below is exact, not approximate.

use billc_lang::eval::tiers::tiered;
use billc_lang::ty::Currency;
use billc_lang::value::money::{self, Rounding};
use billc_lang::value::{TierOutcome, TierValue, Value};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// A tier table: rates as fractions (`0.4` for 40%) and increasing limits; the last tier is unlimited.
#[derive(Clone, Debug)]
struct Table {
    rates: Vec<Decimal>,
    limits: Vec<Decimal>,
}

impl Table {
    fn tiers(&self) -> Vec<TierValue> {
        self.rates
            .iter()
            .enumerate()
            .map(|(i, r)| TierValue {
                price: Value::Percent(*r),
                limit: self.limits.get(i).map(|l| Value::Money(*l, Currency::USD)),
                fee: None,
            })
            .collect()
    }

    fn max_rate(&self) -> Decimal {
        self.rates.iter().copied().max().unwrap_or_default()
    }
}

/// Cents from $0 to $10,000,000.
fn money() -> impl Strategy<Value = Decimal> {
    (0i64..1_000_000_000).prop_map(|c| Decimal::new(c, 2))
}

/// A percentage from 0% to 100% with two decimals, as a fraction.
fn rate() -> impl Strategy<Value = Decimal> {
    (0i64..=10_000).prop_map(|bp| Decimal::new(bp, 4))
}

/// 1 to 4 tiers; limits grow by $0.01 to $1,000,000 each.
fn table() -> impl Strategy<Value = Table> {
    (1usize..=4).prop_flat_map(|n| {
        (
            proptest::collection::vec(rate(), n),
            proptest::collection::vec(1i64..100_000_000, n - 1),
        )
            .prop_map(|(rates, steps)| {
                let mut limits = Vec::new();
                let mut at = Decimal::ZERO;
                for s in steps {
                    at += Decimal::new(s, 2);
                    limits.push(at);
                }
                Table { rates, limits }
            })
    })
}

/// A table whose rates only go down (a revenue share: 40%, 20%, 8.75%) or only go up.
fn sorted_table(descending: bool) -> impl Strategy<Value = Table> {
    table().prop_map(move |mut t| {
        t.rates.sort();
        if descending {
            t.rates.reverse();
        }
        t
    })
}

#[expect(
    clippy::unwrap_used,
    reason = "test helper: an overflow at these magnitudes is a test failure"
)]
fn run(base: Decimal, prior: Decimal, t: &Table) -> TierOutcome {
    tiered(base, prior, &t.tiers()).unwrap()
}

fn due(base: Decimal, prior: Decimal, t: &Table) -> Decimal {
    run(base, prior, t).due
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn zero_base_gives_zero(t in table(), prior in money()) {
        let out = run(Decimal::ZERO, prior, &t);
        prop_assert_eq!(out.due, Decimal::ZERO);
        prop_assert!(out.bands.is_empty());
    }

    #[test]
    fn a_negative_month_claws_nothing_back(t in table(), base in money(), prior in money()) {
        prop_assert_eq!(due(-base, prior, &t), Decimal::ZERO);
    }

    #[test]
    fn monotone_in_the_base(t in table(), a in money(), b in money(), prior in money()) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(due(lo, prior, &t) <= due(hi, prior, &t));
    }

    #[test]
    fn bands_sum_to_the_base_and_the_amount(t in table(), base in money(), prior in money()) {
        let out = run(base, prior, &t);
        let amounts: Decimal = out.bands.iter().map(|b| b.amount).sum();
        let dues: Decimal = out.bands.iter().map(|b| b.due).sum();
        prop_assert_eq!(amounts, base);
        prop_assert_eq!(out.banded, base);
        prop_assert_eq!(dues, out.due);
        // Each band is its amount at its price, and the bands tile [prior, prior + base].
        let mut at = prior;
        for band in &out.bands {
            prop_assert_eq!(band.due, band.amount * band.price);
            prop_assert_eq!(band.from, at);
            at += band.amount;
        }
    }

    #[test]
    fn continuous_at_tier_edges(t in table(), delta in 1i64..1_000_000) {
        let delta = Decimal::new(delta, 2);
        for edge in &t.limits {
            let at_edge = due(*edge, Decimal::ZERO, &t);
            let above = due(*edge + delta, Decimal::ZERO, &t);
            prop_assert!(above >= at_edge);
            prop_assert!(above - at_edge <= t.max_rate() * delta, "jump at {}", edge);
            // Just below the edge, the lower tier's price applies.
            if *edge > delta {
                let below = due(*edge - delta, Decimal::ZERO, &t);
                prop_assert!(at_edge - below <= t.max_rate() * delta);
            }
        }
    }

    /// Annual (or anniversary) accumulation: billing month by month, each month with the earlier
    /// months as `prior`, bills exactly what billing the whole window at once would.
    #[test]
    fn accumulating_month_by_month_equals_the_window_at_once(
        t in table(),
        months in proptest::collection::vec(money(), 1..12),
    ) {
        let mut prior = Decimal::ZERO;
        let mut billed = Decimal::ZERO;
        for m in &months {
            billed += due(*m, prior, &t);
            prior += *m;
        }
        prop_assert_eq!(billed, due(prior, Decimal::ZERO, &t));
    }

    /// Monthly accumulation restarts the tiers each month. With rates that only go down (a revenue
    /// share), splitting never bills less than billing the total at once; with rates that only go
    /// up (graduated pricing), it never bills more.
    #[test]
    fn monthly_windows_against_the_total(
        down in sorted_table(true),
        up in sorted_table(false),
        months in proptest::collection::vec(money(), 1..12),
    ) {
        let total: Decimal = months.iter().copied().sum();
        let split_down: Decimal = months.iter().map(|m| due(*m, Decimal::ZERO, &down)).sum();
        let split_up: Decimal = months.iter().map(|m| due(*m, Decimal::ZERO, &up)).sum();
        prop_assert!(split_down >= due(total, Decimal::ZERO, &down));
        prop_assert!(split_up <= due(total, Decimal::ZERO, &up));
    }

    #[test]
    fn cents_rounds_once_and_by_at_most_half_a_cent(x in -10_000_000_000i64..10_000_000_000, scale in 0u32..6) {
        let d = Decimal::new(x, scale);
        let c = money::cents(d);
        prop_assert_eq!(c.scale(), 2);
        prop_assert_eq!(money::cents(c), c);
        prop_assert!((c - d).abs() <= Decimal::new(5, 3));
        // Half away from zero is symmetric.
        prop_assert_eq!(money::cents(-d), -c);
    }

    #[test]
    fn rounding_modes_bracket_the_value(x in -10_000_000_000i64..10_000_000_000, scale in 0u32..6) {
        let d = Decimal::new(x, scale);
        let down = money::round(d, 2, Rounding::Down);
        let up = money::round(d, 2, Rounding::Up);
        let even = money::round(d, 2, Rounding::HalfEven);
        let away = money::round(d, 2, Rounding::HalfAway);
        // Down goes toward zero, up away from zero, and both nearest modes lie between them.
        prop_assert!(down.abs() <= d.abs() && d.abs() <= up.abs());
        prop_assert!(up - down <= Decimal::new(1, 2) && down - up <= Decimal::new(1, 2));
        for r in [even, away] {
            prop_assert!(r.abs() >= down.abs() && r.abs() <= up.abs());
            prop_assert!((r - d).abs() <= Decimal::new(5, 3));
        }
        // The two nearest modes differ only on an exact half cent.
        if even != away {
            prop_assert_eq!((d * Decimal::ONE_HUNDRED).fract().abs(), Decimal::new(5, 1));
        }
    }
}

/// RULES.md §6's worked example, as a fixed point for the properties above.
#[test]
fn torrance_marriott_march() {
    let t = Table {
        rates: vec![Decimal::new(40, 2), Decimal::new(20, 2), Decimal::new(875, 4)],
        limits: vec![Decimal::new(100_750, 0), Decimal::new(179_750, 0)],
    };
    let out = run(Decimal::new(70_000, 0), Decimal::new(120_000, 0), &t);
    assert_eq!(out.due, Decimal::new(1_284_687_500, 5));
    assert_eq!(money::cents(out.due), Decimal::new(1_284_688, 2));
}
