//! `billc run` killed at any moment leaves `<out>/<period>` holding one whole run, and two runs into
//! one `--out` never mix.
//!
//! The publishing itself is tested step by step inside billc-billing (a failure injected at every
//! step); this test does it to the real binary with SIGKILL. Two reference runs of March 2025 over
//! the bundled contracts — the bundled example data ("new") and a copy with one revenue amount
//! changed ("old") — give two sets of files that differ (outputs hold no host or path, so runs of
//! the same input are byte-identical but for the measured phase times of `summary.json`, which
//! [`common::period_files`] leaves out). Then runs alternating
//! between the two inputs are started into one `--out` and killed after delays spread over a
//! measured run's duration; after each kill the period folder must be byte-identical to one
//! reference set. The assertions hold whatever the timing: a kill that comes too late only finds a
//! finished run, which must also be whole. Finally a run must succeed (the OS released the lock)
//! and leave no hidden leftovers. (Each run has a ledger of its own here: see [`start`].)

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::BILLC;

const PERIOD: &str = "2025-03";

/// The files of a period folder: name → bytes (`summary.json` without its phase times).
type Files = BTreeMap<String, Vec<u8>>;

fn files(dir: &Path) -> Files {
    common::period_files(dir)
}

/// The bundled example data with one March revenue amount changed: other invoices.
#[expect(clippy::unwrap_used, reason = "test helper: a failure is a test failure")]
fn old_data(root: &Path) -> PathBuf {
    let dir = root.join("old-data");
    common::copy_dir(Path::new("examples/data"), &dir);
    let path = dir.join("2025-03/revenue.csv");
    let text = fs::read_to_string(&path).unwrap();
    let changed = text.replacen(",35000.00,", ",36000.00,", 1);
    assert_ne!(text, changed, "the example data changed: pick another amount");
    fs::write(&path, changed).unwrap();
    dir
}

/// Each run records into a ledger of its own (beside `out`), so that its invoices keep version 01
/// and the folders compare with the references: what a kill does to the ledger is
/// `tests/ledger_kill.rs`'s.
#[expect(clippy::unwrap_used, reason = "test helper: a failure is a test failure")]
fn start(data: &Path, out: &Path) -> Child {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let ledger = out.with_extension(format!("ledger-{n}.db"));
    Command::new(BILLC)
        .args(["run", "contracts/", "--data"])
        .arg(data)
        .args(["--period", PERIOD, "--out"])
        .arg(out)
        .arg("--ledger")
        .arg(ledger)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[expect(clippy::unwrap_used, reason = "test helper: a failure is a test failure")]
fn run(data: &Path, out: &Path) -> Output {
    start(data, out).wait_with_output().unwrap()
}

/// A run into a fresh folder: its files, and how long it took.
fn reference(data: &Path, out: &Path) -> (Files, Duration) {
    let started = Instant::now();
    let o = run(data, out);
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    (files(&out.join(PERIOD)), took)
}

/// Which reference the period folder is, by name (a test failure if it is neither).
#[expect(clippy::panic, reason = "test helper: the failure names both runs")]
fn whole_run<'a>(out: &Path, refs: &[(&'a str, &Files)], context: &str) -> &'a str {
    let found = files(&out.join(PERIOD));
    for (name, r) in refs {
        if found == **r {
            return name;
        }
    }
    let names: Vec<&String> = found.keys().collect();
    panic!("{context}: {PERIOD}/ is neither whole run (files {names:?})");
}

/// After the last run: the lock file, the period's link and the one run folder it points at.
#[expect(clippy::unwrap_used, reason = "test helper: a failure is a test failure")]
fn no_leftovers(out: &Path) {
    let link = fs::read_link(out.join(PERIOD)).unwrap();
    let mut names: Vec<String> = fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected = vec![
        ".billc.lock".to_string(),
        PERIOD.to_string(),
        link.to_string_lossy().into_owned(),
    ];
    expected.sort();
    assert_eq!(names, expected);
}

