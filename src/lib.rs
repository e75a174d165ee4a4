//! billc: contracts as code for billing.
//!
//! See README.md's Architecture section for the pipeline and the code map.

pub mod explain;
pub mod gp;
pub mod invoice;
pub mod numbering;
pub mod output;
pub mod review;
pub mod terms;
// `YearMonth::add(months)` trips clippy's `should_implement_trait`; it is not `std::ops::Add` (it can
// fail, returning `Option`). Allowed here so that src/time.rs (shared) stays untouched; remove when
// the method is renamed.
#[allow(
    clippy::should_implement_trait,
    reason = "YearMonth::add is fallible, not std::ops::Add"
)]
pub mod time;
