//! Helpers shared by the tests that drive the `billc` binary.

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
