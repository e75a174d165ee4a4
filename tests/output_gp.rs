//! The Great Plains export (RULES.md §12) and whole-invoice totals (EXAMPLES.md 23 and 24).

mod output_fixtures;

use billc_billing::gp::{
    self, GpDocument, GpError, GpKind, GpRow, GpSite, batch_id, company_code, deferral_release, export,
    parking_tax_journal,
};
use billc_billing::invoice::Invoice;
use billc_lang::terms::Billing;
use billc_lang::time::{YearMonth, parse_date};
use billc_lang::value::format::format_cents as format_money;
use output_fixtures::{invoice, line, node};
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn site(gl_string: &str) -> GpSite {
    GpSite {
        gl_string: gl_string.into(),
        vendor_id: "V0238".into(),
    }
}

#[allow(
    clippy::unwrap_used,
    reason = "a test helper: a broken fixture should fail the test loudly"
)]
fn lines_invoice(number: &str, amounts: &[(&str, Decimal)]) -> Invoice {
    let site = number.get(0..4).unwrap();
    invoice(
        number,
        site,
        amounts
            .iter()
            .map(|(gl, a)| line("Line", gl, *a, &[], node("x", "")))
            .collect(),
    )
}

fn row(account: &str, debit: Decimal, credit: Decimal) -> GpRow {
    GpRow {
        account: account.into(),
        debit,
        credit,
    }
}

#[allow(
    clippy::unwrap_used,
    reason = "a test helper: a broken fixture should fail the test loudly"
)]
fn csv(docs: &[GpDocument]) -> String {
    let mut out = Vec::new();
    gp::write_csv(&mut out, docs).unwrap();
    String::from_utf8(out).unwrap()
}

/// EXAMPLES.md 23: revenue share 67,150.92, mid-month advance −12,000.00, client-paid expense −1,284.00.
#[test]
fn example_23_invoice_total() {
    let inv = lines_invoice(
        "0238-202503-01-01",
        &[
            ("4790", dec!(67150.92)),
            ("4790", dec!(-12000.00)),
            ("7000", dec!(-1284.00)),
        ],
    );
    assert_eq!(inv.total, dec!(53866.92));
    assert_eq!(format_money(inv.total), "$53,866.92");
    let doc = export(&inv, &site("02-02-4401-"), Billing::Arrears).unwrap();
    assert_eq!(doc.kind, GpKind::Receivable);
    assert_eq!(
        doc.rows,
        [
            row("02-02-4401-4790-0238", dec!(0), dec!(67150.92)),
            row("02-02-4401-4790-0238", dec!(12000.00), dec!(0)),
            row("02-02-4401-7000-0238", dec!(1284.00), dec!(0)),
            row("02-00-0000-1200-0000", dec!(53866.92), dec!(0)),
        ]
    );
    assert_eq!(doc.totals(), Some((dec!(67150.92), dec!(67150.92))));
}

/// EXAMPLES.md 24: a negative invoice goes to payables and balances to the cent.
#[test]
fn example_24_negative_invoice_is_a_payable() {
    let mut inv = lines_invoice(
        "0500-202408-01-01",
        &[
            ("4790", dec!(-4664.61)),
            ("4791", dec!(2261.64)),
            ("4792", dec!(141.34)),
        ],
    );
    inv.date = parse_date("2024-08-31").unwrap();
    assert_eq!(inv.total, dec!(-2261.63));
    let doc = export(&inv, &site("02-02-4401-"), Billing::Arrears).unwrap();
    assert_eq!(doc.kind, GpKind::Payable);
    assert_eq!(doc.vendor_id.as_deref(), Some("V0238"));
    assert_eq!(doc.document, "05002024080101");
    assert_eq!(doc.batch, "202408POWERBILL20240831");
    assert_eq!(
        doc.rows,
        [
            row("02-02-4401-4790-0500", dec!(4664.61), dec!(0)),
            row("02-02-4401-4791-0500", dec!(0), dec!(2261.64)),
            row("02-02-4401-4792-0500", dec!(0), dec!(141.34)),
            row("02-00-0000-2000-0000", dec!(0), dec!(2261.63)),
        ]
    );
    assert_eq!(doc.totals(), Some((dec!(4664.61), dec!(4664.61))));
    assert!(doc.is_balanced());
    insta::assert_snapshot!(csv(&[doc]));
}

