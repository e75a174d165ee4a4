//! The depth limit on a parsed module: no tree deeper than [`MAX_DEPTH`] leaves the parser.
//!
//! Every pass after the parser (the checker, the compiler, the evaluator, demand analysis, and the
//! derived `Clone`, `Eq`, `Hash` and `Drop` of the tree itself) walks it by recursion, one stack
//! frame or more per level. Brackets are bounded before parsing ([`super::brackets`]), and the
//! parsers bound their own recursion, but a tree can grow deep without either: a sum of 4,000 terms
//! is 4,000 levels of `Binary`, a chain of 5,000 `else if` 5,000 levels of `If`, `f(1)(1)(1)…` one
//! level per call. So each module is measured here, once, by a walk with an explicit stack, and a
//! part deeper than the limit is cut off: replaced by an error node (which checks as anything and
//! reports nothing more) with one [`Code::TooDeep`] error per item, and taken apart without
//! recursion, so that not even dropping it can overflow.
//!
//! The limit is far above what contracts need (the deepest file of the repository,
//! `stdlib/towne_park.bill`, is 13 levels deep; `tests/limits.rs` keeps every one under 32), and
//! the passes are safe at it however small the thread's stack ([`crate::stack`]): `tests/limits.rs`
//! bills a contract at the limits, in a debug build, with 512 KiB stacks.

use crate::diag::{Code, Diagnostic};
use crate::span::Span;
use crate::syntax::ast::*;

/// The deepest a module's tree may be, counting expressions, statements and type arguments.
pub const MAX_DEPTH: usize = 256;

/// Cuts every part of `module` deeper than [`MAX_DEPTH`], with one error per item that had one.
pub fn limit(module: &mut Module) -> Vec<Diagnostic> {
    walk_module(module, MAX_DEPTH).0
}

/// The deepest level of `module` (for tests and for the figure in the module documentation).
pub fn depth(module: &mut Module) -> usize {
    walk_module(module, usize::MAX).1
}

/// Walks every item, cutting below `cut_at`: the errors, and the deepest level seen.
fn walk_module(module: &mut Module, cut_at: usize) -> (Vec<Diagnostic>, usize) {
    let mut errors = Vec::new();
    let mut removed = Vec::new();
    let mut deepest = 0;
    for item in &mut module.items {
        let mut walk = Walk::new(&mut removed, cut_at);
        walk.item(item);
        walk.run();
        deepest = deepest.max(walk.deepest);
        errors.extend(walk.cut.map(too_deep));
    }
    dismantle(removed);
    (errors, deepest)
}

/// Cuts every part of a lone expression deeper than [`MAX_DEPTH`] (see [`limit`]).
pub fn limit_expr(expr: &mut Expr) -> Option<Diagnostic> {
    let mut removed = Vec::new();
    let mut walk = Walk::new(&mut removed, MAX_DEPTH);
    walk.child(Child::Expr(expr), 1);
    walk.run();
    let cut = walk.cut.map(too_deep);
    dismantle(removed);
    cut
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(
        Code::TooDeep,
        span,
        format!("nested more than {MAX_DEPTH} levels deep"),
        format!("level {} starts here", MAX_DEPTH + 1),
    )
    .with_help(
        "each operator of a chain, each `else if` and each call is a level: add a long list of terms with \
         `sum([…])`, name inner parts with `let`, or turn a long `else if` chain into a tier table",
    )
}

fn stmt_span(stmt: &Stmt) -> Span {
    match stmt {
        Stmt::Let(l) => l.span,
        Stmt::Line(l) => l.span,
        Stmt::Check(c) => c.span,
        Stmt::If(i) => i.span,
        Stmt::For(f) => f.span,
        Stmt::Group(g) => g.span,
        Stmt::Review(r) => r.span,
        Stmt::Instance(i) => i.span,
        Stmt::Property(p) => p.span,
        Stmt::Test(t) => t.span,
    }
}

