//! The diagnostics corpus: every file of `tests/corpus/` is a small wrong program; its rendered
//! diagnostics (code, message, file, line, column, labels, help) are snapshots. A second test checks
//! that every diagnostic code is produced by some corpus file, or is listed as not reachable from a
//! single file with the reason.

use billc::diag::{Code, render::render_plain};
use billc::session::Session;
use std::collections::BTreeSet;

/// Checks one corpus file the way `billc check` does (plus its test blocks, for test diagnostics).
#[expect(
    clippy::unwrap_used,
    reason = "test helper: an unreadable corpus file is a test failure"
)]
fn diagnose(path: &std::path::Path) -> (String, Vec<Code>) {
    let text = std::fs::read_to_string(path).unwrap();
    let name = format!("tests/corpus/{}", path.file_name().unwrap().to_string_lossy());
    let mut session = Session::default();
    let file = session.add_file(&name, &text);
    let diags = session.diagnostics(&[file]);
    let sources = session.sources();
    let list: Vec<(&str, &str)> = sources.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let mut text = render_plain(&diags, &list);
    if diags.iter().all(|d| !d.is_error()) {
        for f in billc::testing::run_tests(&session, &[file]).failures {
            text.push_str(&format!("test failure: {}\n  {}\n", f.name, f.message));
        }
    }
    (text, diags.iter().map(|d| d.code).collect())
}

/// Codes that `billc test` reports as failing tests rather than as diagnostics of `billc check`
/// (their corpus files show the failure text).
const REPORTED_AS_TEST_FAILURES: [(Code, &str); 2] = [
    (
        Code::UnknownContract,
        "tests/corpus/unknown_test_contract.bill: a test's contract is looked up when it runs",
    ),
    (
        Code::DocExample,
        "tests/corpus/doc_example_differs.bill: doc examples are evaluated by `billc test`",
    ),
];

#[test]
fn corpus() {
    insta::glob!("corpus/*.bill", |path| {
        let (text, _) = diagnose(path);
        assert!(!text.is_empty(), "{} produced no diagnostic", path.display());
        insta::assert_snapshot!(text);
    });
}

#[test]
fn every_code_is_in_the_corpus() {
    let mut seen = BTreeSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir("tests/corpus").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "bill") {
            seen.extend(diagnose(&path).1);
            files += 1;
        }
    }
    assert!(files >= 40, "only {files} corpus files");
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !seen.contains(c) && !REPORTED_AS_TEST_FAILURES.iter().any(|(r, _)| *r == **c))
        .map(|c| c.as_str())
        .collect();
    assert_eq!(missing, Vec::<&str>::new(), "codes without a corpus case");
}

#[test]
fn recovery_keeps_the_other_statements_of_a_contract() {
    let text = std::fs::read_to_string("tests/corpus/recovery_in_contract_body.bill").unwrap();
    let (module, errors) = billc::syntax::parser::parse(billc::syntax::span::FileId(0), &text);
    // Lines 5 and 7 are broken (and 8 is lost with 7); `customer`, line 6 and line 9 survive.
    assert_eq!(errors.len(), 3);
    let contract = module
        .items
        .iter()
        .find_map(|i| match i {
            billc::syntax::ast::Item::Contract(c) => Some(c),
            _ => None,
        })
        .unwrap();
    assert_eq!(contract.body.len(), 3);
}