#[test]
fn company_codes() {
    assert_eq!(company_code("07-01-1234-"), "07");
    assert_eq!(company_code("22-05-0001-"), "22");
    assert_eq!(company_code("02-02-4401-"), "02");
    assert_eq!(company_code("05-02-4401-"), "02");
    assert_eq!(company_code("7-"), "02");
    assert_eq!(company_code(""), "02");
    for (gl_string, ar, ap) in [
        ("07-01-1234-", "07-00-0000-1200-0000", "07-00-0000-2000-0000"),
        ("22-05-0001-", "22-00-0000-1200-0000", "22-00-0000-2000-0000"),
        ("11-03-0002-", "02-00-0000-1200-0000", "02-00-0000-2000-0000"),
    ] {
        let pos = lines_invoice("0238-202503-01-01", &[("4790", dec!(10))]);
        let neg = lines_invoice("0238-202503-01-01", &[("4790", dec!(-10))]);
        let doc = export(&pos, &site(gl_string), Billing::Arrears).unwrap();
        assert_eq!(doc.rows[0].account, format!("{gl_string}4790-0238"));
        assert_eq!(doc.rows[1], row(ar, dec!(10), dec!(0)));
        let doc = export(&neg, &site(gl_string), Billing::Arrears).unwrap();
        assert_eq!(doc.rows[1], row(ap, dec!(0), dec!(10)));
    }
}

#[test]
fn advanced_billing_defers_revenue_until_the_service_month() {
    let mut inv = lines_invoice(
        "0238-202502-01-01",
        &[("4790", dec!(10000.00)), ("4791", dec!(-250.00))],
    );
    inv.date = parse_date("2025-02-01").unwrap();
    let s = site("07-01-1234-");
    let doc = export(&inv, &s, Billing::Advanced).unwrap();
    assert_eq!(doc.kind, GpKind::Receivable);
    assert_eq!(doc.batch, "202502POWERBILL20250201");
    assert_eq!(
        doc.rows,
        [
            row("07-00-0000-2450-0000", dec!(0), dec!(10000.00)),
            row("07-00-0000-2450-0000", dec!(250.00), dec!(0)),
            row("07-00-0000-1200-0000", dec!(9750.00), dec!(0)),
        ]
    );
    let service = YearMonth::parse("2025-03").unwrap();
    let release = deferral_release(&inv, &s, Billing::Advanced, service).unwrap().unwrap();
    assert_eq!(release.kind, GpKind::Journal);
    assert_eq!(release.batch, "202503POWERBILL20250301");
    assert_eq!(
        release.rows,
        [
            row("07-00-0000-2450-0000", dec!(10000.00), dec!(0)),
            row("07-01-1234-4790-0238", dec!(0), dec!(10000.00)),
            row("07-00-0000-2450-0000", dec!(0), dec!(250.00)),
            row("07-01-1234-4791-0238", dec!(250.00), dec!(0)),
        ]
    );
    assert!(release.is_balanced());
    // Arrears, or an advance refund, defers nothing.
    assert_eq!(deferral_release(&inv, &s, Billing::Arrears, service), Ok(None));
    let refund = lines_invoice("0238-202502-01-01", &[("4790", dec!(-5))]);
    assert_eq!(deferral_release(&refund, &s, Billing::Advanced, service), Ok(None));
    let doc = export(&refund, &s, Billing::Advanced).unwrap();
    assert_eq!(doc.kind, GpKind::Payable);
    assert_eq!(doc.rows[0].account, "07-01-1234-4790-0238");
}

#[test]
fn zero_total_is_a_payable_without_a_balancing_row() {
    let inv = lines_invoice("0238-202503-01-01", &[("4790", dec!(100)), ("4791", dec!(-100))]);
    let doc = export(&inv, &site("02-02-4401-"), Billing::Arrears).unwrap();
    assert_eq!(doc.kind, GpKind::Payable);
    assert_eq!(doc.rows.len(), 2);
    assert!(doc.is_balanced());
}

#[test]
fn parking_tax_journal_rows() {
    let inv = lines_invoice("0238-202503-01-01", &[("4790", dec!(100))]);
    let s = site("22-05-0001-");
    let j = parking_tax_journal(&inv, &s, dec!(812.45)).unwrap().unwrap();
    assert_eq!(j.kind, GpKind::Journal);
    assert_eq!(j.batch, "202503POWERBILL20250331");
    assert_eq!(
        j.rows,
        [
            row("22-05-0001-4790-0238", dec!(812.45), dec!(0)),
            row("22-00-0000-2030-0000", dec!(0), dec!(812.45)),
        ]
    );
    let refund = parking_tax_journal(&inv, &s, dec!(-3)).unwrap().unwrap();
    assert_eq!(refund.rows[0], row("22-05-0001-4790-0238", dec!(0), dec!(3)));
    assert!(refund.is_balanced());
    assert_eq!(parking_tax_journal(&inv, &s, dec!(0)), Ok(None));
}

