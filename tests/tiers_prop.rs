//! Properties of cumulative marginal tiers (RULES.md §6) and of the rounding policy, over random tier
//! tables and amounts (proptest). Amounts are whole cents, percentages have two decimals.

use billc::eval::money;
use billc::eval::tiers::tiered;
use billc::eval::value::{TierValue, Value};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// A tier table: increasing limits, the last tier unlimited, rates from 0% to 100%.
fn tiers() -> impl Strategy<Value = Vec<TierValue>> {
    (1usize..5)
        .prop_flat_map(|n| {
            (
                proptest::collection::vec(1i64..500_000_000, n - 1),
                proptest::collection::vec(0i64..=10_000, n),
            )
        })
        .prop_map(|(mut limits, rates)| {
            limits.sort_unstable();
            limits.dedup();
            let mut out: Vec<TierValue> = limits
                .iter()
                .zip(&rates)
                .map(|(l, r)| TierValue {
                    price: Value::Percent(Decimal::new(*r, 4)),
                    limit: Some(Value::Money(Decimal::new(*l, 2), billc::check::ty::Currency::USD)),
                    fee: None,
                })
                .collect();
            out.push(TierValue {
                price: Value::Percent(Decimal::new(rates.last().copied().unwrap_or(0), 4)),
                limit: None,
                fee: None,
            });
            out
        })
}

fn cents() -> impl Strategy<Value = Decimal> {
    (0i64..1_000_000_000).prop_map(|c| Decimal::new(c, 2))
}

fn max_rate(t: &[TierValue]) -> Decimal {
    t.iter()
        .filter_map(|t| match t.price {
            Value::Percent(p) => Some(p),
            _ => None,
        })
        .max()
        .unwrap_or_default()
}

proptest! {
    /// Billing a window month by month (each month with the earlier months as `prior`) charges
    /// exactly what the whole window's revenue would be charged at once.
    #[test]
    fn accumulating_month_by_month_equals_the_total(t in tiers(), months in proptest::collection::vec(cents(), 1..12)) {
        let mut prior = Decimal::ZERO;
        let mut charged = Decimal::ZERO;
        for m in &months {
            charged += tiered(*m, prior, &t).unwrap().due;
            prior += *m;
        }
        prop_assert_eq!(charged, tiered(prior, Decimal::ZERO, &t).unwrap().due);
    }

    /// Under monthly accumulation each month starts again at the first tier: with rates that rise
    /// from tier to tier, billing a window's revenue month by month never bills more than billing it
    /// at once.
    #[test]
    fn monthly_split_never_bills_more_with_rising_rates(t in tiers(), months in proptest::collection::vec(cents(), 1..12)) {
        let mut rates: Vec<Decimal> = t.iter().map(|x| x.price.decimal().unwrap_or_default()).collect();
        rates.sort();
        let rising: Vec<TierValue> = t
            .iter()
            .zip(rates)
            .map(|(x, r)| TierValue { price: Value::Percent(r), ..x.clone() })
            .collect();
        let split: Decimal = months.iter().map(|m| tiered(*m, Decimal::ZERO, &rising).unwrap().due).sum();
        let total: Decimal = months.iter().copied().sum();
        prop_assert!(split <= tiered(total, Decimal::ZERO, &rising).unwrap().due);
    }

    /// More revenue never costs less (rates are non-negative).
    #[test]
    fn monotone(t in tiers(), a in cents(), b in cents()) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(tiered(lo, Decimal::ZERO, &t).unwrap().due <= tiered(hi, Decimal::ZERO, &t).unwrap().due);
    }

    /// The bands cover the month's base exactly, each inside its tier, and their dues add up.
    #[test]
    fn bands_partition_the_base(t in tiers(), base in cents(), prior in cents()) {
        let out = tiered(base, prior, &t).unwrap();
        let banded: Decimal = out.bands.iter().map(|b| b.amount).sum();
        prop_assert_eq!(banded, base);
        prop_assert_eq!(out.banded, base);
        let due: Decimal = out.bands.iter().map(|b| b.due).sum();
        prop_assert_eq!(due, out.due);
        for b in &out.bands {
            prop_assert!(b.amount > Decimal::ZERO);
            prop_assert!(b.from >= prior);
            if let Some(to) = b.to {
                prop_assert!(b.from + b.amount <= to);
            }
        }
    }

    /// No jumps: one more dollar costs at most the highest rate (there are no flat fees here).
    #[test]
    fn continuous(t in tiers(), base in cents(), delta in cents()) {
        let a = tiered(base, Decimal::ZERO, &t).unwrap().due;
        let b = tiered(base + delta, Decimal::ZERO, &t).unwrap().due;
        prop_assert!(b - a <= delta * max_rate(&t));
        prop_assert!(b >= a);
    }

    /// A zero or negative month charges nothing and claws nothing back.
    #[test]
    fn zero_and_negative_months_charge_nothing(t in tiers(), prior in cents(), loss in cents()) {
        prop_assert_eq!(tiered(Decimal::ZERO, prior, &t).unwrap().due, Decimal::ZERO);
        prop_assert_eq!(tiered(-loss, prior, &t).unwrap().due, Decimal::ZERO);
    }

    /// Rounding to cents moves an amount by at most half a cent, keeps its sign, and is idempotent.
    #[test]
    fn cents_rounding(m in -10_000_000_000i64..10_000_000_000, scale in 0u32..6) {
        let d = Decimal::new(m, scale);
        let r = money::cents(d);
        prop_assert!((r - d).abs() <= Decimal::new(5, 3));
        prop_assert_eq!(money::cents(r), r);
        prop_assert!(r.is_zero() || r.is_sign_negative() == d.is_sign_negative());
        prop_assert_eq!(r.scale(), 2);
    }
}

#[test]
fn three_tiers_crossing_two_limits() {
    // 40% up to $100,750, 20% up to $179,750, 8.75% above (EXAMPLES.md 4): $120,000 earlier in the
    // year, $70,000 this month.
    let t = vec![
        TierValue {
            price: Value::Percent(Decimal::new(40, 2)),
            limit: Some(Value::Money(Decimal::new(100_750, 0), billc::check::ty::Currency::USD)),
            fee: None,
        },
        TierValue {
            price: Value::Percent(Decimal::new(20, 2)),
            limit: Some(Value::Money(Decimal::new(179_750, 0), billc::check::ty::Currency::USD)),
            fee: None,
        },
        TierValue {
            price: Value::Percent(Decimal::new(875, 4)),
            limit: None,
            fee: None,
        },
    ];
    let out = tiered(Decimal::new(70_000, 0), Decimal::new(120_000, 0), &t).unwrap();
    assert_eq!(out.due, Decimal::new(12_846_875, 3));
    assert_eq!(money::cents(out.due).to_string(), "12846.88");
    assert_eq!(out.bands.len(), 2);
}
