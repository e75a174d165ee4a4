//! Fuzzes the CSV loader: the first byte picks one file of the bundled data directory (sites.csv,
//! revenue.csv, 2025-03/timesheets.csv, …), the rest replaces its contents, and the directory is
//! loaded as `billc run --period 2025-03` loads it. Asserts: no panic (a bad file is a `LoadError`,
//! a bad row a `BadRow`); every row loaded reads back.
#![no_main]

#[allow(dead_code, reason = "each target uses one of the shared bodies")]
#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::csv(data));
