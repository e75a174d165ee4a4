//! Helpers shared by the tests that drive the `billc` binary.

#![allow(dead_code, reason = "each test binary uses part of the shared helpers")]

use std::path::Path;
use std::process::Command;

/// The binary under test.
pub const BILLC: &str = env!("CARGO_BIN_EXE_billc");

/// Runs the binary; returns (exit code, stdout, stderr).
#[expect(clippy::unwrap_used, reason = "test helper: a failure to spawn is a test failure")]
pub fn billc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BILLC).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[allow(
    dead_code,
    reason = "each test binary compiles this module; not every one bills June"
)]
/// The arguments of `billc run <contracts> --data <data> --period 2025-06 --out <out> <extra…>`.
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a path that is not UTF-8 is a test failure"
)]
pub fn june_args<'a>(contracts: &'a Path, data: &'a Path, out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        contracts.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--period",
        "2025-06",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args
}

/// The files of a billed period folder, sorted by name.
pub const PERIOD_FILES: [&str; 8] = [
    "exceptions.csv",
    "inputs.csv",
    "invoices-summary.csv",
    "invoices.csv",
    "invoices.json",
    "summary.json",
    "trace.json",
    "unmatched.csv",
];

/// The files of a period folder, name → bytes, exactly as written, except that `summary.json`
/// loses its `phases_seconds` object ([`without_phases`]): the one part of a run's output that is
/// not a function of its inputs (README → Running a month). Determinism tests compare these.
#[expect(clippy::unwrap_used, reason = "test helper: a failure to read is a test failure")]
pub fn period_files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            let mut bytes = std::fs::read(e.path()).unwrap();
            if name == "summary.json" {
                bytes = without_phases(&String::from_utf8(bytes).unwrap()).into_bytes();
            }
            (name, bytes)
        })
        .collect()
}

/// `summary.json` without its last key, the `phases_seconds` object (still valid JSON, every
/// other byte as written).
#[expect(
    clippy::panic,
    reason = "test helper: a summary without the object is a test failure"
)]
pub fn without_phases(summary: &str) -> String {
    let start = ",\n  \"phases_seconds\": {";
    let from = summary.find(start).unwrap_or(summary.len());
    // The object is last: after it, no other key at the top level.
    let last = summary
        .get(from + start.len()..)
        .is_some_and(|rest| !rest.contains("\n  \"") && rest.ends_with("\n  }\n}\n"));
    if !last {
        panic!("summary.json does not end with its phases_seconds object:\n{summary}");
    }
    format!("{}\n}}\n", &summary[..from])
}
