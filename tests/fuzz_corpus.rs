//! The fuzz corpus replayed on stable Rust: every file of `fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/` goes through the same body as its cargo-fuzz target
//! (`fuzz/targets.rs`, included here), so a regression shows in `cargo test` without nightly or
//! libFuzzer. The fuzz runs themselves: README → Testing → Fuzzing.

#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::Path;

/// The inputs of one target: its corpus and its regressions, sorted by name.
#[expect(clippy::unwrap_used, reason = "test helper: an unreadable corpus is a test failure")]
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["fuzz/corpus", "fuzz/regressions"] {
        let dir = Path::new(dir).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

/// Replays a target's inputs, returning what each returns; a panic names the input.
#[expect(clippy::panic, reason = "test helper: a panicking input is a test failure")]
fn replay<T>(target: &str, body: fn(&[u8]) -> T) -> Vec<T> {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "no corpus for `{target}`");
    inputs
        .iter()
        .map(|(name, bytes)| match std::panic::catch_unwind(|| body(bytes)) {
            Ok(out) => out,
            Err(_) => panic!("{name} panics (replay it: `cargo +nightly fuzz run {target} {name}`)"),
        })
        .collect()
}

#[test]
fn parse() {
    replay("parse", targets::parse);
}

#[test]
fn check() {
    replay("check", targets::check);
}

#[test]
fn eval() {
    // The corpus reaches the evaluator: some of its contracts check and bill lines.
    let billed: usize = replay("eval", targets::eval).into_iter().sum();
    assert!(billed > 0, "no input of the eval corpus bills a line");
}

#[test]
fn csv() {
    replay("csv", targets::csv);
}
