//! billc-lang: the billc language, from `.bill` text to invoice lines with their traces.
//!
//! Pipeline: text → [`syntax`] (pest, AST with [`span`]s) → [`check`] (names, dimensional
//! [`ty`]pes → typed [`hir`]) → [`compile`] (components instantiated → [`plan::Plan`]) → [`eval`]
//! (a plan, a month and a [`eval::DataView`] → lines with [`trace`]s). [`db`] makes the first
//! three salsa queries; [`session`] drives them; [`demand`] reads plans for the months each table
//! is read; [`lint`] holds the rules of the dangerous shapes (warnings); [`testing`] runs `test` blocks over in-memory rows ([`testdata`]).
//!
//! This crate is pure: no file system, no clock, no environment (clippy's `disallowed-methods` in
//! this crate's `clippy.toml` refuses `std::fs`, `std::env` and `SystemTime`). Files come in as
//! text, data through the [`eval::DataView`] trait, and results go out as values.
//!
//! Modules, bottom to top (a module imports only modules listed before it):
//! [`stack`], [`time`], [`terms`], [`span`], [`diag`], [`syntax`], [`schema`], [`ty`], [`value`], [`trace`],
//! [`hir`], [`slips`], [`plan`], [`lint`], [`input`], [`eval_error`], [`builtins`], [`eval`], [`check`], [`compile`],
//! [`demand`], [`db`], [`session`], [`testdata`], [`testing`]. The one arrow that may look
//! surprising, `check` → `eval`, is constant folding: the checker asks the interpreter for the
//! value of a constant expression. [`builtins`]
//! holds each builtin's type, evaluation and demand rules side by side, below the three layers that
//! call them.

pub mod builtins;
pub mod check;
pub mod compile;
pub mod db;
pub mod demand;
pub mod diag;
pub mod eval;
pub mod eval_error;
pub mod hir;
pub mod input;
pub mod lint;
pub mod plan;
pub mod schema;
pub mod session;
pub mod slips;
pub mod span;
pub mod stack;
pub mod syntax;
pub mod terms;
pub mod testdata;
pub mod testing;
pub mod time;
pub mod trace;
pub mod ty;
pub mod value;
