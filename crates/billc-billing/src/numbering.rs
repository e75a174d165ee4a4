//! Invoice numbers, invoice dates and service months (RULES.md §1).
//!
//! A contract bills either in **arrears** (after the service month; 612 of 621 contracts) or in
//! **advance** (before it). The billing type decides three things, all computed here from the
//! *service month* and nothing else (never from the wall clock):
//!
//! | | Arrears | Advanced |
//! |---|---|---|
//! | month in the invoice number | the service month | the month before the service month |
//! | invoice date | last day of the service month | first day of the month before the service month |
//! | service month of a run "in month M" | M − 1 | M + 1 |
//!
//! An invoice number is `{site}-{YYYYMM}-{GG}-{VV}`: site, month, group number and version, the last two
//! with two digits each (`0500-202408-01-01`). Group and version are therefore 1 to 99; anything else is
//! a [`NumberingError`], never a wider or truncated number.

use billc_lang::terms::Billing;
use billc_lang::time::YearMonth;
use std::fmt;

/// Why an invoice number cannot be made or read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NumberingError {
    /// The site is empty or holds a character other than an ASCII letter or digit.
    BadSite(String),
    /// The group number is not 1 to 99.
    GroupOutOfRange(u32),
    /// The version is not 1 to 99.
    VersionOutOfRange(u32),
    /// The month moved out of the calendar (before year 1).
    MonthOutOfRange(YearMonth),
    /// The text is not `{site}-{YYYYMM}-{GG}-{VV}`.
    Malformed(String),
}

impl fmt::Display for NumberingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberingError::BadSite(site) => {
                write!(f, "site `{site}` is not a site number (letters and digits only)")
            }
            NumberingError::GroupOutOfRange(g) => {
                write!(f, "invoice group `{g}` does not fit two digits (1 to 99)")
            }
            NumberingError::VersionOutOfRange(v) => {
                write!(f, "invoice version `{v}` does not fit two digits (1 to 99)")
            }
            NumberingError::MonthOutOfRange(m) => write!(f, "month before `{m}` is out of range"),
            NumberingError::Malformed(text) => write!(f, "`{text}` is not an invoice number like `0238-202506-01-01`"),
        }
    }
}

impl std::error::Error for NumberingError {}

/// The parts of an invoice number.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InvoiceNumber {
    /// Site number (or the group's override).
    pub site: String,
    /// The month in the number: the service month, or the month before it for Advanced billing.
    pub month: YearMonth,
    /// Invoice group, 1 to 99.
    pub group: u32,
    /// Version, 1 to 99; 1 for a first run.
    pub version: u32,
}

impl InvoiceNumber {
    /// The number of the invoice of `group`, `version` for `service` month under `billing`.
    pub fn new(
        site: &str,
        service: YearMonth,
        group: u32,
        version: u32,
        billing: Billing,
    ) -> Result<InvoiceNumber, NumberingError> {
        let month = billing
            .invoice_month(service)
            .ok_or(NumberingError::MonthOutOfRange(service))?;
        let number = InvoiceNumber {
            site: site.to_owned(),
            month,
            group,
            version,
        };
        number.validate()?;
        Ok(number)
    }

    /// Reads `{site}-{YYYYMM}-{GG}-{VV}` exactly (two-digit group and version).
    pub fn parse(text: &str) -> Result<InvoiceNumber, NumberingError> {
        let malformed = || NumberingError::Malformed(text.to_owned());
        let parts: Vec<&str> = text.split('-').collect();
        let [site, month, group, version] = parts.as_slice() else {
            return Err(malformed());
        };
        let two = |s: &str| -> Option<u32> {
            (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let month = (month.len() == 6)
            .then(|| YearMonth::parse(&format!("{}-{}", month.get(0..4)?, month.get(4..6)?)))
            .flatten()
            .ok_or_else(malformed)?;
        let number = InvoiceNumber {
            site: (*site).to_owned(),
            month,
            group: two(group).ok_or_else(malformed)?,
            version: two(version).ok_or_else(malformed)?,
        };
        number.validate().map_err(|_| malformed())?;
        Ok(number)
    }

    fn validate(&self) -> Result<(), NumberingError> {
        if self.site.is_empty() || !self.site.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(NumberingError::BadSite(self.site.clone()));
        }
        if !(1..=99).contains(&self.group) {
            return Err(NumberingError::GroupOutOfRange(self.group));
        }
        if !(1..=99).contains(&self.version) {
            return Err(NumberingError::VersionOutOfRange(self.version));
        }
        Ok(())
    }
}

impl fmt::Display for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{:04}{:02}-{:02}-{:02}",
            self.site, self.month.year, self.month.month, self.group, self.version
        )
    }
}

