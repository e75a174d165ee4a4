//! The one rounding policy, and checked decimal arithmetic: an overflow is an error, never a wrap.

use rust_decimal::{Decimal, RoundingStrategy};

/// The named rounding modes of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// Half away from zero: 2.345 → 2.35, −2.345 → −2.35. The default everywhere.
    HalfAway,
    /// Half to even (banker's): 2.345 → 2.34, 2.355 → 2.36.
    HalfEven,
    /// Away from zero: 2.341 → 2.35.
    Up,
    /// Toward zero: 2.349 → 2.34.
    Down,
}

impl Rounding {
    pub fn from_name(name: &str) -> Option<Rounding> {
        Some(match name {
            "half_away" => Rounding::HalfAway,
            "half_even" => Rounding::HalfEven,
            "up" => Rounding::Up,
            "down" => Rounding::Down,
            _ => return None,
        })
    }

    fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::HalfAway => RoundingStrategy::MidpointAwayFromZero,
            Rounding::HalfEven => RoundingStrategy::MidpointNearestEven,
            Rounding::Up => RoundingStrategy::AwayFromZero,
            Rounding::Down => RoundingStrategy::ToZero,
        }
    }
}

/// Rounds to `places` decimals with `mode`.
pub fn round(d: Decimal, places: u32, mode: Rounding) -> Decimal {
    d.round_dp_with_strategy(places, mode.strategy())
}

/// Rounds to cents, half away from zero: what every line amount goes through once (RULES.md §3).
pub fn cents(d: Decimal) -> Decimal {
    let mut r = round(d, 2, Rounding::HalfAway);
    r.rescale(2);
    r
}

/// Why arithmetic failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithError {
    Overflow,
    DivisionByZero,
}

pub fn add(a: Decimal, b: Decimal) -> Result<Decimal, ArithError> {
    a.checked_add(b).ok_or(ArithError::Overflow)
}

pub fn sub(a: Decimal, b: Decimal) -> Result<Decimal, ArithError> {
    a.checked_sub(b).ok_or(ArithError::Overflow)
}

pub fn mul(a: Decimal, b: Decimal) -> Result<Decimal, ArithError> {
    a.checked_mul(b).ok_or(ArithError::Overflow)
}

pub fn div(a: Decimal, b: Decimal) -> Result<Decimal, ArithError> {
    if b.is_zero() {
        return Err(ArithError::DivisionByZero);
    }
    a.checked_div(b).ok_or(ArithError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounding_modes() {
        assert_eq!(round(dec!(2.345), 2, Rounding::HalfAway), dec!(2.35));
        assert_eq!(round(dec!(-2.345), 2, Rounding::HalfAway), dec!(-2.35));
        assert_eq!(round(dec!(2.345), 2, Rounding::HalfEven), dec!(2.34));
        assert_eq!(round(dec!(2.355), 2, Rounding::HalfEven), dec!(2.36));
        assert_eq!(round(dec!(2.341), 2, Rounding::Up), dec!(2.35));
        assert_eq!(round(dec!(-2.341), 2, Rounding::Up), dec!(-2.35));
        assert_eq!(round(dec!(2.349), 2, Rounding::Down), dec!(2.34));
        assert_eq!(cents(dec!(12846.875)), dec!(12846.88));
        assert_eq!(cents(dec!(3999.999)).to_string(), "4000.00");
    }

    #[test]
    fn overflow_is_an_error() {
        assert_eq!(mul(Decimal::MAX, dec!(2)), Err(ArithError::Overflow));
        assert_eq!(add(Decimal::MAX, Decimal::ONE), Err(ArithError::Overflow));
        assert_eq!(div(Decimal::ONE, Decimal::ZERO), Err(ArithError::DivisionByZero));
    }
}
