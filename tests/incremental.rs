//! Incremental re-checking (issue 2, item 5): editing one contract re-runs only that contract's
//! queries; editing a standard-library function re-checks the contracts that use it, and only them.
//! Counts come from `BillDb::with_log()`, which records every query salsa executes.

#[path = "../benches/common/gen.rs"]
mod generate;

use billc_lang::db::{BillDb, QueryLog};
use billc_lang::session::Session;
use salsa::plumbing::AsId;

/// The queries executed since the last call (and clears the log).
#[expect(clippy::unwrap_used, reason = "test helper: a poisoned log mutex is a test failure")]
fn take(log: &QueryLog) -> Vec<String> {
    std::mem::take(&mut *log.lock().unwrap())
}

/// How many times `query` executed in `log`.
fn count(log: &[String], query: &str) -> usize {
    log.iter().filter(|e| e.starts_with(&format!("{query}("))).count()
}

/// A contract that uses no module: plain expressions only.
const PLAIN: &str = r#"contract "2000" {
    customer "Plain Garage"
    billing  arrears
    terms    "Due in 30 Days"
    group 1 "Parking"
    line "Monthly Fee" gl 4790 group 1 = $1,000
}
"#;

/// Five generated contracts (all `use towne_park`) and one plain contract, checked once.
fn session() -> (Session, QueryLog, Vec<billc_lang::db::SourceFile>) {
    let (db, log) = BillDb::with_log();
    let mut session = Session::new(db);
    let mut files: Vec<_> = generate::contracts(5)
        .iter()
        .map(|(p, t)| session.add_file(p, t))
        .collect();
    files.push(session.add_file("plain.bill", PLAIN));
    let diags = session.diagnostics(&files);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(session.plans(&files).len(), 6);
    (session, log, files)
}

#[test]
fn a_first_check_runs_every_query_once() {
    let (session, log, files) = session();
    let first = take(&log);
    // 6 user files + the 2 standard-library modules (`towne_park` uses `pricing`).
    assert_eq!(count(&first, "parse_file"), 8, "{first:#?}");
    assert_eq!(count(&first, "check_module"), 8, "{first:#?}");
    assert_eq!(count(&first, "compile_contract"), 6, "{first:#?}");
    // Diagnostics are gathered per file: the 6 user files (the library's are not asked for).
    assert_eq!(count(&first, "check_file"), 6, "{first:#?}");
    // Asking again executes nothing: every answer is memoized.
    session.diagnostics(&files);
    session.plans(&files);
    assert_eq!(take(&log), Vec::<String>::new());
}

#[test]
fn editing_one_contract_re_runs_only_its_queries() {
    let (mut session, log, files) = session();
    take(&log);
    let edited = files[2];
    let new_text = generate::contract(2).replace("Generated Hotel 2", "Renamed Hotel 2");
    session.set_text(edited, &new_text);
    let diags = session.diagnostics(&files);
    assert!(diags.is_empty(), "{diags:#?}");
    let rerun = take(&log);
    // The edited file's diagnostics, parse, module and its one contract; nothing of the other
    // five files.
    assert_eq!(rerun.len(), 4, "{rerun:#?}");
    assert_eq!(count(&rerun, "check_file"), 1);
    assert!(
        rerun.contains(&format!("parse_file({:?})", edited.as_id())),
        "{rerun:#?}"
    );
    assert_eq!(count(&rerun, "parse_file"), 1);
    assert_eq!(count(&rerun, "check_module"), 1);
    assert_eq!(count(&rerun, "compile_contract"), 1);
    // Plans come from the same memos: nothing executes again.
    let plans = session.plans(&files);
    assert_eq!(plans.len(), 6);
    assert_eq!(take(&log), Vec::<String>::new());
    // A second edit of the same file costs the same four queries.
    session.set_text(edited, &new_text.replace("Renamed", "Again renamed"));
    session.diagnostics(&files);
    let again = take(&log);
    assert_eq!(again.len(), 4, "{again:#?}");
    assert_eq!(count(&again, "compile_contract"), 1);
}

#[test]
fn editing_a_stdlib_function_re_checks_its_dependents_only() {
    let (mut session, log, files) = session();
    take(&log);
    let stdlib = billc_lang::session::STDLIB[0].1;
    let old = r#"fn validations() -> Money = sum(revenue.billable_net_validation where deposit_flag == "V")"#;
    assert!(stdlib.contains(old));
    let new = r#"fn validations() -> Money = sum(revenue.billable_net_validation where deposit_flag == "V" and category != "Per Man Hour")"#;
    session.add_file("stdlib/towne_park.bill", &stdlib.replace(old, new));
    let diags = session.diagnostics(&files);
    assert!(diags.is_empty(), "{diags:#?}");
    let rerun = take(&log);
    // The library is re-parsed and re-checked; so is every module that uses it (5), and every
    // contract of those modules (5). The plain contract and its file are reused.
    assert_eq!(count(&rerun, "parse_file"), 1, "{rerun:#?}");
    assert_eq!(count(&rerun, "check_module"), 6, "{rerun:#?}");
    assert_eq!(count(&rerun, "compile_contract"), 5, "{rerun:#?}");
    assert_eq!(count(&rerun, "check_file"), 5, "{rerun:#?}");
}
