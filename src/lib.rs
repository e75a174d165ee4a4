//! billc: contracts as code for billing.
//!
//! See README.md's Architecture section for the pipeline and the code map.

pub mod invoice;
pub mod time;
