//! `billc explain` through the binary, on the README's run of the example data: shared subtrees
//! printed once (site 1820), `--line` and `--depth`, `--format json` as one array, why a site has no
//! invoice (9005 in March, any key of a refused January) and what a wrong folder is told. The
//! renderer on hand-built traces: `tests/output_explain.rs`.

mod common;

use common::billc;
use std::path::Path;

/// Bills `period` of the README's command into `out` (`billc run contracts/ --data examples/data`);
/// returns the exit status.
fn readme_run(out: &Path, period: &str) -> i32 {
    let args = common::run_args(Path::new("contracts/"), Path::new("examples/data"), period, out, &[]);
    let (code, stdout, stderr) = billc(&args);
    assert!(code == 0 || code == 1, "{stdout}\n{stderr}");
    code
}

/// `billc explain <dir> <args…>`; returns (exit code, stdout, stderr) with `out` written `<out>`.
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a path that is not UTF-8 is a test failure"
)]
fn explain(out: &Path, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["explain", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = billc(&all);
    let hide = |s: String| s.replace(&out.display().to_string(), "<out>");
    (code, hide(stdout), hide(stderr))
}

#[test]
fn shared_subtrees_of_site_1820_are_printed_once() {
    let out = tempfile::tempdir().unwrap();
    assert_eq!(readme_run(out.path(), "2025-03"), 0);
    let dir = out.path().join("2025-03");
    let (code, text, stderr) = explain(out.path(), &dir, &["1820"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("readme_1820", text);
    // The payroll line feeds PTEB, support and the profit share: printed in full under line 4
    // (PTEB, its first use), and only referred to at every later use.
    let payroll: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("line billable_accounts.payroll_line = "))
        .collect();
    assert!(payroll.len() > 3, "{text}");
    assert_eq!(payroll.iter().filter(|l| l.ends_with("  #4.1")).count(), 1, "{text}");
    assert!(
        payroll.iter().skip(1).all(|l| l.ends_with("  (see #4.1)")),
        "{payroll:#?}"
    );
    // `run --explain` prints the same explanation, with the same references.
    let again = tempfile::tempdir().unwrap();
    let args = common::run_args(
        Path::new("contracts/"),
        Path::new("examples/data"),
        "2025-03",
        again.path(),
        &["--explain"],
    );
    let (code, all, stderr) = billc(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(all.contains(&text), "{all}");
}

#[test]
fn line_and_depth_focus_the_text() {
    let out = tempfile::tempdir().unwrap();
    assert_eq!(readme_run(out.path(), "2025-03"), 0);
    let dir = out.path().join("2025-03");
    let (code, text, stderr) = explain(out.path(), &dir, &["1820", "--line", "5"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("readme_1820_line_5", text);
    let (code, text, stderr) = explain(out.path(), &dir, &["1820", "--line", "9", "--depth", "3"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("readme_1820_line_9_depth_3", text);
    // A depth for every line of the invoice: the header, each line's node and what is below it.
    let (code, text, stderr) = explain(out.path(), &dir, &["9004-202503-01-01", "--depth", "1"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("readme_9004_depth_1", text);
    // Wrong uses are usage errors (status 2), each saying what is wrong.
    for (args, message) in [
        (
            vec!["1820", "--line", "12"],
            "error: --line 12: 1820-202503-01-01 has 9 lines\n",
        ),
        (
            vec!["1820", "--line", "1", "--format", "json"],
            "error: --line and --depth shape the text form; --format json prints whole invoices\n",
        ),
    ] {
        let (code, stdout, stderr) = explain(out.path(), &dir, &args);
        assert_eq!((code, stdout.as_str(), stderr.as_str()), (2, "", message), "{args:?}");
    }
    for args in [["1820", "--depth", "0"], ["1820", "--line", "0"]] {
        let (code, _, stderr) = explain(out.path(), &dir, &args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("0 is not in 1..="), "{stderr}");
    }
}

#[test]
fn json_is_one_array_of_the_invoices_found() {
    let out = tempfile::tempdir().unwrap();
    assert_eq!(readme_run(out.path(), "2025-03"), 0);
    let dir = out.path().join("2025-03");
    // Site 0929 has three invoices (three invoice groups): one document, which a JSON parser reads.
    let (code, stdout, stderr) = explain(out.path(), &dir, &["0929", "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let found: Vec<billc_billing::invoice::Invoice> = serde_json::from_str(&stdout).unwrap();
    let numbers: Vec<&str> = found.iter().map(|i| i.number.as_str()).collect();
    assert_eq!(numbers, ["0929-202503-01-01", "0929-202503-02-01", "0929-202503-03-01"]);
    // One invoice is an array of one.
    let (code, stdout, _) = explain(out.path(), &dir, &["9004-202503-01-01", "--format", "json"]);
    assert_eq!(code, 0);
    let found: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["total"], "12846.88");
}

#[test]
fn a_site_without_an_invoice_says_why() {
    let out = tempfile::tempdir().unwrap();
    assert_eq!(readme_run(out.path(), "2025-03"), 0);
    let dir = out.path().join("2025-03");
    let why = "error: site 9005 has no invoice for 2025-03: no_invoice — every line of the contract \
               is zero or does not apply (contracts/examples/revenue_share.bill)\n";
    for key in ["9005", "9005-202503-01-01"] {
        for format in ["text", "json"] {
            let (code, stdout, stderr) = explain(out.path(), &dir, &[key, "--format", format]);
            assert_eq!((code, stdout.as_str(), stderr.as_str()), (1, "", why), "{key} {format}");
        }
    }
    // The trace file itself may be given: exceptions.csv is read beside it.
    let (code, _, stderr) = explain(out.path(), &dir.join("trace.json"), &["9005"]);
    assert_eq!((code, stderr.as_str()), (1, why));
    // A number of a site that has other invoices names them; a key nothing is known of says so.
    for (key, message) in [
        (
            "9004-202503-02-01",
            "error: no invoice `9004-202503-02-01` in <out>/2025-03; site 9004 has 9004-202503-01-01\n",
        ),
        (
            "9999",
            "error: no invoice `9999` in <out>/2025-03, and its exceptions.csv says nothing of site \
             `9999` (give an invoice number like 0238-202506-01-01, or a site)\n",
        ),
    ] {
        let (code, stdout, stderr) = explain(out.path(), &dir, &[key]);
        assert_eq!((code, stdout.as_str(), stderr.as_str()), (1, "", message), "{key}");
    }
}

#[test]
fn a_refused_run_and_wrong_folders_are_explained() {
    let out = tempfile::tempdir().unwrap();
    // January is refused (README: no statistics or timesheets row is dated in January): it writes
    // exceptions.csv and no trace.json. March bills.
    assert_eq!(readme_run(out.path(), "2025-01"), 1);
    assert!(!out.path().join("2025-01/trace.json").exists());
    assert_eq!(readme_run(out.path(), "2025-03"), 0);
    let january = out.path().join("2025-01");
    let mut said = Vec::new();
    for key in ["9004", "9004-202501-01-01", "0238", "nothing"] {
        let (code, stdout, stderr) = explain(out.path(), &january, &[key]);
        assert_eq!((code, stdout.as_str()), (1, ""), "{key}: {stderr}");
        said.push(stderr);
    }
    assert_eq!(
        said[0],
        "error: the run for 2025-01 was refused, so there is no invoice `9004`: run_refused — data \
         the contracts read for 2025-01 is missing (statistics.csv, timesheets.csv); supply it, or \
         pass --allow-missing <file> to bill without it\n"
    );
    assert_eq!(said[3], said[0].replace("`9004`", "`nothing`"));
    // The output folder instead of a period folder: its period folders are listed.
    let (code, stdout, stderr) = explain(out.path(), out.path(), &["9004"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (
            1,
            "",
            "error: `<out>` is an output folder (`billc run --out`), not a period folder: give one \
             of: <out>/2025-01, <out>/2025-03\n"
        )
    );
    // A folder that is neither.
    let empty = tempfile::tempdir().unwrap();
    let (code, _, stderr) = billc(&["explain", empty.path().to_str().unwrap(), "9004"]);
    assert_eq!(code, 1);
    assert_eq!(
        stderr.replace(&empty.path().display().to_string(), "<dir>"),
        "error: `<dir>` holds neither trace.json nor exceptions.csv: give a run's period folder, \
         `<out>/<YYYY-MM>` as `billc run --out <out>` writes it\n"
    );
    // A folder that does not exist is a usage error.
    let (code, _, stderr) = explain(out.path(), &out.path().join("2025-02"), &["9004"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        stderr,
        "error: `<out>/2025-02` does not exist (give a run's folder, `<out>/<YYYY-MM>`)\n"
    );
}
