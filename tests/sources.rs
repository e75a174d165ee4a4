//! Sources on disk, end to end through the `billc` binary: any line ending and a byte order mark
//! read alike, `.bill` in any case, a folder without contracts is a usage error, and the outputs
//! of `billc run` do not depend on how the contracts and data paths are spelled.

use std::path::Path;
use std::process::{Command, Output};

mod common;

use common::BILLC;

#[expect(clippy::unwrap_used, reason = "test helper")]
fn billc(args: &[&str]) -> Output {
    Command::new(BILLC)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A contract whose second line is a comment and whose error (`$10 + 2h`) is on line 8, column 29.
const CONTRACT: &str = "// a comment that must end at its line\n\
// another\n\
contract \"9999\" {\n\
    customer \"X\"\n\
    billing arrears\n\
    terms \"Due in 30 Days\"\n\
    line \"Fee\" gl 4000 = $10\n\
    line \"Bad\" gl 4000 = $10 + 2h\n\
}\n";

#[expect(clippy::unwrap_used, reason = "test helper")]
fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// The same file with LF, CRLF, CR and a BOM: the same one error, at line 8.
#[test]
fn line_endings_and_bom_read_alike() {
    let spellings = [
        ("lf", CONTRACT.to_string()),
        ("crlf", CONTRACT.replace('\n', "\r\n")),
        ("cr", CONTRACT.replace('\n', "\r")),
        ("bom", format!("\u{feff}{}", CONTRACT.replace('\n', "\r\n"))),
    ];
    let mut rendered = Vec::new();
    for (name, source) in &spellings {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "c.bill", source);
        let out = billc(&["check", dir.path().to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out.stderr));
        let stderr = text(&out.stderr).replace(dir.path().to_str().unwrap(), "<dir>");
        assert!(stderr.contains("<dir>/c.bill:8:"), "{name}: {stderr}");
        assert!(stderr.ends_with("1 error in 1 file\n"), "{name}: {stderr}");
        rendered.push(stderr);
    }
    for r in &rendered[1..] {
        assert_eq!(r, &rendered[0]);
    }
    // Without the error, every spelling holds its one contract.
    for (name, source) in &spellings {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "c.bill", &source.replace(" + 2h", ""));
        let out = billc(&["check", dir.path().to_str().unwrap()]);
        assert_eq!(text(&out.stdout), "checked 1 file, 1 contract: no errors\n", "{name}");
        assert_eq!(out.status.code(), Some(0));
    }
}

/// `x.BILL` and `x.Bill` are contracts too.
#[test]
fn extension_in_any_case() {
    let dir = tempfile::tempdir().unwrap();
    let ok = CONTRACT.replace(" + 2h", "");
    write(dir.path(), "a.BILL", &ok);
    write(dir.path(), "b.Bill", &ok.replace("9999", "9998"));
    write(dir.path(), "c.txt", "not a contract");
    let out = billc(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(text(&out.stdout), "checked 2 files, 2 contracts: no errors\n");
    assert_eq!(out.status.code(), Some(0));
}

/// A folder without a `.bill` file is a usage error for `check`, `test` and `run`.
#[test]
fn folder_without_contracts_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes.txt", "no contracts here");
    let d = dir.path().to_str().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let o = out_dir.path().to_str().unwrap();
    for args in [
        vec!["check", d],
        vec!["test", d],
        vec!["run", d, "--data", "examples/data", "--period", "2025-03", "--out", o],
    ] {
        let out = billc(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(text(&out.stderr), format!("error: no .bill files in {d}\n"), "{args:?}");
        assert_eq!(text(&out.stdout), "", "{args:?}");
    }
}

/// Every file of the period folder is byte-identical whatever the spelling of the paths (`summary.json`
/// but for its measured phase times).
#[test]
fn outputs_do_not_depend_on_path_spelling() {
    let root = env!("CARGO_MANIFEST_DIR");
    let spellings = [
        ("contracts".to_string(), "examples/data".to_string()),
        ("./contracts/".to_string(), "./examples/data/".to_string()),
        (
            "contracts/../contracts".to_string(),
            "examples/../examples/data".to_string(),
        ),
        (format!("{root}/contracts"), format!("{root}/examples/data")),
    ];
    let mut runs: Vec<Vec<(String, Vec<u8>)>> = Vec::new();
    for (contracts, data) in &spellings {
        let out = tempfile::tempdir().unwrap();
        let o = out.path().to_str().unwrap();
        let res = billc(&["run", contracts, "--data", data, "--period", "2025-03", "--out", o]);
        assert_eq!(res.status.code(), Some(0), "{contracts}: {}", text(&res.stderr));
        // Sorted by name; `summary.json` without its measured phase times.
        runs.push(common::period_files(&out.path().join("2025-03")).into_iter().collect());
    }
    let names: Vec<&str> = runs[0].iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, common::PERIOD_FILES);
    let invoices = text(&runs[0][4].1);
    assert!(
        invoices.contains("\"contract\": \"contracts/"),
        "paths relative to the current directory"
    );
    for (run, (contracts, _)) in runs.iter().zip(&spellings).skip(1) {
        for ((name, a), (_, b)) in runs[0].iter().zip(run) {
            assert!(a == b, "{name} differs for `{contracts}`");
        }
    }
}

/// Two contracts for one site, in two files or twice in one: a `check` error at the second naming
/// the first, and `run` refuses (no period folder) instead of billing one of them.
#[test]
fn two_contracts_for_one_site_are_an_error() {
    let ok = CONTRACT.replace(" + 2h", "");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.bill", &ok);
    write(dir.path(), "b.bill", &format!("\n{ok}"));
    let d = dir.path().to_str().unwrap();
    let out = billc(&["check", d]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).replace(d, "<dir>"),
        "error[E0103]: site 9999 has two contracts\n  ┌─ <dir>/b.bill:4:10\n  │\n4 │ contract \"9999\" {\n  │          ^^^^^^ a second contract for this site\n  │\n  ┌─ <dir>/a.bill:3:10\n  │\n3 │ contract \"9999\" {\n  │          ------ the first contract for this site\n\n1 error in 2 files\n"
    );
    let out_dir = tempfile::tempdir().unwrap();
    let o = out_dir.path().to_str().unwrap();
    let run = billc(&["run", d, "--data", "examples/data", "--period", "2025-03", "--out", o]);
    assert_eq!(run.status.code(), Some(1));
    assert!(text(&run.stderr).contains("site 9999 has two contracts"));
    assert!(!out_dir.path().join("2025-03").exists());

    let one = tempfile::tempdir().unwrap();
    write(
        one.path(),
        "c.bill",
        &format!("{ok}{}", ok.replace("// a comment", "// again")),
    );
    let out = billc(&["check", one.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("site 9999 has two contracts"), "{stderr}");
    assert!(stderr.ends_with("1 error in 1 file\n"), "{stderr}");
}
