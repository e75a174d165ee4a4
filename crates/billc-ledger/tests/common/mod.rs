//! What the ledger's tests share: a run's invoice and a run's input, as `billc run` makes them.

#![expect(clippy::unwrap_used, reason = "tests: a failure is a test failure")]
#![allow(dead_code, reason = "each test file uses what it needs")]

use billc_billing::invoice::{Invoice, InvoiceLine, Status as RunStatus, TraceNode};
use billc_ledger::record::RunInput;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

pub fn line(title: &str, amount: Decimal) -> InvoiceLine {
    InvoiceLine {
        title: title.into(),
        description: String::new(),
        gl: "4790".into(),
        amount,
        tags: vec!["fixed_fee".into()],
        trace: TraceNode::default(),
    }
}

/// A run's invoice for `site`, group 1, March 2025, with these lines.
pub fn invoice(site: &str, lines: &[(&str, Decimal)]) -> Invoice {
    let lines: Vec<InvoiceLine> = lines.iter().map(|(t, a)| line(t, *a)).collect();
    Invoice {
        number: format!("{site}-202503-01-01"),
        site: site.into(),
        contract: format!("contracts/{site}.bill"),
        customer: format!("Customer {site}"),
        group: 1,
        group_title: None,
        period: "2025-03".into(),
        date: NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(),
        due: NaiveDate::from_ymd_opt(2025, 4, 30),
        terms: "Due in 30 Days".into(),
        status: RunStatus::Ready,
        status_reasons: Vec::new(),
        total: lines.iter().map(|l| l.amount).sum(),
        lines,
    }
}

pub fn input(sites: &[&str]) -> RunInput {
    RunInput {
        period: "2025-03".into(),
        contracts_digest: "blake3:c".into(),
        data_digest: "blake3:d".into(),
        billc_version: "test".into(),
        started_at: "2025-04-02T08:59:00.000Z".into(),
        options: "{}".into(),
        refused: false,
        contracts: sites.iter().map(|s| format!("contracts/{s}.bill")).collect(),
        customers: Vec::new(),
        site_customers: BTreeMap::new(),
    }
}
