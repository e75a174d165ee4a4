//! Tier tables: `tiered` (cumulative marginal tiers over an accumulation window, RULES.md §6) and
//! `volume` (the whole amount at the price of the tier it reaches), with their arithmetic.
//!
//! The arithmetic ([`tiered`], [`volume`]) is pure: decimals and a tier table in, a
//! [`TierOutcome`] out. The evaluation rule adds the window: it asks the evaluator for the amount in
//! each earlier month of the window ([`super::windows::window_months`]). Nothing here reads data.
//!
//! Typing: a table `Tiers<P, A>` over an amount of type `A` gives `TierResult<P, A>`; the price must
//! apply to the amount ([`Ty::tier_due`]), and the result's values carry the kinds of the amount and
//! the price ([`TierKinds`]), so `.due` of a share of a number is a number, `.base` of a quantity a
//! quantity. Nothing is lost silently: a last tier without a limit is unlimited; an amount above a
//! bounded last tier is [`EvalErrorKind::AboveLastTier`]; a negative amount is due 0 (no claw-back).

use super::{BuiltinSig, Call, Reach, TyCall, enum_ty, opt, req};
use crate::diag::Code;
use crate::eval_error::{EvalErrorKind, Expected, InternalError, R, arith};
use crate::hir::Builtin;
use crate::trace::{Amount, BandTrace, Fact, MonthValue, TraceNode};
use crate::ty::Ty;
use crate::value::money;
use crate::value::{Band, TierKinds, TierOutcome, TierValue, Value};
use rust_decimal::Decimal;

pub const SIGS: &[BuiltinSig] = &[
    BuiltinSig {
        builtin: Builtin::Tiered,
        name: "tiered",
        params: &[req("amount"), req("tiers"), opt("window")],
        variadic: false,
        summary: "cumulative marginal tiers over an accumulation window (RULES.md §6)",
    },
    BuiltinSig {
        builtin: Builtin::Volume,
        name: "volume",
        params: &[req("amount"), req("tiers")],
        variadic: false,
        summary: "the whole amount at the price of the tier it reaches",
    },
];

// ------------------------------------------------------------------ type rules

pub fn ty(b: Builtin, c: &mut TyCall<'_>) -> Ty {
    let amount = c.ty_of(0);
    if b == Builtin::Tiered {
        c.want(2, &enum_ty("Window"), "window");
    }
    match c.ty_of(1) {
        Ty::Tiers(price, limit) => {
            if !amount.fits(&limit) {
                let span = c.span_of(0);
                c.error(
                    Code::TypeMismatch,
                    span,
                    format!("the tiers' limits are `{limit}`, but the amount is `{amount}`"),
                    format!("this is `{amount}`"),
                );
                return Ty::Error;
            }
            // The amount's type when the table's limits leave it open (a table of one tier).
            let amount = if limit.is_error() { amount } else { *limit };
            if Ty::tier_due(&price, &amount).is_none() {
                let span = c.span_of(1);
                c.error(
                    Code::TypeMismatch,
                    span,
                    Ty::tier_mismatch(&price, &amount),
                    "prices of another kind",
                );
                return Ty::Error;
            }
            Ty::TierResult(price, Box::new(amount))
        }
        Ty::Error => Ty::Error,
        other => {
            let span = c.span_of(1);
            c.error(
                Code::TypeMismatch,
                span,
                format!("expected a tier table, found `{other}`"),
                "not tiers",
            );
            Ty::Error
        }
    }
}

// ------------------------------------------------------------------ evaluation rules

