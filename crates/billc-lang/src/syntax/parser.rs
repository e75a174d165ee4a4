//! From text to [`ast::Module`] with pest, the parser of record: the one that reports syntax errors
//! and recovers from them, and the one that reads files the fast path ([`super::fast`]) declines;
//! [`super::parse`] chooses. It does not know the fast path.
//!
//! `BillParser` is derived from `grammar/billc.pest`; `Lower` turns its pairs into the AST with one
//! method per kind of node rather than per rule: `item` (the declarations), `stmt` (the statements
//! of a body), `test` (a test block and its statements), `type_expr`, `params`, `arg`, `expr` and
//! `pratt` (operators, with pest's `PrattParser`), `postfixed` (calls, fields, casts),
//! `primary_kind` (every primary) and `text_parts`; each matches on the rules it covers. The text of
//! literals is converted by [`super::literal`], which the fast path shares.
//!
//! Parsing never fails and never panics, and recovers at two levels:
//! - **inside bodies** (contract, component, `if`, `for`): a line that is no statement is read by the
//!   grammar as a `bad_stmt` (to the end of the line, balanced `{ … }` groups included), reported here
//!   with what was expected, and skipped, so one bad line does not hide the errors of the next ones;
//! - **at top level**: if the whole file still fails (an unclosed `{`, a broken `fn`), the file is cut at
//!   item boundaries (lines starting with `use`, `const`, `type`, `fn`, `component`, `contract`, `test`
//!   or `///`) and each piece is parsed alone, so one broken item costs only itself.
//!
//! Before pest reads a file or a piece, [`brackets::check`] does: brackets that do not balance are
//! reported from there (one error, at the bracket that is wrong) and the piece is not parsed, since
//! pest's backtracking over unclosed brackets takes time exponential in their depth. pest's own
//! limits back this up: a budget of rule calls ([`CALL_LIMIT`], [`Code::TooComplex`]) and its guard
//! on the native stack ([`Code::TooDeep`]).
//!
//! pest's own error text never reaches users: errors become [`Diagnostic`]s here. For their "expected
//! …" lists we ask pest for error detail (`pest::set_error_detail`), which also reports expected
//! punctuation such as `=` or `}`; it is switched on the first time an error is met and left on (the
//! flag is process-wide, and switching it off again could race with another thread's error).

use crate::diag::{Code, Diagnostic};
use crate::span::{FileId, Span};
use crate::syntax::ast::*;
use crate::syntax::literal::{self, Literal};
use crate::syntax::{brackets, depth};
use pest::Parser as _;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::LazyLock;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/billc.pest"]
struct BillParser;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_where, Assoc::Left))
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::not_op))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left)
            | Op::infix(Rule::op_in, Assoc::Left)
            | Op::infix(Rule::op_not_in, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
        .op(Op::prefix(Rule::neg))
});

/// The parser's entry point under its old path: [`syntax::parse`](super::parse), which tries the
/// fast path and comes here for anything else. Kept while `db.rs`, `benches/pipeline.rs` and
/// `tests/diagnostics.rs` still name it; delete it once they say `syntax::parse`.
pub use super::parse;

/// How many rule calls one parse may make, so that backtracking over a broken file ends with
/// [`Code::TooComplex`] instead of running for minutes. Real files need about 7 calls a byte (the
/// largest of the repository, `stdlib/towne_park.bill`, 19 KB: 131,486 calls, 1.7 ms in a release
/// build), so this is a 2.8 MB file's worth, about a quarter of a second. A fixed number, so the
/// answer does not depend on the machine, the file's neighbours or other threads.
pub const CALL_LIMIT: usize = 20_000_000;

/// Parses a whole file with pest, the reference reading of the grammar, and recovers from syntax
/// errors (see the module documentation). A file (or, after an error, an item) is first read by
/// [`brackets::check`]: one whose brackets do not balance is reported from there, never given to
/// pest, whose backtracking over unclosed brackets is exponential.
pub fn parse_with_pest(file: FileId, text: &str) -> (Module, Vec<Diagnostic>) {
    pest::set_call_limit(std::num::NonZeroUsize::new(CALL_LIMIT));
    if pest_may_read(file, text, 0, text.len()).is_ok()
        && let Ok(module) = parse_piece(file, text, 0)
    {
        return module;
    }
    pest::set_error_detail(true);
    let mut module = Module::default();
    let mut errors = Vec::new();
    for (start, end) in item_chunks(text) {
        let piece = text.get(start..end).unwrap_or("");
        let parsed = pest_may_read(file, text, start, end).and_then(|()| parse_piece(file, piece, start));
        match parsed {
            Ok((m, errs)) => {
                module.items.extend(m.items);
                errors.extend(errs);
            }
            Err(diag) => errors.push(diag),
        }
    }
    (module, errors)
}

/// Whether pest may read `text[start..end]`: when its brackets balance, or when only a `(` or `[` or two
/// are left open (pest reads that quickly, may recover from it as a bad line, and otherwise says
/// what it expected); else the bracket error.
fn pest_may_read(file: FileId, text: &str, start: usize, end: usize) -> Result<(), Diagnostic> {
    match brackets::check(file, text, start, end) {
        Ok(()) => Ok(()),
        Err(unbalanced) if unbalanced.parser_says_better => Ok(()),
        Err(unbalanced) => Err(*unbalanced.error),
    }
}

