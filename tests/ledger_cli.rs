//! A month through the ledger with the real binary, as README's "A month in the ledger" walks it:
//! run, review, approve (by someone else than who ran), send, a correction after sending (credit
//! note and replacement), a payment import (re-imported: idempotent), aging, history and verify.
//! Every output is snapshotted, times and hashes masked.

#![expect(clippy::unwrap_used, reason = "tests: a failure is a test failure")]

mod common;

use common::billc;
use std::path::Path;

/// `2026-12-04T18:07:41.927Z` → `<at>`, `blake3:<64 hex>` → `<hash>`, the folder → `<out>`.
fn scrub(text: &str, out: &Path) -> String {
    let text = text.replace(out.to_str().unwrap(), "<out>");
    let mut s = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let stamp = b.len() >= i + 24
            && b[i..i + 24]
                .iter()
                .zip(b"dddd-dd-ddTdd:dd:dd.dddZ")
                .all(|(c, p)| if *p == b'd' { c.is_ascii_digit() } else { c == p });
        if stamp {
            s.push_str("<at>");
            i += 24;
        } else if text[i..].starts_with("blake3:") && b.len() >= i + 71 {
            s.push_str("<hash>");
            i += 71;
        } else {
            let ch = text[i..].chars().next().unwrap();
            s.push(ch);
            i += ch.len_utf8();
        }
    }
    s
}

/// Runs billc; returns `$ command`, the status and both streams, scrubbed, for a snapshot.
fn step(out: &Path, args: &[&str]) -> String {
    let (code, stdout, stderr) = billc(args);
    let shown: Vec<&str> = args
        .iter()
        .map(|a| if a.starts_with('/') { "<path>" } else { a })
        .collect();
    let stdout: String = stdout
        .lines()
        .filter(|l| !l.starts_with("  time ") && !l.starts_with("  phases "))
        .map(|l| format!("{l}\n"))
        .collect();
    scrub(
        &format!("$ billc {}\nstatus {code}\n{stdout}{stderr}\n", shown.join(" ")),
        out,
    )
}

#[test]
fn a_month_in_the_ledger() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    let o = out.to_str().unwrap();
    let ledger = out.join("billing.db");
    let l = ledger.to_str().unwrap();
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("roles.csv"),
        "user,role,approval_limit\nana,billing_admin,10000\nfred,finance_manager,\naudrey,auditor,\n",
    )
    .unwrap();
    let mut log = String::new();
    let mut go = |a: &[&str]| log.push_str(&step(&out, a));
    let run = |data: &'static str| {
        [
            "run",
            "contracts/",
            "--data",
            data,
            "--period",
            "2025-03",
            "--out",
            o,
            "--by",
            "ana",
        ]
    };
    go(&run("examples/data"));
    go(&["ledger", "invoices", "--ledger", l, "--status", "needs_approval"]);
    // ana ran the month: she may not approve it; fred does.
    go(&["approve", "0170-202503-01-01", "--ledger", l, "--by", "ana"]);
    for status in ["draft", "needs_approval"] {
        go(&[
            "approve", "--period", "2025-03", "--status", status, "--ledger", l, "--by", "fred",
        ]);
    }
    // An auditor reads only; ana sends.
    go(&["send", "9001-202503-01-01", "--ledger", l, "--by", "audrey"]);
    go(&[
        "send", "--period", "2025-03", "--status", "approved", "--ledger", l, "--by", "ana",
    ]);
    // A correction after sending: 9001's March revenue was exported short.
    let fixed = root.path().join("data");
    common::copy_dir(Path::new("examples/data"), &fixed);
    let revenue = fixed.join("2025-03/revenue.csv");
    let text = std::fs::read_to_string(&revenue).unwrap();
    let changed = text.replacen(
        "9001,2025-03-15,PK,Parking,Transient,Y,75000.00,75000.00,",
        "9001,2025-03-15,PK,Parking,Transient,Y,76000.00,76000.00,",
        1,
    );
    assert_ne!(text, changed);
    std::fs::write(&revenue, changed).unwrap();
    let f = fixed.to_str().unwrap();
    let rerun = [
        "run",
        "contracts/",
        "--data",
        f,
        "--period",
        "2025-03",
        "--out",
        o,
        "--by",
        "ana",
    ];
    go(&rerun);
    go(&rerun);
    go(&[
        "approve",
        "9001-202503-01-02",
        "9001-202503-01-03",
        "--ledger",
        l,
        "--by",
        "fred",
    ]);
    go(&[
        "send",
        "9001-202503-01-02",
        "9001-202503-01-03",
        "--ledger",
        l,
        "--by",
        "ana",
    ]);
    let payments = root.path().join("payments.csv");
    std::fs::write(
        &payments,
        "invoice,date,amount,reference\n\
         9001-202503-01-03,2025-04-20,17850.00,ACH-1001\n\
         9004-202503-01-01,2025-04-22,10000.00,ACH-1002\n\
         9002-202503-01-01,2025-04-22,20100.00,ACH-1003\n\
         9001-202503-01-01,2025-04-23,17500.00,ACH-1004\n\
         0500-202503-01-01,2025-04-23,10.00,ACH-1005\n",
    )
    .unwrap();
    let p = payments.to_str().unwrap();
    go(&["payments", "import", p, "--ledger", l, "--by", "ana"]);
    go(&["payments", "import", p, "--ledger", l, "--by", "ana"]);
    go(&["ledger", "aging", "--as-of", "2025-05-15", "--ledger", l]);
    go(&[
        "ledger",
        "aging",
        "--as-of",
        "2025-05-15",
        "--by",
        "parent",
        "--ledger",
        l,
    ]);
    go(&["ledger", "invoices", "--customer", "HEALTH", "--ledger", l]);
    go(&["ledger", "history", "9001-202503-01", "--ledger", l]);
    go(&["ledger", "runs", "--ledger", l]);
    go(&["ledger", "verify", "--ledger", l]);
    insta::assert_snapshot!(log);
}

#[test]
fn a_run_by_someone_whose_role_does_not_allow_it_is_refused_and_logged() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("roles.csv"), "user,role\nana,billing_admin\naudrey,auditor\n").unwrap();
    let o = out.to_str().unwrap();
    let l = out.join("billing.db");
    let l = l.to_str().unwrap();
    let run = |who: &'static str| {
        [
            "run",
            "contracts/",
            "--data",
            "examples/data",
            "--period",
            "2025-03",
            "--out",
            o,
            "--by",
            who,
        ]
    };
    let mut log = step(&out, &run("audrey"));
    assert!(!out.join("2025-03").exists(), "a refused run publishes nothing");
    log.push_str(&step(&out, &run("ana")));
    log.push_str(&step(&out, &["ledger", "runs", "--ledger", l]));
    let (_, history, _) = billc(&[
        "ledger",
        "history",
        "9001-202503-01-01",
        "--ledger",
        l,
        "--format",
        "json",
    ]);
    let history: serde_json::Value = serde_json::from_str(&history).unwrap();
    assert_eq!(history[0]["document"]["status"], "draft");
    let (code, verify, _) = billc(&["ledger", "verify", "--ledger", l, "--format", "json"]);
    let verify: serde_json::Value = serde_json::from_str(&verify).unwrap();
    assert_eq!(
        (
            code,
            verify["events"].as_u64(),
            verify["breaks"].as_array().map(Vec::len)
        ),
        (0, Some(47), Some(0))
    );
    insta::assert_snapshot!(log);
}
