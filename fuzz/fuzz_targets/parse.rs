//! Fuzzes `billc_lang::syntax::parse` (the fast parser, else pest) with arbitrary bytes as a `.bill`
//! file. Asserts: no panic, no hang (libFuzzer's timeout), every error span inside the text.
#![no_main]

#[allow(dead_code, reason = "each target uses one of the shared bodies")]
#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::parse(data));
