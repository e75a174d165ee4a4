//! The files of `billc run`: exact content (snapshots), byte-identical rewrites whatever the input
//! order, and the trace read back for `billc explain`.

mod output_fixtures;

use billc_billing::invoice::{Exception, ExceptionKind};
use billc_billing::output::{self, RunOutput};
use billc_lang::time::YearMonth;
use output_fixtures::*;
use std::fs;
use std::path::{Path, PathBuf};

#[allow(
    clippy::unwrap_used,
    reason = "a test helper: a broken fixture should fail the test loudly"
)]
fn run() -> RunOutput {
    let mut quoted = per_labor_hour();
    quoted.lines[0].title = "Valet, \"Premium\" Attendant".into();
    RunOutput {
        period: YearMonth::parse("2025-03").unwrap(),
        contracts_digest: "blake3:c0ffee".into(),
        data_digest: "blake3:d474".into(),
        invoices: vec![management_agreement(), revenue_share(), quoted],
        exceptions: vec![
            Exception {
                site: "0412".into(),
                kind: ExceptionKind::NeedsApproval,
                location: "contracts/0412.bill:1".into(),
                message: "revenue differs from forecast by `16.89%`".into(),
            },
            Exception {
                site: String::new(),
                kind: ExceptionKind::UnmatchedData,
                location: "revenue.csv:1042".into(),
                message: "revenue of site `9999`, which has no contract".into(),
            },
            Exception {
                site: "0190".into(),
                kind: ExceptionKind::Warning,
                location: "contracts/0190.bill:3".into(),
                message: "unrecognised payment terms `Net 30`, so no due date".into(),
            },
            Exception {
                site: "0190".into(),
                kind: ExceptionKind::BadRow,
                location: "timesheets.csv:17".into(),
                message: "unparseable minutes `1,5`".into(),
            },
        ],
    }
}

/// A fresh directory under the target dir (no tempdir crate needed).
#[allow(
    clippy::unwrap_used,
    reason = "a test helper: a broken fixture should fail the test loudly"
)]
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

#[allow(
    clippy::unwrap_used,
    reason = "a test helper: a broken fixture should fail the test loudly"
)]
fn read_all(dir: &Path) -> Vec<(String, Vec<u8>)> {
    [
        "invoices.json",
        "invoices.csv",
        "invoices-summary.csv",
        "exceptions.csv",
        "trace.json",
    ]
    .iter()
    .map(|n| ((*n).to_owned(), fs::read(dir.join(n)).unwrap()))
    .collect()
}

#[test]
fn invoices_json_is_as_documented() {
    insta::assert_snapshot!(output::invoices_json(&run()).unwrap());
}

#[test]
fn invoices_csv_has_one_row_per_line() {
    insta::assert_snapshot!(output::invoices_csv(&run().invoices).unwrap());
}

/// One row per invoice, by number; the status reasons joined with `; ` in plain text (no Markdown
/// quotes), quoted as RFC 4180 asks when they hold a comma or a quote; an unknown due date empty.
#[test]
fn invoices_summary_csv_has_one_row_per_invoice() {
    let mut invoices = run().invoices;
    let reviewed = invoices.iter_mut().find(|i| i.site == "0412").unwrap();
    reviewed.customer = "Hotel \"Grand\", Downtown".into();
    reviewed.status = billc_billing::invoice::Status::NeedsApproval;
    reviewed.status_reasons = vec![
        "revenue differs from forecast by `16.89%`, over 10%".into(),
        "check `payroll` failed".into(),
    ];
    reviewed.due = None;
    let csv = output::invoices_summary_csv(&invoices).unwrap();
    assert!(
        csv.contains(",needs_approval,\"revenue differs from forecast by 16.89%, over 10%; check payroll failed\","),
        "{csv}"
    );
    insta::assert_snapshot!(csv);
}

#[test]
fn exceptions_csv_is_sorted() {
    insta::assert_snapshot!(output::exceptions_csv(&run().exceptions).unwrap());
}

