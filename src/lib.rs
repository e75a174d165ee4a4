//! billc: contracts as code for billing.
//!
//! Pipeline: `.bill` text → [`syntax`] (pest, AST with spans) → [`check`] (names, dimensional
//! types → typed [`hir`]) → [`compile`] (components instantiated → [`compile::Plan`]) → [`eval`]
//! (a plan, a month and the data → invoice lines with traces). [`db`] makes the first three salsa
//! queries; [`session`] drives them. See README.md's Architecture section for the code map.

pub mod check;
pub mod compile;
pub mod data;
pub mod db;
pub mod demand;
pub mod diag;
pub mod eval;
pub mod explain;
pub mod gp;
pub mod hir;
pub mod invoice;
pub mod numbering;
pub mod output;
pub mod powerbill;
pub mod review;
pub mod run;
pub mod session;
pub mod source;
pub mod syntax;
pub mod terms;
pub mod testdata;
pub mod testing;
pub mod time;