/// The stack pest runs on: a fresh segment of its own for every parse, so that its stack guard
/// (which fails a parse with "stack limit reached" when little stack is left) gives the same
/// answer on every thread, and room for the deepest nesting [`brackets`] lets through with a wide
/// margin (a debug build's pest takes about 3.3 KB for each level of an `else if` chain, so this
/// holds some 19,000; only the pages used are ever touched).
const PEST_STACK: usize = 64 * 1024 * 1024;

/// pest's parse of `text` from `rule`, on its own stack ([`PEST_STACK`]).
fn pest_parse(rule: Rule, text: &str) -> Result<Pairs<'_, Rule>, pest::error::Error<Rule>> {
    stacker::grow(PEST_STACK, || BillParser::parse(rule, text))
}

/// Parses one expression (used for doc examples and `billc` internals).
pub fn parse_expr(file: FileId, text: &str) -> Result<Expr, Diagnostic> {
    pest::set_call_limit(std::num::NonZeroUsize::new(CALL_LIMIT));
    brackets::check(file, text, 0, text.len()).map_err(|u| *u.error)?;
    let mut pairs = pest_parse(Rule::expr, text).map_err(|e| syntax_error(file, 0, text, &e, "the text"))?;
    let end = pairs.as_str().len();
    if end < text.trim_end().len() {
        return Err(Diagnostic::error(
            Code::Syntax,
            Span::new(file, end, text.len()),
            "unexpected text after the expression",
            "not part of the expression",
        ));
    }
    let mut lower = Lower {
        file,
        base: 0,
        errors: Vec::new(),
        depth: 0,
    };
    let pair = pairs
        .next()
        .ok_or_else(|| Diagnostic::error(Code::Syntax, Span::new(file, 0, 0), "empty expression", "here"))?;
    let mut expr = lower.expr(pair);
    match lower.errors.into_iter().next().or_else(|| depth::limit_expr(&mut expr)) {
        Some(err) => Err(err),
        None => Ok(expr),
    }
}

fn parse_piece(file: FileId, text: &str, base: usize) -> Result<(Module, Vec<Diagnostic>), Diagnostic> {
    let pairs = pest_parse(Rule::file, text).map_err(|e| syntax_error(file, base, text, &e, "the file"))?;
    let mut lower = Lower {
        file,
        base,
        errors: Vec::new(),
        depth: 0,
    };
    let mut module = Module::default();
    for pair in pairs.flatten().filter(|p| p.as_rule() == Rule::file) {
        for item in pair.into_inner() {
            if let Some(item) = lower.item(item) {
                module.items.push(item);
            }
        }
    }
    Ok((module, lower.errors))
}

/// Byte ranges of top-level items, found by looking at line starts.
fn item_chunks(text: &str) -> Vec<(usize, usize)> {
    const STARTS: [&str; 8] = [
        "use ",
        "const ",
        "type ",
        "fn ",
        "component ",
        "contract ",
        "test ",
        "///",
    ];
    let mut starts = vec![0];
    let mut offset = 0;
    let mut previous_was_doc = false;
    for line in text.split_inclusive('\n') {
        let is_doc = line.starts_with("///");
        if offset > 0 && !previous_was_doc && STARTS.iter().any(|s| line.starts_with(s)) {
            starts.push(offset);
        }
        previous_was_doc = is_doc;
        offset += line.len();
    }
    let mut chunks = Vec::new();
    for (i, start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        chunks.push((*start, end));
    }
    chunks
}

