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

/// The arguments of `billc run <contracts> --data <data> --period <period> --out <out> <extra…>`.
#[allow(
    dead_code,
    reason = "each test binary compiles this module; not every one uses every helper"
)]
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a path that is not UTF-8 is a test failure"
)]
pub fn run_args<'a>(
    contracts: &'a Path,
    data: &'a Path,
    period: &'a str,
    out: &'a Path,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        contracts.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--period",
        period,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args
}

/// [`run_args`] for June 2025.
#[allow(
    dead_code,
    reason = "each test binary compiles this module; not every one bills June"
)]
pub fn june_args<'a>(contracts: &'a Path, data: &'a Path, out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    run_args(contracts, data, "2025-06", out, extra)
}

/// Copies a folder tree (the example data, to change it in a test).
#[allow(
    dead_code,
    reason = "each test binary compiles this module; not every one uses every helper"
)]
#[expect(clippy::unwrap_used, reason = "test helper: a failure is a test failure")]
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
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
    let start = format!(",\n  \"{}\": {{", billc_billing::figures::PHASES_KEY);
    let from = summary.find(&start).unwrap_or(summary.len());
    // The object is last: after it, no other key at the top level.
    let last = summary
        .get(from + start.len()..)
        .is_some_and(|rest| !rest.contains("\n  \"") && rest.ends_with("\n  }\n}\n"));
    if !last {
        panic!("summary.json does not end with its phases_seconds object:\n{summary}");
    }
    format!("{}\n}}\n", &summary[..from])
}

/// Runs the README's main command (`contracts/` over `examples/data` for 2025-03) into a fresh
/// folder, asserting that it bills cleanly: the folder (deleted when dropped) and its `2025-03/`.
#[expect(clippy::unwrap_used, reason = "test helper")]
pub fn readme_run() -> (tempfile::TempDir, std::path::PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let args = run_args(
        Path::new("contracts/"),
        Path::new("examples/data"),
        "2025-03",
        out.path(),
        &[],
    );
    let (code, _, stderr) = billc(&args);
    assert_eq!(code, 0, "{stderr}");
    let folder = out.path().join("2025-03");
    (out, folder)
}

/// `billc explain <folder> <key> --format json`, asserting exit status 0, parsed.
#[expect(clippy::unwrap_used, reason = "test helper")]
pub fn explain_json(folder: &Path, key: &str) -> serde_json::Value {
    let (code, json, stderr) = billc(&["explain", folder.to_str().unwrap(), key, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&json).unwrap()
}
