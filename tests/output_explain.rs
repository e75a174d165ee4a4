//! `billc explain`: the text and JSON forms of hand-built invoices, and the lookup by number or site.

mod output_fixtures;

use billc_billing::explain::{explain_json, explain_text, find};
use output_fixtures::*;

#[test]
fn revenue_share_with_three_bands_and_an_annual_window() {
    insta::assert_snapshot!(explain_text(&revenue_share()));
}

#[test]
fn management_agreement_with_profit_share() {
    insta::assert_snapshot!(explain_text(&management_agreement()));
}

#[test]
fn per_labor_hour() {
    insta::assert_snapshot!(explain_text(&output_fixtures::per_labor_hour()));
}

#[test]
fn json_form() {
    insta::assert_snapshot!(explain_json(&revenue_share()));
}

#[test]
fn json_form_round_trips() {
    let inv = management_agreement();
    let back: billc_billing::invoice::Invoice = serde_json::from_str(&explain_json(&inv)).unwrap();
    assert_eq!(back, inv);
}

#[test]
fn find_by_number_or_site() {
    let mut second = revenue_share();
    second.number = "0238-202503-02-01".into();
    second.group = 2;
    let all = vec![
        management_agreement(),
        second,
        revenue_share(),
        output_fixtures::per_labor_hour(),
    ];
    let numbers = |key: &str| -> Vec<String> { find(&all, key).iter().map(|i| i.number.clone()).collect() };
    assert_eq!(numbers("0238-202503-01-01"), ["0238-202503-01-01"]);
    assert_eq!(numbers(" 0412-202503-01-01 "), ["0412-202503-01-01"]);
    // a Great Plains document number finds its invoice too
    assert_eq!(numbers("02382025030101"), ["0238-202503-01-01"]);
    // a site gives all its invoices, by number
    assert_eq!(numbers("0238"), ["0238-202503-01-01", "0238-202503-02-01"]);
    assert_eq!(numbers("0190"), ["0190-202503-01-01"]);
    assert!(numbers("0238-202504-01-01").is_empty());
    assert!(numbers("9999").is_empty());
    assert!(numbers("").is_empty());
}
