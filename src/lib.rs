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
pub mod time;
