//! Tier arithmetic: cumulative marginal tiers over a window (RULES.md §6) and volume pricing.

use super::EvalErrorKind;
use crate::ty::Currency;
use crate::value::money;
use crate::value::{Band, TierOutcome, TierValue, Value};
use rust_decimal::Decimal;

fn price_of(t: &TierValue) -> (Decimal, bool) {
    match &t.price {
        Value::Percent(p) => (*p, true),
        other => (other.decimal().unwrap_or_default(), false),
    }
}

fn limit_of(t: &TierValue) -> Option<Decimal> {
    t.limit.as_ref().and_then(Value::decimal)
}

fn fee_of(t: &TierValue) -> Decimal {
    t.fee.as_ref().and_then(Value::decimal).unwrap_or_default()
}

fn ok<T>(r: Result<T, money::ArithError>) -> Result<T, EvalErrorKind> {
    r.map_err(|e| match e {
        money::ArithError::Overflow => EvalErrorKind::Overflow,
        money::ArithError::DivisionByZero => EvalErrorKind::DivisionByZero,
    })
}

/// RULES.md §6 verbatim: tiers are cumulative upper limits, marginal over `prior + base`, and only
/// this month's increment is charged; a band already used earlier in the window is skipped; a
/// negative month gives 0 (no claw-back). A tier's flat fee is charged when its band is used.
pub fn tiered(base: Decimal, prior: Decimal, tiers: &[TierValue]) -> Result<TierOutcome, EvalErrorKind> {
    let total = ok(money::add(prior, base))?;
    let mut prev = Decimal::ZERO;
    let mut due = Decimal::ZERO;
    let mut bands = Vec::new();
    let mut weighted = Decimal::ZERO;
    let mut banded = Decimal::ZERO;
    for t in tiers {
        prev = prev.max(prior);
        let limit = limit_of(t);
        if let Some(l) = limit
            && prev > l
        {
            continue;
        }
        let band = match limit {
            Some(l) if total > l => ok(money::sub(l, prev))?,
            _ => ok(money::sub(total, prev))?,
        };
        if band > Decimal::ZERO {
            let (price, is_percent) = price_of(t);
            let band_due = ok(money::add(ok(money::mul(band, price))?, fee_of(t)))?;
            due = ok(money::add(due, band_due))?;
            weighted = ok(money::add(weighted, ok(money::mul(band, price))?))?;
            banded = ok(money::add(banded, band))?;
            bands.push(Band {
                from: prev,
                to: limit,
                amount: band,
                price,
                price_is_percent: is_percent,
                due: band_due,
            });
        }
        match limit {
            Some(l) => prev = l,
            None => break,
        }
    }
    let blend = if banded.is_zero() {
        tiers.first().map(|t| price_of(t).0).unwrap_or_default()
    } else {
        ok(money::div(weighted, banded))?
    };
    Ok(TierOutcome {
        due,
        base,
        prior,
        banded,
        blend,
        bands,
        currency: Currency::USD,
    })
}

/// Volume pricing: the whole amount at the price of the tier it falls in (plus that tier's fee).
pub fn volume(base: Decimal, tiers: &[TierValue]) -> Result<TierOutcome, EvalErrorKind> {
    let mut from = Decimal::ZERO;
    for t in tiers {
        let limit = limit_of(t);
        if limit.is_none_or(|l| base <= l) {
            let (price, is_percent) = price_of(t);
            let due = if base > Decimal::ZERO {
                ok(money::add(ok(money::mul(base, price))?, fee_of(t)))?
            } else {
                Decimal::ZERO
            };
            return Ok(TierOutcome {
                due,
                base,
                prior: Decimal::ZERO,
                banded: base.max(Decimal::ZERO),
                blend: price,
                bands: vec![Band {
                    from,
                    to: limit,
                    amount: base,
                    price,
                    price_is_percent: is_percent,
                    due,
                }],
                currency: Currency::USD,
            });
        }
        from = limit.unwrap_or(from);
    }
    Ok(TierOutcome {
        due: Decimal::ZERO,
        base,
        prior: Decimal::ZERO,
        banded: Decimal::ZERO,
        blend: Decimal::ZERO,
        bands: Vec::new(),
        currency: Currency::USD,
    })
}

/// `$100,750.00 at 40% = $40,300.00 (from $0.00 to $100,750.00)` for traces.
pub fn describe_band(band: &Band, like: &Value) -> String {
    let price = if band.price_is_percent {
        Value::Percent(band.price).display()
    } else {
        Value::Number(band.price).display()
    };
    let to = band
        .to
        .map_or("unlimited".to_string(), |t| like.with_decimal(t).display());
    format!(
        "{} at {} = {} (from {} to {})",
        like.with_decimal(band.amount).display(),
        price,
        crate::value::format_money(band.due, Currency::USD),
        like.with_decimal(band.from).display(),
        to
    )
}
