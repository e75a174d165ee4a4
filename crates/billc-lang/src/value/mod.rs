//! Runtime values: exact decimals with their units, and how they print (messages, descriptions, traces).

pub mod format;
pub mod money;

use crate::syntax::ast::{DurationUnit, Unit};
use crate::time::YearMonth;
use crate::ty::{Currency, Ty};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::sync::Arc;

/// A value of the billing language. Percentages are stored as fractions (`12.5%` is 0.125).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    Money(Decimal, Currency),
    Percent(Decimal),
    Number(Decimal),
    Quantity(Decimal, Unit),
    Rate(Decimal, Currency, Unit),
    Duration(Decimal, DurationUnit),
    Date(NaiveDate),
    Month(YearMonth),
    Text(Arc<str>),
    Bool(bool),
    List(Arc<Vec<Value>>),
    /// Field values in the order of the record type's fields.
    Record(Arc<Vec<(String, Value)>>),
    /// An enumeration variant, by name.
    Enum(Arc<str>),
    Tiers(Arc<Vec<TierValue>>),
    TierResult(Arc<TierOutcome>),
}

/// One tier of a table: price per band, upper limit (none = unlimited) and a flat fee.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TierValue {
    pub price: Value,
    pub limit: Option<Value>,
    pub fee: Option<Value>,
}

/// What `tiered` computed: the amount due and how each band contributed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TierOutcome {
    /// The amount due this month (exact, not rounded).
    pub due: Decimal,
    /// This month's base (the amount put through the tiers).
    pub base: Decimal,
    /// What had accumulated earlier in the window (the floor).
    pub prior: Decimal,
    /// Σ of this month's band amounts.
    pub banded: Decimal,
    /// Σ price × band / Σ band, as a fraction; the first tier's price when no band was used.
    pub blend: Decimal,
    pub bands: Vec<Band>,
    /// The kinds of the amount and of the prices, so that every field is a value of its checked type.
    pub kinds: TierKinds,
}

/// The kinds of a tier calculation's values (the numbers inside are not used): `amount` is the
/// amount put through the tiers (`.base`, `.prior`, `.banded` are of its kind), `price` a tier's
/// price (`.blend` is of its kind). `.due` follows [`crate::ty::Ty::tier_due`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TierKinds {
    pub amount: Value,
    pub price: Value,
}

impl Default for TierKinds {
    /// A percentage of money (a revenue share).
    fn default() -> TierKinds {
        TierKinds {
            amount: Value::Money(Decimal::ZERO, Currency::USD),
            price: Value::Percent(Decimal::ZERO),
        }
    }
}

impl TierKinds {
    /// The amount due: a percentage of the amount is of the amount's kind, a rate or an amount per
    /// unit is money in the price's currency.
    pub fn due(&self, d: Decimal) -> Value {
        match &self.price {
            Value::Rate(_, c, _) | Value::Money(_, c) => Value::Money(d, *c),
            _ => self.amount.with_decimal(d),
        }
    }

    /// A value of the amount's kind.
    pub fn amount(&self, d: Decimal) -> Value {
        self.amount.with_decimal(d)
    }

    /// A value of the price's kind.
    pub fn price(&self, d: Decimal) -> Value {
        self.price.with_decimal(d)
    }
}

impl TierOutcome {
    /// A field of the result by name (`due`, `base`, `prior`, `banded`, `blend`).
    pub fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "due" => self.kinds.due(self.due),
            "base" => self.kinds.amount(self.base),
            "prior" => self.kinds.amount(self.prior),
            "banded" => self.kinds.amount(self.banded),
            "blend" => self.kinds.price(self.blend),
            _ => return None,
        })
    }
}

/// One band of a tiered calculation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Band {
    pub from: Decimal,
    pub to: Option<Decimal>,
    pub amount: Decimal,
    /// The price: a fraction for percentages, an amount per unit for rates.
    pub price: Decimal,
    pub price_is_percent: bool,
    pub due: Decimal,
}

