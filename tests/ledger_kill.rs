//! `billc run` killed at any moment leaves a consistent ledger, and billing on from it converges to
//! the state an uninterrupted ledger reaches (issue 15's acceptance criterion).
//!
//! Two inputs for March 2025 over the bundled contracts: the bundled example data ("new") and a copy
//! with site 0198's revenue changed ("old"), so that base `0198-202503-01` bills differently in
//! each (the other 44 invoices are the same in both).
//!
//! The kill loop: 36 runs into one `--out` (and its `billing.db`), starting with no ledger at all,
//! alternating old and new, each killed with SIGKILL after a delay spread from 0 to 1.2 × a measured
//! run's duration. After each kill:
//!
//! - `billc ledger verify` exits 0 with no break (hash chain, invariants, SQLite's integrity
//!   check) — or, while no run has got as far as creating the ledger's schema, exits 1 saying there
//!   is no ledger here; once a ledger exists it never stops being one;
//! - the number of documents never decreases, and every base's versions are 01, 02, … without a gap
//!   (a run killed inside its transaction left nothing, not even a number);
//! - every invoice of the period folder's `invoices.json` (if the folder exists) is in the ledger
//!   with the same total (the folder is the export of what the ledger recorded).
//!
//! What "the same state" means. A killed run whose transaction had committed is a run like any
//! other; one killed before that left nothing. So the killed ledger holds some number of extra
//! versions of `0198-202503-01` (all superseded: no one approved or sent anything in the loop), and
//! document numbers and ids differ from an uninterrupted ledger's. The property checked is the one
//! that matters to a customer and an auditor: after the kill loop the reference sequence (run old,
//! run new, approve `--by bob` and send `--by ana` the base's current version, run old: a credit note
//! and a replacement) and then a run of new give, for every base, the same **non-superseded
//! documents** — kind, status, content digest, total, dates, terms, who created them — as the same
//! sequence gives an uninterrupted ledger; numbers, ids, run ids and timestamps aside (and a credit
//! note's date and digest, which are the day it was made). In particular every base's current
//! version has the same content. Then a second run of new changes nothing but the run log: the
//! documents, as `billc ledger invoices --format json` lists them (timestamps included), are
//! byte-for-byte the same, and the run counts all 45 invoices unchanged.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::BILLC;

const PERIOD: &str = "2025-03";

/// The base that bills differently in the two inputs.
const CHANGED: &str = "0198-202503-01";

/// The bundled example data with site 0198's March revenue changed: another total for 0198.
#[expect(clippy::unwrap_used, reason = "test helper: a failure is a test failure")]
fn old_data(root: &Path) -> PathBuf {
    let dir = root.join("old-data");
    common::copy_dir(Path::new("examples/data"), &dir);
    let path = dir.join("2025-03/revenue.csv");
    let text = fs::read_to_string(&path).unwrap();
    let changed = text.replacen(
        "\n0198,2025-03-15,PK,Parking,Transient,Y,100000.00,100000.00,",
        "\n0198,2025-03-15,PK,Parking,Transient,Y,100000.00,101000.00,",
        1,
    );
    assert_ne!(text, changed, "the example data changed: pick another amount");
    fs::write(&path, changed).unwrap();
    dir
}

fn ledger(out: &Path) -> PathBuf {
    out.join(billc_ledger::DEFAULT_FILE)
}