/// The most prefix operators (`-`, `not`) in a row among an expression's parts.
fn longest_prefix_run(pair: &Pair<'_, Rule>) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for p in pair.clone().into_inner() {
        if matches!(p.as_rule(), Rule::neg | Rule::not_op) {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

/// Turns a pest error into a diagnostic. `whole` names what the text is ("the file", "the line"),
/// for errors at its end.
fn syntax_error(file: FileId, base: usize, text: &str, err: &pest::error::Error<Rule>, whole: &str) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let mut pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    // pest's own limits: its budget of rule calls and its guard on the native stack.
    if let ErrorVariant::CustomError { message } = &err.variant {
        let at = Span::new(file, base + pos, base + pos);
        if message == "call limit reached" {
            return Diagnostic::error(
                Code::TooComplex,
                Span::new(file, base, base + text.len().min(1)),
                format!("{whole} needs more parsing than billc allows ({CALL_LIMIT} steps)"),
                "the parse gave up in this item",
            )
            .with_label(at, "still undecided here")
            .with_help("correct the syntax errors reported before this one and check again");
        }
        if message == "stack limit reached" {
            return Diagnostic::error(
                Code::TooDeep,
                at,
                format!("{whole} is nested too deeply to read"),
                "here",
            )
            .with_help("name the inner parts with `let` or a `fn`; billc reads no deeper nesting");
        }
    }
    let mut expected: Vec<String> = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives
            .iter()
            .filter_map(|r| describe(*r))
            .map(str::to_string)
            .collect(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    // With error detail on, pest also knows the punctuation it expected at the furthest position.
    // Only structural punctuation such as `=`, `->`, `}` is kept: keywords and literals are named by
    // the rules' descriptions, the tokens that start an expression become "an expression", and
    // operators that could continue an expression are left out. (pest does not export the token
    // type; its `Display` is the token itself.) The furthest position wins only when something
    // useful was expected there: pest also records how far keyword look-aheads read.
    if let Some(attempts) = err.parse_attempts() {
        const EXPR_START: [&str; 5] = ["\"", "$", "[", "{", "_"];
        const CONTINUATION: [&str; 13] = ["!=", "%", "*", "+", "-", ".", "/", "<", "<=", "==", ">", ">=", "("];
        let tokens: Vec<String> = attempts.expected_tokens().iter().map(ToString::to_string).collect();
        let mut useful = Vec::new();
        if tokens.iter().any(|t| t == "$" || t == "\"") {
            useful.push("an expression".to_string());
        }
        for token in tokens {
            if !token.is_empty()
                && token.chars().all(|c| c.is_ascii_punctuation())
                && !token.starts_with("//")
                && !EXPR_START.contains(&token.as_str())
                && !CONTINUATION.contains(&token.as_str())
            {
                useful.push(format!("`{token}`"));
            }
        }
        if attempts.max_position > pos && !useful.is_empty() {
            pos = attempts.max_position;
            expected = useful;
        } else if attempts.max_position == pos {
            expected.extend(useful);
        }
    }
    // pest's position may sit before the white space that precedes the offending token.
    pos += text.get(pos..).map_or(0, |rest| rest.len() - rest.trim_start().len());
    let found: String = text
        .get(pos..)
        .unwrap_or("")
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(20)
        .collect();
    let end = pos + found.len().max(usize::from(pos < text.len()));
    let span = Span::new(file, base + pos, base + end.min(text.len()));
    expected.sort_unstable();
    expected.dedup();
    // What could continue the expression just read is rarely what was missing: name it only when
    // nothing else was expected.
    // Calls, fields and operators go first, then the keyword operators.
    for continues in [
        &["`(`", "`.`", "a comparison", "an operator"][..],
        &["`and`", "`in`", "`or`"][..],
    ] {
        if expected.iter().any(|e| !continues.contains(&e.as_str())) {
            expected.retain(|e| !continues.contains(&e.as_str()));
        }
    }
    // "a statement" covers names (properties, components) and `test` blocks; "a declaration" covers
    // `test`; and inside a body (a statement is expected) a top-level declaration is beside the point.
    let has = |what: &str| expected.iter().any(|e| e == what);
    if has("a statement") {
        expected.retain(|e| e != "a name" && e != "`test`" && !e.starts_with("a declaration"));
    } else if expected.iter().any(|e| e.starts_with("a declaration")) {
        expected.retain(|e| e != "`test`");
    }
    let message = if found.is_empty() {
        format!("unexpected end of {}", whole.trim_start_matches("the "))
    } else {
        format!("unexpected `{found}`")
    };
    let label = match expected.as_slice() {
        [] => "not expected here".to_string(),
        [one] => format!("expected {one}"),
        [one, two] => format!("expected {one} or {two}"),
        many => {
            let shown: Vec<&str> = many.iter().take(7).map(String::as_str).collect();
            let more = if many.len() > shown.len() { ", …" } else { "" };
            format!("expected one of {}{more}", shown.join(", "))
        }
    };
    Diagnostic::error(Code::Syntax, span, message, label)
}

/// What a grammar rule is called in messages; `None` hides a rule from "expected …" lists.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::expr | Rule::simple | Rule::postfixed | Rule::paren => "an expression",
        Rule::ident | Rule::arg_name => "a name",
        Rule::string | Rule::text => "a text in quotes",
        Rule::type_expr | Rule::type_name => "a type",
        Rule::EOI => "the end of the file",
        Rule::item | Rule::use_decl | Rule::const_decl | Rule::fn_decl | Rule::component_decl | Rule::contract_decl => {
            "a declaration (`use`, `const`, `type`, `fn`, `component`, `contract`, `test`)"
        }
        Rule::test_decl | Rule::kw_test => "`test`",
        Rule::type_decl | Rule::kw_type => {
            "a declaration (`use`, `const`, `type`, `fn`, `component`, `contract`, `test`)"
        }
        Rule::body => "`{`",
        Rule::let_stmt
        | Rule::line_stmt
        | Rule::check_stmt
        | Rule::if_stmt
        | Rule::for_stmt
        | Rule::instance
        | Rule::property => "a statement",
        Rule::op_add | Rule::op_sub | Rule::op_mul | Rule::op_div => "an operator",
        Rule::op_eq | Rule::op_ne | Rule::op_lt | Rule::op_le | Rule::op_gt | Rule::op_ge => "a comparison",
        Rule::call_args => "`(`",
        Rule::field => "`.`",
        Rule::line_attr | Rule::attr_name => "a line attribute (`gl`, `group`, `tags`, `order`, `desc`)",
        Rule::kw_else => "`else`",
        Rule::kw_then => "`then`",
        Rule::kw_in => "`in`",
        Rule::kw_and => "`and`",
        Rule::kw_over => "`over`",
        Rule::check_kind => "`exception` or `approval`",
        Rule::tier | Rule::kw_up => "a tier (`10% up to $5,000`)",
        Rule::params => "`(`",
        Rule::arg => "an argument",
        Rule::money | Rule::rate | Rule::percent | Rule::number | Rule::quantity | Rule::date | Rule::month => {
            "a literal"
        }
        _ => return None,
    })
}

/// How deep the lowering recurses before it cuts a tree: four times [`depth::MAX_DEPTH`], since a
/// level of the tree takes up to two levels of lowering (an expression and its primary). A tree cut
/// here is deeper than `MAX_DEPTH`, so [`depth::limit`] reports it too, at the level where the
/// limit is passed, and [`super::parse`] keeps that error rather than this one.
pub const LOWERING_DEPTH: usize = 4 * depth::MAX_DEPTH;

