//! Fuzzes the checker: the bytes drive a grammar-shaped contract generator (`targets::grammar`), and the
//! text is checked in a `Session` with the stdlib as `billc check` does. Asserts: no panic; the
//! diagnostics render.
#![no_main]

#[allow(dead_code, reason = "each target uses one of the shared bodies")]
#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::check(data));
