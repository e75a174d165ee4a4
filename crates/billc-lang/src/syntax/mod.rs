//! Syntax: the grammar (`grammar/billc.pest`), the AST and spans.
//!
//! Parsing never fails: [`parser::parse`] returns the items it could read plus syntax diagnostics.

pub mod ast;
pub mod fast;
pub mod parser;
