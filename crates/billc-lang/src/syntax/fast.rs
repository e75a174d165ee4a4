//! The fast path of [`super::parse`]: a hand-written recursive-descent reading of
//! `grammar/billc.pest` for files without syntax errors, building the AST directly.
//!
//! pest spends most of a fresh `billc check` on rule-call bookkeeping (stack probes, token queues,
//! snapshots): with pest alone, `billc check` of 10,000 generated contracts takes about 1.2 s of
//! CPU; with this path first, about 0.45 s (README → Performance). The grammar stays the definition of the
//! language and pest ([`super::parser`]) stays the parser of record; this module does not call it.
//! It follows the grammar rule by rule, with the same ordered choices and the same implicit white
//! space (so spans come out identical, trailing white space included where pest includes it), and it
//! gives up — returning `None`, and the file goes to pest — as soon as anything is off: a syntax
//! error, a literal that does not convert (pest's lowering reports it), a tag list given to another
//! attribute than `tags`, or nesting deeper than [`MAX_DEPTH`]. So when it answers, its module is
//! the one pest plus lowering would build, with no diagnostics; `tests/fast_parser.rs` checks that
//! on every `.bill` file of the repository, on generated contracts and on thousands of damaged
//! variants of them. Literal text is converted by [`super::literal`], shared with pest's lowering.
//!
//! A change to the grammar or to the lowering in `parser.rs` needs the same change here (the
//! differential test fails until it is made).

use crate::span::{FileId, Span};
use crate::syntax::ast::*;
use crate::syntax::literal::{self, Literal};

/// Expressions and blocks nested deeper than this are left to pest (whose stack guard reports what
/// it cannot read).
const MAX_DEPTH: u32 = 64;

/// The grammar's `keyword` rule: words that are no identifier.
pub const KEYWORDS: [&str; 25] = [
    "use",
    "const",
    "type",
    "fn",
    "component",
    "contract",
    "test",
    "let",
    "line",
    "check",
    "if",
    "then",
    "else",
    "for",
    "in",
    "where",
    "and",
    "or",
    "not",
    "true",
    "false",
    "as",
    "given",
    "expect",
    "review",
];

/// The grammar's `unit_word` rule.
pub const UNIT_WORDS: [&str; 17] = [
    "hours", "hour", "h", "rooms", "room", "units", "unit", "vehicles", "vehicle", "days", "day", "months", "month",
    "years", "year", "people", "person",
];

// In both lists no word is a proper prefix of a later one, so the grammar's ordered choice followed
// by `!ident_char` means "the whole run of identifier characters is one of the words".

/// The module of a file without syntax errors, or `None` (then pest reads it and says what is wrong).
pub fn parse(file: FileId, text: &str) -> Option<Module> {
    let mut p = Fast {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        file,
        depth: 0,
        abort: false,
    };
    p.skip();
    let mut items = Vec::new();
    while p.pos < p.bytes.len() {
        items.push(p.item()?);
        p.skip();
    }
    if p.abort {
        None
    } else {
        Some(Module { items: exact(items) })
    }
}

/// What follows a primary: `call_args`, `field` or `cast`.
enum Post {
    Call(Vec<CallArg>),
    Field(Ident),
    Cast(Ident),
}

/// One token of an operator expression, before precedence is applied.
enum Tok {
    Prefix(UnOp, Span),
    Operand(Expr),
    Infix(BinOp),
}

struct Fast<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    file: FileId,
    depth: u32,
    /// Set when the text matches the grammar but is left to pest (a literal that does not convert,
    /// a tag list given to another attribute than `tags`, deep nesting): the whole parse then
    /// answers `None`, whatever backtracking follows.
    abort: bool,
}