/// A run into `out`, recording into `<out>/billing.db`, by ana.
#[expect(clippy::unwrap_used, reason = "test helper: a failure is a test failure")]
fn start(data: &Path, out: &Path) -> Child {
    Command::new(BILLC)
        .args(["run", "contracts/", "--data"])
        .arg(data)
        .args(["--period", PERIOD, "--out"])
        .arg(out)
        .args(["--by", "ana"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A run that must succeed.
#[expect(clippy::unwrap_used, reason = "test helper: a failure is a test failure")]
fn run(data: &Path, out: &Path) {
    let o = start(data, out).wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

/// `billc <args> --ledger <out>/billing.db`, which must succeed: its stdout.
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a path that is not UTF-8 is a test failure"
)]
fn ledger_command(out: &Path, args: &[&str]) -> String {
    let path = ledger(out);
    let mut all = args.to_vec();
    all.extend(["--ledger", path.to_str().unwrap()]);
    let (code, stdout, stderr) = common::billc(&all);
    assert_eq!(code, 0, "billc {all:?}: {stderr}");
    stdout
}

/// Every document, as `billc ledger invoices --format json` lists them.
#[expect(clippy::unwrap_used, reason = "test helper: bad JSON is a test failure")]
fn documents(out: &Path) -> Vec<Value> {
    serde_json::from_str(&ledger_command(out, &["ledger", "invoices", "--format", "json"])).unwrap()
}

/// Every run, as `billc ledger runs --format json` lists them.
#[expect(clippy::unwrap_used, reason = "test helper: bad JSON is a test failure")]
fn runs(out: &Path) -> Vec<Value> {
    serde_json::from_str(&ledger_command(out, &["ledger", "runs", "--format", "json"])).unwrap()
}

/// What `billc ledger verify` found.
#[derive(Debug, PartialEq, Eq)]
enum Verified {
    /// No ledger yet (no file, or one without a schema: a run killed while creating it).
    NoLedger,
    /// A ledger without a break, with this many documents.
    Whole { documents: u64 },
}

#[expect(clippy::unwrap_used, reason = "test helper: a failure is a test failure")]
#[expect(clippy::panic, reason = "test helper: the failure says what verify printed")]
fn verify(out: &Path, context: &str) -> Verified {
    let path = ledger(out);
    let (code, stdout, stderr) = common::billc(&[
        "ledger",
        "verify",
        "--ledger",
        path.to_str().unwrap(),
        "--format",
        "json",
    ]);
    match code {
        0 => {
            let v: Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(v["breaks"], Value::Array(Vec::new()), "{context}: {stdout}");
            Verified::Whole {
                documents: v["documents"].as_u64().unwrap(),
            }
        }
        1 if stdout.is_empty()
            && stderr.trim_end()
                == format!(
                    "error: {}: no ledger here (a `billc run` creates it; or give --ledger PATH)",
                    path.display()
                ) =>
        {
            Verified::NoLedger
        }
        _ => panic!("{context}: verify exited {code}:\n{stdout}\n{stderr}"),
    }
}

/// The current version of a base: its latest invoice that was not superseded.
#[expect(clippy::unwrap_used, reason = "test helper: a missing base is a test failure")]
fn current(docs: &[Value], base: &str) -> String {
    docs.iter()
        .filter(|d| d["base"] == base && d["kind"] == "invoice" && d["status"] != "superseded")
        .max_by_key(|d| d["version"].as_u64())
        .unwrap()["number"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The reference sequence: old, new (the changed base gets a new version), its current version
/// approved by bob and sent by ana, old again (a credit note and a replacement), then new.
fn sequence(old: &Path, new: &Path, out: &Path) {
    run(old, out);
    run(new, out);
    let number = current(&documents(out), CHANGED);
    ledger_command(out, &["approve", &number, "--by", "bob"]);
    ledger_command(out, &["send", &number, "--by", "ana"]);
    run(old, out);
    run(new, out);
}

/// The state that must converge: per base, its documents that were not superseded, without what
/// depends on how many runs came before or on when (numbers, versions, ids, run ids, timestamps,
/// the number a document corrects; a credit note's date, and so its digest, is the day it was made).
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a document that is not an object is a test failure"
)]
fn state(docs: &[Value]) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for d in docs.iter().filter(|d| d["status"] != "superseded") {
        let mut d = d.clone();
        let o = d.as_object_mut().unwrap();
        for volatile in ["id", "number", "version", "run", "created_at", "corrects"] {
            assert!(o.remove(volatile).is_some(), "documents lost their `{volatile}`");
        }
        if o["kind"] == "credit_note" {
            o.remove("date");
            o.remove("digest");
        }
        let base = o["base"].as_str().unwrap().to_owned();
        out.entry(base).or_default().push(d);
    }
    for docs in out.values_mut() {
        docs.sort_by_key(|d| (d["kind"].to_string(), d["status"].to_string()));
    }
    out
}

/// Every base's versions are 1, 2, … n: nothing was lost, no number skipped.
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a field that is missing is a test failure"
)]
fn versions_without_gaps(docs: &[Value], context: &str) {
    let mut by_base: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for d in docs {
        by_base
            .entry(d["base"].as_str().unwrap())
            .or_default()
            .push(d["version"].as_u64().unwrap());
    }
    for (base, mut versions) in by_base {
        versions.sort_unstable();
        let expected: Vec<u64> = (1..=versions.len() as u64).collect();
        assert_eq!(versions, expected, "{context}: versions of {base}");
    }
}

/// Every invoice of the published period folder (if there is one) is in the ledger, same total.
#[expect(clippy::unwrap_used, reason = "test helper: a failure is a test failure")]
#[expect(clippy::panic, reason = "test helper: the failure names the invoice")]
fn folder_in_ledger(out: &Path, docs: &[Value], context: &str) {
    let Ok(text) = fs::read_to_string(out.join(PERIOD).join("invoices.json")) else {
        return;
    };
    let folder: Value = serde_json::from_str(&text).unwrap();
    let by_number: BTreeMap<&str, &Value> = docs.iter().map(|d| (d["number"].as_str().unwrap(), d)).collect();
    let invoices = folder["invoices"].as_array().unwrap();
    assert!(!invoices.is_empty(), "{context}: an empty invoices.json");
    for inv in invoices {
        let number = inv["number"].as_str().unwrap();
        let Some(d) = by_number.get(number) else {
            panic!("{context}: {number} is in {PERIOD}/invoices.json but not in the ledger");
        };
        assert_eq!(
            d["total"].as_str(),
            inv["total"].as_str(),
            "{context}: {number}'s total in the folder and in the ledger"
        );
    }
}