#[test]
fn trace_json_holds_every_trace() {
    let r = run();
    insta::assert_snapshot!(output::trace_json(r.period, &r.invoices).unwrap());
}

#[test]
fn write_creates_the_period_directory() {
    let out = scratch("write_creates");
    let written = output::write(&out, &run()).unwrap();
    assert_eq!(written.dir, out.join("2025-03"));
    let names: Vec<String> = written
        .files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "invoices.json",
            "invoices.csv",
            "invoices-summary.csv",
            "exceptions.csv",
            "trace.json"
        ]
    );
    assert_eq!((written.invoices, written.lines, written.exceptions), (3, 9, 4));
    // no temporary files left behind
    let mut entries: Vec<String> = fs::read_dir(&written.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        [
            "exceptions.csv",
            "invoices-summary.csv",
            "invoices.csv",
            "invoices.json",
            "trace.json"
        ]
    );
}

#[test]
fn identical_input_gives_identical_bytes_whatever_the_order() {
    let a = scratch("bytes_a");
    let b = scratch("bytes_b");
    let first = output::write(&a, &run()).unwrap();
    let once = read_all(&first.dir);
    // again into the same place
    output::write(&a, &run()).unwrap();
    assert_eq!(read_all(&first.dir), once);
    // shuffled invoices and exceptions, another directory
    let mut shuffled = run();
    shuffled.invoices.reverse();
    shuffled.invoices.rotate_left(1);
    shuffled.exceptions.reverse();
    shuffled.exceptions.swap(0, 2);
    let second = output::write(&b, &shuffled).unwrap();
    assert_eq!(read_all(&second.dir), once);
}

#[test]
fn trace_reads_back_exactly() {
    let out = scratch("trace_back");
    let r = run();
    let written = output::write(&out, &r).unwrap();
    let trace = output::read_trace(&written.dir).unwrap();
    assert_eq!(trace.schema, output::TRACE_SCHEMA);
    assert_eq!(trace.period, "2025-03");
    assert_eq!(trace.billc, env!("CARGO_PKG_VERSION"));
    let numbers: Vec<&str> = trace.invoices.iter().map(|i| i.number.as_str()).collect();
    assert_eq!(numbers, ["0190-202503-01-01", "0238-202503-01-01", "0412-202503-01-01"]);
    let mut want = r.invoices.clone();
    want.sort_by(|a, b| a.number.cmp(&b.number));
    assert_eq!(trace.invoices, want);
    // the file itself also works as the argument
    assert_eq!(output::read_trace(&written.dir.join("trace.json")).unwrap(), trace);
}

#[test]
fn read_trace_errors_name_the_file() {
    let out = scratch("trace_errors");
    let err = output::read_trace(&out).unwrap_err().to_string();
    assert!(err.starts_with("cannot read `"), "{err}");
    assert!(err.contains("trace.json`"), "{err}");
    fs::write(out.join("trace.json"), "{\"period\": 1}").unwrap();
    let err = output::read_trace(&out).unwrap_err().to_string();
    assert!(err.contains("trace.json` is not a billc trace: "), "{err}");
    // A trace of a newer schema is refused, not half read.
    let newer = format!(
        "{{\"schema\": {}, \"period\": \"2025-03\", \"billc\": \"9\", \"invoices\": []}}",
        output::TRACE_SCHEMA + 1
    );
    fs::write(out.join("trace.json"), newer).unwrap();
    let err = output::read_trace(&out).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "trace.json` has trace schema 2, newer than this billc's 1: explain it with the billc that wrote it"
        ),
        "{err}"
    );
}

#[test]
fn amounts_have_exactly_two_decimals() {
    let json = output::invoices_json(&run()).unwrap();
    assert!(json.contains("\"total\": \"7846.88\""));
    assert!(json.contains("\"amount\": \"-5000.00\""));
    assert!(json.contains("\"total\": \"177050.00\""));
    assert!(json.contains(&format!("\"billc\": \"{}\"", env!("CARGO_PKG_VERSION"))));
}