struct Lower {
    file: FileId,
    base: usize,
    errors: Vec<Diagnostic>,
    /// How many expressions, statements and types the lowering is inside (see [`Lower::nested`]).
    depth: usize,
}

impl Lower {
    /// Runs `f` one level deeper; past [`LOWERING_DEPTH`] levels reports that once and gives `None`,
    /// so that the lowering never recurses deeper however deep pest's pairs are nested.
    fn nested<T>(&mut self, span: Span, f: impl FnOnce(&mut Self) -> T) -> Option<T> {
        if self.depth >= LOWERING_DEPTH {
            if !self.errors.iter().any(|e| e.code == Code::TooDeep) {
                self.errors.push(
                    Diagnostic::error(
                        Code::TooDeep,
                        span,
                        format!("nested more than {} levels deep", depth::MAX_DEPTH),
                        format!("level {LOWERING_DEPTH} of the parse starts here"),
                    )
                    .with_help("name inner parts with `let`, or turn a long `else if` chain into a tier table"),
                );
            }
            return None;
        }
        self.depth += 1;
        let result = crate::stack::deeper(|| f(self));
        self.depth -= 1;
        Some(result)
    }

    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        Span::new(self.file, self.base + s.start(), self.base + s.end())
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    /// A literal's value (`literal.rs`), or an error if it does not convert.
    fn literal(&mut self, literal: Literal, span: Span, text: &str) -> ExprKind {
        if let Some(kind) = literal.value(text) {
            return kind;
        }
        let what = literal.what();
        self.errors.push(Diagnostic::error(
            Code::BadLiteral,
            span,
            format!("`{text}` is not a valid {what}"),
            format!("not a valid {what}"),
        ));
        ExprKind::Error
    }

    fn item(&mut self, pair: Pair<'_, Rule>) -> Option<Item> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner().peekable();
        let doc = match inner.peek() {
            Some(p) if p.as_rule() == Rule::doc => inner.next().map(|d| self.doc(d)).unwrap_or_default(),
            _ => Doc::default(),
        };
        // skip the keyword token
        let mut inner = inner.filter(|p| !is_keyword(p.as_rule()));
        Some(match rule {
            Rule::use_decl => Item::Use(self.ident(inner.next()?)),
            Rule::const_decl => {
                let (name, ty, value) = self.binding(&mut inner)?;
                Item::Const(Box::new(Const {
                    doc,
                    name,
                    ty,
                    value,
                    span,
                }))
            }
            Rule::type_decl => {
                let name = self.ident(inner.next()?);
                let def = inner.next()?;
                let def = match def.as_rule() {
                    Rule::record_type => TypeDef::Record(
                        def.into_inner()
                            .filter_map(|f| {
                                let mut f = f.into_inner();
                                let name = self.ident(f.next()?);
                                Some((name, self.type_expr(f.next()?)))
                            })
                            .collect(),
                    ),
                    _ => TypeDef::Enum(def.into_inner().map(|v| self.ident(v)).collect()),
                };
                Item::Type(TypeDecl { doc, name, def, span })
            }
            Rule::fn_decl => {
                let name = self.ident(inner.next()?);
                let params = self.params(inner.next()?);
                let ret = self.type_expr(inner.next()?);
                let body = self.expr(inner.next()?);
                Item::Fn(Box::new(FnDecl {
                    doc,
                    name,
                    params,
                    ret,
                    body,
                    span,
                }))
            }
            Rule::component_decl => {
                let name = self.ident(inner.next()?);
                let params = self.params(inner.next()?);
                let body = self.body(inner.next()?);
                Item::Component(Component {
                    doc,
                    name,
                    params,
                    body,
                    span,
                })
            }
            Rule::contract_decl => {
                let name_pair = inner.next()?;
                let name_span = self.span(&name_pair);
                let name = string_value(name_pair);
                let body = self.body(inner.next()?);
                Item::Contract(Contract {
                    doc,
                    name,
                    name_span,
                    body,
                    span,
                })
            }
            Rule::test_decl => Item::Test(Box::new(self.test(doc, span, inner))),
            _ => return None,
        })
    }

    /// A line of a body that is no statement: parsed again alone to say what was expected where.
    fn bad_stmt(&self, pair: &Pair<'_, Rule>) -> Diagnostic {
        pest::set_error_detail(true);
        let text = pair.as_str();
        let start = self.base + pair.as_span().start();
        // `let a = $5 +` and a new line: the statement ended before the operator.
        const OPERATORS: [&str; 10] = ["==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/"];
        if let Some(op) = OPERATORS.iter().find(|op| text.trim_end() == **op) {
            return Diagnostic::error(
                Code::Syntax,
                self.span(pair),
                format!("`{op}` has nothing after it"),
                format!("expected an expression after `{op}`"),
            )
            .with_help("an expression may go on over several lines, but each operator needs a value on its right");
        }
        // `let bonus = $5 $6`: the statement ended at `$5` and `$6` is left over on its line.
        let input = pair.get_input();
        let line_start = input
            .get(..pair.as_span().start())
            .and_then(|b| b.rsplit('\n').next())
            .unwrap_or("");
        let first_token: String = text.chars().take_while(|c| !c.is_whitespace()).take(20).collect();
        if !line_start.trim().is_empty() && !first_token.is_empty() {
            let span = Span::new(self.file, start, start + first_token.len());
            return Diagnostic::error(
                Code::Syntax,
                span,
                format!("unexpected `{first_token}` after the end of a statement"),
                "not part of the statement before it",
            )
            .with_help("is an operator missing? The statement before ends just before this");
        }
        match pest_parse(Rule::stmt_alone, text) {
            Err(e) => syntax_error(self.file, start, text, &e, "the line"),
            Ok(_) => Diagnostic::error(
                Code::Syntax,
                self.span(pair),
                "this line is not a statement",
                "not a statement",
            ),
        }
    }