#[test]
fn a_killed_run_leaves_a_consistent_ledger_that_bills_on_to_the_same_state() {
    let root = tempfile::tempdir().unwrap();
    let new_data = PathBuf::from("examples/data");
    let old_data = old_data(root.path());

    // The duration of a run into a fresh folder, ledger created (the longest of three).
    let mut duration = Duration::ZERO;
    for i in 0..3 {
        let started = Instant::now();
        run(&new_data, &root.path().join(format!("timing-{i}")));
        duration = duration.max(started.elapsed());
    }

    // The uninterrupted reference.
    let reference = root.path().join("reference");
    sequence(&old_data, &new_data, &reference);
    let expected = documents(&reference);
    assert!(matches!(verify(&reference, "reference"), Verified::Whole { .. }));
    let changed: Vec<&str> = expected
        .iter()
        .filter(|d| d["base"] == CHANGED)
        .map(|d| d["status"].as_str().unwrap())
        .collect();
    // 01 superseded by 02, 02 sent then credited by 03 with 04 replacing it, 04 superseded by 05.
    assert_eq!(changed, ["superseded", "sent", "draft", "superseded", "draft"]);
    assert_eq!(
        expected.len(),
        45 + 4,
        "44 invoices unchanged, five documents of {CHANGED}"
    );

    // The kill loop, from no ledger at all.
    let out = root.path().join("out");
    let iterations = 36u32;
    let mut seen_ledger = false;
    let mut documents_before = 0u64;
    let mut runs_before = 0usize;
    let (mut killed_running, mut killed_recorded, mut no_ledger) = (0u32, 0u32, 0u32);
    for i in 0..iterations {
        let data = if i % 2 == 0 { &old_data } else { &new_data };
        // From 0 to 1.2 × the measured duration, each kill at a delay of its own.
        let delay = duration * 12 * i / (10 * (iterations - 1));
        let mut child = start(data, &out);
        std::thread::sleep(delay);
        let running = child.try_wait().unwrap().is_none();
        // SIGKILL (a run that has already finished is not affected).
        let _ = child.kill();
        let status = child.wait().unwrap();
        let context = format!("kill {i} after {delay:?} ({status})");
        killed_running += u32::from(running);
        match verify(&out, &context) {
            Verified::NoLedger => {
                assert!(!seen_ledger, "{context}: the ledger was there before the kill");
                no_ledger += 1;
                continue;
            }
            Verified::Whole { documents: n } => {
                seen_ledger = true;
                assert!(
                    n >= documents_before,
                    "{context}: {documents_before} documents before, {n} now"
                );
                documents_before = n;
            }
        }
        let docs = documents(&out);
        assert_eq!(docs.len() as u64, documents_before, "{context}");
        versions_without_gaps(&docs, &context);
        folder_in_ledger(&out, &docs, &context);
        let runs_now = runs(&out).len();
        assert!(runs_now >= runs_before, "{context}: runs disappeared");
        killed_recorded += u32::from(running && runs_now > runs_before);
        runs_before = runs_now;
    }
    eprintln!(
        "{iterations} kills (run of {duration:?}): {killed_running} met a running run, \
         {killed_recorded} of them after it had recorded its run, {no_ledger} before there was a \
         ledger; {runs_before} runs in the ledger"
    );
    // The kills with the shortest delays cannot miss a running process: the test means something
    // however fast or slow the machine is.
    assert!(
        killed_running >= 3,
        "only {killed_running} of {iterations} kills met a running run"
    );

    // Bill on from the killed ledger: the same sequence, then the same state.
    sequence(&old_data, &new_data, &out);
    assert!(matches!(verify(&out, "after the sequence"), Verified::Whole { .. }));
    let converged = documents(&out);
    versions_without_gaps(&converged, "after the sequence");
    assert_eq!(state(&converged), state(&expected));

    // A re-run changes nothing but the run log.
    let runs_then = runs(&out).len();
    run(&new_data, &out);
    assert_eq!(documents(&out), converged, "a re-run changed documents");
    let runs_now = runs(&out);
    assert_eq!(runs_now.len(), runs_then + 1);
    let last = &runs_now[runs_then];
    for (count, n) in [
        ("invoices", 45),
        ("created", 0),
        ("unchanged", 45),
        ("replaced", 0),
        ("credit_notes", 0),
        ("withdrawn", 0),
    ] {
        assert_eq!(last[count], n, "the re-run's {count}: {last}");
    }
    assert!(matches!(verify(&out, "after the re-run"), Verified::Whole { .. }));
    // A kill while the ledger was being created left a hidden file; the creation that succeeded
    // removed it.
    let left: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".creating-"))
        .collect();
    assert!(left.is_empty(), "left by killed creations: {left:?}");
}
