//! Types with dimensions: what a value is (money in a currency, a percentage, hours, a rate per unit…),
//! and how types print in messages.

use crate::schema::{ColumnTy, TableName};
use crate::syntax::ast::{DurationUnit, Unit};
use std::fmt;
use std::sync::Arc;

/// A three-letter currency code, `USD` by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency(pub [u8; 3]);

impl Currency {
    pub const USD: Currency = Currency(*b"USD");

    pub fn from_code(code: &str) -> Currency {
        let mut bytes = *b"USD";
        for (slot, b) in bytes.iter_mut().zip(code.bytes()) {
            *slot = b.to_ascii_uppercase();
        }
        Currency(bytes)
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

/// A record type: named (`type JobRate = {…}`) or the type of a record literal (empty name).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordTy {
    pub name: String,
    pub fields: Vec<(String, Ty)>,
}

impl RecordTy {
    pub fn field(&self, name: &str) -> Option<(usize, &Ty)> {
        self.fields
            .iter()
            .enumerate()
            .find(|(_, (n, _))| n == name)
            .map(|(i, (_, t))| (i, t))
    }
}

/// An enumeration: `type Window = monthly | calendar_year | anniversary`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnumTy {
    pub name: String,
    pub variants: Vec<String>,
}

/// The type of a billc value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    /// The type of an erroneous expression: compatible with everything, so errors do not cascade.
    Error,
    Money(Currency),
    Percent,
    Number,
    Quantity(Unit),
    Rate(Currency, Unit),
    Duration(DurationUnit),
    Date,
    Month,
    Text,
    Bool,
    List(Box<Ty>),
    Record(Arc<RecordTy>),
    Enum(Arc<EnumTy>),
    /// A tier table: price per band and the type of the limits.
    Tiers(Box<Ty>, Box<Ty>),
    /// The result of `tiered` or `volume` over a table of these prices and an amount of this type
    /// (`TierResult<Percent, Money>`): `.due` is [`Ty::tier_due`], `.base`, `.prior` and `.banded`
    /// are the amount's type, `.blend` the price's.
    TierResult(Box<Ty>, Box<Ty>),
    /// A whole input table, e.g. `revenue`.
    Table(TableName),
    /// A column of a table (`revenue.net_external_revenue`), filtered or not: aggregate it with `sum`.
    Column(TableName, Box<Ty>),
}

impl Ty {
    /// The type of a value read from a column of this type.
    pub fn of_column(column: ColumnTy) -> Ty {
        match column {
            ColumnTy::Text => Ty::Text,
            ColumnTy::NumberDim | ColumnTy::Number => Ty::Number,
            ColumnTy::DateDim => Ty::Date,
            ColumnTy::Money => Ty::Money(Currency::USD),
            ColumnTy::Hours => Ty::Quantity(Unit::Hour),
        }
    }