/// A node of the tree, borrowed for the walk.
enum Node<'a> {
    Expr(&'a mut Expr),
    Stmt(&'a mut Stmt),
    Type(&'a mut TypeExpr),
}

/// A place that holds children: one expression, or a list of statements or type arguments.
enum Child<'a> {
    Expr(&'a mut Expr),
    Stmts(&'a mut Vec<Stmt>),
    Type(&'a mut TypeExpr),
    Types(&'a mut Vec<TypeExpr>),
}

/// What was cut off, to be taken apart.
enum Owned {
    Expr(Expr),
    Stmts(Vec<Stmt>),
    Types(Vec<TypeExpr>),
}

struct Walk<'a, 'r> {
    stack: Vec<(Node<'a>, usize)>,
    removed: &'r mut Vec<Owned>,
    /// The deepest level kept.
    cut_at: usize,
    /// Where the first cut of this item was.
    cut: Option<Span>,
    deepest: usize,
}

impl<'a, 'r> Walk<'a, 'r> {
    fn new(removed: &'r mut Vec<Owned>, cut_at: usize) -> Self {
        Walk {
            stack: Vec::new(),
            removed,
            cut_at,
            cut: None,
            deepest: 0,
        }
    }

    fn item(&mut self, item: &'a mut Item) {
        let mut children = Vec::new();
        item_children(item, &mut children);
        for child in children {
            self.child(child, 1);
        }
    }

    fn run(&mut self) {
        while let Some((node, depth)) = self.stack.pop() {
            self.deepest = self.deepest.max(depth);
            let mut children = Vec::new();
            node.children(&mut children);
            for child in children {
                self.child(child, depth + 1);
            }
        }
    }

    /// Walks `child` at `depth`, or cuts it if that is too deep.
    fn child(&mut self, child: Child<'a>, depth: usize) {
        if depth <= self.cut_at {
            self.stack.extend(child.nodes().into_iter().map(|n| (n, depth)));
            return;
        }
        let (span, owned) = match child {
            Child::Expr(e) => {
                let span = e.span;
                let placeholder = Expr {
                    kind: ExprKind::Error,
                    span,
                };
                (Some(span), Owned::Expr(std::mem::replace(e, placeholder)))
            }
            Child::Stmts(stmts) => (stmts.first().map(stmt_span), Owned::Stmts(std::mem::take(stmts))),
            Child::Types(types) => (types.first().map(|t| t.span), Owned::Types(std::mem::take(types))),
            // A single type sits at the top of an item or a parameter, never this deep.
            Child::Type(_) => return,
        };
        if let Some(span) = span {
            self.cut.get_or_insert(span);
        }
        self.removed.push(owned);
    }
}

impl<'a> Child<'a> {
    fn nodes(self) -> Vec<Node<'a>> {
        match self {
            Child::Expr(e) => vec![Node::Expr(e)],
            Child::Stmts(stmts) => stmts.iter_mut().map(Node::Stmt).collect(),
            Child::Type(t) => vec![Node::Type(t)],
            Child::Types(types) => types.iter_mut().map(Node::Type).collect(),
        }
    }
}

impl<'a> Node<'a> {
    fn children(self, out: &mut Vec<Child<'a>>) {
        match self {
            Node::Expr(e) => expr_children(e, out),
            Node::Stmt(s) => stmt_children(s, out),
            Node::Type(t) => out.push(Child::Types(&mut t.args)),
        }
    }
}

fn opt<'a>(e: &'a mut Option<Expr>, out: &mut Vec<Child<'a>>) {
    if let Some(e) = e {
        out.push(Child::Expr(e));
    }
}

fn params<'a>(params: &'a mut [Param], out: &mut Vec<Child<'a>>) {
    for p in params {
        out.push(Child::Type(&mut p.ty));
        opt(&mut p.default, out);
    }
}

fn item_children<'a>(item: &'a mut Item, out: &mut Vec<Child<'a>>) {
    match item {
        Item::Use(_) => {}
        Item::Const(c) => {
            if let Some(t) = &mut c.ty {
                out.push(Child::Type(t));
            }
            out.push(Child::Expr(&mut c.value));
        }
        Item::Type(t) => {
            if let TypeDef::Record(fields) = &mut t.def {
                out.extend(fields.iter_mut().map(|(_, t)| Child::Type(t)));
            }
        }
        Item::Fn(f) => {
            params(&mut f.params, out);
            out.extend([Child::Type(&mut f.ret), Child::Expr(&mut f.body)]);
        }
        Item::Component(c) => {
            params(&mut c.params, out);
            out.push(Child::Stmts(&mut c.body));
        }
        Item::Contract(c) => out.push(Child::Stmts(&mut c.body)),
        Item::Test(t) => test_children(t, out),
    }
}

fn test_children<'a>(t: &'a mut Test, out: &mut Vec<Child<'a>>) {
    opt(&mut t.period, out);
    out.extend(t.given.iter_mut().map(|g| Child::Expr(&mut g.rows)));
    for expect in &mut t.expects {
        match expect {
            Expect::Line {
                title, group, amount, ..
            } => {
                out.push(Child::Expr(title));
                opt(group, out);
                out.push(Child::Expr(amount));
            }
            Expect::NoLine { title, group, .. } => {
                out.push(Child::Expr(title));
                opt(group, out);
            }
            Expect::Total { group, amount, .. } => {
                opt(group, out);
                out.push(Child::Expr(amount));
            }
            Expect::Value { actual, expected, .. } => {
                out.extend([Child::Expr(actual), Child::Expr(expected)]);
            }
        }
    }
}

fn stmt_children<'a>(stmt: &'a mut Stmt, out: &mut Vec<Child<'a>>) {
    match stmt {
        Stmt::Let(l) => {
            if let Some(t) = &mut l.ty {
                out.push(Child::Type(t));
            }
            out.push(Child::Expr(&mut l.value));
        }
        Stmt::Line(l) => {
            out.push(Child::Expr(&mut l.title));
            for attr in [&mut l.gl, &mut l.group, &mut l.order, &mut l.desc] {
                opt(attr, out);
            }
            out.push(Child::Expr(&mut l.amount));
        }
        Stmt::Check(c) => {
            out.extend([Child::Expr(&mut c.cond), Child::Expr(&mut c.message)]);
        }
        Stmt::If(i) => {
            out.extend([
                Child::Expr(&mut i.cond),
                Child::Stmts(&mut i.then),
                Child::Stmts(&mut i.otherwise),
            ]);
        }
        Stmt::For(f) => {
            out.extend([Child::Expr(&mut f.list), Child::Stmts(&mut f.body)]);
        }
        Stmt::Group(g) => {
            out.extend([Child::Expr(&mut g.number), Child::Expr(&mut g.title)]);
            out.extend(g.args.iter_mut().map(|a| Child::Expr(&mut a.value)));
        }
        Stmt::Review(r) => {
            if let ReviewKind::Over { percent, amount } = &mut r.kind {
                out.extend([Child::Expr(percent), Child::Expr(amount)]);
            }
        }
        Stmt::Instance(i) => out.extend(i.args.iter_mut().map(|a| Child::Expr(&mut a.value))),
        Stmt::Property(p) => out.push(Child::Expr(&mut p.value)),
        Stmt::Test(t) => test_children(t, out),
    }
}

