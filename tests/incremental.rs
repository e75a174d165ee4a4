//! Incremental re-checking (salsa): after an edit, only the queries whose inputs changed run again.
//! The database logs every query it executes; the tests count them by name.

use billc::db::{BillDb, QueryLog};
use billc::session::Session;

fn contract(site: &str, fee: &str) -> String {
    format!(
        "use towne_park\ncontract \"{site}\" {{\n    customer \"Hotel {site}\"\n    fixed_fee {{ title \"Management Fee\" amount {fee} }}\n}}\n"
    )
}

/// How many times each query ran since the log was last cleared: (parse, check_module, compile).
#[expect(clippy::unwrap_used, reason = "test helper: a poisoned log is a test failure")]
fn executed(log: &QueryLog) -> (usize, usize, usize) {
    let mut l = log.lock().unwrap();
    let count = |name: &str| l.iter().filter(|e| e.starts_with(name)).count();
    let counts = (count("parse_file"), count("check_module"), count("compile_contract"));
    l.clear();
    counts
}

#[test]
fn editing_one_contract_recompiles_only_that_contract() {
    let (db, log) = BillDb::with_log();
    let mut session = Session::new(db);
    let files: Vec<_> = ["0238", "0239", "0240"]
        .iter()
        .map(|site| session.add_file(&format!("contracts/{site}.bill"), &contract(site, "$1,000")))
        .collect();
    assert!(session.diagnostics(&files).is_empty());
    assert_eq!(session.plans(&files).len(), 3);
    let (parsed, _, compiled) = executed(&log);
    assert!(parsed >= 3, "the first run parses everything");
    assert_eq!(compiled, 3);

    // Nothing changed: everything is served from memo.
    session.plans(&files);
    assert_eq!(executed(&log), (0, 0, 0));

    // One contract edited: its file is parsed and compiled again, the others are reused.
    session.set_text(files[1], &contract("0239", "$1,250"));
    assert!(session.diagnostics(&files).is_empty());
    let plans = session.plans(&files);
    let (parsed, _, compiled) = executed(&log);
    assert_eq!((parsed, compiled), (1, 1));
    // The new plan bills the new amount.
    let period = billc::time::YearMonth::parse("2025-06").unwrap();
    let run = billc::eval::run_contract(&plans[1], &billc::testdata::MemData::default(), period).unwrap();
    assert_eq!(run.lines[0].line.amount.to_string(), "1250.00");
}

#[test]
fn editing_the_stdlib_rechecks_its_dependents_and_only_them() {
    let (db, log) = BillDb::with_log();
    let mut session = Session::new(db);
    let files: Vec<_> = ["0238", "0239"]
        .iter()
        .map(|site| session.add_file(&format!("contracts/{site}.bill"), &contract(site, "$1,000")))
        .collect();
    session.plans(&files);
    executed(&log);

    // A function nobody calls is added to pricing.bill: the module is checked again, but what the
    // contracts use is unchanged, so salsa cuts off early and no contract is compiled again.
    let pricing = include_str!("../stdlib/pricing.bill");
    session.add_file(
        "stdlib/pricing.bill",
        &format!("{pricing}\n/// Added.\nfn added() -> Number = 1\n"),
    );
    session.plans(&files);
    let (parsed, checked, compiled) = executed(&log);
    assert_eq!(parsed, 1, "only pricing.bill is parsed again");
    assert!(checked >= 1, "pricing is checked again");
    assert_eq!(compiled, 0);

    // The component both contracts use changes: both are compiled again.
    let towne_park = include_str!("../stdlib/towne_park.bill");
    let edited = towne_park.replacen("tags [fixed_fee] order 10", "tags [fixed_fee] order 11", 1);
    assert_ne!(edited, towne_park, "the edit applies");
    session.add_file("stdlib/towne_park.bill", &edited);
    session.plans(&files);
    let (parsed, _, compiled) = executed(&log);
    assert_eq!((parsed, compiled), (1, 2));
}
