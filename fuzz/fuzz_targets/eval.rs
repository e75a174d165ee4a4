//! Fuzzes compile + eval: generated contracts (`targets::grammar`) that check cleanly are billed for
//! each month of the bundled `examples/data` (January–March 2025). Asserts: no panic (an
//! evaluation error is a value); every line amount is whole cents.
#![no_main]

#[allow(dead_code, reason = "each target uses one of the shared bodies")]
#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    targets::eval(data);
});
