//! A run never bills missing data as zero: the bundled example month with its month folder removed,
//! renamed or replaced, files misnamed or not regular, a period with no data, each refused (or only
//! reported) with the exact rows of `exceptions.csv` and the exit status; `--allow-missing` bills
//! anyway and still writes the exception.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use common::billc;
use std::fs;
use std::path::Path;

/// A copy of `examples/data` changed by `change`.
fn example_data(change: impl FnOnce(&Path)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(Path::new("examples/data"), dir.path());
    change(dir.path());
    dir
}

/// Runs the README's contracts over `data` for `period`: the exit status, the outcome line on
/// stderr, and the rows of `exceptions.csv` that are about the data as a whole (no site), with
/// the temporary folder's name taken out.
fn run(data: &Path, period: &str, extra: &[&str]) -> String {
    run_showing(data, period, extra, |l| l.starts_with(','))
}

/// Like [`run`], with the rows of `exceptions.csv` that `show` picks.
fn run_showing(data: &Path, period: &str, extra: &[&str], show: impl Fn(&str) -> bool) -> String {
    let out = tempfile::tempdir().unwrap();
    let args = common::run_args(Path::new("contracts/"), data, period, out.path(), extra);
    let (code, _, stderr) = billc(&args);
    let outcome = stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or("(billed cleanly)")
        .replace(&out.path().display().to_string(), "<out>");
    let exceptions = fs::read_to_string(out.path().join(period).join("exceptions.csv")).unwrap();
    let rows: Vec<&str> = exceptions.lines().skip(1).filter(|l| show(l)).collect();
    let invoices = out.path().join(period).join("invoices.json").exists();
    format!(
        "exit {code}; invoices written: {invoices}\n{outcome}\n{}\n",
        rows.join("\n")
    )
}

fn rename(dir: &Path, from: &str, to: &str) {
    let to = dir.join(to);
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::rename(dir.join(from), to).unwrap();
}