/// A scratch folder, the two inputs (new, old) and the old run's files.
#[expect(clippy::unwrap_used, reason = "test helper: a failure is a test failure")]
fn inputs() -> (tempfile::TempDir, PathBuf, PathBuf, Files) {
    let root = tempfile::tempdir().unwrap();
    let old_data = old_data(root.path());
    let (old, _) = reference(&old_data, &root.path().join("ref-old"));
    (root, PathBuf::from("examples/data"), old_data, old)
}

#[test]
fn a_killed_run_leaves_the_whole_old_run_or_the_whole_new_one() {
    let (root, new_data, old_data, old) = inputs();
    // The duration of a run, measured here (the longest of three): the kills are spread over it.
    let mut duration = Duration::ZERO;
    let mut new = Files::new();
    for i in 0..3 {
        let (files, took) = reference(&new_data, &root.path().join(format!("ref-new-{i}")));
        duration = duration.max(took);
        new = files;
    }
    assert_ne!(old, new, "the two inputs must give different invoices");
    let refs = [("old", &old), ("new", &new)];
    let out = root.path().join("out");
    assert_eq!(run(&old_data, &out).status.code(), Some(0));
    assert_eq!(whole_run(&out, &refs, "first run"), "old");
    let iterations = 36u32;
    let mut killed_running = 0;
    for i in 0..iterations {
        // Alternate the inputs, so that each kill can interrupt a change in either direction.
        let data = if i % 2 == 0 { &new_data } else { &old_data };
        // From 0 to 1.2 × the measured duration, in twelve steps.
        let delay = duration * (i % 12) / 10;
        let mut child = start(data, &out);
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed_running += 1;
        }
        // SIGKILL (a run that has already finished is not affected).
        let _ = child.kill();
        let status = child.wait().unwrap();
        whole_run(&out, &refs, &format!("kill {i} after {delay:?} ({status})"));
    }
    // The kills without delay (three) cannot miss a running process: the test means something
    // however fast or slow the machine is.
    assert!(
        killed_running >= 3,
        "only {killed_running} of {iterations} kills met a running run"
    );
    // The lock went with the killed processes; the next run cleans what they left.
    let last = run(&new_data, &out);
    assert_eq!(last.status.code(), Some(0), "{}", String::from_utf8_lossy(&last.stderr));
    assert_eq!(whole_run(&out, &refs, "final run"), "new");
    no_leftovers(&out);
}

#[test]
fn two_runs_at_once_one_waits_out_the_lock_or_runs_after() {
    let (root, new_data, old_data, old) = inputs();
    let (new, _) = reference(&new_data, &root.path().join("ref-new"));
    let refs = [("old", &old), ("new", &new)];
    let out = root.path().join("out");
    for i in 0..8 {
        let a = start(&old_data, &out);
        let b = start(&new_data, &out);
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let mut succeeded = Vec::new();
        for (name, o) in [("old", &a), ("new", &b)] {
            let stderr = String::from_utf8_lossy(&o.stderr);
            match o.status.code() {
                Some(0) => succeeded.push(name),
                Some(1) => {
                    let lock = out.join(".billc.lock");
                    assert_eq!(
                        stderr,
                        format!(
                            "error: another billc run is writing into this output folder (it holds {}); wait for it to finish\n",
                            lock.display()
                        ),
                        "race {i}"
                    );
                    assert!(o.stdout.is_empty(), "race {i}: a refused run prints no summary");
                }
                other => panic!("race {i}: {name} exited with {other:?}: {stderr}"),
            }
        }
        assert!(!succeeded.is_empty(), "race {i}: neither run succeeded");
        let found = whole_run(&out, &refs, &format!("race {i}"));
        assert!(
            succeeded.contains(&found),
            "race {i}: {found} holds the folder but did not succeed"
        );
    }
    // Whether the runs overlapped is up to the scheduler: both cases are accepted above.
    no_leftovers(&out);
}