pub fn eval<'p>(b: Builtin, c: &mut dyn Call<'p>) -> R<Value> {
    if c.expr(0).is_none() {
        return Err(c.internal(InternalError::MissingAmount));
    }
    let Value::Tiers(table) = c.req(1)? else {
        return Err(c.internal(InternalError::NotA(Expected::TierTable)));
    };
    let window = match c.arg(2)? {
        Some(Value::Enum(w)) => w.to_string(),
        _ => "monthly".to_string(),
    };
    let amount = c.req(0)?;
    let base = amount.decimal().unwrap_or_default();
    let mut prior = Decimal::ZERO;
    let mut prior_months = Vec::new();
    if b == Builtin::Tiered {
        for m in super::windows::window_months(c, &window)? {
            let v = c
                .eval_at(0, super::At::Month(m))?
                .and_then(|v| v.decimal())
                .unwrap_or_default();
            let base = amount.with_decimal(v);
            prior_months.push(MonthValue {
                month: m.to_string(),
                value: base.display(),
                amount: Amount::of(&base),
            });
            prior = money::add(prior, v).map_err(|x| arith(x, c.span()))?;
        }
    }
    let outcome = if b == Builtin::Tiered {
        tiered(base, prior, &table)
    } else {
        volume(base, &table)
    }
    .map_err(|k| c.fail(k))?;
    let kinds = TierKinds {
        amount: amount.clone(),
        price: table.first().map_or(Value::Percent(Decimal::ZERO), |t| t.price.clone()),
    };
    let outcome = TierOutcome { kinds, ..outcome };
    if c.tracing() {
        let mut facts = vec![
            Fact {
                name: "window".into(),
                value: window.clone(),
            },
            Fact {
                name: "this month".into(),
                value: amount.display(),
            },
        ];
        let months = if b == Builtin::Tiered && window != "monthly" {
            facts.push(Fact {
                name: "earlier in window".into(),
                value: amount.with_decimal(prior).display(),
            });
            prior_months
        } else {
            Vec::new()
        };
        let bands = outcome
            .bands
            .iter()
            .map(|band| BandTrace {
                from: band.from,
                to: band.to,
                amount: band.amount,
                price: band.price,
                price_is_percent: band.price_is_percent,
                due: band.due,
                text: describe_band(band, &outcome.kinds),
            })
            .collect();
        let label = if b == Builtin::Tiered { "tiered" } else { "volume" };
        c.trace(TraceNode {
            facts,
            months,
            bands,
            ..TraceNode::of(label.into(), &outcome.kinds.due(outcome.due))
        });
    }
    Ok(Value::TierResult(std::sync::Arc::new(outcome)))
}

// ------------------------------------------------------------------ demand rules

/// `tiered` reads its amount over the earlier months of its window; `volume` only where it is.
pub fn demand(b: Builtin) -> Reach {
    match b {
        Builtin::Tiered => Reach::Window { value: 0, window: 2 },
        _ => Reach::Here,
    }
}

/// Tier calls are not marked month-dependent: they fold when their amount does.
pub fn month_dependent(_: Builtin) -> bool {
    false
}

// ------------------------------------------------------------------ arithmetic

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
    above_last_tier(total, prior.max(Decimal::ZERO), tiers)?;
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
        kinds: TierKinds::default(),
    })
}

/// The part of this month's range (`floor`, `total`] that lies above the table's last limit is
/// billed by no tier: an error naming it ([`EvalErrorKind::AboveLastTier`]), never a silent 0. A
/// table whose last tier is unlimited takes everything; an empty table nothing above 0.
fn above_last_tier(total: Decimal, floor: Decimal, tiers: &[TierValue]) -> Result<(), EvalErrorKind> {
    let limit = match tiers.last() {
        None => Value::Number(Decimal::ZERO),
        Some(TierValue { limit: None, .. }) => return Ok(()),
        Some(TierValue { limit: Some(l), .. }) => l.clone(),
    };
    let bound = limit.decimal().unwrap_or_default();
    let lost = ok(money::sub(total, floor.max(bound)))?;
    if lost > Decimal::ZERO {
        return Err(EvalErrorKind::AboveLastTier {
            above: Box::new(limit.with_decimal(lost)),
            limit: Box::new(limit),
        });
    }
    Ok(())
}

/// Volume pricing: the whole amount at the price of the tier it falls in (plus that tier's fee).
pub fn volume(base: Decimal, tiers: &[TierValue]) -> Result<TierOutcome, EvalErrorKind> {
    above_last_tier(base, Decimal::ZERO, tiers)?;
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
                    amount: base.max(Decimal::ZERO),
                    price,
                    price_is_percent: is_percent,
                    due,
                }],
                kinds: TierKinds::default(),
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
        kinds: TierKinds::default(),
    })
}

/// `$100,750.00 at 40% = $40,300.00 (from $0.00 to $100,750.00)` for traces.
pub fn describe_band(band: &Band, kinds: &TierKinds) -> String {
    let to = band.to.map_or("unlimited".to_string(), |t| kinds.amount(t).display());
    format!(
        "{} at {} = {} (from {} to {})",
        kinds.amount(band.amount).display(),
        kinds.price(band.price).display(),
        kinds.due(band.due).display(),
        kinds.amount(band.from).display(),
        to
    )
}