#[test]
fn missing_month_folders_and_files_refuse_the_run() {
    type Change = Box<dyn FnOnce(&Path)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "month folder removed",
            Box::new(|d| fs::remove_dir_all(d.join("2025-03")).unwrap()),
        ),
        (
            "month folder named 2025-3",
            Box::new(|d| rename(d, "2025-03", "2025-3")),
        ),
        (
            "month folder named 2025-13",
            Box::new(|d| rename(d, "2025-03", "2025-13")),
        ),
        (
            "month folder as 2025/03/",
            Box::new(|d| rename(d, "2025-03", "2025/03")),
        ),
        (
            "Revenue.csv",
            Box::new(|d| rename(d, "2025-03/revenue.csv", "2025-03/Revenue.csv")),
        ),
        (
            "timesheet.csv",
            Box::new(|d| rename(d, "2025-03/timesheets.csv", "2025-03/timesheet.csv")),
        ),
        (
            "revenue (1).csv",
            Box::new(|d| rename(d, "2025-03/revenue.csv", "2025-03/revenue (1).csv")),
        ),
        (
            "revenue.csv is a folder",
            Box::new(|d| {
                fs::remove_file(d.join("2025-03/revenue.csv")).unwrap();
                fs::create_dir(d.join("2025-03/revenue.csv")).unwrap();
            }),
        ),
        (
            "revenue.csv is a dangling symbolic link",
            Box::new(|d| {
                fs::remove_file(d.join("2025-03/revenue.csv")).unwrap();
                std::os::unix::fs::symlink("march-revenue.csv", d.join("2025-03/revenue.csv")).unwrap();
            }),
        ),
        (
            "revenue.csv is a FIFO",
            Box::new(|d| {
                fs::remove_file(d.join("2025-03/revenue.csv")).unwrap();
                let made = std::process::Command::new("mkfifo")
                    .arg(d.join("2025-03/revenue.csv"))
                    .status()
                    .unwrap();
                assert!(made.success());
            }),
        ),
        (
            "a misnamed adhoc.csv",
            Box::new(|d| rename(d, "adhoc.csv", "Adhoc.csv")),
        ),
    ];
    let mut out = String::new();
    for (name, change) in cases {
        let data = example_data(change);
        out.push_str(&format!("== {name}\n{}", run(data.path(), "2025-03", &[])));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn a_period_without_data_is_refused() {
    let data = example_data(|_| {});
    insta::assert_snapshot!(run(data.path(), "2025-04", &[]));
}

#[test]
fn allow_missing_bills_and_still_writes_the_exception() {
    let data = example_data(|d| rename(d, "2025-03/timesheets.csv", "2025-03/timesheet.csv"));
    insta::assert_snapshot!(run(data.path(), "2025-03", &["--allow-missing", "timesheets"]));
}

#[test]
fn entries_billc_does_not_read_are_only_reported() {
    let data = example_data(|d| {
        fs::write(d.join("notes.txt"), "month-end notes\n").unwrap();
        fs::create_dir(d.join("archive")).unwrap();
        // A misnamed file of a month the run does not read: a warning, not a refusal.
        fs::create_dir(d.join("2025-4")).unwrap();
        fs::write(d.join("2025-4/revenue.csv"), "site\n").unwrap();
    });
    insta::assert_snapshot!(run(data.path(), "2025-03", &[]));
}

#[test]
fn allow_missing_names_only_data_files() {
    let data = example_data(|_| {});
    let (code, _, stderr) = billc(&[
        "run",
        "contracts/",
        "--data",
        data.path().to_str().unwrap(),
        "--period",
        "2025-03",
        "--out",
        data.path().join("out").to_str().unwrap(),
        "--allow-missing",
        "payroll",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("invalid value 'payroll' for '--allow-missing <FILE>'"),
        "{stderr}"
    );
}

/// Keeps the lines of `file` (under `dir`) for which `keep` holds.
fn filter_lines(dir: &Path, file: &str, keep: impl Fn(&str) -> bool) {
    let path = dir.join(file);
    let text = fs::read_to_string(&path).unwrap();
    let kept: String = text.lines().filter(|l| keep(l)).map(|l| format!("{l}\n")).collect();
    assert_ne!(kept, text, "{file}: nothing was removed");
    fs::write(path, kept).unwrap();
}

/// Like [`run`], with the rows about February and the refusal.
fn run_history(data: &Path, period: &str, extra: &[&str]) -> String {
    run_showing(data, period, extra, |l| {
        l.contains("2025-02") || l.contains("run_refused")
    })
}

#[test]
fn a_gap_in_the_months_a_window_reads_refuses_the_run() {
    // No revenue row of February at all: the calendar-year and anniversary windows of March read it.
    let no_february = || example_data(|d| filter_lines(d, "revenue.csv", |l| !l.contains(",2025-02-")));
    let mut out = String::new();
    out.push_str(&format!(
        "== no revenue rows for 2025-02\n{}",
        run_history(no_february().path(), "2025-03", &[])
    ));
    out.push_str(&format!(
        "== the same, --allow-missing revenue\n{}",
        run_history(no_february().path(), "2025-03", &["--allow-missing", "revenue"])
    ));
    // One site's February is empty while the others' is not: that site's invoice needs a person.
    let quiet = example_data(|d| filter_lines(d, "revenue.csv", |l| !l.starts_with("2407,2025-02-")));
    out.push_str(&format!(
        "== site 2407 has no revenue rows for 2025-02\n{}",
        run_history(quiet.path(), "2025-03", &[])
    ));
    // A site that started in March has no February to read.
    let started = example_data(|d| {
        filter_lines(d, "revenue.csv", |l| !l.starts_with("2407,2025-02-"));
        let sites = fs::read_to_string(d.join("sites.csv")).unwrap();
        fs::write(
            d.join("sites.csv"),
            sites.replace("02-02-2407-,2018-06-01", "02-02-2407-,2025-03-01"),
        )
        .unwrap();
    });
    out.push_str(&format!(
        "== the same, site 2407 started on 2025-03-01\n{}",
        run_history(started.path(), "2025-03", &[])
    ));
    insta::assert_snapshot!(out);
}