    fn doc(&self, pair: Pair<'_, Rule>) -> Doc {
        Doc {
            lines: pair
                .into_inner()
                .map(|l| {
                    let span = self.span(&l);
                    (literal::doc_line(l.as_str()), span)
                })
                .collect(),
        }
    }

    fn params(&mut self, pair: Pair<'_, Rule>) -> Vec<Param> {
        pair.into_inner()
            .filter_map(|p| {
                let span = self.span(&p);
                let mut inner = p.into_inner();
                let name = self.ident(inner.next()?);
                let ty = self.type_expr(inner.next()?);
                let default = inner.next().map(|d| self.expr(d));
                Some(Param {
                    name,
                    ty,
                    default,
                    span,
                })
            })
            .collect()
    }

    /// `name [: type] = value`, shared by `const` and `let`.
    fn binding<'i>(
        &mut self,
        inner: &mut impl Iterator<Item = Pair<'i, Rule>>,
    ) -> Option<(Ident, Option<TypeExpr>, Expr)> {
        let name = self.ident(inner.next()?);
        let mut next = inner.next()?;
        let ty = if next.as_rule() == Rule::type_expr {
            let ty = self.type_expr(next);
            next = inner.next()?;
            Some(ty)
        } else {
            None
        };
        Some((name, ty, self.expr(next)))
    }

    fn type_expr(&mut self, pair: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&pair);
        let mut name = Ident {
            name: String::new(),
            span,
        };
        let mut args = Vec::new();
        let mut per = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::type_name => name = self.ident(p),
                Rule::type_expr => {
                    let at = self.span(&p);
                    args.extend(self.nested(at, |this| this.type_expr(p)));
                }
                Rule::ident => per = Some(self.ident(p)),
                _ => {}
            }
        }
        TypeExpr { name, args, per, span }
    }

    fn body(&mut self, pair: Pair<'_, Rule>) -> Vec<Stmt> {
        let span = self.span(&pair);
        self.nested(span, |this| pair.into_inner().filter_map(|s| this.stmt(s)).collect())
            .unwrap_or_default()
    }

    fn stmt(&mut self, pair: Pair<'_, Rule>) -> Option<Stmt> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        if rule == Rule::bad_stmt {
            let diag = self.bad_stmt(&pair);
            self.errors.push(diag);
            return None;
        }
        if rule == Rule::test_decl {
            let mut inner = pair.into_inner().peekable();
            let doc = match inner.peek() {
                Some(p) if p.as_rule() == Rule::doc => inner.next().map(|d| self.doc(d)).unwrap_or_default(),
                _ => Doc::default(),
            };
            let inner = inner.filter(|p| p.as_rule() != Rule::kw_test);
            return Some(Stmt::Test(Box::new(self.test(doc, span, inner))));
        }
        let mut inner = pair.into_inner().peekable();
        let doc = match inner.peek() {
            Some(p) if p.as_rule() == Rule::doc => inner.next().map(|d| self.doc(d)).unwrap_or_default(),
            _ => Doc::default(),
        };
        let mut inner = inner.filter(|p| !is_keyword(p.as_rule()));
        Some(match rule {
            Rule::let_stmt => {
                let (name, ty, value) = self.binding(&mut inner)?;
                Stmt::Let(Box::new(Let {
                    doc,
                    name,
                    ty,
                    value,
                    span,
                }))
            }
            Rule::line_stmt => {
                let mut name = None;
                let mut rest: Vec<Pair<'_, Rule>> = inner.collect();
                if rest.first().map(|p| p.as_rule()) == Some(Rule::line_name) {
                    let first = rest.remove(0);
                    name = first.into_inner().next().map(|i| self.ident(i));
                }
                let amount_pair = rest.pop()?;
                let mut parts = rest.into_iter();
                let title_pair = parts.next()?;
                let header_end = amount_pair.as_span().start();
                let title = self.expr(title_pair);
                let header = Span::new(self.file, span.start as usize, self.base + header_end);
                let mut line = Line::header(doc, name, title, span, header);
                for attr in parts {
                    let mut a = attr.into_inner();
                    let (Some(key), Some(value)) = (a.next(), a.next()) else {
                        continue;
                    };
                    match (key.as_str(), value.as_rule()) {
                        ("tags", Rule::tag_list) => line.tags = value.into_inner().map(|t| self.ident(t)).collect(),
                        ("gl", _) => line.gl = Some(self.expr(value)),
                        ("group", _) => line.group = Some(self.expr(value)),
                        ("order", _) => line.order = Some(self.expr(value)),
                        ("desc", _) => line.desc = Some(self.expr(value)),
                        (_, _) => {
                            let value_span = self.span(&value);
                            self.errors.push(Diagnostic::error(
                                Code::Syntax,
                                value_span,
                                "`tags` takes a list of names like `[revenue_share, fee]`",
                                "expected a list of names",
                            ));
                        }
                    }
                }
                line.amount = self.expr(amount_pair);
                Stmt::Line(Box::new(line))
            }
            Rule::check_stmt => {
                let cond = self.expr(inner.next()?);
                // the grammar's `check_kind` is one of the two words
                let kind = literal::check_kind(inner.next()?.as_str()).unwrap_or(CheckKind::Exception);
                let message = self.expr(inner.next()?);
                Stmt::Check(Box::new(Check {
                    cond,
                    kind,
                    message,
                    span,
                }))
            }
            Rule::if_stmt => Stmt::If(self.if_stmt(span, &mut inner)?),
            Rule::for_stmt => {
                let var = self.ident(inner.next()?);
                let list = self.expr(inner.next()?);
                let body = self.body(inner.next()?);
                Stmt::For(Box::new(ForStmt { var, list, body, span }))
            }
            Rule::group_stmt => {
                let number = self.expr(inner.next()?);
                let title = self.expr(inner.next()?);
                let args = inner.map(|a| self.arg(a)).collect();
                Stmt::Group(Box::new(GroupStmt {
                    number,
                    title,
                    args,
                    span,
                }))
            }
            Rule::review_stmt => {
                let parts: Vec<Pair<'_, Rule>> = inner.collect();
                let kind = if parts.len() >= 2 {
                    let mut it = parts.into_iter();
                    let percent = self.expr(it.next()?);
                    let amount = self.expr(it.next()?);
                    ReviewKind::Over { percent, amount }
                } else {
                    ReviewKind::Always
                };
                Stmt::Review(Box::new(Review { kind, span }))
            }
            Rule::instance => {
                let component = self.ident(inner.next()?);
                let mut alias = None;
                let mut args = Vec::new();
                for p in inner {
                    match p.as_rule() {
                        Rule::ident => alias = Some(self.ident(p)),
                        Rule::arg => args.push(self.arg(p)),
                        _ => {}
                    }
                }
                Stmt::Instance(Instance {
                    component,
                    alias,
                    args,
                    span,
                })
            }
            Rule::property => {
                let name = self.ident(inner.next()?);
                let value = self.expr(inner.next()?);
                Stmt::Property(Property { name, value, span })
            }
            _ => return None,
        })
    }

    fn if_stmt(&mut self, span: Span, inner: &mut dyn Iterator<Item = Pair<'_, Rule>>) -> Option<IfStmt> {
        let cond = self.expr(inner.next()?);
        let then = self.body(inner.next()?);
        let otherwise = match inner.next() {
            Some(p) if p.as_rule() == Rule::body => self.body(p),
            Some(p) if p.as_rule() == Rule::if_stmt => {
                let s = self.span(&p);
                let mut nested = p.into_inner().filter(|x| !is_keyword(x.as_rule()));
                self.nested(s, |this| this.if_stmt(s, &mut nested))
                    .flatten()
                    .map(|i| vec![Stmt::If(i)])
                    .unwrap_or_default()
            }
            _ => Vec::new(),
        };
        Some(IfStmt {
            cond,
            then,
            otherwise,
            span,
        })
    }

    fn arg(&mut self, pair: Pair<'_, Rule>) -> Arg {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = inner.next().map(|n| self.ident(n)).unwrap_or(Ident {
            name: String::new(),
            span,
        });
        let value = inner.next().map(|v| self.expr(v)).unwrap_or(Expr {
            kind: ExprKind::Error,
            span,
        });
        Arg { name, value, span }
    }

    fn test<'i>(&mut self, doc: Doc, span: Span, inner: impl Iterator<Item = Pair<'i, Rule>>) -> Test {
        let mut test = Test {
            doc,
            name: String::new(),
            contract: None,
            period: None,
            given: Vec::new(),
            expects: Vec::new(),
            span,
        };
        for p in inner {
            let pspan = self.span(&p);
            match p.as_rule() {
                Rule::string => test.name = string_value(p),
                Rule::contract_ref => {
                    if let Some(s) = p.into_inner().find(|x| x.as_rule() == Rule::string) {
                        let sspan = self.span(&s);
                        test.contract = Some((string_value(s), sspan));
                    }
                }
                Rule::period_stmt => {
                    if let Some(e) = p.into_inner().find(|x| x.as_rule() == Rule::expr) {
                        test.period = Some(self.expr(e));
                    }
                }
                Rule::given_stmt => {
                    let mut g = p.into_inner().filter(|x| x.as_rule() != Rule::kw_given);
                    if let (Some(t), Some(rows)) = (g.next(), g.next()) {
                        let table = self.ident(t);
                        let rows = self.expr(rows);
                        test.given.push(Given {
                            table,
                            rows,
                            span: pspan,
                        });
                    }
                }
                Rule::expect_stmt => {
                    if let Some(e) = p.into_inner().find(|x| x.as_rule() != Rule::kw_expect) {
                        let rule = e.as_rule();
                        let has_group = e.clone().into_inner().any(|x| x.as_rule() == Rule::kw_group);
                        let exprs: Vec<Expr> = e
                            .into_inner()
                            .filter(|x| x.as_rule() == Rule::expr)
                            .map(|x| self.expr(x))
                            .collect();
                        let mut it = exprs.into_iter();
                        let expect = match rule {
                            Rule::expect_no_line => it.next().map(|title| Expect::NoLine {
                                title,
                                group: if has_group { it.next() } else { None },
                                span: pspan,
                            }),
                            Rule::expect_line => {
                                let title = it.next();
                                let group = if has_group { it.next() } else { None };
                                match (title, it.next()) {
                                    (Some(title), Some(amount)) => Some(Expect::Line {
                                        title,
                                        group,
                                        amount,
                                        span: pspan,
                                    }),
                                    _ => None,
                                }
                            }
                            Rule::expect_total => {
                                let group = if has_group { it.next() } else { None };
                                it.next().map(|amount| Expect::Total {
                                    group,
                                    amount,
                                    span: pspan,
                                })
                            }
                            _ => match (it.next(), it.next()) {
                                (Some(actual), Some(expected)) => Some(Expect::Value {
                                    actual,
                                    expected,
                                    span: pspan,
                                }),
                                _ => None,
                            },
                        };
                        test.expects.extend(expect);
                    }
                }
                _ => {}
            }
        }
        test
    }

    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        // pest's Pratt parser recurses once per prefix operator: a run of them counts as that many levels.
        let prefixes = match pair.as_rule() {
            Rule::expr | Rule::simple => longest_prefix_run(&pair),
            _ => 0,
        };
        self.depth += prefixes;
        let lowered = self.nested(span, |this| match pair.as_rule() {
            Rule::expr | Rule::simple => this.pratt(pair.into_inner()),
            Rule::postfixed => this.postfixed(pair),
            _ => Expr {
                kind: this.primary_kind(pair),
                span,
            },
        });
        self.depth -= prefixes;
        lowered.unwrap_or(Expr {
            kind: ExprKind::Error,
            span,
        })
    }

    fn pratt(&mut self, pairs: Pairs<'_, Rule>) -> Expr {
        // The Pratt callbacks cannot borrow `self` mutably at once; collect errors through a cell.
        let this = std::cell::RefCell::new(self);
        PRATT
            .map_primary(|p| this.borrow_mut().postfixed(p))
            .map_prefix(|op, rhs| {
                let op_span = this.borrow().span(&op);
                let kind = if op.as_rule() == Rule::neg {
                    UnOp::Neg
                } else {
                    UnOp::Not
                };
                Expr {
                    span: op_span.to(rhs.span),
                    kind: ExprKind::Unary(kind, Box::new(rhs)),
                }
            })
            .map_infix(|lhs, op, rhs| {
                let op = match op.as_rule() {
                    Rule::op_where => BinOp::Where,
                    Rule::op_or => BinOp::Or,
                    Rule::op_and => BinOp::And,
                    Rule::op_eq => BinOp::Eq,
                    Rule::op_ne => BinOp::Ne,
                    Rule::op_lt => BinOp::Lt,
                    Rule::op_le => BinOp::Le,
                    Rule::op_gt => BinOp::Gt,
                    Rule::op_ge => BinOp::Ge,
                    Rule::op_in => BinOp::In,
                    Rule::op_not_in => BinOp::NotIn,
                    Rule::op_add => BinOp::Add,
                    Rule::op_sub => BinOp::Sub,
                    Rule::op_mul => BinOp::Mul,
                    _ => BinOp::Div,
                };
                Expr {
                    span: lhs.span.to(rhs.span),
                    kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                }
            })
            .parse(pairs)
    }

    fn postfixed(&mut self, pair: Pair<'_, Rule>) -> Expr {
        if pair.as_rule() != Rule::postfixed {
            return self.expr(pair);
        }
        let mut inner = pair.into_inner();
        let Some(first) = inner.next() else {
            return Expr {
                kind: ExprKind::Error,
                span: Span::default(),
            };
        };
        let first_span = self.span(&first);
        let mut expr = Expr {
            kind: self.primary_kind(first),
            span: first_span,
        };
        for post in inner {
            let post_span = self.span(&post);
            let span = expr.span.to(post_span);
            expr = match post.as_rule() {
                Rule::call_args => {
                    let args = post
                        .into_inner()
                        .map(|a| {
                            let mut parts: Vec<Pair<'_, Rule>> = a.into_inner().collect();
                            let value = parts.pop().map(|v| self.expr(v)).unwrap_or(Expr {
                                kind: ExprKind::Error,
                                span,
                            });
                            let name = parts.pop().map(|n| self.ident(n));
                            CallArg { name, value }
                        })
                        .collect();
                    Expr {
                        kind: ExprKind::Call(Box::new(expr), args),
                        span,
                    }
                }
                Rule::field => {
                    let Some(name) = post.into_inner().next() else { continue };
                    Expr {
                        kind: ExprKind::Field(Box::new(expr), self.ident(name)),
                        span,
                    }
                }
                Rule::cast => {
                    let Some(name) = post.into_inner().find(|p| p.as_rule() == Rule::ident) else {
                        continue;
                    };
                    Expr {
                        kind: ExprKind::Cast(Box::new(expr), self.ident(name)),
                        span,
                    }
                }
                _ => expr,
            };
        }
        expr
    }

    fn primary_kind(&mut self, pair: Pair<'_, Rule>) -> ExprKind {
        let span = self.span(&pair);
        let text = pair.as_str();
        match pair.as_rule() {
            Rule::paren => match pair.into_inner().next() {
                Some(e) => ExprKind::Paren(Box::new(self.expr(e))),
                None => ExprKind::Error,
            },
            Rule::if_expr => {
                let mut parts = pair.into_inner().filter(|p| p.as_rule() == Rule::expr);
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(c), Some(t), Some(e)) => {
                        ExprKind::If(Box::new(self.expr(c)), Box::new(self.expr(t)), Box::new(self.expr(e)))
                    }
                    _ => ExprKind::Error,
                }
            }
            Rule::list => {
                let mut inner = pair.into_inner().peekable();
                let body = inner.next();
                match (body, inner.peek().map(|p| p.as_rule())) {
                    (Some(body), Some(Rule::list_for)) => {
                        let mut parts = inner.flat_map(Pair::into_inner).filter(|p| !is_keyword(p.as_rule()));
                        match (parts.next(), parts.next()) {
                            (Some(var), Some(list)) => ExprKind::Comprehension {
                                body: Box::new(self.expr(body)),
                                var: self.ident(var),
                                list: Box::new(self.expr(list)),
                            },
                            _ => ExprKind::Error,
                        }
                    }
                    (body, _) => ExprKind::List(body.into_iter().chain(inner).map(|e| self.expr(e)).collect()),
                }
            }
            Rule::record => {
                let mut fields = Vec::new();
                let mut inner = pair.into_inner();
                while let (Some(name), Some(value)) = (inner.next(), inner.next()) {
                    let name = self.ident(name);
                    fields.push((name, self.expr(value)));
                }
                ExprKind::Record(fields)
            }
            Rule::tier_table => ExprKind::Tiers(
                pair.into_inner()
                    .filter(|p| p.as_rule() == Rule::tier)
                    .map(|t| {
                        let tspan = self.span(&t);
                        if let Some(upto) = t.clone().into_inner().find(|p| p.as_rule() == Rule::kw_upto) {
                            let at = self.span(&upto);
                            self.errors.push(
                                Diagnostic::error(Code::Syntax, at, "`upto` is two words", "write `up to`")
                                    .with_help("a tier's limit is written `10% up to $5,000`"),
                            );
                        }
                        let mut parts = t.into_inner().filter(|p| p.as_rule() == Rule::simple);
                        let price = parts.next().map(|p| self.expr(p)).unwrap_or(Expr {
                            kind: ExprKind::Error,
                            span: tspan,
                        });
                        // `up to` and `plus` are optional: tell them apart by the keyword before them.
                        Tier {
                            price,
                            limit: None,
                            fee: None,
                            span: tspan,
                        }
                        .with_rest(self, parts)
                    })
                    .collect(),
            ),
            Rule::money => self.literal(Literal::Money, span, text),
            Rule::currency_money => self.literal(Literal::CurrencyMoney, span, text),
            Rule::rate => self.literal(Literal::Rate, span, text),
            Rule::percent => self.literal(Literal::Percent, span, text),
            Rule::date => self.literal(Literal::Date, span, text),
            Rule::month => self.literal(Literal::Month, span, text),
            Rule::quantity => self.literal(Literal::Quantity, span, text),
            Rule::number => self.literal(Literal::Number, span, text),
            Rule::text => ExprKind::Text(self.text_parts(pair)),
            Rule::boolean => ExprKind::Bool(text == "true"),
            Rule::ident => ExprKind::Name(self.ident(pair)),
            Rule::expr | Rule::simple | Rule::postfixed => self.expr(pair).kind,
            _ => ExprKind::Error,
        }
    }

    fn text_parts(&mut self, pair: Pair<'_, Rule>) -> Vec<TextPart> {
        let mut parts: Vec<TextPart> = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::text_chars => literal::push_text(&mut parts, p.as_str()),
                Rule::text_escape => literal::push_text(&mut parts, literal::unescape(p.as_str())),
                Rule::interpolation => {
                    if let Some(e) = p.into_inner().next() {
                        parts.push(TextPart::Expr(self.expr(e)));
                    }
                }
                _ => {}
            }
        }
        parts
    }
}

