//! The bundled contracts and the standard library: they check clean, and every `test` block and
//! doc example passes.

use billc_lang::session::Session;

#[expect(
    clippy::unwrap_used,
    reason = "test helper: unreadable bundled files are a test failure"
)]
fn load(session: &mut Session, dir: &str) -> Vec<billc_lang::db::SourceFile> {
    let mut paths = Vec::new();
    billc_billing::sources::collect(std::path::Path::new(dir), "bill", &mut paths).unwrap();
    paths
        .iter()
        .map(|p| session.add_file(&p.to_string_lossy(), &std::fs::read_to_string(p).unwrap()))
        .collect()
}

#[test]
fn contracts_and_stdlib_check_clean_and_their_tests_pass() {
    let mut session = Session::default();
    let mut files = load(&mut session, "stdlib");
    files.extend(load(&mut session, "contracts"));
    files.extend(load(&mut session, "tests/lang"));
    let diags = session.diagnostics(&files);
    assert!(diags.is_empty(), "{diags:#?}");
    let report = billc_lang::testing::run_tests(&session, &files);
    assert_eq!(report.failures, vec![]);
    assert!(report.passed >= 45, "only {} tests ran", report.passed);
}