impl Value {
    /// Whether this value is of type `t`, kind and unit: money in its currency, a quantity of its
    /// unit, a rate per its unit, lists and tier tables element by element, tier results field by
    /// field. The types no value is checked against here (records, tables and columns, and the
    /// error type, which fits anything) answer `true`. The evaluator asserts it for every
    /// expression in debug builds, so that every test that evaluates a contract also tests the
    /// checker's soundness (`tests/soundness.rs` generates programs for it).
    pub fn belongs_to(&self, t: &Ty) -> bool {
        match (self, t) {
            (_, Ty::Error | Ty::Record(_) | Ty::Table(_) | Ty::Column(..)) => true,
            (Value::Money(_, c), Ty::Money(d)) => c == d,
            (Value::Percent(_), Ty::Percent) | (Value::Number(_), Ty::Number) => true,
            (Value::Quantity(_, u), Ty::Quantity(w)) => u == w,
            (Value::Rate(_, c, u), Ty::Rate(d, w)) => c == d && u == w,
            (Value::Duration(_, u), Ty::Duration(w)) => u == w,
            (Value::Date(_), Ty::Date)
            | (Value::Month(_), Ty::Month)
            | (Value::Text(_), Ty::Text)
            | (Value::Bool(_), Ty::Bool)
            | (Value::Enum(_), Ty::Enum(_)) => true,
            (Value::List(items), Ty::List(t)) => items.iter().all(|i| i.belongs_to(t)),
            (Value::Tiers(tiers), Ty::Tiers(p, l)) => tiers.iter().all(|t| {
                t.price.belongs_to(p)
                    && t.limit.as_ref().is_none_or(|x| x.belongs_to(l))
                    && t.fee.as_ref().is_none_or(|f| matches!(f, Value::Money(..)))
            }),
            (Value::TierResult(r), Ty::TierResult(p, a)) => {
                ["due", "base", "prior", "banded", "blend"].iter().all(|f| {
                    match (r.field(f), Ty::tier_field(p, a, f)) {
                        (Some(v), Some(t)) => v.belongs_to(&t),
                        _ => false,
                    }
                })
            }
            _ => false,
        }
    }
}

impl Value {
    /// The number inside a numeric value.
    pub fn decimal(&self) -> Option<Decimal> {
        match self {
            Value::Money(d, _)
            | Value::Percent(d)
            | Value::Number(d)
            | Value::Quantity(d, _)
            | Value::Rate(d, _, _)
            | Value::Duration(d, _) => Some(*d),
            _ => None,
        }
    }

