//! The `billc` binary as a person or a script meets it: every `--help` (with its exit-status
//! section) snapshotted, a closed pipe never a panic and never a changed status, a write error a
//! one-line message and status 1, and the exact words a run ends with when it is refused, skips bad
//! sites, has a failed contract, or bills cleanly.

mod common;

use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{BILLC, billc};

// --------------------------------------------------------------------------------------------- help

#[test]
fn every_help_documents_the_exit_statuses() {
    for (name, args) in [
        ("help", vec!["--help"]),
        ("help_check", vec!["check", "--help"]),
        ("help_test", vec!["test", "--help"]),
        ("help_run", vec!["run", "--help"]),
        ("help_explain", vec!["explain", "--help"]),
        ("help_explain_error", vec!["explain-error", "--help"]),
        ("help_import", vec!["import", "--help"]),
        ("help_import_powerbill", vec!["import", "powerbill", "--help"]),
        ("help_generate", vec!["generate", "--help"]),
    ] {
        let (code, stdout, stderr) = billc(&args);
        assert_eq!(code, 0, "{name}: {stderr}");
        assert!(stdout.contains("Exit status:\n  0  "), "{name}: {stdout}");
        assert!(stdout.contains("\n  2  usage: bad arguments"), "{name}: {stdout}");
        insta::assert_snapshot!(name, stdout);
    }
}