    pub fn usd() -> Ty {
        Ty::Money(Currency::USD)
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Ty::Error)
    }

    /// Whether a value of type `self` may be used where `want` is expected.
    pub fn fits(&self, want: &Ty) -> bool {
        match (self, want) {
            (Ty::Error, _) | (_, Ty::Error) => true,
            (Ty::List(a), Ty::List(b)) => a.fits(b),
            (Ty::Tiers(a, b), Ty::Tiers(c, d)) | (Ty::TierResult(a, b), Ty::TierResult(c, d)) => a.fits(c) && b.fits(d),
            (Ty::Record(a), Ty::Record(b)) => {
                a == b
                    || ((a.name.is_empty() || b.name.is_empty())
                        && a.fields.len() == b.fields.len()
                        && b.fields
                            .iter()
                            .all(|(n, t)| a.field(n).is_some_and(|(_, at)| at.fits(t))))
            }
            (a, b) => a == b,
        }
    }

    /// What a tier table of `price`s charges for an amount of type `amount`: a percentage of the
    /// amount is of the amount's type (a share of money is money, of a number a number); a rate or an
    /// amount per unit is money. `None` when the price cannot apply to the amount (a rate per room
    /// over hours, money per unit over money, a price that is no price).
    pub fn tier_due(price: &Ty, amount: &Ty) -> Option<Ty> {
        match (price, amount) {
            (Ty::Error, _) | (_, Ty::Error) => Some(Ty::Error),
            (Ty::Percent, t @ (Ty::Money(_) | Ty::Number | Ty::Quantity(_))) => Some(t.clone()),
            (Ty::Rate(c, u), Ty::Quantity(q)) if u == q => Some(Ty::Money(*c)),
            (Ty::Money(c), Ty::Number) => Some(Ty::Money(*c)),
            _ => None,
        }
    }

    /// The diagnostic message when [`Ty::tier_due`] is `None` (a call or a `TierResult<…>` annotation).
    pub fn tier_mismatch(price: &Ty, amount: &Ty) -> String {
        format!("a tier price `{price}` cannot apply to an amount `{amount}`")
    }

    /// The type of a field of a tier result over `price` and `amount` (`None`: no such field).
    pub fn tier_field(price: &Ty, amount: &Ty, name: &str) -> Option<Ty> {
        match name {
            "due" => Ty::tier_due(price, amount),
            "base" | "prior" | "banded" => Some(amount.clone()),
            "blend" => Some(price.clone()),
            _ => None,
        }
    }

    /// The types that sums and `+` accept.
    pub fn is_additive(&self) -> bool {
        matches!(
            self,
            Ty::Error | Ty::Money(_) | Ty::Percent | Ty::Number | Ty::Quantity(_) | Ty::Rate(..) | Ty::Duration(_)
        )
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Error => write!(f, "?"),
            Ty::Money(c) if *c == Currency::USD => write!(f, "Money"),
            Ty::Money(c) => write!(f, "Money<{}>", c.code()),
            Ty::Percent => write!(f, "Percent"),
            Ty::Number => write!(f, "Number"),
            Ty::Quantity(Unit::Hour) => write!(f, "Hours"),
            Ty::Quantity(u) => write!(f, "Quantity<{}>", u.word()),
            Ty::Rate(c, u) if *c == Currency::USD => write!(f, "Money/{}", unit_type_name(*u)),
            Ty::Rate(c, u) => write!(f, "Money<{}>/{}", c.code(), unit_type_name(*u)),
            Ty::Duration(DurationUnit::Day) => write!(f, "Days"),
            Ty::Duration(DurationUnit::Month) => write!(f, "Months"),
            Ty::Duration(DurationUnit::Year) => write!(f, "Years"),
            Ty::Date => write!(f, "Date"),
            Ty::Month => write!(f, "Month"),
            Ty::Text => write!(f, "Text"),
            Ty::Bool => write!(f, "Bool"),
            Ty::List(t) => write!(f, "List<{t}>"),
            Ty::Record(r) if r.name.is_empty() => {
                write!(f, "{{")?;
                for (i, (n, t)) in r.fields.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{n}: {t}")?;
                }
                write!(f, "}}")
            }
            Ty::Record(r) => write!(f, "{}", r.name),
            Ty::Enum(e) => write!(f, "{}", e.name),
            Ty::Tiers(p, l) => write!(f, "Tiers<{p}, {l}>"),
            Ty::TierResult(p, a) => write!(f, "TierResult<{p}, {a}>"),
            Ty::Table(t) => write!(f, "Table<{}>", t.name()),
            Ty::Column(t, c) => write!(f, "Column<{}, {c}>", t.name()),
        }
    }
}

/// `Hour`, `Room`, … as written in a type (`Money/Hour`).
pub fn unit_type_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Hour => "Hour",
        Unit::Room => "Room",
        Unit::Unit => "Unit",
        Unit::Vehicle => "Vehicle",
        Unit::Person => "Person",
    }
}