    /// The same kind of value holding another number.
    pub fn with_decimal(&self, d: Decimal) -> Value {
        match self {
            Value::Money(_, c) => Value::Money(d, *c),
            Value::Percent(_) => Value::Percent(d),
            Value::Quantity(_, u) => Value::Quantity(d, *u),
            Value::Rate(_, c, u) => Value::Rate(d, *c, *u),
            Value::Duration(_, u) => Value::Duration(d, *u),
            _ => Value::Number(d),
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) | Value::Enum(t) => Some(t),
            _ => None,
        }
    }

    pub fn text(s: &str) -> Value {
        Value::Text(Arc::from(s))
    }

    /// Renders for people, exactly: `$1,234.56`, `$12,846.875` (a trace shows every digit),
    /// `12.5%`, `160.25 h`, `2025-06`. Text interpolation uses [`Value::display_in_text`].
    pub fn display(&self) -> String {
        self.render(Digits::Exact)
    }

    /// Renders as text interpolation writes it (`desc "share {x}"`): what an invoice shows a
    /// customer. Like [`Value::display`], except that money is rounded to cents, half away from zero
    /// — the rule a line amount is rounded by (RULES.md §3, [`money::cents`]) — so `$3,999.999`
    /// reads `$4,000.00`. Only the text is rounded: the amounts computed and billed are untouched.
    /// Rates keep their exact digits (`$1.305/room` is the contract's price, not an amount due);
    /// money inside lists and records is rounded alike.
    pub fn display_in_text(&self) -> String {
        self.render(Digits::Cents)
    }

    fn render(&self, digits: Digits) -> String {
        let amount = |d: Decimal, c: Currency| match digits {
            Digits::Exact => format_money(d, c),
            Digits::Cents => format_money(money::cents(d), c),
        };
        match self {
            Value::Money(d, c) => amount(*d, *c),
            Value::Percent(d) => format!("{}%", trim(*d * Decimal::ONE_HUNDRED)),
            Value::Number(d) => trim(*d),
            Value::Quantity(d, Unit::Hour) => format!("{} h", trim(*d)),
            Value::Quantity(d, u) => format!("{} {}", trim(*d), plural(*u, *d)),
            Value::Rate(d, c, u) => format!("{}/{}", format_money(*d, *c), u.word()),
            Value::Duration(d, u) => format!(
                "{} {}",
                trim(*d),
                match u {
                    DurationUnit::Day => "days",
                    DurationUnit::Month => "months",
                    DurationUnit::Year => "years",
                }
            ),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
            Value::Month(m) => m.to_string(),
            Value::Text(t) => t.to_string(),
            Value::Enum(t) => t.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::List(items) => {
                let parts: Vec<String> = items.iter().map(|v| v.render(digits)).collect();
                format!("[{}]", parts.join(", "))
            }
            Value::Record(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(n, v)| format!("{n}: {}", v.render(digits)))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
            Value::Tiers(tiers) => {
                let parts: Vec<String> = tiers
                    .iter()
                    .map(|t| {
                        let mut s = t.price.render(digits);
                        if let Some(l) = &t.limit {
                            s.push_str(" up to ");
                            s.push_str(&l.render(digits));
                        }
                        if let Some(f) = &t.fee {
                            s.push_str(" plus ");
                            s.push_str(&f.render(digits));
                        }
                        s
                    })
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
            Value::TierResult(t) => t.kinds.due(t.due).render(digits),
        }
    }
}

/// How [`Value::render`] writes money: every digit (traces), or rounded to cents (text).
#[derive(Clone, Copy)]
enum Digits {
    Exact,
    Cents,
}

fn plural(unit: Unit, d: Decimal) -> &'static str {
    let one = d == Decimal::ONE;
    match (unit, one) {
        (Unit::Hour, _) => "h",
        (Unit::Room, true) => "room",
        (Unit::Room, false) => "rooms",
        (Unit::Unit, true) => "unit",
        (Unit::Unit, false) => "units",
        (Unit::Vehicle, true) => "vehicle",
        (Unit::Vehicle, false) => "vehicles",
        (Unit::Person, true) => "person",
        (Unit::Person, false) => "people",
    }
}

pub use format::{format_count, format_money, trim};

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// Interpolated money is what a customer reads: cents, never more digits; the exact value
    /// (what traces show and lines are computed from) is unchanged.
    #[test]
    fn text_shows_money_in_cents() {
        let share = Value::Money(dec!(3999.999), Currency::USD);
        assert_eq!(share.display_in_text(), "$4,000.00");
        assert_eq!(share.display(), "$3,999.999");
        assert_eq!(share, Value::Money(dec!(3999.999), Currency::USD));
        let cases = [
            (dec!(1102.6025), "$1,102.60"),
            (dec!(0.005), "$0.01"),
            (dec!(-0.005), "-$0.01"),
            (dec!(-0.004), "$0.00"),
            (dec!(38000), "$38,000.00"),
            (dec!(12.5), "$12.50"),
        ];
        for (d, want) in cases {
            assert_eq!(Value::Money(d, Currency::USD).display_in_text(), want, "{d}");
        }
        let list = Value::List(Arc::new(vec![
            Value::Money(dec!(1.234), Currency::USD),
            Value::Number(dec!(1.234)),
        ]));
        assert_eq!(list.display_in_text(), "[$1.23, 1.234]");
        // A rate is a price, not an amount due: its digits stay.
        let rate = Value::Rate(dec!(1.305), Currency::USD, Unit::Room);
        assert_eq!(rate.display_in_text(), rate.display());
    }
}