#[test]
fn usage_errors_exit_with_2() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let run = |contracts: &'static str, data: &'static str, period: &'static str| {
        vec!["run", contracts, "--data", data, "--period", period, "--out", o]
    };
    for args in [
        vec!["run", "contracts/"],
        run("contracts/", "examples/data", "2025-13"),
        run("no/such/contracts", "examples/data", "2025-03"),
        run("contracts/", "no/such/data", "2025-03"),
        vec!["check", "no/such.bill"],
        vec!["test", "no/such.bill"],
        vec!["explain", "no/such/2025-03", "0238"],
        vec!["explain", o, "0238", "--format", "yaml"],
        vec!["generate", "--sites", "3", "--period", "June", "--out", o],
        vec!["import", "powerbill", "no/such.json", "--out", o],
        vec!["frobnicate"],
    ] {
        let (code, _, stderr) = billc(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
    // Nothing was written for a usage error of run: the data directory is looked at first.
    let (_, _, stderr) = billc(&[
        "run",
        "contracts/",
        "--data",
        "no/such/data",
        "--period",
        "2025-03",
        "--out",
        &format!("{o}/fresh"),
    ]);
    assert_eq!(
        stderr,
        "error: no/such/data: cannot read the data directory: No such file or directory (os error 2)\n"
    );
    assert!(!out.path().join("fresh").exists());
}

// -------------------------------------------------------------------------------------- closed pipes

/// Runs the binary with the read end of stdout (or stderr) closed before it writes anything, so
/// every write it makes there meets a closed pipe (no timing involved). Returns (code, the other
/// stream).
#[expect(clippy::unwrap_used, reason = "test helper: a failure is a test failure")]
fn with_closed(stream: &str, args: &[&str]) -> (i32, String) {
    let mut cmd = Command::new(BILLC);
    cmd.args(args).stdin(Stdio::null());
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut other = String::new();
    if stream == "stdout" {
        drop(child.stdout.take());
        child.stderr.take().unwrap().read_to_string(&mut other).unwrap();
    } else {
        drop(child.stderr.take());
        child.stdout.take().unwrap().read_to_string(&mut other).unwrap();
    }
    let status = child.wait().unwrap();
    (status.code().unwrap_or(-1), other)
}

#[test]
fn a_closed_pipe_is_never_a_panic_and_keeps_the_status() {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let run = [
        "run",
        "contracts/",
        "--data",
        "examples/data",
        "--period",
        "2025-03",
        "--out",
        o,
        "--explain",
    ];
    // The run bills cleanly whether or not anyone reads its explanation, and publishes its folder.
    let (code, stderr) = with_closed("stdout", &run);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert!(out.path().join("2025-03/invoices.json").is_file());
    let dir = out.path().join("2025-03");
    let d = dir.to_str().unwrap();
    let bad = tempfile::tempdir().unwrap();
    fs::write(
        bad.path().join("bad.bill"),
        "contract \"0001\" { line \"x\" = $1 + 2h }\n",
    )
    .unwrap();
    let bad = bad.path().to_str().unwrap();
    for (stream, args, expected) in [
        ("stdout", vec!["explain", d, "1138"], 0),
        ("stdout", vec!["explain", d, "1138", "--format", "json"], 0),
        ("stdout", vec!["check", "contracts/"], 0),
        ("stdout", vec!["test", "contracts/"], 0),
        ("stderr", vec!["check", bad], 1),
        ("stderr", vec!["explain", d, "9999-202503-01-01"], 1),
        (
            "stderr",
            vec![
                "run",
                "contracts/",
                "--data",
                "no/such",
                "--period",
                "2025-03",
                "--out",
                o,
            ],
            2,
        ),
        (
            "stdout",
            vec![
                "generate",
                "--sites",
                "2",
                "--period",
                "2025-06",
                "--months",
                "2",
                "--out",
                &format!("{o}/g"),
            ],
            0,
        ),
    ] {
        let (code, other) = with_closed(stream, &args);
        assert_eq!(code, expected, "{args:?} with {stream} closed: {other}");
        assert!(!other.contains("panicked"), "{args:?}: {other}");
    }
    // A run whose stderr is closed still fails for its bad contract, quietly.
    let (code, stdout) = with_closed(
        "stderr",
        &["run", bad, "--data", "examples/data", "--period", "2025-03", "--out", o],
    );
    assert_eq!((code, stdout.as_str()), (1, ""));
}

#[test]
fn another_write_error_is_one_line_and_status_1() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let full = fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let out = Command::new(BILLC)
        .args(["check", "contracts/"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: cannot write to standard output: No space left on device (os error 28)\n"
    );
}

// ------------------------------------------------------------------------------- how a run ends

const REVENUE_HEADER: &str = "site,date,revenue_code,category,collection_type,deposit_flag,external_revenue,net_external_revenue,billable_net_validation,tax_rate,vehicle_count";

/// Two revenue-share contracts (0238, 0239) and a June data directory with `revenue` rows.
#[expect(clippy::unwrap_used, reason = "test helper: a failure is a test failure")]
fn month(revenue: &str, extra_contract: Option<&str>) -> (tempfile::TempDir, tempfile::TempDir) {
    let contracts = tempfile::tempdir().unwrap();
    for site in ["0238", "0239"] {
        fs::write(
            contracts.path().join(format!("{site}.bill")),
            format!("use towne_park\ncontract \"{site}\" {{\n    customer \"Hotel {site}\"\n    revenue_share {{ codes [\"PK\"] tiers {{ 10% }} }}\n}}\n"),
        )
        .unwrap();
    }
    if let Some(text) = extra_contract {
        fs::write(contracts.path().join("0240.bill"), text).unwrap();
    }
    let data = tempfile::tempdir().unwrap();
    fs::write(
        data.path().join("sites.csv"),
        "site,name,gl_string,start_date,close_date,vendor_id,billing_email\n0238,Hotel,02-02-0238-,2019-04-01,,V1,a@b.example\n0239,Hotel,02-02-0239-,2019-04-01,,V1,a@b.example\n",
    )
    .unwrap();
    fs::write(data.path().join("revenue.csv"), format!("{REVENUE_HEADER}\n{revenue}")).unwrap();
    (contracts, data)
}

/// Runs June; returns (code, stdout without the timing lines, stderr), the output folder as `<out>`.
#[expect(clippy::unwrap_used, reason = "test helper: a failure is a test failure")]
fn run_june(contracts: &Path, data: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap();
    let (code, stdout, stderr) = billc(&common::june_args(contracts, data, out.path(), extra));
    let stdout: String = stdout
        .lines()
        .filter(|l| !l.starts_with("  time ") && !l.starts_with("  phases "))
        .map(|l| format!("{l}\n"))
        .collect();
    (code, stdout.replace(o, "<out>"), stderr.replace(o, "<out>"))
}

const OK_ROWS: &str = "0238,2025-06-02,PK,Parking,Transient,Y,110.00,100.00,0.00,0.075,4\n0239,2025-06-02,PK,Parking,Transient,Y,110.00,50.00,0.00,0.075,4\n";
const BAD_ROW: &str = "0239,2025-06-03,PK,Parking,Transient,Y,110.00,1OO.00,0.00,0.075,4\n";

#[test]
fn a_clean_run_says_so_and_exits_0() {
    let (c, d) = month(OK_ROWS, None);
    let (code, stdout, stderr) = run_june(c.path(), d.path(), &[]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(
        stdout,
        "billc run 2025-06: billed cleanly
  invoices           2  (2 lines, 0 need approval)
  billed        $15.00
  contracts          2  (2 evaluated)
  exceptions         0
  input              4 rows, 0.0 MB, 0 bad
  written    <out>/2025-06
  ledger     run 1 in <out>/billing.db: 2 new, 0 unchanged, 0 replaced, 0 credit notes, 0 withdrawn
"
    );
}

#[test]
fn a_refused_run_says_run_refused_and_counts_nothing_as_failed() {
    let (c, d) = month(&format!("{OK_ROWS}{BAD_ROW}"), None);
    let (code, stdout, stderr) = run_june(c.path(), d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "billc run 2025-06: run refused: 1 bad row in the data (see <out>/2025-06/exceptions.csv)
  invoices           0  (none written: the run was refused)
  contracts          2  (none evaluated: the run was refused)
  exceptions         2  (bad_row 1, run_refused 1)
  input              5 rows, 0.0 MB, 1 bad
  written    <out>/2025-06
  ledger     run 1 in <out>/billing.db: recorded as refused (no invoice changed)
"
    );
    assert_eq!(
        stderr,
        "error: run refused: 1 bad row in the data (see <out>/2025-06/exceptions.csv)
  revenue.csv:4: bad_amount: `net_external_revenue` `1OO.00` is not a decimal number
"
    );
}

#[test]
fn a_run_skipping_bad_sites_counts_them_as_skipped() {
    // The skipped site's good rows are then rows no contract billed: `unmatched_data`.
    let (c, d) = month(&format!("{OK_ROWS}{BAD_ROW}"), None);
    let (code, stdout, stderr) = run_june(c.path(), d.path(), &["--skip-bad-sites"]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "billc run 2025-06: not billed cleanly: 1 contract skipped for bad rows (--skip-bad-sites), 1 bad row in the data, exceptions unmatched_data 1 (see <out>/2025-06/exceptions.csv)
  invoices           1  (1 line, 0 need approval)
  billed        $10.00
  contracts          2  (1 evaluated, 1 skipped for bad rows)
  exceptions         3  (bad_row 1, site_skipped 1, unmatched_data 1)
  input              5 rows, 0.0 MB, 1 bad
  written    <out>/2025-06
  ledger     run 1 in <out>/billing.db: 1 new, 0 unchanged, 0 replaced, 0 credit notes, 0 withdrawn
"
    );
    assert_eq!(
        stderr,
        "error: not billed cleanly: 1 contract skipped for bad rows (--skip-bad-sites), 1 bad row in the data, exceptions unmatched_data 1 (see <out>/2025-06/exceptions.csv)
  revenue.csv:4: bad_amount: `net_external_revenue` `1OO.00` is not a decimal number
"
    );
}

#[test]
fn a_failed_contract_is_counted_as_failed() {
    // 0240 is not in sites.csv, so its anniversary window has no start date.
    let failing = "use towne_park\ncontract \"0240\" {\n    customer \"New Hotel\"\n    revenue_share { codes [\"PK\"] accumulate anniversary tiers { 10% up to $1,000, 20% } }\n}\n";
    let (c, d) = month(OK_ROWS, Some(failing));
    let (code, stdout, stderr) = run_june(c.path(), d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "billc run 2025-06: not billed cleanly: 1 contract failed (see <out>/2025-06/exceptions.csv)
  invoices           2  (2 lines, 0 need approval)
  billed        $15.00
  contracts          3  (2 evaluated, 1 failed)
  exceptions         1  (contract_failed 1)
  input              4 rows, 0.0 MB, 0 bad
  written    <out>/2025-06
  ledger     run 1 in <out>/billing.db: 2 new, 0 unchanged, 0 replaced, 0 credit notes, 0 withdrawn
"
    );
    assert_eq!(
        stderr,
        "error: not billed cleanly: 1 contract failed (see <out>/2025-06/exceptions.csv)\n"
    );
}

// ------------------------------------------------------------------------------ check for tools

#[test]
fn check_format_json_gives_every_diagnostic_with_its_position() {
    let (code, stdout, stderr) = billc(&["check", "--format", "json", "tests/corpus/add_money_hours.bill"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr, "", "json goes to standard output alone");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["errors"], 1);
    assert_eq!(report["diagnostics"][0]["code"], "E0202");
    assert_eq!(report["diagnostics"][0]["primary"]["line"], 2);
    insta::assert_snapshot!(stdout);
}

#[test]
fn check_format_json_of_clean_contracts_exits_0() {
    let (code, stdout, stderr) = billc(&["check", "--format", "json", "contracts"]);
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["errors"], 0);
    assert_eq!(report["diagnostics"], serde_json::json!([]));
    assert!(report["contracts"].as_u64().unwrap() > 40, "{stdout}");
}

#[test]
fn warnings_pass_check_and_fail_it_with_deny_warnings() {
    let file = "tests/corpus/warn_last_tier_limit.bill";
    // Without the flag: the warning is printed, the status is 0.
    let (code, stdout, stderr) = billc(&["check", file]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.starts_with("warning[W0501]: the last tier has a limit"),
        "{stderr}"
    );
    assert_eq!(stdout, "checked 1 file, 1 contract: no errors\n");
    // With it: the same warning, then a count on standard error and status 1.
    let (code, stdout, denied) = billc(&["check", "--deny-warnings", file]);
    assert_eq!(code, 1, "{denied}");
    assert_eq!(stdout, "");
    assert_eq!(
        denied,
        format!("{stderr}1 warning in 1 file (denied by --deny-warnings)\n")
    );
    // Clean contracts pass with it.
    let (code, _, stderr) = billc(&["check", "--deny-warnings", "contracts"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn check_format_json_lists_warnings_with_their_severity() {
    for (deny, status) in [(false, 0), (true, 1)] {
        let mut args = vec!["check", "--format", "json", "tests/corpus/warn_share_over_100.bill"];
        if deny {
            args.push("--deny-warnings");
        }
        let (code, stdout, stderr) = billc(&args);
        assert_eq!(code, status, "{stderr}");
        let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(report["errors"], 0);
        assert_eq!(report["warnings"], 1);
        assert_eq!(report["diagnostics"][0]["code"], "W0502");
        assert_eq!(report["diagnostics"][0]["severity"], "warning");
        assert_eq!(report["diagnostics"][0]["primary"]["line"], 6);
    }
}

#[test]
fn import_prints_the_checkers_warnings_on_what_it_wrote() {
    // A configuration billed in advance, given labour per hour: the imported contract bills hours
    // not yet worked (W0504), which the importer reports through the checker's rule.
    let source = "tests/fixtures/powerbill/0464_96EEB6EA_90D8_EF11_8EEA_0022480A57AC.json";
    let mut config: serde_json::Value = serde_json::from_str(&fs::read_to_string(source).unwrap()).unwrap();
    assert_eq!(config["original"]["billingType"], "Advanced");
    config["original"]["perLaborHour"] = serde_json::json!({
        "enabled": true,
        "jobRates": [{"name": "Valet Services", "jobCode": "GSA", "rate": 20.0, "overtimeRate": 30.0}]
    });
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("0464.json");
    fs::write(&input, config.to_string()).unwrap();
    let out = dir.path().join("out");
    let (code, stdout, stderr) = billc(&[
        "import",
        "powerbill",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.starts_with("warning[W0504]: contract `0464` is billed in advance"),
        "{stderr}"
    );
    assert!(
        stdout.ends_with("  checked 1 contract: no errors, 1 warning (on standard error)\n"),
        "{stdout}"
    );
}

#[test]
fn a_failing_test_prints_file_line_expected_and_actual() {
    let (code, stdout, stderr) = billc(&["test", "tests/fixtures/test_blocks/failing.bill"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stdout, "0 passed, 1 failed\n");
    assert!(
        stderr.contains("\n  tests/fixtures/test_blocks/failing.bill:14: line \"Fee\": expected $100.00, got $90.00\n"),
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn a_wrong_test_block_is_a_check_error_before_anything_runs() {
    for file in ["test_given_hours_into_minutes", "test_period_one_digit_month"] {
        let path = format!("tests/corpus/{file}.bill");
        let (code, stdout, stderr) = billc(&["test", &path]);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(stdout, "", "no test runs");
        assert!(stderr.starts_with("error[E0"), "{stderr}");
        assert!(stderr.contains(&format!("{path}:")), "{stderr}");
    }
}

#[test]
fn explain_error_prints_the_fix_for_any_spelling_of_a_code() {
    let (code, stdout, stderr) = billc(&["explain-error", "e0201"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
    let (code, _, stderr) = billc(&["explain-error", "E9999"]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: `E9999` is not a billc diagnostic code (they look like E0201 or W0401)\n"
    );
}

#[test]
fn every_code_is_explained_with_a_fix() {
    for code in billc_lang::diag::Code::ALL {
        let text = code.explanation();
        assert!(text.starts_with(&format!("{}: ", code.as_str())), "{text}");
        assert!(
            text.contains("Fix:"),
            "{} has no fix in its documentation:\n{text}",
            code.as_str()
        );
    }
}