#[test]
fn refusals() {
    let inv = lines_invoice("0238-202503-01-01", &[("4790", dec!(-10))]);
    assert_eq!(
        export(&inv, &site("02-02-4401"), Billing::Arrears),
        Err(GpError::BadGlString("02-02-4401".into()))
    );
    let no_vendor = GpSite {
        gl_string: "02-02-4401-".into(),
        vendor_id: " ".into(),
    };
    assert_eq!(
        export(&inv, &no_vendor, Billing::Arrears),
        Err(GpError::MissingVendor { site: "0238".into() })
    );
    let mut wrong = inv.clone();
    wrong.total = dec!(-11);
    let err = export(&wrong, &site("02-02-4401-"), Billing::Arrears).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invoice `0238-202503-01-01` totals `-11.00` but its lines sum to `-10.00`"
    );
    let mut huge = lines_invoice("0238-202503-01-01", &[]);
    for _ in 0..2 {
        huge.lines.push(line("Line", "4790", Decimal::MAX, &[], node("x", "")));
    }
    assert_eq!(
        export(&huge, &site("02-02-4401-"), Billing::Arrears),
        Err(GpError::Overflow {
            number: "0238-202503-01-01".into()
        })
    );
}

#[test]
fn batch_ids() {
    assert_eq!(batch_id(parse_date("2024-08-31").unwrap()), "202408POWERBILL20240831");
    assert_eq!(batch_id(parse_date("2025-01-01").unwrap()), "202501POWERBILL20250101");
}

#[test]
fn csv_of_several_documents() {
    let pos = lines_invoice(
        "0238-202503-01-01",
        &[("4790", dec!(67150.92)), ("4790", dec!(-12000)), ("7000", dec!(-1284))],
    );
    let s = site("02-02-4401-");
    let docs = [
        export(&pos, &s, Billing::Arrears).unwrap(),
        parking_tax_journal(&pos, &s, dec!(1500.5)).unwrap().unwrap(),
    ];
    insta::assert_snapshot!(csv(&docs));
}

fn arb_lines() -> impl Strategy<Value = Vec<(&'static str, Decimal)>> {
    let gl = prop::sample::select(vec!["4790", "4791", "4792", "4795", "7000", "7099"]);
    let cents = prop_oneof![-100_000_000_000_i64..100_000_000_000_i64, -1_000i64..1_000i64,]
        .prop_filter("lines are non-zero", |c| *c != 0);
    prop::collection::vec((gl, cents.prop_map(|c| Decimal::new(c, 2))), 1..25)
}

proptest! {
    #[test]
    fn every_export_balances(
        lines in arb_lines(),
        advanced in any::<bool>(),
        gl_string in prop::sample::select(vec!["02-02-4401-", "07-01-1234-", "22-05-0001-", "11-03-0002-"]),
    ) {
        let inv = lines_invoice("0238-202503-01-01", &lines);
        let billing = if advanced { Billing::Advanced } else { Billing::Arrears };
        let s = site(gl_string);
        let doc = export(&inv, &s, billing).unwrap();
        let (debits, credits) = doc.totals().unwrap();
        prop_assert_eq!(debits, credits);
        for r in &doc.rows {
            prop_assert!(r.debit >= Decimal::ZERO && r.credit >= Decimal::ZERO);
            prop_assert!(r.debit.is_zero() != r.credit.is_zero(), "one side only: {:?}", r);
        }
        let total = inv.total;
        prop_assert_eq!(doc.kind == GpKind::Receivable, total > Decimal::ZERO);
        let balancing = doc.rows.last().unwrap();
        if total > Decimal::ZERO {
            prop_assert_eq!(balancing.debit, total);
            prop_assert!(balancing.account.ends_with("-00-0000-1200-0000"));
        } else if total < Decimal::ZERO {
            prop_assert_eq!(balancing.credit, -total);
            prop_assert!(balancing.account.ends_with("-00-0000-2000-0000"));
        }
        let service = YearMonth::parse("2025-04").unwrap();
        if let Some(release) = deferral_release(&inv, &s, billing, service).unwrap() {
            prop_assert!(release.is_balanced());
        }
    }
}