/// A vector with no spare capacity. Vectors are built by pushing (a first push reserves room for
/// four); parsed modules are kept for every file of a session, so they keep only what they hold.
fn exact<T>(mut v: Vec<T>) -> Vec<T> {
    v.shrink_to_fit();
    v
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

impl<'t> Fast<'t> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at(&self, s: &str) -> bool {
        self.bytes
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(s.as_bytes()))
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, s: &str) -> bool {
        if self.at(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn slice(&self, start: usize, end: usize) -> &'t str {
        self.text.get(start..end).unwrap_or("")
    }

    /// The run of identifier characters at the current position.
    fn word(&self) -> &'t str {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let len = rest.iter().take_while(|b| is_ident_char(**b)).count();
        self.slice(self.pos, self.pos + len)
    }

    /// `kw_*` rules: the word itself, not followed by an identifier character.
    fn kw(&mut self, keyword: &str) -> bool {
        if self.word() == keyword {
            self.pos += keyword.len();
            true
        } else {
            false
        }
    }

    /// A keyword and the white space after it (`None`, nothing consumed, if the keyword is not
    /// there).
    fn keyword(&mut self, keyword: &str) -> Option<()> {
        if !self.kw(keyword) {
            return None;
        }
        self.skip();
        Some(())
    }

    /// Runs `f`; if it fails, puts the position back (an optional part or an alternative).
    fn attempt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let save = self.pos;
        let result = f(self);
        if result.is_none() {
            self.pos = save;
        }
        result
    }

    /// Gives the file to pest.
    fn give_up<T>(&mut self) -> Option<T> {
        self.abort = true;
        None
    }

    /// Counts one level of nesting for the duration of `f`.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth >= MAX_DEPTH {
            return self.give_up();
        }
        self.depth += 1;
        let result = crate::stack::deeper(|| f(self));
        self.depth -= 1;
        result
    }

    /// The implicit `WHITESPACE` and `COMMENT` between the parts of a non-atomic rule. A comment is
    /// `//` not followed by a third `/`, or `////`: `///` starts a doc comment.
    fn skip(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.pos += 1,
                Some(b'/') if self.at("////") || (self.at("//") && self.bytes.get(self.pos + 2) != Some(&b'/')) => {
                    let rest = self.bytes.get(self.pos..).unwrap_or_default();
                    self.pos += memchr::memchr(b'\n', rest).unwrap_or(rest.len());
                }
                _ => return,
            }
        }
    }

    // ------------------------------------------------------------------------------ names

    /// `ident`: a name that is no keyword.
    fn ident(&mut self) -> Option<Ident> {
        let word = self.word();
        if is_keyword(word) {
            return None;
        }
        self.name()
    }

    /// `arg_name` and `type_name`: a name, keywords allowed.
    fn name(&mut self) -> Option<Ident> {
        let word = self.word();
        let first = word.bytes().next()?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        let start = self.pos;
        self.pos += word.len();
        Some(Ident {
            name: word.to_string(),
            span: self.span(start, self.pos),
        })
    }

    /// `string`: `"` characters other than `"` and a line break `"`; its characters and its span.
    fn string(&mut self) -> Option<(String, Span)> {
        let start = self.pos;
        if !self.eat(b'"') {
            return None;
        }
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let len = memchr::memchr2(b'"', b'\n', rest)?;
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        let value = self.slice(self.pos, self.pos + len).to_string();
        self.pos += len + 1;
        Some((value, self.span(start, self.pos)))
    }

    /// `doc?`: `///` lines separated only by white space (no comments).
    fn doc(&mut self) -> Doc {
        let mut lines = Vec::new();
        while self.at("///") {
            let start = self.pos;
            let rest = self.bytes.get(start..).unwrap_or_default();
            let end = start + memchr::memchr(b'\n', rest).unwrap_or(rest.len());
            lines.push((literal::doc_line(self.slice(start, end)), self.span(start, end)));
            self.pos = end;
            let after_line = self.pos;
            while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                self.pos += 1;
            }
            if !self.at("///") {
                self.pos = after_line;
            }
        }
        Doc { lines: exact(lines) }
    }

    // ------------------------------------------------------------------------------ declarations

    fn item(&mut self) -> Option<Item> {
        let start = self.pos;
        let doc = self.doc();
        self.skip();
        let keyword = self.word();
        if !self.kw(keyword) {
            return None;
        }
        self.skip();
        match keyword {
            "use" => Some(Item::Use(self.ident()?)),
            "const" => {
                let (name, ty, value) = self.binding()?;
                Some(Item::Const(Box::new(Const {
                    doc,
                    name,
                    ty,
                    value,
                    span: self.span(start, self.pos),
                })))
            }
            "type" => {
                let name = self.ident()?;
                self.skip();
                if !self.eat(b'=') {
                    return None;
                }
                self.skip();
                let def = match self.attempt(Self::record_type) {
                    Some(fields) => TypeDef::Record(fields),
                    None => TypeDef::Enum(self.enum_type()?),
                };
                Some(Item::Type(TypeDecl {
                    doc,
                    name,
                    def,
                    span: self.span(start, self.pos),
                }))
            }
            "fn" => {
                let name = self.ident()?;
                self.skip();
                let params = self.params()?;
                self.skip();
                if !self.eat_str("->") {
                    return None;
                }
                self.skip();
                let ret = self.type_expr()?;
                self.skip();
                if !self.eat(b'=') {
                    return None;
                }
                self.skip();
                let body = self.expr()?;
                Some(Item::Fn(Box::new(FnDecl {
                    doc,
                    name,
                    params,
                    ret,
                    body,
                    span: self.span(start, self.pos),
                })))
            }
            "component" => {
                let name = self.ident()?;
                self.skip();
                let params = self.params()?;
                self.skip();
                let body = self.body()?;
                Some(Item::Component(Component {
                    doc,
                    name,
                    params,
                    body,
                    span: self.span(start, self.pos),
                }))
            }
            "contract" => {
                let (name, name_span) = self.string()?;
                self.skip();
                let body = self.body()?;
                Some(Item::Contract(Contract {
                    doc,
                    name,
                    name_span,
                    body,
                    span: self.span(start, self.pos),
                }))
            }
            "test" => Some(Item::Test(Box::new(self.test(start, doc)?))),
            _ => None,
        }
    }

    /// `ident ~ (":" ~ type_expr)? ~ "=" ~ expr`, after `const` or `let`.
    fn binding(&mut self) -> Option<(Ident, Option<TypeExpr>, Expr)> {
        let name = self.ident()?;
        self.skip();
        let ty = self.attempt(|p| {
            if !p.eat(b':') {
                return None;
            }
            p.skip();
            p.type_expr()
        });
        self.skip();
        if !self.eat(b'=') {
            return None;
        }
        self.skip();
        Some((name, ty, self.expr()?))
    }

    /// `"{" ~ (field_type ~ ("," ~ field_type)* ~ ","?)? ~ "}"`
    fn record_type(&mut self) -> Option<Vec<(Ident, TypeExpr)>> {
        let field = |p: &mut Self| {
            let name = p.ident()?;
            p.skip();
            if !p.eat(b':') {
                return None;
            }
            p.skip();
            Some((name, p.type_expr()?))
        };
        self.delimited(b'{', field, b'}')
    }

    /// `ident ~ ("|" ~ ident)+`
    fn enum_type(&mut self) -> Option<Vec<Ident>> {
        let mut variants = vec![self.ident()?];
        self.followers(&mut variants, b'|', Self::ident);
        if variants.len() < 2 { None } else { Some(variants) }
    }

    /// `"(" ~ (param ~ ("," ~ param)* ~ ","?)? ~ ")"` with `param = ident ~ ":" ~ type_expr ~ ("=" ~ expr)?`
    fn params(&mut self) -> Option<Vec<Param>> {
        let param = |p: &mut Self| {
            let start = p.pos;
            let name = p.ident()?;
            p.skip();
            if !p.eat(b':') {
                return None;
            }
            p.skip();
            let ty = p.type_expr()?;
            p.skip();
            let default = p.attempt(|p| {
                if !p.eat(b'=') {
                    return None;
                }
                p.skip();
                p.expr()
            });
            Some(Param {
                name,
                ty,
                default,
                span: p.span(start, p.pos),
            })
        };
        self.delimited(b'(', param, b')')
    }

    /// `type_name ~ ("<" ~ type_expr ~ ("," ~ type_expr)* ~ ">")? ~ ("/" ~ ident)?`
    fn type_expr(&mut self) -> Option<TypeExpr> {
        self.nested(|p| {
            let start = p.pos;
            let name = p.name()?;
            p.skip();
            let args = p
                .attempt(|p| {
                    if !p.eat(b'<') {
                        return None;
                    }
                    p.skip();
                    let mut args = vec![p.type_expr()?];
                    p.followers(&mut args, b',', Self::type_expr);
                    p.skip();
                    if !p.eat(b'>') {
                        return None;
                    }
                    Some(args)
                })
                .unwrap_or_default();
            p.skip();
            let per = p.attempt(|p| {
                if !p.eat(b'/') {
                    return None;
                }
                p.skip();
                p.ident()
            });
            Some(TypeExpr {
                name,
                args,
                per,
                span: p.span(start, p.pos),
            })
        })
    }

    /// `open ~ (element ~ ("," ~ element)* ~ ","?)? ~ close`
    fn delimited<T>(&mut self, open: u8, element: impl FnMut(&mut Self) -> Option<T>, close: u8) -> Option<Vec<T>> {
        if !self.eat(open) {
            return None;
        }
        self.skip();
        let items = self.separated(element).unwrap_or_default();
        self.skip();
        self.eat(close).then_some(items)
    }

    /// `item*`: pushes items onto `out` while `item` reads one (a failed attempt consumes nothing).
    fn many<T>(&mut self, out: &mut Vec<T>, mut item: impl FnMut(&mut Self) -> Option<T>) {
        while let Some(x) = self.attempt(&mut item) {
            out.push(x);
        }
    }

    /// `(sep ~ element)*` after a first element, white space allowed around `sep`.
    fn followers<T>(&mut self, out: &mut Vec<T>, sep: u8, mut element: impl FnMut(&mut Self) -> Option<T>) {
        self.many(out, |p| {
            p.skip();
            if !p.eat(sep) {
                return None;
            }
            p.skip();
            element(p)
        });
    }

    /// `(x ~ ("," ~ x)* ~ ","?)?` without the brackets around it: the elements, or `None` if there
    /// is not even one (the position is then unchanged).
    fn separated<T>(&mut self, mut element: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let mut out = vec![self.attempt(&mut element)?];
        self.followers(&mut out, b',', element);
        let save = self.pos;
        self.skip();
        if !self.eat(b',') {
            self.pos = save;
        }
        Some(exact(out))
    }

    // ------------------------------------------------------------------------------ statements

    /// `"{" ~ (stmt | bad_stmt)* ~ "}"`. A line that is no statement is an error (a `bad_stmt`):
    /// pest reports it.
    fn body(&mut self) -> Option<Vec<Stmt>> {
        self.nested(|p| {
            if !p.eat(b'{') {
                return None;
            }
            p.skip();
            let mut stmts = Vec::new();
            while p.peek() != Some(b'}') {
                match p.stmt() {
                    Some(s) => stmts.push(s),
                    None => return p.give_up(),
                }
                p.skip();
            }
            p.pos += 1;
            Some(exact(stmts))
        })
    }

    /// `let_stmt | line_stmt | check_stmt | if_stmt | for_stmt | group_stmt | review_stmt | test_decl
    /// | instance | property`. Only `let`, `line` and `test` take a doc comment; all alternatives but
    /// `group_stmt`, `instance` and `property` start with a keyword, which no later alternative
    /// accepts, so the word at the start chooses.
    fn stmt(&mut self) -> Option<Stmt> {
        let start = self.pos;
        let doc = self.doc();
        let documented = !doc.lines.is_empty();
        self.skip();
        let word = self.word();
        match word {
            "let" => self.attempt(|p| {
                p.pos += word.len();
                p.skip();
                let (name, ty, value) = p.binding()?;
                Some(Stmt::Let(Box::new(Let {
                    doc,
                    name,
                    ty,
                    value,
                    span: p.span(start, p.pos),
                })))
            }),
            "line" => self.attempt(|p| {
                p.pos += word.len();
                p.skip();
                p.line_stmt(start, doc)
            }),
            "test" => self.attempt(|p| {
                p.pos += word.len();
                p.skip();
                p.test(start, doc).map(|t| Stmt::Test(Box::new(t)))
            }),
            _ if documented => None,
            "check" => self.attempt(|p| {
                p.pos += word.len();
                p.skip();
                let cond = p.expr()?;
                p.skip();
                if !p.kw("else") {
                    return None;
                }
                p.skip();
                let kind = literal::check_kind(p.word())?;
                p.pos += p.word().len();
                p.skip();
                let message = p.expr()?;
                Some(Stmt::Check(Box::new(Check {
                    cond,
                    kind,
                    message,
                    span: p.span(start, p.pos),
                })))
            }),
            "if" => self.attempt(|p| p.if_stmt().map(Stmt::If)),
            "for" => self.attempt(|p| {
                p.pos += word.len();
                p.skip();
                let var = p.ident()?;
                p.skip();
                if !p.kw("in") {
                    return None;
                }
                p.skip();
                let list = p.expr()?;
                p.skip();
                let body = p.body()?;
                Some(Stmt::For(Box::new(ForStmt {
                    var,
                    list,
                    body,
                    span: p.span(start, p.pos),
                })))
            }),
            "review" => self.attempt(|p| {
                p.pos += word.len();
                p.skip();
                let kind = if p.kw("always") {
                    ReviewKind::Always
                } else {
                    if !p.kw("over") {
                        return None;
                    }
                    p.skip();
                    let percent = p.simple()?;
                    p.skip();
                    if !p.kw("and") {
                        return None;
                    }
                    p.skip();
                    let amount = p.simple()?;
                    ReviewKind::Over { percent, amount }
                };
                Some(Stmt::Review(Box::new(Review {
                    kind,
                    span: p.span(start, p.pos),
                })))
            }),
            _ => {
                if word == "group"
                    && let Some(s) = self.attempt(|p| p.group_stmt(start))
                {
                    return Some(s);
                }
                if let Some(s) = self.attempt(|p| p.instance(start)) {
                    return Some(s);
                }
                self.attempt(|p| {
                    if is_keyword(p.word()) {
                        return None;
                    }
                    let name = p.name()?;
                    p.skip();
                    let value = p.expr()?;
                    Some(Stmt::Property(Property {
                        name,
                        value,
                        span: p.span(start, p.pos),
                    }))
                })
            }
        }
    }

    /// After `test`: `string ~ "{" ~ test_stmt* ~ "}"`.
    fn test(&mut self, start: usize, doc: Doc) -> Option<Test> {
        let (name, _) = self.string()?;
        self.skip();
        if !self.eat(b'{') {
            return None;
        }
        self.skip();
        let mut test = Test {
            doc,
            name,
            contract: None,
            period: None,
            given: Vec::new(),
            expects: Vec::new(),
            span: Span::default(),
        };
        while self.peek() != Some(b'}') {
            self.test_stmt(&mut test)?;
            self.skip();
        }
        self.pos += 1;
        test.span = self.span(start, self.pos);
        Some(test)
    }

    /// `contract_ref | period_stmt | given_stmt | expect_stmt`, recorded into `test`.
    fn test_stmt(&mut self, test: &mut Test) -> Option<()> {
        let start = self.pos;
        let keyword = self.word();
        if !matches!(keyword, "contract" | "period" | "given" | "expect") {
            return None;
        }
        self.pos += keyword.len();
        self.skip();
        match keyword {
            "contract" => test.contract = Some(self.string()?),
            "period" => test.period = Some(self.expr()?),
            "given" => {
                let table = self.ident()?;
                self.skip();
                let rows = self.expr()?;
                test.given.push(Given {
                    table,
                    rows,
                    span: self.span(start, self.pos),
                });
            }
            _ => {
                let expect = match self.attempt(|p| p.expect_no_line(start)) {
                    Some(e) => e,
                    None => match self.attempt(|p| p.expect_line(start)) {
                        Some(e) => e,
                        None => match self.attempt(|p| p.expect_total(start)) {
                            Some(e) => e,
                            None => self.expect_value(start)?,
                        },
                    },
                };
                test.expects.push(expect);
            }
        }
        Some(())
    }

    /// `(kw_group ~ expr)?`, after a skip.
    fn expect_group(&mut self) -> Option<Expr> {
        self.attempt(|p| {
            if !p.kw("group") {
                return None;
            }
            p.skip();
            p.expr()
        })
    }

    /// `"=" ~ expr`
    fn equals_expr(&mut self) -> Option<Expr> {
        if !self.eat(b'=') {
            return None;
        }
        self.skip();
        self.expr()
    }

    /// `kw_no ~ kw_line ~ expr ~ (kw_group ~ expr)?`
    fn expect_no_line(&mut self, start: usize) -> Option<Expect> {
        self.keyword("no")?;
        self.keyword("line")?;
        let title = self.expr()?;
        self.skip();
        let group = self.expect_group();
        Some(Expect::NoLine {
            title,
            group,
            span: self.span(start, self.pos),
        })
    }

    /// `kw_line ~ expr ~ (kw_group ~ expr)? ~ "=" ~ expr`
    fn expect_line(&mut self, start: usize) -> Option<Expect> {
        self.keyword("line")?;
        let title = self.expr()?;
        self.skip();
        let group = self.expect_group();
        self.skip();
        let amount = self.equals_expr()?;
        Some(Expect::Line {
            title,
            group,
            amount,
            span: self.span(start, self.pos),
        })
    }

    /// `kw_total ~ (kw_group ~ expr)? ~ "=" ~ expr`
    fn expect_total(&mut self, start: usize) -> Option<Expect> {
        self.keyword("total")?;
        let group = self.expect_group();
        self.skip();
        let amount = self.equals_expr()?;
        Some(Expect::Total {
            group,
            amount,
            span: self.span(start, self.pos),
        })
    }

    /// `expr ~ "=" ~ expr`
    fn expect_value(&mut self, start: usize) -> Option<Expect> {
        let actual = self.expr()?;
        self.skip();
        let expected = self.equals_expr()?;
        Some(Expect::Value {
            actual,
            expected,
            span: self.span(start, self.pos),
        })
    }

    /// After `line`: `line_name? ~ expr ~ line_attr* ~ "=" ~ expr`.
    fn line_stmt(&mut self, start: usize, doc: Doc) -> Option<Stmt> {
        let name = self.attempt(|p| {
            let name = p.ident()?;
            p.skip();
            p.eat(b':').then_some(name)
        });
        self.skip();
        let title = self.expr()?;
        let mut line = Line::header(doc, name, title, Span::default(), Span::default());
        loop {
            let save = self.pos;
            self.skip();
            let key = self.word();
            if !matches!(key, "gl" | "group" | "tags" | "order" | "desc") {
                self.pos = save;
                break;
            }
            self.pos += key.len();
            self.skip();
            // `tag_list | expr`: a list of names is a tag list whatever the attribute; only `tags`
            // takes one (pest's lowering reports the others).
            if let Some(tags) = self.attempt(Self::tag_list) {
                if key != "tags" {
                    return self.give_up();
                }
                line.tags = tags;
                continue;
            }
            let Some(value) = self.expr() else {
                self.pos = save;
                break;
            };
            match key {
                "gl" => line.gl = Some(value),
                "group" => line.group = Some(value),
                "order" => line.order = Some(value),
                "desc" => line.desc = Some(value),
                _ => return self.give_up(),
            }
        }
        self.skip();
        if !self.eat(b'=') {
            return None;
        }
        self.skip();
        let header_end = self.pos;
        line.amount = self.expr()?;
        line.span = self.span(start, header_end);
        Some(Stmt::Line(Box::new(line)))
    }

    /// `"[" ~ (ident ~ ("," ~ ident)* ~ ","?)? ~ "]"`
    fn tag_list(&mut self) -> Option<Vec<Ident>> {
        self.delimited(b'[', Self::ident, b']')
    }

    /// `kw_if ~ expr ~ body ~ (kw_else ~ (if_stmt | body))?`
    fn if_stmt(&mut self) -> Option<IfStmt> {
        let start = self.pos;
        self.keyword("if")?;
        let cond = self.expr()?;
        self.skip();
        let then = self.body()?;
        self.skip();
        let otherwise = self
            .attempt(|p| {
                if !p.kw("else") {
                    return None;
                }
                p.skip();
                match p.attempt(Self::if_stmt) {
                    Some(nested) => Some(vec![Stmt::If(nested)]),
                    None => p.body(),
                }
            })
            .unwrap_or_default();
        Some(IfStmt {
            cond,
            then,
            otherwise,
            span: self.span(start, self.pos),
        })
    }

    /// `kw_group ~ expr ~ expr ~ ("{" ~ arg* ~ "}")?`
    fn group_stmt(&mut self, start: usize) -> Option<Stmt> {
        self.keyword("group")?;
        let number = self.expr()?;
        self.skip();
        let title = self.expr()?;
        self.skip();
        let args = self.attempt(Self::args).unwrap_or_default();
        Some(Stmt::Group(Box::new(GroupStmt {
            number,
            title,
            args,
            span: self.span(start, self.pos),
        })))
    }

    /// `ident ~ (kw_as ~ ident)? ~ "{" ~ arg* ~ "}"`
    fn instance(&mut self, start: usize) -> Option<Stmt> {
        let component = self.ident()?;
        self.skip();
        let alias = self.attempt(|p| {
            if !p.kw("as") {
                return None;
            }
            p.skip();
            p.ident()
        });
        self.skip();
        let args = self.args()?;
        Some(Stmt::Instance(Instance {
            component,
            alias,
            args,
            span: self.span(start, self.pos),
        }))
    }

    /// `"{" ~ arg* ~ "}"` with `arg = arg_name ~ ":"? ~ expr`.
    fn args(&mut self) -> Option<Vec<Arg>> {
        let arg = |p: &mut Self| {
            let start = p.pos;
            let name = p.name()?;
            p.skip();
            if p.eat(b':') {
                p.skip();
            }
            let value = p.expr()?;
            Some(Arg {
                name,
                value,
                span: p.span(start, p.pos),
            })
        };
        if !self.eat(b'{') {
            return None;
        }
        self.skip();
        let mut args = Vec::new();
        if let Some(first) = self.attempt(arg) {
            args.push(first);
            self.many(&mut args, |p| {
                p.skip();
                arg(p)
            });
        }
        self.skip();
        self.eat(b'}').then(|| exact(args))
    }

    // ------------------------------------------------------------------------------ expressions

    /// `prefix* ~ postfixed ~ (infix ~ prefix* ~ postfixed)*`, with the precedences of pest's Pratt
    /// parser (`PRATT` in `parser.rs`; [`Pratt`] here mirrors it).
    fn expr(&mut self) -> Option<Expr> {
        self.nested(|p| {
            let mut toks = Vec::new();
            p.operand(&mut toks)?;
            // pest skips white space after the first operand for good, and before each further
            // operator only if that operator and its operand follow (this shows in statement spans)
            p.skip();
            let mut first = true;
            loop {
                let save = (p.pos, toks.len());
                if !first {
                    p.skip();
                }
                first = false;
                let Some(op) = p.infix() else {
                    p.pos = save.0;
                    break;
                };
                toks.push(Tok::Infix(op));
                p.skip();
                if p.operand(&mut toks).is_none() {
                    p.pos = save.0;
                    toks.truncate(save.1);
                    break;
                }
            }
            Pratt {
                toks: toks.into_iter().peekable(),
            }
            .expr(0)
        })
    }

    /// `simple = prefix* ~ postfixed`
    fn simple(&mut self) -> Option<Expr> {
        self.nested(|p| {
            let mut toks = Vec::new();
            p.operand(&mut toks)?;
            Pratt {
                toks: toks.into_iter().peekable(),
            }
            .expr(0)
        })
    }

    /// `prefix* ~ postfixed`, pushed onto `toks`.
    fn operand(&mut self, toks: &mut Vec<Tok>) -> Option<()> {
        // The Pratt reading recurses once per prefix: a run of them is that many levels.
        let mut prefixes = 0;
        loop {
            let start = self.pos;
            let op = if self.eat(b'-') {
                UnOp::Neg
            } else if self.kw("not") {
                UnOp::Not
            } else {
                break;
            };
            prefixes += 1;
            if self.depth + prefixes > MAX_DEPTH {
                return self.give_up();
            }
            toks.push(Tok::Prefix(op, self.span(start, self.pos)));
            self.skip();
        }
        let e = self.postfixed()?;
        toks.push(Tok::Operand(e));
        Some(())
    }

    /// `op_where | op_or | op_and | op_eq | op_ne | op_le | op_ge | op_lt | op_gt | op_not_in | op_in
    /// | op_add | op_sub | op_mul | op_div`
    fn infix(&mut self) -> Option<BinOp> {
        let word = self.word();
        let keyword = match word {
            "where" => Some(BinOp::Where),
            "or" => Some(BinOp::Or),
            "and" => Some(BinOp::And),
            _ => None,
        };
        if let Some(op) = keyword {
            self.pos += word.len();
            return Some(op);
        }
        for (symbol, op) in [
            ("==", BinOp::Eq),
            ("!=", BinOp::Ne),
            ("<=", BinOp::Le),
            (">=", BinOp::Ge),
            ("<", BinOp::Lt),
            (">", BinOp::Gt),
        ] {
            if self.eat_str(symbol) {
                return Some(op);
            }
        }
        if word == "not" {
            let not_in = self.attempt(|p| {
                p.pos += word.len();
                p.skip();
                p.kw("in").then_some(BinOp::NotIn)
            });
            if not_in.is_some() {
                return not_in;
            }
        }
        if self.kw("in") {
            return Some(BinOp::In);
        }
        for (symbol, op) in [
            (b'+', BinOp::Add),
            (b'-', BinOp::Sub),
            (b'*', BinOp::Mul),
            (b'/', BinOp::Div),
        ] {
            if self.eat(symbol) {
                return Some(op);
            }
        }
        None
    }

    /// `primary ~ postfix*` with `postfix = call_args | field | cast` (told apart by their first
    /// character or word, as `postfix_ahead` does).
    fn postfixed(&mut self) -> Option<Expr> {
        let mut expr = self.primary()?;
        self.skip();
        let mut first = true;
        loop {
            let save = self.pos;
            if !first {
                self.skip();
            }
            first = false;
            let start = self.pos;
            let post = match self.peek() {
                Some(b'(') => self.call_args().map(Post::Call),
                Some(b'.') => {
                    self.pos += 1;
                    self.skip();
                    self.ident().map(Post::Field)
                }
                _ if self.word() == "as" => {
                    self.pos += 2;
                    self.skip();
                    self.ident().map(Post::Cast)
                }
                _ => None,
            };
            let Some(post) = post else {
                self.pos = save;
                break;
            };
            let span = expr.span.to(self.span(start, self.pos));
            let inner = Box::new(expr);
            let kind = match post {
                Post::Call(args) => ExprKind::Call(inner, args),
                Post::Field(name) => ExprKind::Field(inner, name),
                Post::Cast(name) => ExprKind::Cast(inner, name),
            };
            expr = Expr { kind, span };
        }
        Some(expr)
    }

    /// `"(" ~ (call_arg ~ ("," ~ call_arg)* ~ ","?)? ~ ")"` with `call_arg = (ident ~ ":" ~ !":")? ~ expr`.
    fn call_args(&mut self) -> Option<Vec<CallArg>> {
        let arg = |p: &mut Self| {
            let name = p.attempt(|p| {
                let name = p.ident()?;
                p.skip();
                if !p.eat(b':') {
                    return None;
                }
                p.skip();
                (p.peek() != Some(b':')).then_some(name)
            });
            p.skip();
            let value = p.expr()?;
            Some(CallArg { name, value })
        };
        self.delimited(b'(', arg, b')')
    }

    /// `primary`: alternatives chosen by their first character, then `if_expr | currency_money |
    /// boolean | ident`.
    fn primary(&mut self) -> Option<Expr> {
        let start = self.pos;
        let kind = match self.peek()? {
            b'[' => self.list()?,
            b'{' => match self.attempt(Self::record) {
                Some(kind) => kind,
                None => self.attempt(Self::tier_table)?,
            },
            b'$' => self.dollars()?,
            b'0'..=b'9' => self.numeric()?,
            b'"' => self.text_literal()?,
            b'(' => {
                self.pos += 1;
                self.skip();
                let inner = self.expr()?;
                self.skip();
                if !self.eat(b')') {
                    return None;
                }
                ExprKind::Paren(Box::new(inner))
            }
            _ => {
                let word = self.word();
                if word == "if" {
                    self.if_expr()?
                } else if let Some(kind) = self.attempt(Self::currency_money) {
                    kind?
                } else if word == "true" || word == "false" {
                    self.pos += word.len();
                    ExprKind::Bool(word == "true")
                } else {
                    ExprKind::Name(self.ident()?)
                }
            }
        };
        Some(Expr {
            kind,
            span: self.span(start, self.pos),
        })
    }

    /// `kw_if ~ expr ~ kw_then ~ expr ~ kw_else ~ expr`
    fn if_expr(&mut self) -> Option<ExprKind> {
        let mut parts = Vec::with_capacity(3);
        for keyword in ["if", "then", "else"] {
            if !parts.is_empty() {
                self.skip();
            }
            if !self.kw(keyword) {
                return None;
            }
            self.skip();
            parts.push(Box::new(self.expr()?));
        }
        let otherwise = parts.pop()?;
        let then = parts.pop()?;
        let cond = parts.pop()?;
        Some(ExprKind::If(cond, then, otherwise))
    }

    /// `"[" ~ (expr ~ (list_for | ("," ~ expr)* ~ ","?))? ~ "]"` with
    /// `list_for = kw_for ~ ident ~ kw_in ~ expr`: the first element is read once, whichever follows.
    fn list(&mut self) -> Option<ExprKind> {
        if !self.eat(b'[') {
            return None;
        }
        self.skip();
        if self.eat(b']') {
            return Some(ExprKind::List(Vec::new()));
        }
        let first = self.expr()?;
        self.skip();
        if self.kw("for") {
            self.skip();
            let var = self.ident()?;
            self.skip();
            self.keyword("in")?;
            let list = self.expr()?;
            self.skip();
            return self.eat(b']').then(|| ExprKind::Comprehension {
                body: Box::new(first),
                var,
                list: Box::new(list),
            });
        }
        let mut items = vec![first];
        self.followers(&mut items, b',', Self::expr);
        self.skip();
        if self.eat(b',') {
            self.skip();
        }
        self.eat(b']').then(|| ExprKind::List(exact(items)))
    }

    /// `"{" ~ (ident ~ ":" ~ expr ~ ("," ~ ident ~ ":" ~ expr)* ~ ","?)? ~ "}"`
    fn record(&mut self) -> Option<ExprKind> {
        let field = |p: &mut Self| {
            let name = p.ident()?;
            p.skip();
            if !p.eat(b':') {
                return None;
            }
            p.skip();
            Some((name, p.expr()?))
        };
        self.delimited(b'{', field, b'}').map(ExprKind::Record)
    }

    /// `"{" ~ tier ~ (("," | kw_then)? ~ tier)* ~ ","? ~ "}"`
    fn tier_table(&mut self) -> Option<ExprKind> {
        if !self.eat(b'{') {
            return None;
        }
        self.skip();
        let mut tiers = vec![self.tier()?];
        self.many(&mut tiers, |p| {
            p.skip();
            if !p.eat(b',') {
                p.kw("then");
            }
            p.skip();
            p.tier()
        });
        self.skip();
        self.eat(b',');
        self.skip();
        self.eat(b'}').then(|| ExprKind::Tiers(exact(tiers)))
    }

    /// `!((kw_up | kw_to | kw_plus) ~ !("(" | ".")) ~ simple ~ (kw_up ~ kw_to ~ simple)? ~ (kw_plus
    /// ~ simple)?`. Like pest's lowering, a part after the price is the fee when the text before it
    /// ends with `plus`, else the limit.
    fn tier(&mut self) -> Option<Tier> {
        let start = self.pos;
        let word = self.word();
        if matches!(word, "up" | "to" | "plus") {
            self.pos += word.len();
            self.skip();
            let call_or_field = matches!(self.peek(), Some(b'(' | b'.'));
            self.pos = start;
            if !call_or_field {
                return None;
            }
        }
        let price = self.simple()?;
        let mut tier = Tier {
            price,
            limit: None,
            fee: None,
            span: Span::default(),
        };
        let mut parts = Vec::new();
        self.skip();
        if self.word() == "upto" {
            // The slip `upto` for `up to`: pest reads it and reports it.
            return self.give_up();
        }
        if let Some(limit) = self.attempt(|p| {
            if !p.kw("up") {
                return None;
            }
            p.skip();
            if !p.kw("to") {
                return None;
            }
            p.skip();
            Some((p.pos, p.simple()?))
        }) {
            parts.push(limit);
        }
        self.skip();
        if let Some(fee) = self.attempt(|p| {
            if !p.kw("plus") {
                return None;
            }
            p.skip();
            Some((p.pos, p.simple()?))
        }) {
            parts.push(fee);
        }
        for (at, expr) in parts {
            literal::place_tier_part(&mut tier, self.slice(0, at), expr);
        }
        tier.span = self.span(start, self.pos);
        Some(tier)
    }

    // ------------------------------------------------------------------------------ literals

    /// `ASCII_DIGIT+ ~ ("." ~ ASCII_DIGIT+)?` at `at`: where it ends.
    fn decimal_end(&self, at: usize) -> Option<usize> {
        let digits = |from: usize| {
            self.bytes
                .get(from..)
                .unwrap_or_default()
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        let whole = digits(at);
        if whole == 0 {
            return None;
        }
        let end = at + whole;
        if self.bytes.get(end) == Some(&b'.') {
            let fraction = digits(end + 1);
            if fraction > 0 {
                return Some(end + 1 + fraction);
            }
        }
        Some(end)
    }

    /// `grouped`: `ASCII_DIGIT{1,3} ~ ("," ~ ASCII_DIGIT{3})+ ~ ("." ~ ASCII_DIGIT+)? | decimal` at
    /// `at`: where it ends.
    fn grouped_end(&self, at: usize) -> Option<usize> {
        let digit = |i: usize| self.bytes.get(i).is_some_and(u8::is_ascii_digit);
        let lead = (0..3).take_while(|k| digit(at + k)).count();
        if lead > 0 {
            let mut end = at + lead;
            let mut groups = 0;
            while self.bytes.get(end) == Some(&b',') && (1..=3).all(|k| digit(end + k)) {
                end += 4;
                groups += 1;
            }
            if groups > 0 {
                if self.bytes.get(end) == Some(&b'.') && digit(end + 1) {
                    end += 1;
                    while digit(end) {
                        end += 1;
                    }
                }
                return Some(end);
            }
        }
        self.decimal_end(at)
    }

    /// `unit_word` at `at`: where it ends.
    fn unit_word_end(&self, at: usize) -> Option<usize> {
        let rest = self.bytes.get(at..).unwrap_or_default();
        let len = rest.iter().take_while(|b| is_ident_char(**b)).count();
        UNIT_WORDS.contains(&self.slice(at, at + len)).then_some(at + len)
    }

    /// The literal `literal` from `start` to `end`, converted (`literal.rs`) and read past; if it
    /// does not convert, the file goes to pest, whose lowering reports it.
    fn literal(&mut self, literal: Literal, start: usize, end: usize) -> Option<ExprKind> {
        self.pos = end;
        match literal.value(self.slice(start, end)) {
            Some(kind) => Some(kind),
            None => self.give_up(),
        }
    }

    /// `&"$" ~ (rate | money)`: `"$" ~ grouped ~ "/" ~ unit_word` or `"$" ~ grouped`.
    fn dollars(&mut self) -> Option<ExprKind> {
        let start = self.pos;
        let end = self.grouped_end(start + 1)?;
        if self.bytes.get(end) == Some(&b'/')
            && let Some(word_end) = self.unit_word_end(end + 1)
        {
            return self.literal(Literal::Rate, start, word_end);
        }
        self.literal(Literal::Money, start, end)
    }

    /// `currency_code ~ " " ~ grouped` with `currency_code = ASCII_ALPHA_UPPER{3} ~ !ident_char`.
    /// `Some(None)` when it matched but the amount does not convert.
    fn currency_money(&mut self) -> Option<Option<ExprKind>> {
        let start = self.pos;
        let code = self.slice(start, start + 3);
        if code.len() != 3
            || !code.bytes().all(|b| b.is_ascii_uppercase())
            || self.bytes.get(start + 3).is_some_and(|b| is_ident_char(*b))
            || self.bytes.get(start + 3) != Some(&b' ')
        {
            return None;
        }
        let end = self.grouped_end(start + 4)?;
        Some(self.literal(Literal::CurrencyMoney, start, end))
    }

    /// `&ASCII_DIGIT ~ (percent | date | month | quantity | number)`.
    fn numeric(&mut self) -> Option<ExprKind> {
        let start = self.pos;
        let digit = |i: usize| self.bytes.get(i).is_some_and(u8::is_ascii_digit);
        let end = self.decimal_end(start)?;
        // percent = ${ decimal ~ "%" }
        if self.bytes.get(end) == Some(&b'%') {
            return self.literal(Literal::Percent, start, end + 1);
        }
        let four = (0..4).all(|k| digit(start + k)) && self.bytes.get(start + 4) == Some(&b'-');
        let two = four && digit(start + 5) && digit(start + 6);
        // date = @{ ASCII_DIGIT{4} ~ "-" ~ ASCII_DIGIT{2} ~ "-" ~ ASCII_DIGIT{2} ~ !ASCII_DIGIT }
        if two && self.bytes.get(start + 7) == Some(&b'-') && digit(start + 8) && digit(start + 9) && !digit(start + 10)
        {
            return self.literal(Literal::Date, start, start + 10);
        }
        // month = @{ ASCII_DIGIT{4} ~ "-" ~ ASCII_DIGIT{2} ~ !(ASCII_DIGIT | "-") }
        if two && !digit(start + 7) && self.bytes.get(start + 7) != Some(&b'-') {
            return self.literal(Literal::Month, start, start + 7);
        }
        // quantity = ${ decimal ~ (unit_word | " "+ ~ unit_word) }
        let spaces = self
            .bytes
            .get(end..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| **b == b' ')
            .count();
        if let Some(word_end) = self.unit_word_end(end + spaces) {
            return self.literal(Literal::Quantity, start, word_end);
        }
        // number = @{ decimal }
        self.literal(Literal::Number, start, end)
    }

    /// `"\"" ~ (text_chars | text_escape | interpolation)* ~ "\""`, literal pieces joined.
    fn text_literal(&mut self) -> Option<ExprKind> {
        if !self.eat(b'"') {
            return None;
        }
        let mut parts = Vec::new();
        loop {
            let rest = self.bytes.get(self.pos..).unwrap_or_default();
            let plain = rest
                .iter()
                .take_while(|b| !matches!(b, b'"' | b'\\' | b'{' | b'}' | b'\n'))
                .count();
            if plain > 0 {
                literal::push_text(&mut parts, self.slice(self.pos, self.pos + plain));
                self.pos += plain;
                continue;
            }
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(ExprKind::Text(exact(parts)));
                }
                b'\\' => {
                    // `"\\" ~ ANY`: the next character, whatever its length
                    let escaped = self.text.get(self.pos + 1..)?.chars().next()?;
                    let end = self.pos + 1 + escaped.len_utf8();
                    literal::push_text(&mut parts, literal::unescape(self.slice(self.pos, end)));
                    self.pos = end;
                }
                b'{' | b'}' if self.at("{{") || self.at("}}") => {
                    literal::push_text(&mut parts, literal::unescape(self.slice(self.pos, self.pos + 2)));
                    self.pos += 2;
                }
                b'{' => {
                    // interpolation = !{ "{" ~ expr ~ "}" }
                    self.pos += 1;
                    self.skip();
                    let e = self.expr()?;
                    self.skip();
                    if !self.eat(b'}') {
                        return None;
                    }
                    parts.push(TextPart::Expr(e));
                }
                _ => return None,
            }
        }
    }
}