impl Tier {
    fn with_rest<'i>(mut self, lower: &mut Lower, rest: impl Iterator<Item = Pair<'i, Rule>>) -> Tier {
        // The grammar is `price (up to limit)? (plus fee)?`; a pair's preceding keyword is not kept,
        // so look at the source text just before each part.
        for part in rest {
            let start = part.as_span().start();
            let before = part.get_input().get(..start).unwrap_or("");
            let expr = lower.expr(part);
            literal::place_tier_part(&mut self, before, expr);
        }
        self
    }
}

fn string_value(pair: Pair<'_, Rule>) -> String {
    pair.into_inner()
        .next()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::kw_use
            | Rule::kw_const
            | Rule::kw_type
            | Rule::kw_fn
            | Rule::kw_component
            | Rule::kw_contract
            | Rule::kw_test
            | Rule::kw_let
            | Rule::kw_line
            | Rule::kw_check
            | Rule::kw_if
            | Rule::kw_then
            | Rule::kw_else
            | Rule::kw_for
            | Rule::kw_in
            | Rule::kw_where
            | Rule::kw_and
            | Rule::kw_or
            | Rule::kw_not
            | Rule::kw_as
            | Rule::kw_given
            | Rule::kw_expect
            | Rule::kw_review
            | Rule::kw_group
            | Rule::kw_period
            | Rule::kw_no
            | Rule::kw_total
            | Rule::kw_always
            | Rule::kw_over
            | Rule::kw_up
            | Rule::kw_to
            | Rule::kw_plus
    )
}
