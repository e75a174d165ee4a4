//! A period folder is replaced as a whole: a failure (or a kill, which leaves the same state) at any
//! step of writing a run leaves `<out>/<period>` holding the whole previous run, and the next run
//! cleans up and publishes the whole new one. Two runs cannot write one folder at once.

#![expect(clippy::unwrap_used, reason = "a test file: a helper that fails fails the test")]

use billc_billing::figures::Measured;
use billc_billing::invoice::{Exception, ExceptionKind};
use billc_billing::output::RunOutput;
use billc_billing::period;
use billc_billing::publish;
use billc_billing::run::RunReport;
use billc_lang::time::YearMonth;
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;

/// What the command line would have measured: fixed here, so that two writes of a report are
/// byte-identical.
const MEASURED: Measured = Measured {
    contracts: 1,
    rows: 10,
    bytes: 100,
    phases: billc_billing::figures::Phases {
        contracts: std::time::Duration::from_millis(250),
        data: std::time::Duration::from_millis(500),
        evaluation: std::time::Duration::from_millis(125),
    },
};

fn report(message: &str, refused: bool) -> RunReport {
    RunReport {
        output: RunOutput {
            period: YearMonth::parse("2025-03").unwrap(),
            contracts_digest: format!("blake3:{message}"),
            data_digest: "blake3:data".into(),
            invoices: Vec::new(),
            exceptions: vec![Exception {
                site: "0238".into(),
                kind: ExceptionKind::Warning,
                location: "contracts/0238.bill:3".into(),
                message: message.into(),
            }],
        },
        accounts: Vec::new(),
        failed_contracts: 0,
        bad_rows: 0,
        unread: Vec::new(),
        unattributed: false,
        missing: Vec::new(),
        refused,
    }
}

/// Every file a reader finds in `<out>/2025-03`, by name.
fn folder(out: &Path) -> BTreeMap<String, String> {
    let dir = out.join("2025-03");
    let Ok(entries) = fs::read_dir(&dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The names in `<out>` besides the lock, the period link and the one run folder it points at.
fn leftovers(out: &Path) -> Vec<String> {
    let current = fs::read_link(out.join("2025-03")).unwrap();
    let mut names: Vec<String> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n != publish::LOCK_FILE && n != "2025-03" && Path::new(n) != current)
        .collect();
    names.sort();
    names
}

fn steps_of(report: &RunReport) -> Vec<String> {
    let out = tempfile::tempdir().unwrap();
    let lock = period::lock(out.path()).unwrap();
    let mut steps = Vec::new();
    period::write_with(&lock, report, &MEASURED, &mut |s| {
        steps.push(s.to_string());
        Ok(())
    })
    .unwrap();
    steps
}

#[test]
fn a_failure_at_any_step_leaves_the_whole_old_run_or_the_whole_new_one() {
    let old = report("old run", false);
    for new in [report("new run", false), report("new refused run", true)] {
        let steps = steps_of(&new);
        assert!(steps.len() >= 6, "{steps:?}");
        for (i, step) in steps.iter().enumerate() {
            let out = tempfile::tempdir().unwrap();
            let lock = period::lock(out.path()).unwrap();
            period::write(&lock, &old, &MEASURED).unwrap();
            let before = folder(out.path());
            assert!(before["exceptions.csv"].contains("old run"));
            let mut n = 0;
            let failed = period::write_with(&lock, &new, &MEASURED, &mut |_| {
                n += 1;
                if n == i + 1 {
                    Err(io::Error::other("injected"))
                } else {
                    Ok(())
                }
            });
            assert!(failed.is_err(), "step {step}");
            let seen = folder(out.path());
            // Failing before the last step ("cleanup", after the link is renamed) leaves the old
            // run; failing at the cleanup, the new one (its old folder is removed by the next run).
            let after_rename = steps[..i].iter().any(|s| s == "rename");
            if after_rename {
                assert_eq!(seen, folder_of(&new), "failure at {step}");
            } else {
                assert_eq!(seen, before, "failure at {step}");
            }
            // The next run cleans up and publishes in full.
            period::write(&lock, &new, &MEASURED).unwrap();
            assert_eq!(folder(out.path()), folder_of(&new), "after a failure at {step}");
            assert_eq!(leftovers(out.path()), Vec::<String>::new(), "after a failure at {step}");
        }
    }
}

fn folder_of(report: &RunReport) -> BTreeMap<String, String> {
    let out = tempfile::tempdir().unwrap();
    let lock = period::lock(out.path()).unwrap();
    period::write(&lock, report, &MEASURED).unwrap();
    folder(out.path())
}

#[test]
fn a_refused_run_removes_the_invoice_files_of_the_one_before() {
    let out = tempfile::tempdir().unwrap();
    let lock = period::lock(out.path()).unwrap();
    period::write(&lock, &report("billed", false), &MEASURED).unwrap();
    assert!(folder(out.path()).contains_key("invoices.json"));
    period::write(&lock, &report("refused", true), &MEASURED).unwrap();
    let names: Vec<String> = folder(out.path()).into_keys().collect();
    assert_eq!(names, ["exceptions.csv", "inputs.csv", "summary.json", "unmatched.csv"]);
    let summary = &folder(out.path())["summary.json"];
    assert!(summary.contains("\"refused\": true,"), "{summary}");
}

#[test]
fn a_second_run_into_a_locked_folder_is_refused_with_the_lock_named() {
    let out = tempfile::tempdir().unwrap();
    let first = period::lock(out.path()).unwrap();
    let second = period::lock(out.path()).unwrap_err().to_string();
    assert!(
        second.starts_with("another billc run is writing into this output folder"),
        "{second}"
    );
    assert!(second.contains(".billc.lock"), "{second}");
    drop(first);
    assert!(period::lock(out.path()).is_ok());
}

#[test]
fn links_planted_in_the_output_folder_are_never_followed() {
    let out = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("precious.txt");
    fs::write(&victim, "keep me").unwrap();
    // The period itself a link to a folder outside, and the names of files inside a run folder.
    std::os::unix::fs::symlink(outside.path(), out.path().join("2025-03")).unwrap();
    let lock = period::lock(out.path()).unwrap();
    period::write(&lock, &report("run", false), &MEASURED).unwrap();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me");
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 1);
    assert!(folder(out.path())["exceptions.csv"].contains("run"));
    // A run folder whose link is replaced by one pointing outside is not removed afterwards either.
    fs::remove_file(out.path().join("2025-03")).unwrap();
    std::os::unix::fs::symlink(outside.path(), out.path().join("2025-03")).unwrap();
    period::write(&lock, &report("again", false), &MEASURED).unwrap();
    assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me");
}

#[test]
fn a_folder_written_by_an_older_billc_is_replaced_whole() {
    let out = tempfile::tempdir().unwrap();
    let legacy = out.path().join("2025-03");
    fs::create_dir(&legacy).unwrap();
    fs::write(legacy.join("trace.json"), "old").unwrap();
    let lock = period::lock(out.path()).unwrap();
    period::write(&lock, &report("new", false), &MEASURED).unwrap();
    assert!(fs::symlink_metadata(&legacy).unwrap().file_type().is_symlink());
    assert_ne!(folder(out.path())["trace.json"], "old");
    assert_eq!(leftovers(out.path()), Vec::<String>::new());
}