/// Precedence climbing over [`Tok`]s, as pest's `PrattParser` does it for `PRATT`.
struct Pratt {
    toks: std::iter::Peekable<std::vec::IntoIter<Tok>>,
}

impl Pratt {
    fn infix_power(op: BinOp) -> u32 {
        match op {
            BinOp::Where => 20,
            BinOp::Or => 30,
            BinOp::And => 40,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::In | BinOp::NotIn => 60,
            BinOp::Add | BinOp::Sub => 70,
            BinOp::Mul | BinOp::Div => 80,
        }
    }

    fn prefix_power(op: UnOp) -> u32 {
        match op {
            UnOp::Not => 50,
            UnOp::Neg => 90,
        }
    }

    fn expr(&mut self, rbp: u32) -> Option<Expr> {
        let mut lhs = match self.toks.next()? {
            Tok::Prefix(op, span) => {
                let rhs = self.expr(Self::prefix_power(op) - 1)?;
                Expr {
                    span: span.to(rhs.span),
                    kind: ExprKind::Unary(op, Box::new(rhs)),
                }
            }
            Tok::Operand(e) => e,
            Tok::Infix(_) => return None,
        };
        while let Some(Tok::Infix(op)) = self.toks.peek() {
            let op = *op;
            if Self::infix_power(op) <= rbp {
                break;
            }
            self.toks.next();
            let rhs = self.expr(Self::infix_power(op))?;
            lhs = Expr {
                span: lhs.span.to(rhs.span),
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            };
        }
        Some(lhs)
    }
}
