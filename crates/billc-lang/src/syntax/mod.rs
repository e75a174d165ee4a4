//! Syntax: from `.bill` text to the AST ([`ast`]), by the grammar `grammar/billc.pest`.
//!
//! Parsing never fails: [`parse`] returns the items it could read plus the syntax diagnostics. Two
//! parsers read the one grammar, and [`parse`] chooses between them:
//! - [`fast`], a hand-written recursive descent, reads a well-formed file (most files, every time
//!   a session loads them) and builds its module directly, or declines;
//! - [`parser`], pest and a lowering of its pairs, reads every file the fast one declines. It is the
//!   parser of record: the only one that reports errors, recovers from them, and reads lone
//!   expressions ([`parse_expr`]).
//!
//! Both convert literals through [`literal`], so a literal means the same whichever read it, and
//! neither imports the other. When [`fast`] answers, its module is the one [`parser`] would build,
//! without diagnostics: `tests/fast_parser.rs` checks that on every `.bill` file of the repository,
//! on generated contracts and on thousands of damaged variants. The fast path exists for speed
//! only (`billc check` of 10,000 contracts: 2.5× faster; README → Performance).

pub mod ast;
pub mod brackets;
pub mod depth;
pub mod fast;
pub mod literal;
pub mod parser;

use crate::diag::Diagnostic;
use crate::span::FileId;

pub use parser::parse_expr;

/// Parses a whole file: the module (with the items that parsed) and the syntax errors.
///
/// A file without syntax errors is read by [`fast::parse`], which builds the same module several
/// times faster; anything else goes to pest ([`parser::parse_with_pest`]), which says what is wrong.
///
/// Either way the module is then held to [`depth::MAX_DEPTH`]: what is deeper is cut off and
/// reported, so that no later pass recurses deeper than that.
pub fn parse(file: FileId, text: &str) -> (ast::Module, Vec<Diagnostic>) {
    let (mut module, mut errors) = match fast::parse(file, text) {
        Some(module) => (module, Vec::new()),
        None => parser::parse_with_pest(file, text),
    };
    let cut = depth::limit(&mut module);
    if !cut.is_empty() {
        // The lowering's own cut (see `parser::LOWERING_DEPTH`) is reported here more precisely.
        errors.retain(|e| e.code != crate::diag::Code::TooDeep || e.message != cut[0].message);
        errors.extend(cut);
    }
    (module, errors)
}