fn expr_children<'a>(expr: &'a mut Expr, out: &mut Vec<Child<'a>>) {
    match &mut expr.kind {
        ExprKind::Money(..)
        | ExprKind::Rate(..)
        | ExprKind::Percent(_)
        | ExprKind::Number(_)
        | ExprKind::Quantity(..)
        | ExprKind::Duration(..)
        | ExprKind::Date(_)
        | ExprKind::Month(_)
        | ExprKind::Bool(_)
        | ExprKind::Name(_)
        | ExprKind::Error => {}
        ExprKind::Text(parts) => out.extend(parts.iter_mut().filter_map(|p| match p {
            TextPart::Expr(e) => Some(Child::Expr(e)),
            TextPart::Lit(_) => None,
        })),
        ExprKind::List(items) => out.extend(items.iter_mut().map(Child::Expr)),
        ExprKind::Comprehension { body, list, .. } => {
            out.extend([Child::Expr(body), Child::Expr(list)]);
        }
        ExprKind::Record(fields) => out.extend(fields.iter_mut().map(|(_, e)| Child::Expr(e))),
        ExprKind::Tiers(tiers) => {
            for t in tiers {
                out.push(Child::Expr(&mut t.price));
                opt(&mut t.limit, out);
                opt(&mut t.fee, out);
            }
        }
        ExprKind::If(c, t, e) => {
            out.extend([Child::Expr(c), Child::Expr(t), Child::Expr(e)]);
        }
        ExprKind::Unary(_, e) | ExprKind::Field(e, _) | ExprKind::Cast(e, _) | ExprKind::Paren(e) => {
            out.push(Child::Expr(e));
        }
        ExprKind::Binary(_, l, r) => {
            out.extend([Child::Expr(l), Child::Expr(r)]);
        }
        ExprKind::Call(callee, args) => {
            out.push(Child::Expr(callee));
            out.extend(args.iter_mut().map(|a| Child::Expr(&mut a.value)));
        }
    }
}

/// Drops what was cut off without recursion: each node's children are moved out before it is dropped.
fn dismantle(mut pending: Vec<Owned>) {
    while let Some(owned) = pending.pop() {
        let mut children = Vec::new();
        match owned {
            Owned::Expr(mut e) => {
                expr_children(&mut e, &mut children);
                take(children, &mut pending);
            }
            Owned::Stmts(mut stmts) => {
                for s in &mut stmts {
                    stmt_children(s, &mut children);
                }
                take(children, &mut pending);
            }
            Owned::Types(mut types) => {
                for t in &mut types {
                    pending.push(Owned::Types(std::mem::take(&mut t.args)));
                }
            }
        }
    }
}

fn take(children: Vec<Child<'_>>, pending: &mut Vec<Owned>) {
    for child in children {
        pending.push(match child {
            Child::Expr(e) => {
                let span = e.span;
                Owned::Expr(std::mem::replace(
                    e,
                    Expr {
                        kind: ExprKind::Error,
                        span,
                    },
                ))
            }
            Child::Stmts(stmts) => Owned::Stmts(std::mem::take(stmts)),
            Child::Type(t) => Owned::Types(std::mem::take(&mut t.args)),
            Child::Types(types) => Owned::Types(std::mem::take(types)),
        });
    }
}
