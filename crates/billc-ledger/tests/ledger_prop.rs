//! Properties of the ledger over random histories: any sequence of runs, approvals, sendings,
//! payments, credits and adjustments over a few sites leaves a ledger that
//!
//! - `verify` finds clean (hash chain, digests, totals, sent versions, statuses, credit links);
//! - has exactly one current version per base, whose total is what the last run billed for it plus
//!   the ad-hoc lines recorded for it;
//! - never changed a sent document (its content digest is the one it was sent with);
//! - is idempotent: running the last run's invoices again changes no document.

#![expect(clippy::unwrap_used, reason = "tests: a failure is a test failure")]

mod common;

use billc_billing::invoice::Invoice;
use billc_ledger::actions::{self, Adjustment, Command, Selection};
use billc_ledger::model::{Kind, Status};
use billc_ledger::record;
use billc_ledger::{Actor, Mode, Store, payments, verify};
use proptest::prelude::*;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;

const SITES: [&str; 3] = ["0001", "0002", "0003"];

#[derive(Clone, Debug)]
enum Op {
    /// A run: per site, the cents billed (none: the contract bills nothing).
    Run([Option<u32>; 3]),
    Approve(usize),
    Send(usize),
    Pay(usize, u32),
    Credit(usize),
    Adjust(usize, i32),
    Void(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let site = 0..SITES.len();
    prop_oneof![
        3 => proptest::array::uniform3(proptest::option::weighted(0.8, 1u32..4)).prop_map(Op::Run),
        2 => site.clone().prop_map(Op::Approve),
        2 => site.clone().prop_map(Op::Send),
        1 => (site.clone(), 1u32..300_000).prop_map(|(s, c)| Op::Pay(s, c)),
        1 => site.clone().prop_map(Op::Credit),
        1 => (site.clone(), -5000i32..5000).prop_map(|(s, c)| Op::Adjust(s, c)),
        1 => site.prop_map(Op::Void),
    ]
}

fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

/// The invoices of a run: a site's amount is 1,000 × its choice (so runs repeat amounts often).
fn run_invoices(amounts: &[Option<u32>; 3]) -> Vec<Invoice> {
    SITES
        .iter()
        .zip(amounts)
        .filter_map(|(s, a)| a.map(|a| common::invoice(s, &[("Fee", cents(i64::from(a) * 100_000))])))
        .collect()
}

fn current(store: &mut Store, site: &str) -> Option<billc_ledger::model::Document> {
    let docs = store.read(|db| db.select(None, None, Some(site))).unwrap();
    docs.into_iter()
        .rev()
        .find(|d| d.content.kind == Kind::Invoice && d.status != Status::Superseded)
}

fn check(ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("billing.db");
    let mut store = Store::open(&path, Mode::Create).unwrap();
    let (ana, bob) = (
        Actor {
            name: "ana".into(),
            at: "2025-04-02T00:00:00.000Z".into(),
            roles: None,
        },
        Actor {
            name: "bob".into(),
            at: "2025-04-02T00:00:00.000Z".into(),
            roles: None,
        },
    );
    let mut last_run: Option<[Option<u32>; 3]> = None;
    let mut adjusted: BTreeMap<usize, Decimal> = BTreeMap::new();
    let mut reference = 0;
    for op in ops {
        let number = |store: &mut Store, s: usize| current(store, SITES[s]).map(|d| d.number);
        let one = |n: Option<String>| Selection {
            numbers: n.into_iter().collect(),
            ..Selection::default()
        };
        match op {
            Op::Run(amounts) => {
                let mut invoices = run_invoices(&amounts);
                let mut exceptions = Vec::new();
                record::record_run(&mut store, &ana, &common::input(&SITES), &mut invoices, &mut exceptions).unwrap();
                last_run = Some(amounts);
            }
            Op::Approve(s) => {
                let n = number(&mut store, s);
                actions::act(&mut store, &bob, Command::Approve, &one(n), "").unwrap();
            }
            Op::Send(s) => {
                // A pending credit note of the base is sent too, as finance would.
                let pending: Vec<String> = store
                    .read(|db| db.select(None, Some(Status::Draft), Some(SITES[s])))
                    .unwrap()
                    .into_iter()
                    .filter(|d| d.content.kind == Kind::CreditNote)
                    .map(|d| d.number)
                    .collect();
                for n in pending {
                    actions::act(&mut store, &bob, Command::Approve, &one(Some(n.clone())), "").unwrap();
                    actions::act(&mut store, &ana, Command::Send, &one(Some(n)), "").unwrap();
                }
                let n = number(&mut store, s);
                actions::act(&mut store, &ana, Command::Send, &one(n), "").unwrap();
            }
            Op::Pay(s, c) => {
                if let Some(n) = number(&mut store, s) {
                    reference += 1;
                    let text = format!(
                        "invoice,date,amount,reference\n{n},2025-04-10,{},R{reference}\n",
                        cents(i64::from(c))
                    );
                    payments::import(&mut store, &ana, Path::new("p.csv"), &text).unwrap();
                }
            }
            Op::Credit(s) => {
                let n = number(&mut store, s);
                actions::act(&mut store, &ana, Command::Credit, &one(n), "goodwill").unwrap();
            }
            Op::Adjust(s, c) => {
                if c == 0 {
                    continue;
                }
                if let Some(n) = number(&mut store, s) {
                    let adjustment = Adjustment {
                        title: "Adjustment".into(),
                        gl: "4790".into(),
                        amount: cents(i64::from(c)),
                        reason: "agreed".into(),
                    };
                    let o = actions::adjust(&mut store, &ana, &n, &adjustment).unwrap();
                    if !o.done.is_empty() {
                        *adjusted.entry(s).or_default() += cents(i64::from(c));
                    }
                }
            }
            Op::Void(s) => {
                let n = number(&mut store, s);
                actions::act(&mut store, &ana, Command::Void, &one(n), "duplicate").unwrap();
            }
        }
        let v = verify::verify(&mut store).unwrap();
        assert_eq!(v.breaks, vec![], "after {op:?}");
    }
    let Some(amounts) = last_run else { return };
    // Idempotence: the last run again changes no document, whatever happened since.
    let before = store.read(|db| db.select(None, None, None)).unwrap();
    let mut invoices = run_invoices(&amounts);
    let mut exceptions = Vec::new();
    let r = record::record_run(&mut store, &ana, &common::input(&SITES), &mut invoices, &mut exceptions).unwrap();
    let after = store.read(|db| db.select(None, None, None)).unwrap();
    assert_eq!(
        after, before,
        "a re-run of the last run's invoices changed documents: {r:?}"
    );
    // Each billed base's current version bills the run's amount plus its ad-hoc lines, unless it
    // was voided or credited (settled by a person, kept as it is).
    for (s, amount) in amounts.iter().enumerate() {
        let Some(a) = amount else { continue };
        let doc = current(&mut store, SITES[s]).unwrap();
        if matches!(doc.status, Status::Voided | Status::Credited) {
            continue;
        }
        let want = cents(i64::from(*a) * 100_000) + adjusted.get(&s).copied().unwrap_or_default();
        assert_eq!(doc.content.total, want, "{}", doc.number);
    }
    assert_eq!(verify::verify(&mut store).unwrap().breaks, vec![]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_history_verifies_and_reruns_change_nothing(ops in proptest::collection::vec(op(), 1..24)) {
        check(ops);
    }
}