/// `{site}-{YYYYMM}-{GG}-{VV}` for a service month (RULES.md §1).
pub fn invoice_number(
    site: &str,
    service: YearMonth,
    group: u32,
    version: u32,
    billing: Billing,
) -> Result<String, NumberingError> {
    InvoiceNumber::new(site, service, group, version, billing).map(|n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use billc_lang::time::parse_date;

    fn ym(text: &str) -> YearMonth {
        YearMonth::parse(text).unwrap()
    }

    #[test]
    fn numbers() {
        let cases: &[(&str, &str, u32, u32, Billing, &str)] = &[
            ("0500", "2024-08", 1, 1, Billing::Arrears, "0500-202408-01-01"),
            ("0238", "2025-06", 2, 3, Billing::Arrears, "0238-202506-02-03"),
            ("0238", "2025-06", 12, 99, Billing::Arrears, "0238-202506-12-99"),
            ("0238", "2025-06", 1, 1, Billing::Advanced, "0238-202505-01-01"),
            ("0238", "2025-01", 1, 1, Billing::Advanced, "0238-202412-01-01"),
        ];
        for (site, month, group, version, billing, want) in cases {
            assert_eq!(
                invoice_number(site, ym(month), *group, *version, *billing).as_deref(),
                Ok(*want)
            );
            let parsed = InvoiceNumber::parse(want).unwrap();
            assert_eq!(parsed.to_string(), *want);
        }
    }

    #[test]
    fn number_errors() {
        let m = ym("2025-06");
        let a = Billing::Arrears;
        assert_eq!(
            invoice_number("0238", m, 0, 1, a),
            Err(NumberingError::GroupOutOfRange(0))
        );
        assert_eq!(
            invoice_number("0238", m, 100, 1, a),
            Err(NumberingError::GroupOutOfRange(100))
        );
        assert_eq!(
            invoice_number("0238", m, 1, 100, a),
            Err(NumberingError::VersionOutOfRange(100))
        );
        assert_eq!(
            invoice_number("02-38", m, 1, 1, a),
            Err(NumberingError::BadSite("02-38".into()))
        );
        assert_eq!(
            invoice_number("", m, 1, 1, a),
            Err(NumberingError::BadSite(String::new()))
        );
        assert_eq!(
            invoice_number("0238", ym("0001-01"), 1, 1, Billing::Advanced),
            Err(NumberingError::MonthOutOfRange(ym("0001-01")))
        );
        for bad in [
            "0238",
            "0238-202506-01",
            "0238-202506-1-01",
            "0238-202513-01-01",
            "0238-2025-06-01-01",
            "0238-202506-00-01",
            "-202506-01-01",
        ] {
            assert_eq!(
                InvoiceNumber::parse(bad),
                Err(NumberingError::Malformed(bad.into())),
                "{bad}"
            );
        }
        assert_eq!(
            NumberingError::GroupOutOfRange(100).to_string(),
            "invoice group `100` does not fit two digits (1 to 99)"
        );
    }

    #[test]
    fn dates() {
        let cases: &[(Billing, &str, &str)] = &[
            (Billing::Arrears, "2025-06", "2025-06-30"),
            (Billing::Arrears, "2024-02", "2024-02-29"),
            (Billing::Arrears, "2025-02", "2025-02-28"),
            (Billing::Arrears, "2025-12", "2025-12-31"),
            (Billing::Advanced, "2025-06", "2025-05-01"),
            (Billing::Advanced, "2025-01", "2024-12-01"),
            (Billing::Advanced, "2024-03", "2024-02-01"),
        ];
        for (billing, month, date) in cases {
            assert_eq!(
                billing.invoice_date(ym(month)),
                Some(parse_date(date).unwrap()),
                "{billing} {month}"
            );
        }
    }

    #[test]
    fn run_month_to_service_month() {
        assert_eq!(Billing::Arrears.service_month(ym("2025-07")), Some(ym("2025-06")));
        assert_eq!(Billing::Arrears.service_month(ym("2025-01")), Some(ym("2024-12")));
        assert_eq!(Billing::Advanced.service_month(ym("2025-07")), Some(ym("2025-08")));
        assert_eq!(Billing::Advanced.service_month(ym("2025-12")), Some(ym("2026-01")));
        // An Advanced run in M bills M+1, numbered and dated in M.
        let service = Billing::Advanced.service_month(ym("2025-07")).unwrap();
        assert_eq!(Billing::Advanced.invoice_month(service), Some(ym("2025-07")));
    }

    #[test]
    fn billing_parse() {
        assert_eq!(Billing::parse("Arrears"), Some(Billing::Arrears));
        assert_eq!(Billing::parse("ADVANCED"), Some(Billing::Advanced));
        assert_eq!(Billing::parse("monthly"), None);
    }
}
