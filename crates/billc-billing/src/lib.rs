//! billc-billing: a period's run and what it produces.
//!
//! [`run`] evaluates every plan for a period over the data in parallel and turns the lines into
//! [`invoice`]s ([`numbering`] for numbers and dates, [`billc_lang::terms`] for due dates,
//! [`review`] for the forecast review, [`complete`] for whether the data covers what the contracts
//! read), with the exceptions a person must look at and the row
//! accounting. [`output`] writes the period folder and reads the trace back; [`explain`] prints a
//! trace; [`gp`] writes the Great Plains export; [`figures`] counts a run for `summary.json`. [`sources`] finds `.bill` (or other) files under
//! the paths a user gives. [`period`] is a whole period end to end, as the command line runs it.
//!
//! Modules, bottom to top (a module imports only modules listed before it): [`sources`],
//! [`invoice`], [`numbering`], [`review`], [`complete`], [`publish`], [`output`], [`explain`], [`gp`], [`run`], [`figures`], [`period`].
//! Above the language and data crates; below the importer and the command line. It may read and
//! write files (sources, the period folder) but never prints: messages are returned as values.

pub mod complete;
pub mod explain;
pub mod figures;
pub mod gp;
pub mod invoice;
pub mod numbering;
pub mod output;
pub mod period;
pub mod publish;
pub mod review;
pub mod run;
pub mod sources;
