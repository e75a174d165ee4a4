//! Name resolution and type checking: from `ast` to the typed `hir`, collecting every error.
//!
//! A module's items (types, consts, fns, components) are checked lazily by name, so declaration
//! order does not matter; an item that refers to itself is a cycle error (the language has no
//! recursion). Bodies (of contracts and components) are declarative: a `let` may use a `let` written
//! below it; lets are typed on demand and a cycle between lets is reported once, with every let of
//! the cycle labelled.
//!
//! Errors never cascade: an erroneous expression gets `Ty::Error`, which fits everywhere and is never
//! reported again.

pub mod ops;
pub mod suggest;
pub mod test_blocks;

use crate::builtins::{self, prelude_enum, prelude_variant};
use crate::diag::{Code, Diagnostic};
use crate::hir::{self, Builtin, ComponentDef, FnDef, ParamDef, Stmt};
use crate::schema::TableName;
use crate::span::Span;
use crate::syntax::ast::{self, BinOp, ExprKind as K, UnOp};
use crate::ty::{Currency, EnumTy, RecordTy, Ty};
use crate::value::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A checked module-level item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Const { ty: Ty, value: Option<Value>, span: Span },
    Fn(Arc<FnDef>),
    Component(Arc<ComponentDef>),
    Type(Ty, Span),
}

/// A checked module: its items by name and the diagnostics of its module-level declarations.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CheckedModule {
    pub name: String,
    pub items: BTreeMap<String, Item>,
    pub diags: Vec<crate::diag::Diagnostic>,
}

pub use crate::hir::{GroupDef, ReviewDef};

/// A checked contract: properties, groups and its typed body, ready to compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedContract {
    pub site: String,
    pub customer: String,
    pub billing: crate::terms::Billing,
    /// Where `billing` is written (none when the contract does not say).
    pub billing_span: Option<Span>,
    pub terms: String,
    pub effective: Option<chrono::NaiveDate>,
    pub review: Option<ReviewDef>,
    pub groups: Vec<GroupDef>,
    pub body: Vec<Stmt>,
    pub refs: u32,
    pub span: Span,
    pub name_span: Span,
    pub diags: Vec<Diagnostic>,
}

/// Checks the module-level items of a module (not its contracts).
pub fn check_module(
    file: crate::span::FileId,
    name: &str,
    module: &ast::Module,
    imports: &[Arc<CheckedModule>],
) -> CheckedModule {
    let mut checker = Checker::new(module, imports);
    let _ = file;
    let names: Vec<String> = checker.decls.keys().cloned().collect();
    for n in names {
        checker.item(&n, None);
    }
    let items = checker
        .done
        .iter()
        .filter_map(|(k, v)| match v {
            ItemState::Done(Some(item)) => Some((k.clone(), item.clone())),
            _ => None,
        })
        .collect();
    CheckedModule {
        name: name.to_string(),
        items,
        diags: checker.diags,
    }
}

/// Checks one contract of a module.
pub fn check_contract(
    module: &ast::Module,
    contract: &ast::Contract,
    imports: &[Arc<CheckedModule>],
    own: &CheckedModule,
) -> CheckedContract {
    let mut checker = Checker::new(module, imports);
    // Items of the contract's own module were checked already; reuse them (and not their diagnostics).
    for (name, item) in &own.items {
        checker.done.insert(name.clone(), ItemState::Done(Some(item.clone())));
    }
    checker.contract(contract)
}

enum ItemState {
    Busy(Span),
    Done(Option<Item>),
}

#[derive(Clone, Copy)]
enum Decl<'a> {
    Type(&'a ast::TypeDecl),
    Const(&'a ast::Const),
    Fn(&'a ast::FnDecl),
    Component(&'a ast::Component),
}

impl Decl<'_> {
    fn span(&self) -> Span {
        match self {
            Decl::Type(t) => t.name.span,
            Decl::Const(c) => c.name.span,
            Decl::Fn(f) => f.name.span,
            Decl::Component(c) => c.name.span,
        }
    }
}

/// Expression context: the scope stack, the enclosing body (if any), the row of a `where`.
#[derive(Clone, Default)]
struct Cx {
    locals: Vec<(String, Ty)>,
    body: Option<usize>,
    block: usize,
    row: Option<TableName>,
    currency: Option<Currency>,
}

enum DeclAst<'a> {
    Let(&'a ast::Let),
    Line(&'a ast::Line),
}

enum DeclState {
    Pending,
    Busy,
    Done(Ty, Option<hir::Expr>),
}

struct BodyDecl<'a> {
    ast: DeclAst<'a>,
    block: usize,
    depth: usize,
    state: DeclState,
}

struct Block {
    parent: Option<usize>,
    names: HashMap<String, u32>,
}

struct Body<'a> {
    decls: Vec<BodyDecl<'a>>,
    blocks: Vec<Block>,
    /// Blocks in the order phase 2 meets them.
    next_block: usize,
    /// Locals at the body's root (component parameters).
    root: Vec<(String, Ty)>,
    currency: Currency,
}

struct Checker<'a> {
    decls: BTreeMap<String, Decl<'a>>,
    variants: HashMap<String, Arc<EnumTy>>,
    imports: &'a [Arc<CheckedModule>],
    done: HashMap<String, ItemState>,
    bodies: Vec<Body<'a>>,
    diags: Vec<Diagnostic>,
}

/// A contract's properties as they are read.
struct Properties {
    customer: Option<String>,
    billing: crate::terms::Billing,
    billing_span: Option<Span>,
    terms: Option<String>,
    effective: Option<chrono::NaiveDate>,
    currency: Currency,
}

impl Default for Properties {
    fn default() -> Properties {
        Properties {
            customer: None,
            billing: crate::terms::Billing::Arrears,
            billing_span: None,
            terms: None,
            effective: None,
            currency: Currency::USD,
        }
    }
}

pub(crate) const CONTRACT_PROPERTIES: [&str; 5] = ["customer", "billing", "terms", "effective", "currency"];

impl<'a> Checker<'a> {
    fn new(module: &'a ast::Module, imports: &'a [Arc<CheckedModule>]) -> Checker<'a> {
        let mut checker = Checker {
            decls: BTreeMap::new(),
            variants: HashMap::new(),
            imports,
            done: HashMap::new(),
            bodies: Vec::new(),
            diags: Vec::new(),
        };
        for item in &module.items {
            let decl = match item {
                ast::Item::Type(t) => Decl::Type(t),
                ast::Item::Const(c) => Decl::Const(c),
                ast::Item::Fn(f) => Decl::Fn(f),
                ast::Item::Component(c) => Decl::Component(c),
                _ => continue,
            };
            let name = match decl {
                Decl::Type(t) => &t.name.name,
                Decl::Const(c) => &c.name.name,
                Decl::Fn(f) => &f.name.name,
                Decl::Component(c) => &c.name.name,
            };
            if let Some(first) = checker.decls.get(name) {
                let first_span = first.span();
                checker.diags.push(
                    Diagnostic::error(
                        Code::Duplicate,
                        decl.span(),
                        format!("`{name}` is defined twice"),
                        "defined again here",
                    )
                    .with_label(first_span, "first defined here"),
                );
                continue;
            }
            checker.decls.insert(name.clone(), decl);
            if let Decl::Type(t) = decl
                && let ast::TypeDef::Enum(variants) = &t.def
            {
                let ty = Arc::new(EnumTy {
                    name: t.name.name.clone(),
                    variants: variants.iter().map(|v| v.name.clone()).collect(),
                });
                for v in variants {
                    checker.variants.insert(v.name.clone(), ty.clone());
                }
            }
        }
        checker
    }

    fn error(&mut self, code: Code, span: Span, message: impl Into<String>, label: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, span, message, label));
    }

    // ------------------------------------------------------------------ module items

    /// The checked item called `name` in this module or an imported one.
    fn item(&mut self, name: &str, use_span: Option<Span>) -> Option<Item> {
        match self.done.get(name) {
            Some(ItemState::Done(item)) => return item.clone(),
            Some(ItemState::Busy(decl_span)) => {
                let decl_span = *decl_span;
                let span = use_span.unwrap_or(decl_span);
                self.diags.push(
                    Diagnostic::error(
                        Code::Cycle,
                        span,
                        format!("`{name}` refers to itself"),
                        "used here while it is being defined",
                    )
                    .with_label(decl_span, "defined here")
                    .with_help("billc has no recursion: every definition must be computable from the ones before it"),
                );
                return None;
            }
            None => {}
        }
        let Some(decl) = self.decls.get(name).copied() else {
            return self.imported(name);
        };
        self.done.insert(name.to_string(), ItemState::Busy(decl.span()));
        let saved_bodies = std::mem::take(&mut self.bodies);
        let item = match decl {
            Decl::Type(t) => Some(Item::Type(self.type_decl(t), t.name.span)),
            Decl::Const(c) => Some(self.const_decl(c)),
            Decl::Fn(f) => Some(Item::Fn(Arc::new(self.fn_decl(f)))),
            Decl::Component(c) => Some(Item::Component(Arc::new(self.component_decl(c)))),
        };
        self.bodies = saved_bodies;
        self.done.insert(name.to_string(), ItemState::Done(item.clone()));
        item
    }

    fn imported(&self, name: &str) -> Option<Item> {
        self.imports.iter().find_map(|m| m.items.get(name).cloned())
    }

    fn type_decl(&mut self, t: &ast::TypeDecl) -> Ty {
        match &t.def {
            ast::TypeDef::Enum(variants) => Ty::Enum(Arc::new(EnumTy {
                name: t.name.name.clone(),
                variants: variants.iter().map(|v| v.name.clone()).collect(),
            })),
            ast::TypeDef::Record(fields) => {
                let mut seen: HashMap<&str, Span> = HashMap::new();
                let mut out = Vec::new();
                for (name, te) in fields {
                    if let Some(first) = seen.insert(&name.name, name.span) {
                        self.diags.push(
                            Diagnostic::error(
                                Code::Duplicate,
                                name.span,
                                format!("field `{}` is declared twice", name.name),
                                "declared again here",
                            )
                            .with_label(first, "first declared here"),
                        );
                        continue;
                    }
                    let ty = self.ty(te);
                    out.push((name.name.clone(), ty));
                }
                Ty::Record(Arc::new(RecordTy {
                    name: t.name.name.clone(),
                    fields: out,
                }))
            }
        }
    }

    fn const_decl(&mut self, c: &ast::Const) -> Item {
        let mut cx = Cx::default();
        let value = self.expr(&c.value, &mut cx);
        let ty = match &c.ty {
            Some(te) => {
                let want = self.ty(te);
                self.expect_ty(&value, &want);
                want
            }
            None => value.ty.clone(),
        };
        let folded = self.fold(&value);
        Item::Const {
            ty,
            value: folded,
            span: c.name.span,
        }
    }

    /// Evaluates a constant expression; reports a diagnostic if it depends on data or fails.
    fn fold(&mut self, e: &hir::Expr) -> Option<Value> {
        if e.ty.is_error() {
            return None;
        }
        match crate::eval::const_eval(e) {
            Ok(v) => Some(v),
            Err(err) => {
                let (code, msg) = match &err.kind {
                    crate::eval::EvalErrorKind::NotConstant(what) => (
                        Code::NotConstant,
                        format!("this value must be known before any data is read, but it uses {what}"),
                    ),
                    other => (
                        Code::ConstEval,
                        format!("cannot compute this constant: {}", other.describe()),
                    ),
                };
                self.error(code, err.span.unwrap_or(e.span), msg, "here");
                None
            }
        }
    }

    fn params(&mut self, params: &[ast::Param]) -> Vec<ParamDef> {
        let mut out: Vec<ParamDef> = Vec::new();
        for p in params {
            if let Some(first) = out.iter().find(|q| q.name == p.name.name) {
                let first_span = first.span;
                self.diags.push(
                    Diagnostic::error(
                        Code::Duplicate,
                        p.name.span,
                        format!("parameter `{}` is declared twice", p.name.name),
                        "declared again here",
                    )
                    .with_label(first_span, "first declared here"),
                );
                continue;
            }
            let ty = self.ty(&p.ty);
            let default = p.default.as_ref().and_then(|d| {
                let mut cx = Cx::default();
                let e = self.expr(d, &mut cx);
                if !e.ty.fits(&ty) {
                    self.diags.push(Diagnostic::error(
                        Code::BadDefault,
                        d.span,
                        format!(
                            "the default of `{}` is `{}`, but the parameter is `{}`",
                            p.name.name, e.ty, ty
                        ),
                        format!("expected `{ty}`"),
                    ));
                    return None;
                }
                self.fold(&e)
            });
            out.push(ParamDef {
                name: p.name.name.clone(),
                ty,
                default,
                span: p.name.span,
            });
        }
        out
    }

    fn fn_decl(&mut self, f: &ast::FnDecl) -> FnDef {
        let params = self.params(&f.params);
        let ret = self.ty(&f.ret);
        let mut cx = Cx {
            locals: params.iter().map(|p| (p.name.clone(), p.ty.clone())).collect(),
            ..Cx::default()
        };
        let body = self.expr(&f.body, &mut cx);
        if !body.ty.fits(&ret) {
            self.diags.push(
                Diagnostic::error(
                    Code::TypeMismatch,
                    f.body.span,
                    format!("`{}` returns `{}`, but its body is `{}`", f.name.name, ret, body.ty),
                    format!("this is `{}`", body.ty),
                )
                .with_label(f.ret.span, "return type declared here"),
            );
        }
        FnDef {
            name: f.name.name.clone(),
            params,
            ret,
            body,
            span: f.name.span,
        }
    }

    fn component_decl(&mut self, c: &'a ast::Component) -> ComponentDef {
        let params = self.params(&c.params);
        let root: Vec<(String, Ty)> = params.iter().map(|p| (p.name.clone(), p.ty.clone())).collect();
        let (body, refs) = self.body(&c.body, root, Currency::USD, false);
        ComponentDef {
            name: c.name.name.clone(),
            params,
            body,
            refs,
            span: c.name.span,
        }
    }

    // ------------------------------------------------------------------ types

    fn ty(&mut self, te: &ast::TypeExpr) -> Ty {
        let name = te.name.name.as_str();
        let base = match name {
            "Money" => match te.args.first() {
                Some(cur) => Ty::Money(Currency::from_code(&cur.name.name)),
                None => Ty::usd(),
            },
            "Percent" => Ty::Percent,
            "Number" => Ty::Number,
            "Hours" => Ty::Quantity(ast::Unit::Hour),
            "Quantity" => match te.args.first().and_then(|a| ast::Unit::from_word(&a.name.name)) {
                Some(u) => Ty::Quantity(u),
                None => {
                    self.error(
                        Code::UnknownType,
                        te.span,
                        "`Quantity` needs a unit, e.g. `Quantity<room>`",
                        "no unit",
                    );
                    Ty::Error
                }
            },
            "Date" => Ty::Date,
            "Month" => Ty::Month,
            "Text" => Ty::Text,
            "Bool" => Ty::Bool,
            "Days" => Ty::Duration(ast::DurationUnit::Day),
            "Months" => Ty::Duration(ast::DurationUnit::Month),
            "Years" => Ty::Duration(ast::DurationUnit::Year),
            "TierResult" => {
                let price = te.args.first().map(|a| self.ty(a)).unwrap_or(Ty::Percent);
                let amount = te.args.get(1).map(|a| self.ty(a)).unwrap_or(Ty::usd());
                if Ty::tier_due(&price, &amount).is_none() {
                    self.error(
                        Code::TypeMismatch,
                        te.span,
                        Ty::tier_mismatch(&price, &amount),
                        "no tier table has these prices and amounts",
                    );
                    return Ty::Error;
                }
                Ty::TierResult(Box::new(price), Box::new(amount))
            }
            "List" => match te.args.first() {
                Some(a) => Ty::List(Box::new(self.ty(a))),
                None => Ty::List(Box::new(Ty::Error)),
            },
            "Tiers" => {
                let price = te.args.first().map(|a| self.ty(a)).unwrap_or(Ty::Percent);
                let limit = te.args.get(1).map(|a| self.ty(a)).unwrap_or(Ty::usd());
                Ty::Tiers(Box::new(price), Box::new(limit))
            }
            _ => {
                if let Some(e) = prelude_enum(name) {
                    Ty::Enum(e)
                } else {
                    match self.item(name, Some(te.name.span)) {
                        Some(Item::Type(t, _)) => t,
                        _ => {
                            let mut candidates: Vec<String> = [
                                "Money",
                                "Percent",
                                "Number",
                                "Hours",
                                "Quantity",
                                "Date",
                                "Month",
                                "Text",
                                "Bool",
                                "List",
                                "Tiers",
                                "TierResult",
                                "Days",
                                "Months",
                                "Years",
                            ]
                            .iter()
                            .map(|s| (*s).to_string())
                            .collect();
                            candidates.extend(builtins::PRELUDE_ENUMS.iter().map(|(n, _)| (*n).to_string()));
                            candidates.extend(
                                self.decls
                                    .iter()
                                    .filter(|(_, d)| matches!(d, Decl::Type(_)))
                                    .map(|(n, _)| n.clone()),
                            );
                            for m in self.imports {
                                candidates.extend(
                                    m.items
                                        .iter()
                                        .filter(|(_, i)| matches!(i, Item::Type(..)))
                                        .map(|(n, _)| n.clone()),
                                );
                            }
                            let mut d = Diagnostic::error(
                                Code::UnknownType,
                                te.name.span,
                                format!("unknown type `{name}`"),
                                "not a type",
                            );
                            if let Some(s) = suggest::closest(name, candidates.iter().map(String::as_str)) {
                                d = d.with_help(format!("did you mean `{s}`?"));
                            }
                            self.diags.push(d);
                            Ty::Error
                        }
                    }
                }
            }
        };
        match &te.per {
            None => base,
            Some(unit) => match (base, ast::Unit::from_word(&unit.name)) {
                (Ty::Money(c), Some(u)) => Ty::Rate(c, u),
                (Ty::Error, _) => Ty::Error,
                (_, _) => {
                    self.error(
                        Code::UnknownType,
                        te.span,
                        "only money can be per unit, as in `Money/Hour`",
                        "not a rate type",
                    );
                    Ty::Error
                }
            },
        }
    }

    fn expect_ty(&mut self, e: &hir::Expr, want: &Ty) -> bool {
        if e.ty.fits(want) {
            return true;
        }
        let mut d = Diagnostic::error(
            Code::TypeMismatch,
            e.span,
            format!("expected `{want}`, found `{}`", e.ty),
            format!("this is `{}`", e.ty),
        );
        if let Some(help) = crate::slips::help(e, want) {
            d = d.with_help(help);
        }
        self.diags.push(d);
        false
    }

    // ------------------------------------------------------------------ bodies

    /// Checks a body (contract or component). Returns its statements and the size of its ref table.
    fn body(
        &mut self,
        stmts: &'a [ast::Stmt],
        root: Vec<(String, Ty)>,
        currency: Currency,
        is_contract: bool,
    ) -> (Vec<Stmt>, u32) {
        let mut body = Body {
            decls: Vec::new(),
            blocks: vec![Block {
                parent: None,
                names: HashMap::new(),
            }],
            next_block: 1,
            root: root.clone(),
            currency,
        };
        let mut diags = Vec::new();
        collect_decls(stmts, 0, root.len(), &mut body, &mut diags);
        self.diags.extend(diags);
        self.bodies.push(body);
        let body_index = self.bodies.len() - 1;
        let mut cx = Cx {
            locals: root,
            body: Some(body_index),
            block: 0,
            row: None,
            currency: Some(currency),
        };
        let mut next_decl = 0usize;
        let out = self.stmts(stmts, &mut cx, &mut next_decl, is_contract);
        let refs = self.bodies.get(body_index).map_or(0, |b| b.decls.len());
        self.bodies.truncate(body_index);
        (out, u32::try_from(refs).unwrap_or(u32::MAX))
    }

    /// Enters the node through [`stack::deeper`] (see `crate::stack`).
    fn stmts(&mut self, stmts: &'a [ast::Stmt], cx: &mut Cx, next_decl: &mut usize, is_contract: bool) -> Vec<Stmt> {
        crate::stack::deeper(|| self.stmts_here(stmts, cx, next_decl, is_contract))
    }

    fn stmts_here(
        &mut self,
        stmts: &'a [ast::Stmt],
        cx: &mut Cx,
        next_decl: &mut usize,
        is_contract: bool,
    ) -> Vec<Stmt> {
        let mut out = Vec::new();
        for s in stmts {
            match s {
                ast::Stmt::Let(l) => {
                    let index = *next_decl;
                    *next_decl += 1;
                    if let Some(value) = self.body_decl_hir(cx, index) {
                        out.push(Stmt::Let {
                            index: u32::try_from(index).unwrap_or(u32::MAX),
                            name: l.name.name.clone(),
                            value: Arc::new(value),
                            span: l.span,
                        });
                    }
                }
                ast::Stmt::Line(l) => {
                    let index = *next_decl;
                    *next_decl += 1;
                    out.push(Stmt::Line(self.line(l, cx, index)));
                }
                ast::Stmt::Check(c) => {
                    let cond = self.expr(&c.cond, cx);
                    self.expect_bool(&cond);
                    let message = self.expr(&c.message, cx);
                    self.expect_ty(&message, &Ty::Text);
                    out.push(Stmt::Check {
                        cond: Arc::new(cond),
                        kind: c.kind,
                        message: Arc::new(message),
                        span: c.span,
                    });
                }
                ast::Stmt::If(i) => out.push(self.if_stmt(i, cx, next_decl, is_contract)),
                ast::Stmt::For(f) => {
                    let list = self.expr(&f.list, cx);
                    let elem = match &list.ty {
                        Ty::List(t) => (**t).clone(),
                        Ty::Error => Ty::Error,
                        other => {
                            self.error(
                                Code::NotAList,
                                f.list.span,
                                format!("`for` needs a list, found `{other}`"),
                                "not a list",
                            );
                            Ty::Error
                        }
                    };
                    let block = self.enter_block(cx);
                    let saved_block = cx.block;
                    cx.block = block;
                    cx.locals.push((f.var.name.clone(), elem));
                    let body = self.stmts(&f.body, cx, next_decl, is_contract);
                    cx.locals.pop();
                    cx.block = saved_block;
                    out.push(Stmt::For { list, body });
                }
                ast::Stmt::Instance(inst) => {
                    if let Some(stmt) =
                        self.instance(&inst.component, inst.alias.as_ref(), &inst.args, None, inst.span, cx)
                    {
                        out.push(stmt);
                    }
                }
                ast::Stmt::Property(p) => {
                    if is_contract && CONTRACT_PROPERTIES.contains(&p.name.name.as_str()) {
                        continue; // read by `contract`
                    }
                    // `mid_month_advance $10,000`: a component with one argument.
                    match self.item(&p.name.name, Some(p.name.span)) {
                        Some(Item::Component(_)) => {
                            if let Some(stmt) = self.instance(&p.name, None, &[], Some(&p.value), p.span, cx) {
                                out.push(stmt);
                            }
                        }
                        _ => {
                            let mut candidates: Vec<String> = if is_contract {
                                CONTRACT_PROPERTIES.iter().map(|s| (*s).to_string()).collect()
                            } else {
                                Vec::new()
                            };
                            candidates.extend(self.component_names());
                            let mut d = Diagnostic::error(
                                Code::UnknownProperty,
                                p.name.span,
                                format!("`{}` is not a contract property nor a component", p.name.name),
                                "unknown",
                            );
                            if let Some(s) = suggest::closest(&p.name.name, candidates.iter().map(String::as_str)) {
                                d = d.with_help(format!("did you mean `{s}`?"));
                            }
                            self.diags.push(d);
                        }
                    }
                }
                ast::Stmt::Group(_) | ast::Stmt::Review(_) | ast::Stmt::Test(_) => {
                    if !is_contract {
                        let span = match s {
                            ast::Stmt::Group(g) => g.span,
                            ast::Stmt::Review(r) => r.span,
                            ast::Stmt::Test(t) => t.span,
                            _ => Span::default(),
                        };
                        self.error(
                            Code::UnknownProperty,
                            span,
                            "groups, reviews and tests belong in a contract, not in a component",
                            "not allowed here",
                        );
                    }
                }
            }
        }
        out
    }

    fn enter_block(&mut self, cx: &Cx) -> usize {
        match cx.body.and_then(|b| self.bodies.get_mut(b)) {
            Some(body) => {
                let id = body.next_block;
                body.next_block += 1;
                id
            }
            None => 0,
        }
    }

    fn if_stmt(&mut self, i: &'a ast::IfStmt, cx: &mut Cx, next_decl: &mut usize, is_contract: bool) -> Stmt {
        let cond = self.expr(&i.cond, cx);
        self.expect_bool(&cond);
        let saved = cx.block;
        cx.block = self.enter_block(cx);
        let then = self.stmts(&i.then, cx, next_decl, is_contract);
        cx.block = self.enter_block(cx);
        let otherwise = self.stmts(&i.otherwise, cx, next_decl, is_contract);
        cx.block = saved;
        Stmt::If { cond, then, otherwise }
    }

    fn component_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .decls
            .iter()
            .filter(|(_, d)| matches!(d, Decl::Component(_)))
            .map(|(n, _)| n.clone())
            .collect();
        for m in self.imports {
            names.extend(
                m.items
                    .iter()
                    .filter(|(_, i)| matches!(i, Item::Component(_)))
                    .map(|(n, _)| n.clone()),
            );
        }
        names
    }

    /// The hir of body decl `index`, checking it now if no reference needed it before.
    fn body_decl_hir(&mut self, cx: &Cx, index: usize) -> Option<hir::Expr> {
        self.body_decl_ty(cx, index, None);
        let body = cx.body.and_then(|b| self.bodies.get_mut(b))?;
        let decl = body.decls.get_mut(index)?;
        match &mut decl.state {
            DeclState::Done(_, hir) => hir.take(),
            _ => None,
        }
    }

    /// The type of body decl `index` (a let), checking it on demand.
    fn body_decl_ty(&mut self, cx: &Cx, index: usize, use_span: Option<Span>) -> Ty {
        let Some(body_index) = cx.body else { return Ty::Error };
        let (state_busy, let_ast, depth, block, currency, root_len) = {
            let Some(body) = self.bodies.get(body_index) else {
                return Ty::Error;
            };
            let Some(decl) = body.decls.get(index) else {
                return Ty::Error;
            };
            match (&decl.state, &decl.ast) {
                (DeclState::Done(t, _), _) => return t.clone(),
                (_, DeclAst::Line(_)) => return Ty::Money(body.currency),
                (DeclState::Busy, DeclAst::Let(l)) => {
                    (true, *l, decl.depth, decl.block, body.currency, body.root.len())
                }
                (DeclState::Pending, DeclAst::Let(l)) => {
                    (false, *l, decl.depth, decl.block, body.currency, body.root.len())
                }
            }
        };
        let _ = root_len;
        if state_busy {
            let span = use_span.unwrap_or(let_ast.name.span);
            self.diags.push(
                Diagnostic::error(
                    Code::Cycle,
                    span,
                    format!("`{}` depends on itself", let_ast.name.name),
                    "used here",
                )
                .with_label(let_ast.name.span, format!("`{}` is defined here", let_ast.name.name))
                .with_help(
                    "lets are computed in dependency order; break the cycle by computing one of them from inputs only",
                ),
            );
            if let Some(decl) = self.bodies.get_mut(body_index).and_then(|b| b.decls.get_mut(index)) {
                decl.state = DeclState::Done(Ty::Error, None);
            }
            return Ty::Error;
        }
        if let Some(decl) = self.bodies.get_mut(body_index).and_then(|b| b.decls.get_mut(index)) {
            decl.state = DeclState::Busy;
        }
        let mut dcx = Cx {
            locals: cx.locals.iter().take(depth).cloned().collect(),
            body: Some(body_index),
            block,
            row: None,
            currency: Some(currency),
        };
        let value = self.expr(&let_ast.value, &mut dcx);
        let ty = match &let_ast.ty {
            Some(te) => {
                let want = self.ty(te);
                self.expect_ty(&value, &want);
                want
            }
            None => value.ty.clone(),
        };
        if let Some(decl) = self.bodies.get_mut(body_index).and_then(|b| b.decls.get_mut(index)) {
            // A cycle found inside may have marked this decl already; keep the error type then.
            if !matches!(decl.state, DeclState::Done(..)) {
                decl.state = DeclState::Done(ty.clone(), Some(value));
            }
        }
        ty
    }

    fn line(&mut self, l: &ast::Line, cx: &mut Cx, index: usize) -> hir::LineDef {
        let title = self.expr(&l.title, cx);
        self.expect_ty(&title, &Ty::Text);
        let gl = l.gl.as_ref().map(|g| {
            let e = self.expr(g, cx);
            if !matches!(e.ty, Ty::Text | Ty::Number | Ty::Error) {
                self.error(
                    Code::TypeMismatch,
                    g.span,
                    format!("a gl code is text or a number, found `{}`", e.ty),
                    "not a gl code",
                );
            }
            e
        });
        let group = l.group.as_ref().map(|g| {
            let e = self.expr(g, cx);
            self.expect_ty(&e, &Ty::Number);
            e
        });
        let order = l.order.as_ref().map(|g| {
            let e = self.expr(g, cx);
            self.expect_ty(&e, &Ty::Number);
            e
        });
        let desc = l.desc.as_ref().map(|g| {
            let e = self.expr(g, cx);
            self.expect_ty(&e, &Ty::Text);
            e
        });
        let amount = self.expr(&l.amount, cx);
        let currency = cx.currency.unwrap_or(Currency::USD);
        if !amount.ty.fits(&Ty::Money(currency)) {
            let help = crate::slips::help(&amount, &Ty::Money(currency)).or_else(|| {
                match amount.ty {
                    Ty::Quantity(_) => Some("multiply by a rate, e.g. `hours * $25.08/h`"),
                    Ty::TierResult(..) => Some("take the amount due: `.due`"),
                    Ty::Percent | Ty::Number => Some("multiply by an amount of money"),
                    _ => None,
                }
                .map(str::to_string)
            });
            let mut d = Diagnostic::error(
                Code::LineNotMoney,
                l.amount.span,
                format!("a line amount must be `{}`, found `{}`", Ty::Money(currency), amount.ty),
                format!("this is `{}`", amount.ty),
            );
            if let Some(h) = help {
                d = d.with_help(h);
            }
            self.diags.push(d);
        }
        hir::LineDef {
            index: u32::try_from(index).unwrap_or(u32::MAX),
            name: l.name.as_ref().map(|n| n.name.clone()),
            title: Arc::new(title),
            gl: gl.map(Arc::new),
            group,
            tags: l.tags.iter().map(|t| t.name.clone()).collect(),
            order,
            desc: desc.map(Arc::new),
            amount: Arc::new(amount),
            span: l.span,
        }
    }

    fn instance(
        &mut self,
        component: &ast::Ident,
        alias: Option<&ast::Ident>,
        args: &[ast::Arg],
        positional: Option<&ast::Expr>,
        span: Span,
        cx: &mut Cx,
    ) -> Option<Stmt> {
        let def = match self.item(&component.name, Some(component.span)) {
            Some(Item::Component(c)) => c,
            _ => {
                let names = self.component_names();
                let mut d = Diagnostic::error(
                    Code::UnknownComponent,
                    component.span,
                    format!("unknown component `{}`", component.name),
                    "no component of this name",
                );
                if let Some(s) = suggest::closest(&component.name, names.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                } else {
                    d = d.with_help("components come from `use towne_park` or a `component` in this module");
                }
                self.diags.push(d);
                return None;
            }
        };
        let mut slots: Vec<Option<hir::Expr>> = vec![None; def.params.len()];
        let mut given: Vec<Option<Span>> = vec![None; def.params.len()];
        if let Some(value) = positional {
            match def.params.first() {
                Some(p) => {
                    let want = p.ty.clone();
                    let e = self.expr(value, cx);
                    self.expect_arg(&e, &want, &p.name);
                    slots[0] = Some(e);
                    given[0] = Some(value.span);
                }
                None => self.error(
                    Code::ArgumentCount,
                    value.span,
                    format!("`{}` takes no arguments", component.name),
                    "remove this value",
                ),
            }
        }
        // Parameters suggested for a misspelt argument: not reported missing as well (one error).
        let mut suggested: Vec<String> = Vec::new();
        for arg in args {
            let Some(i) = def.params.iter().position(|p| p.name == arg.name.name) else {
                let mut d = Diagnostic::error(
                    Code::UnknownArgument,
                    arg.name.span,
                    format!("`{}` has no argument `{}`", def.name, arg.name.name),
                    "unknown argument",
                );
                if let Some(s) = suggest::closest(&arg.name.name, def.params.iter().map(|p| p.name.as_str())) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                    suggested.push(s.to_string());
                } else {
                    let names: Vec<&str> = def.params.iter().map(|p| p.name.as_str()).collect();
                    d = d.with_help(format!("`{}` takes: {}", def.name, names.join(", ")));
                }
                self.diags.push(d);
                let _ = self.expr(&arg.value, cx);
                continue;
            };
            if let Some(first) = given.get(i).copied().flatten() {
                self.diags.push(
                    Diagnostic::error(
                        Code::DuplicateArgument,
                        arg.name.span,
                        format!("argument `{}` is given twice", arg.name.name),
                        "given again here",
                    )
                    .with_label(first, "first given here"),
                );
                continue;
            }
            let want = def.params.get(i).map(|p| p.ty.clone()).unwrap_or(Ty::Error);
            let e = self.expr(&arg.value, cx);
            self.expect_arg(&e, &want, &arg.name.name);
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(e);
            }
            if let Some(g) = given.get_mut(i) {
                *g = Some(arg.span);
            }
        }
        let missing: Vec<&str> = def
            .params
            .iter()
            .zip(&slots)
            .filter(|(p, s)| s.is_none() && p.default.is_none() && !p.ty.is_error())
            .map(|(p, _)| p.name.as_str())
            .collect();
        let (misspelt, missing): (Vec<&str>, Vec<&str>) =
            missing.into_iter().partition(|m| suggested.iter().any(|s| s == m));
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
            self.diags.push(
                Diagnostic::error(
                    Code::MissingArgument,
                    component.span,
                    format!("`{}` needs {}", def.name, list.join(", ")),
                    "missing arguments",
                )
                .with_label(def.span, "component declared here"),
            );
            return None;
        }
        if !misspelt.is_empty() {
            return None;
        }
        Some(Stmt::Instance {
            name: alias.map_or_else(|| def.name.clone(), |a| a.name.clone()),
            component: def,
            args: slots.into_iter().map(|a| a.map(Arc::new)).collect(),
            span,
        })
    }

    fn expect_arg(&mut self, e: &hir::Expr, want: &Ty, name: &str) {
        builtins::expect_arg(&mut self.diags, e, want, name);
    }

    fn expect_bool(&mut self, e: &hir::Expr) {
        if !e.ty.fits(&Ty::Bool) {
            self.error(
                Code::NotBool,
                e.span,
                format!("a condition must be `Bool`, found `{}`", e.ty),
                "not a condition",
            );
        }
    }

    // ------------------------------------------------------------------ contracts

    fn contract(&mut self, c: &'a ast::Contract) -> CheckedContract {
        let mut props = Properties::default();
        let mut review = None;
        let mut groups: Vec<GroupDef> = Vec::new();
        if c.name.len() != 4 || !c.name.bytes().all(|b| b.is_ascii_digit()) {
            self.error(
                Code::BadSite,
                c.name_span,
                format!("`{}` is not a 4-digit site number", c.name),
                "a contract is named by its site, e.g. `\"0238\"`",
            );
        }
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for s in &c.body {
            match s {
                ast::Stmt::Property(p) if CONTRACT_PROPERTIES.contains(&p.name.name.as_str()) => {
                    if let Some(first) = seen.insert(&p.name.name, p.name.span) {
                        self.diags.push(
                            Diagnostic::error(
                                Code::Duplicate,
                                p.name.span,
                                format!("`{}` is given twice", p.name.name),
                                "given again here",
                            )
                            .with_label(first, "first given here"),
                        );
                        continue;
                    }
                    self.contract_property(p, &mut props);
                }
                ast::Stmt::Group(g) => {
                    if let Some(def) = self.group_decl(g, &groups) {
                        groups.push(def);
                    }
                }
                ast::Stmt::Review(r) => {
                    if let Some(r) = self.review_decl(r) {
                        review = Some(r);
                    }
                }
                _ => {}
            }
        }
        if props.customer.is_none() {
            self.diags.push(
                Diagnostic::error(
                    Code::MissingProperty,
                    c.name_span,
                    format!("contract `{}` names no customer", c.name),
                    "no `customer`",
                )
                .with_help("add `customer \"Name of the customer\"` to the contract"),
            );
        }
        groups.sort_by_key(|g| g.number);
        let (body, refs) = self.body(&c.body, Vec::new(), props.currency, true);
        CheckedContract {
            site: c.name.clone(),
            customer: props.customer.unwrap_or_default(),
            billing: props.billing,
            billing_span: props.billing_span,
            terms: props.terms.unwrap_or_else(|| "Due in 30 Days".into()),
            effective: props.effective,
            review,
            groups,
            body,
            refs,
            span: c.span,
            name_span: c.name_span,
            diags: std::mem::take(&mut self.diags),
        }
    }

    /// A contract property (`customer`, `billing`, `terms`, `effective`, `currency`): typed, folded
    /// and recorded in `props`.
    fn contract_property(&mut self, p: &ast::Property, props: &mut Properties) {
        let mut cx = Cx::default();
        let e = self.expr(&p.value, &mut cx);
        let want = match p.name.name.as_str() {
            "billing" => Ty::Enum(prelude_enum("Billing").unwrap_or_else(|| {
                Arc::new(EnumTy {
                    name: "Billing".into(),
                    variants: vec![],
                })
            })),
            "effective" => Ty::Date,
            _ => Ty::Text,
        };
        if !self.expect_ty(&e, &want) {
            return;
        }
        let v = self.fold(&e);
        match (p.name.name.as_str(), v) {
            ("customer", Some(Value::Text(t))) => props.customer = Some(t.to_string()),
            ("terms", Some(Value::Text(t))) => {
                if let Err(e) = crate::terms::Terms::parse(&t) {
                    self.diags.push(
                        Diagnostic::warning(
                            Code::UnreadableTerms,
                            p.value.span,
                            format!("billc cannot compute a due date from these terms: {e}"),
                            "no due date",
                        )
                        .with_help(
                            "write \"Due in N Days\", \"Due by Nth\" or \"Due on Receipt\"; other terms are copied to the invoice without a due date",
                        ),
                    );
                }
                props.terms = Some(t.to_string());
            }
            ("currency", Some(Value::Text(t))) => props.currency = Currency::from_code(&t),
            ("effective", Some(Value::Date(d))) => props.effective = Some(d),
            ("billing", Some(Value::Enum(b))) => {
                props.billing_span = Some(p.value.span);
                props.billing = if &*b == "advanced" {
                    crate::terms::Billing::Advanced
                } else {
                    crate::terms::Billing::Arrears
                }
            }
            _ => {}
        }
    }

    /// An invoice group declaration; `None` (reported) when its number is not a new group number.
    fn group_decl(&mut self, g: &ast::GroupStmt, groups: &[GroupDef]) -> Option<GroupDef> {
        let mut cx = Cx::default();
        let n = self.expr(&g.number, &mut cx);
        self.expect_ty(&n, &Ty::Number);
        let t = self.expr(&g.title, &mut cx);
        self.expect_ty(&t, &Ty::Text);
        let number = match self.fold(&n) {
            Some(Value::Number(d)) => u32::try_from(d.trunc().mantissa())
                .ok()
                .filter(|x| *x >= 1 && Value::Number(d) == Value::Number(d.trunc())),
            _ => None,
        };
        let Some(number) = number else {
            if !n.ty.is_error() {
                self.error(
                    Code::TypeMismatch,
                    g.number.span,
                    "an invoice group number is a whole number from 1",
                    "not a group number",
                );
            }
            return None;
        };
        if let Some(first) = groups.iter().find(|x| x.number == number) {
            let first_span = first.span;
            self.diags.push(
                Diagnostic::error(
                    Code::DuplicateGroup,
                    g.number.span,
                    format!("invoice group {number} is declared twice"),
                    "declared again here",
                )
                .with_label(first_span, "first declared here"),
            );
            return None;
        }
        let title = match self.fold(&t) {
            Some(Value::Text(t)) => t.to_string(),
            _ => String::new(),
        };
        let mut def = GroupDef {
            number,
            title,
            description: String::new(),
            site: None,
            customer: None,
            vendor: None,
            span: g.number.span,
        };
        for arg in &g.args {
            let e = self.expr(&arg.value, &mut cx);
            if !self.expect_ty(&e, &Ty::Text) {
                continue;
            }
            let text = match self.fold(&e) {
                Some(Value::Text(t)) => t.to_string(),
                _ => continue,
            };
            match arg.name.name.as_str() {
                "description" => def.description = text,
                "site" => def.site = Some(text),
                "customer" => def.customer = Some(text),
                "vendor" => def.vendor = Some(text),
                other => {
                    let mut d = Diagnostic::error(
                        Code::UnknownArgument,
                        arg.name.span,
                        format!("an invoice group has no `{other}`"),
                        "unknown",
                    );
                    if let Some(s) = suggest::closest(other, ["description", "site", "customer", "vendor"].into_iter())
                    {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    self.diags.push(d);
                }
            }
        }
        Some(def)
    }

    /// Review thresholds; `None` when they are not constants of the right types (reported).
    fn review_decl(&mut self, r: &ast::Review) -> Option<ReviewDef> {
        Some(match &r.kind {
            ast::ReviewKind::Always => ReviewDef::Always,
            ast::ReviewKind::Over { percent, amount } => {
                let mut cx = Cx::default();
                let p = self.expr(percent, &mut cx);
                let a = self.expr(amount, &mut cx);
                self.expect_ty(&p, &Ty::Percent);
                self.expect_ty(&a, &Ty::usd());
                match (self.fold(&p), self.fold(&a)) {
                    (Some(Value::Percent(p)), Some(Value::Money(a, _))) => ReviewDef::Over {
                        percent: p * rust_decimal::Decimal::ONE_HUNDRED,
                        amount: a,
                    },
                    _ => return None,
                }
            }
        })
    }

    // ------------------------------------------------------------------ expressions

    /// Enters the node through [`stack::deeper`] (see `crate::stack`).
    fn expr(&mut self, e: &ast::Expr, cx: &mut Cx) -> hir::Expr {
        crate::stack::deeper(|| self.expr_here(e, cx))
    }

    fn expr_here(&mut self, e: &ast::Expr, cx: &mut Cx) -> hir::Expr {
        let span = e.span;
        let mk = |kind: hir::ExprKind, ty: Ty| hir::Expr { kind, ty, span };
        match &e.kind {
            K::Error => hir::Expr::error(span),
            K::Money(d, cur) => {
                let c = Currency::from_code(cur);
                mk(hir::ExprKind::Lit(Value::Money(*d, c)), Ty::Money(c))
            }
            K::Rate(d, cur, u) => {
                let c = Currency::from_code(cur);
                mk(hir::ExprKind::Lit(Value::Rate(*d, c, *u)), Ty::Rate(c, *u))
            }
            K::Percent(d) => {
                let frac = d.checked_div(rust_decimal::Decimal::ONE_HUNDRED).unwrap_or_default();
                mk(hir::ExprKind::Lit(Value::Percent(frac)), Ty::Percent)
            }
            K::Number(d) => mk(hir::ExprKind::Lit(Value::Number(*d)), Ty::Number),
            K::Quantity(d, u) => mk(hir::ExprKind::Lit(Value::Quantity(*d, *u)), Ty::Quantity(*u)),
            K::Duration(d, u) => mk(hir::ExprKind::Lit(Value::Duration(*d, *u)), Ty::Duration(*u)),
            K::Date(d) => mk(hir::ExprKind::Lit(Value::Date(*d)), Ty::Date),
            K::Month(m) => mk(hir::ExprKind::Lit(Value::Month(*m)), Ty::Month),
            K::Bool(b) => mk(hir::ExprKind::Lit(Value::Bool(*b)), Ty::Bool),
            K::Text(parts) => self.text(parts, span, cx),
            K::Paren(inner) => self.expr(inner, cx),
            K::Name(id) => self.name(id, cx),
            K::List(items) => self.list(items, span, cx),
            K::Comprehension { body, var, list } => {
                let l = self.expr(list, cx);
                let elem = match &l.ty {
                    Ty::List(t) => (**t).clone(),
                    Ty::Error => Ty::Error,
                    other => {
                        self.error(
                            Code::NotAList,
                            list.span,
                            format!("`for` needs a list, found `{other}`"),
                            "not a list",
                        );
                        Ty::Error
                    }
                };
                cx.locals.push((var.name.clone(), elem));
                let b = self.expr(body, cx);
                cx.locals.pop();
                let ty = Ty::List(Box::new(b.ty.clone()));
                mk(hir::ExprKind::Comprehension(Box::new(b), Box::new(l)), ty)
            }
            K::Record(fields) => self.record(fields, span, cx),
            K::Tiers(tiers) => self.tiers(tiers, span, cx),
            K::If(c, t, f) => self.if_expr(c, t, f, span, cx),
            K::Unary(op, inner) => {
                let h = self.expr(inner, cx);
                let ty = match (op, &h.ty) {
                    (_, Ty::Error) => Ty::Error,
                    (UnOp::Not, Ty::Bool) => Ty::Bool,
                    (UnOp::Neg, t) if t.is_additive() => t.clone(),
                    (UnOp::Not, t) => {
                        self.error(
                            Code::BadOperand,
                            span,
                            format!("`not` needs a `Bool`, found `{t}`"),
                            "not a condition",
                        );
                        Ty::Error
                    }
                    (UnOp::Neg, t) => {
                        self.error(Code::BadOperand, span, format!("cannot negate `{t}`"), "not a number");
                        Ty::Error
                    }
                };
                mk(hir::ExprKind::Unary(*op, Box::new(h)), ty)
            }
            K::Binary(op, l, r) => self.binary(*op, l, r, span, cx),
            K::Field(base, field) => self.field(base, field, span, cx),
            K::Call(callee, args) => self.call(callee, args, span, cx),
            K::Cast(inner, unit) => self.cast(inner, unit, span, cx),
        }
    }

    /// Text with `{interpolation}`; a text without any is a literal.
    fn text(&mut self, parts: &[ast::TextPart], span: Span, cx: &mut Cx) -> hir::Expr {
        let mk = |kind: hir::ExprKind, ty: Ty| hir::Expr { kind, ty, span };
        let mut out = Vec::new();
        for p in parts {
            match p {
                ast::TextPart::Lit(s) => out.push(hir::TextPart::Lit(s.clone())),
                ast::TextPart::Expr(x) => {
                    let h = self.expr(x, cx);
                    if matches!(h.ty, Ty::Table(_) | Ty::Column(..) | Ty::Tiers(..)) {
                        self.error(
                            Code::TypeMismatch,
                            x.span,
                            format!("cannot put `{}` into a text", h.ty),
                            "aggregate it first, e.g. with `sum`",
                        );
                    }
                    out.push(hir::TextPart::Expr(h));
                }
            }
        }
        if let [hir::TextPart::Lit(s)] = out.as_slice() {
            return mk(hir::ExprKind::Lit(Value::text(s)), Ty::Text);
        }
        if out.is_empty() {
            return mk(hir::ExprKind::Lit(Value::text("")), Ty::Text);
        }
        mk(hir::ExprKind::Text(out), Ty::Text)
    }

    /// A list literal: its items have one type (a mixed list is reported once).
    fn list(&mut self, items: &[ast::Expr], span: Span, cx: &mut Cx) -> hir::Expr {
        let mk = |kind: hir::ExprKind, ty: Ty| hir::Expr { kind, ty, span };
        let mut out = Vec::new();
        let mut elem = Ty::Error;
        let mut reported = false;
        for item in items {
            let h = self.expr(item, cx);
            if elem.is_error() {
                elem = h.ty.clone();
            } else if !h.ty.fits(&elem) && !reported {
                self.diags.push(Diagnostic::error(
                    Code::MixedList,
                    item.span,
                    format!("a list holds one type: this is `{}`, the first item is `{elem}`", h.ty),
                    format!("this is `{}`", h.ty),
                ));
                reported = true;
            }
            out.push(h);
        }
        if reported {
            // Reported once: the list is an error, not a list of the first item's type.
            return hir::Expr::error(span);
        }
        mk(hir::ExprKind::List(out), Ty::List(Box::new(elem)))
    }

    /// A record literal: its fields in order, each given once.
    fn record(&mut self, fields: &[(ast::Ident, ast::Expr)], span: Span, cx: &mut Cx) -> hir::Expr {
        let mk = |kind: hir::ExprKind, ty: Ty| hir::Expr { kind, ty, span };
        let mut out = Vec::new();
        let mut tys = Vec::new();
        for (name, value) in fields {
            if out.iter().any(|(n, _): &(String, hir::Expr)| *n == name.name) {
                self.error(
                    Code::Duplicate,
                    name.span,
                    format!("field `{}` is given twice", name.name),
                    "given again here",
                );
                continue;
            }
            let h = self.expr(value, cx);
            tys.push((name.name.clone(), h.ty.clone()));
            out.push((name.name.clone(), h));
        }
        let ty = Ty::Record(Arc::new(RecordTy {
            name: String::new(),
            fields: tys,
        }));
        mk(hir::ExprKind::Record(out), ty)
    }

    /// `if c then t else f`: a condition and two branches of one type.
    fn if_expr(&mut self, c: &ast::Expr, t: &ast::Expr, f: &ast::Expr, span: Span, cx: &mut Cx) -> hir::Expr {
        let mk = |kind: hir::ExprKind, ty: Ty| hir::Expr { kind, ty, span };
        let c = self.expr(c, cx);
        self.expect_bool(&c);
        let t = self.expr(t, cx);
        let f = self.expr(f, cx);
        let ty = if t.ty.is_error() {
            f.ty.clone()
        } else if f.ty.fits(&t.ty) {
            t.ty.clone()
        } else {
            self.diags.push(
                Diagnostic::error(
                    Code::TypeMismatch,
                    f.span,
                    format!(
                        "both branches must have one type: `then` is `{}`, `else` is `{}`",
                        t.ty, f.ty
                    ),
                    format!("this is `{}`", f.ty),
                )
                .with_label(t.span, format!("this is `{}`", t.ty)),
            );
            Ty::Error
        };
        mk(hir::ExprKind::If(Box::new(c), Box::new(t), Box::new(f)), ty)
    }

    /// `x as unit`: a Number made a quantity, or a quantity made a Number.
    fn cast(&mut self, inner: &ast::Expr, unit: &ast::Ident, span: Span, cx: &mut Cx) -> hir::Expr {
        let mk = |kind: hir::ExprKind, ty: Ty| hir::Expr { kind, ty, span };
        let h = self.expr(inner, cx);
        let target = if unit.name == "number" {
            Some(Ty::Number)
        } else {
            ast::Unit::from_word(&unit.name).map(Ty::Quantity)
        };
        let ok = matches!(
            (&h.ty, &target),
            (Ty::Error, _) | (Ty::Number, Some(Ty::Quantity(_))) | (Ty::Quantity(_), Some(Ty::Number))
        );
        if !ok {
            self.diags.push(
                Diagnostic::error(Code::BadCast, span, format!("cannot turn `{}` into `{}`", h.ty, unit.name), "no such conversion")
                    .with_help("`as` turns a Number into a quantity (`rooms as room`) or a quantity into a Number (`hours as number`)"),
            );
            return hir::Expr::error(span);
        }
        let ty = target.unwrap_or(Ty::Error);
        mk(hir::ExprKind::Cast(Box::new(h)), ty)
    }

    fn tiers(&mut self, tiers: &[ast::Tier], span: Span, cx: &mut Cx) -> hir::Expr {
        let mut out = Vec::new();
        let mut price_ty = Ty::Error;
        let mut limit_ty = Ty::Error;
        let mut last_limit: Option<(Value, Span)> = None;
        let mut unlimited_at: Option<Span> = None;
        // A price that is no price is reported once, here: the table is then an error, not a
        // table of numbers that every use would report again.
        let mut bad_price = false;
        let count = tiers.len();
        for (i, t) in tiers.iter().enumerate() {
            let price = self.expr(&t.price, cx);
            if price_ty.is_error() {
                price_ty = price.ty.clone();
            } else if !price.ty.fits(&price_ty) {
                self.error(
                    Code::MixedList,
                    t.price.span,
                    format!("every tier's price must be `{price_ty}`, this one is `{}`", price.ty),
                    "different price type",
                );
            }
            if !matches!(price.ty, Ty::Percent | Ty::Rate(..) | Ty::Money(_) | Ty::Error) {
                let mut d = Diagnostic::error(
                    Code::TypeMismatch,
                    t.price.span,
                    format!(
                        "a tier's price is a percentage, a rate or an amount, found `{}`",
                        price.ty
                    ),
                    "not a price",
                );
                if let Some(help) = crate::slips::price_help(&price) {
                    d = d.with_help(help);
                }
                self.diags.push(d);
                bad_price = true;
            }
            if let Some(prev) = unlimited_at {
                self.diags.push(
                    Diagnostic::error(
                        Code::TiersMalformed,
                        t.span,
                        "a tier follows an unlimited tier",
                        "never reached",
                    )
                    .with_label(prev, "this tier has no limit, so it takes everything above")
                    .with_help("only the last tier may be unlimited; give the earlier one an `up to` limit"),
                );
            }
            let limit = t.limit.as_ref().map(|l| {
                let h = self.expr(l, cx);
                if limit_ty.is_error() {
                    limit_ty = h.ty.clone();
                } else if !h.ty.fits(&limit_ty) {
                    self.error(
                        Code::MixedList,
                        l.span,
                        format!("every tier's limit must be `{limit_ty}`, this one is `{}`", h.ty),
                        "different limit type",
                    );
                }
                if let Ok(v) = crate::eval::const_eval(&h) {
                    if let Some((prev, prev_span)) = &last_limit
                        && let (Some(a), Some(b)) = (prev.decimal(), v.decimal())
                        && b <= a
                    {
                        self.diags.push(
                            Diagnostic::error(
                                Code::TiersNotIncreasing,
                                l.span,
                                format!(
                                    "tier limits must increase, but `{}` follows `{}`",
                                    v.display(),
                                    prev.display()
                                ),
                                "not above the previous limit",
                            )
                            .with_label(*prev_span, "previous limit"),
                        );
                    }
                    last_limit = Some((v, l.span));
                }
                h
            });
            if t.limit.is_none() && i + 1 < count {
                unlimited_at = Some(t.span);
            }
            let fee = t.fee.as_ref().map(|f| {
                let h = self.expr(f, cx);
                if !matches!(h.ty, Ty::Money(_) | Ty::Error) {
                    self.error(
                        Code::TypeMismatch,
                        f.span,
                        format!("a tier's flat fee is money, found `{}`", h.ty),
                        "not money",
                    );
                }
                h
            });
            out.push(hir::Tier { price, limit, fee });
        }
        // A table without limits (`{ 8% }`) bills any amount the price applies to: a rate's
        // quantity, or for a percentage whatever amount it is given (money, a number, a quantity),
        // so its limit type stays open (`?`, which fits every amount).
        if limit_ty.is_error() {
            limit_ty = match &price_ty {
                Ty::Rate(_, u) => Ty::Quantity(*u),
                Ty::Money(_) => Ty::Number,
                _ => Ty::Error,
            };
        }
        if bad_price {
            return hir::Expr::error(span);
        }
        self.diags.extend(crate::lint::tier_table(&out, span));
        // A constant table folds to a value (so it can be a default or a const).
        let ty = Ty::Tiers(Box::new(price_ty), Box::new(limit_ty));
        let expr = hir::Expr {
            kind: hir::ExprKind::Tiers(out),
            ty: ty.clone(),
            span,
        };
        match crate::eval::const_eval(&expr) {
            Ok(v @ Value::Tiers(_)) => hir::Expr {
                kind: hir::ExprKind::Lit(v),
                ty,
                span,
            },
            _ => expr,
        }
    }

    fn name(&mut self, id: &ast::Ident, cx: &mut Cx) -> hir::Expr {
        let span = id.span;
        let name = id.name.as_str();
        // 1. locals, innermost first
        if let Some(i) = cx.locals.iter().rposition(|(n, _)| n == name) {
            let ty = cx.locals.get(i).map(|(_, t)| t.clone()).unwrap_or(Ty::Error);
            return hir::Expr {
                kind: hir::ExprKind::Local(u32::try_from(i).unwrap_or(u32::MAX)),
                ty,
                span,
            };
        }
        // 2. the row of a `where`
        if let Some(table) = cx.row
            && let Some(col) = table.column(name)
        {
            return hir::Expr {
                kind: hir::ExprKind::RowField(table, name.to_string()),
                ty: Ty::of_column(col),
                span,
            };
        }
        // 3. lets and lines of the enclosing body
        if let Some(index) = self.body_lookup(cx, name) {
            let ty = self.body_decl_ty(cx, index as usize, Some(span));
            return hir::Expr {
                kind: hir::ExprKind::BodyRef(index),
                ty,
                span,
            };
        }
        // 4. module items, imports
        if let Some(item) = self.item(name, Some(span)) {
            return match item {
                Item::Const { ty, value: Some(v), .. } => hir::Expr {
                    kind: hir::ExprKind::Lit(v),
                    ty,
                    span,
                },
                Item::Const { .. } => hir::Expr::error(span),
                Item::Fn(f) => {
                    self.error(
                        Code::NotCallable,
                        span,
                        format!("`{name}` is a function: call it with `{name}(…)`"),
                        "not called",
                    );
                    let _ = f;
                    hir::Expr::error(span)
                }
                Item::Component(_) => {
                    self.error(
                        Code::NotCallable,
                        span,
                        format!("`{name}` is a component: use it as a block `{name} {{ … }}`"),
                        "not a value",
                    );
                    hir::Expr::error(span)
                }
                Item::Type(..) => {
                    self.error(
                        Code::TypeMismatch,
                        span,
                        format!("`{name}` is a type, not a value"),
                        "a type",
                    );
                    hir::Expr::error(span)
                }
            };
        }
        // 5. enum variants of this module, then of the prelude
        if let Some(e) = self
            .variants
            .get(name)
            .cloned()
            .or_else(|| self.imported_variant(name))
            .or_else(|| prelude_variant(name))
        {
            return hir::Expr {
                kind: hir::ExprKind::Lit(Value::Enum(Arc::from(name))),
                ty: Ty::Enum(e),
                span,
            };
        }
        // 6. input tables
        if let Some(t) = TableName::from_name(name) {
            return hir::Expr {
                kind: hir::ExprKind::Table(t),
                ty: Ty::Table(t),
                span,
            };
        }
        let candidates = self.visible_names(cx);
        let mut d = Diagnostic::error(Code::UnknownName, span, format!("unknown name `{name}`"), "not defined");
        let yearly = matches!(name, "year" | "yearly" | "annual" | "annually" | "years");
        if let Some(s) = suggest::closest(name, candidates.iter().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else if yearly {
            let call = match builtins::lookup(name) {
                Some(_) => format!("`{name}` is a builtin function, called as `{name}(…)`; "),
                None => String::new(),
            };
            d = d.with_help(format!(
                "{call}`escalate` steps once a year: `every:` names the month of the step, as in `every: january`"
            ));
        } else if builtins::lookup(name).is_some() {
            d = d.with_help(format!("`{name}` is a builtin function: call it with `{name}(…)`"));
        } else if name.len() <= 12 && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            d = d.with_help(format!(
                "a revenue code or other text is written in quotes: `\"{name}\"`"
            ));
        }
        self.diags.push(d);
        hir::Expr::error(span)
    }

    fn imported_variant(&self, name: &str) -> Option<Arc<EnumTy>> {
        self.imports.iter().find_map(|m| {
            m.items.values().find_map(|i| match i {
                Item::Type(Ty::Enum(e), _) if e.variants.iter().any(|v| v == name) => Some(e.clone()),
                _ => None,
            })
        })
    }

    fn body_lookup(&self, cx: &Cx, name: &str) -> Option<u32> {
        let body = self.bodies.get(cx.body?)?;
        let mut block = Some(cx.block);
        while let Some(b) = block {
            let blk = body.blocks.get(b)?;
            if let Some(i) = blk.names.get(name) {
                return Some(*i);
            }
            block = blk.parent;
        }
        None
    }

    fn visible_names(&self, cx: &Cx) -> Vec<String> {
        let mut names: Vec<String> = cx.locals.iter().map(|(n, _)| n.clone()).collect();
        if let Some(t) = cx.row {
            names.extend(t.columns().iter().map(|(n, _)| (*n).to_string()));
        }
        if let Some(body) = cx.body.and_then(|b| self.bodies.get(b)) {
            let mut block = Some(cx.block);
            while let Some(b) = block {
                let Some(blk) = body.blocks.get(b) else { break };
                names.extend(blk.names.keys().cloned());
                block = blk.parent;
            }
        }
        names.extend(
            self.decls
                .iter()
                .filter(|(_, d)| matches!(d, Decl::Const(_)))
                .map(|(n, _)| n.clone()),
        );
        names.extend(self.variants.keys().cloned());
        for m in self.imports {
            names.extend(
                m.items
                    .iter()
                    .filter(|(_, i)| matches!(i, Item::Const { .. }))
                    .map(|(n, _)| n.clone()),
            );
        }
        for (_, vs) in builtins::PRELUDE_ENUMS {
            names.extend(vs.iter().map(|v| (*v).to_string()));
        }
        names.extend(TableName::ALL.iter().map(|t| t.name().to_string()));
        names.sort();
        names.dedup();
        names
    }

    fn binary(&mut self, op: BinOp, l: &ast::Expr, r: &ast::Expr, span: Span, cx: &mut Cx) -> hir::Expr {
        let lh = self.expr(l, cx);
        if op == BinOp::Where {
            let table = match &lh.ty {
                Ty::Table(t) | Ty::Column(t, _) => Some(*t),
                Ty::Error => None,
                other => {
                    self.diags.push(
                        Diagnostic::error(Code::NotATable, l.span, format!("`where` filters a table or a column, not `{other}`"), "not a table")
                            .with_help("filter a column of an input table, e.g. `revenue.net_external_revenue where deposit_flag == \"Y\"`"),
                    );
                    None
                }
            };
            let saved = cx.row;
            cx.row = table;
            let rh = self.expr(r, cx);
            cx.row = saved;
            self.expect_bool(&rh);
            let ty = if table.is_some() { lh.ty.clone() } else { Ty::Error };
            return hir::Expr {
                kind: hir::ExprKind::Where(Box::new(lh), Box::new(rh)),
                ty,
                span,
            };
        }
        let rh = self.expr(r, cx);
        let ty = match op {
            BinOp::And | BinOp::Or => {
                self.expect_bool(&lh);
                self.expect_bool(&rh);
                Ty::Bool
            }
            BinOp::In | BinOp::NotIn => {
                match &rh.ty {
                    Ty::List(elem) => {
                        if !lh.ty.fits(elem) && !elem.is_error() {
                            let mut d = Diagnostic::error(
                                Code::CompareMismatch,
                                span,
                                format!("cannot look for `{}` in a list of `{elem}`", lh.ty),
                                "different types",
                            );
                            if matches!((&lh.ty, &**elem), (Ty::Text, Ty::Number)) {
                                d = d.with_help("codes in the data are text: write the list as `[\"6000\", \"6010\"]`");
                            }
                            self.diags.push(d);
                        }
                    }
                    Ty::Error => {}
                    other => self.error(
                        Code::NotAList,
                        r.span,
                        format!("`in` needs a list on its right, found `{other}`"),
                        "not a list",
                    ),
                }
                Ty::Bool
            }
            _ => match ops::binary(op, &lh.ty, &rh.ty) {
                Ok(t) => t,
                Err(e) => {
                    let mut d = Diagnostic::error(
                        e.code,
                        span,
                        e.message,
                        format!("`{}` {} `{}`", lh.ty, op.symbol(), rh.ty),
                    )
                    .with_label(lh.span, format!("`{}`", lh.ty))
                    .with_label(rh.span, format!("`{}`", rh.ty));
                    if let Some(h) = e.help {
                        d = d.with_help(h);
                    }
                    self.diags.push(d);
                    Ty::Error
                }
            },
        };
        hir::Expr {
            kind: hir::ExprKind::Binary(op, Box::new(lh), Box::new(rh)),
            ty,
            span,
        }
    }

    fn field(&mut self, base: &ast::Expr, field: &ast::Ident, span: Span, cx: &mut Cx) -> hir::Expr {
        let b = self.expr(base, cx);
        let name = field.name.as_str();
        let (ty, kind) = match &b.ty {
            Ty::Error => return hir::Expr::error(span),
            Ty::Table(t) => match t.column(name) {
                Some(c) => (
                    Ty::Column(*t, Box::new(Ty::of_column(c))),
                    hir::ExprKind::Column(*t, name.to_string()),
                ),
                None => {
                    self.unknown_field(
                        field,
                        &format!("table `{}`", t.name()),
                        t.columns().iter().map(|(n, _)| *n),
                    );
                    return hir::Expr::error(span);
                }
            },
            Ty::Record(r) => match r.field(name) {
                Some((_, t)) => (t.clone(), hir::ExprKind::Field(Box::new(b.clone()), name.to_string())),
                None => {
                    let what = if r.name.is_empty() {
                        "this record".to_string()
                    } else {
                        format!("`{}`", r.name)
                    };
                    self.unknown_field(field, &what, r.fields.iter().map(|(n, _)| n.as_str()));
                    return hir::Expr::error(span);
                }
            },
            Ty::TierResult(price, amount) => {
                let t = match Ty::tier_field(price, amount, name) {
                    Some(t) => t,
                    None => {
                        self.unknown_field(
                            field,
                            "a tier result",
                            ["due", "base", "prior", "banded", "blend"].into_iter(),
                        );
                        return hir::Expr::error(span);
                    }
                };
                (t, hir::ExprKind::Field(Box::new(b.clone()), name.to_string()))
            }
            other => {
                self.error(
                    Code::UnknownField,
                    field.span,
                    format!("`{other}` has no fields"),
                    "no field here",
                );
                return hir::Expr::error(span);
            }
        };
        hir::Expr { kind, ty, span }
    }

    fn unknown_field<'n>(&mut self, field: &ast::Ident, what: &str, names: impl Iterator<Item = &'n str> + Clone) {
        let mut d = Diagnostic::error(
            Code::UnknownField,
            field.span,
            format!("{what} has no field `{}`", field.name),
            "unknown field",
        );
        if let Some(s) = suggest::closest(&field.name, names.clone()) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.diags.push(d);
    }

    fn call(&mut self, callee: &ast::Expr, args: &[ast::CallArg], span: Span, cx: &mut Cx) -> hir::Expr {
        let K::Name(id) = &callee.kind else {
            let c = self.expr(callee, cx);
            if !c.ty.is_error() {
                self.error(
                    Code::NotCallable,
                    callee.span,
                    format!("cannot call `{}`", c.ty),
                    "not a function",
                );
            }
            return hir::Expr::error(span);
        };
        let name = id.name.as_str();
        let shadowed = cx.locals.iter().any(|(n, _)| n == name) || self.body_lookup(cx, name).is_some();
        if !shadowed {
            match self.item(name, Some(id.span)) {
                Some(Item::Fn(f)) => return self.call_fn(f, args, span, cx),
                Some(_) => {
                    self.error(
                        Code::NotCallable,
                        id.span,
                        format!("`{name}` is not a function"),
                        "not a function",
                    );
                    return hir::Expr::error(span);
                }
                None => {}
            }
            if let Some(sig) = builtins::lookup(name) {
                return self.call_builtin(sig, args, span, cx);
            }
        }
        if shadowed {
            self.error(
                Code::NotCallable,
                id.span,
                format!("`{name}` is a value, not a function"),
                "not a function",
            );
            return hir::Expr::error(span);
        }
        let mut names: Vec<String> = builtins::all().map(|b| b.name.to_string()).collect();
        names.extend(
            self.decls
                .iter()
                .filter(|(_, d)| matches!(d, Decl::Fn(_)))
                .map(|(n, _)| n.clone()),
        );
        for m in self.imports {
            names.extend(
                m.items
                    .iter()
                    .filter(|(_, i)| matches!(i, Item::Fn(_)))
                    .map(|(n, _)| n.clone()),
            );
        }
        let mut d = Diagnostic::error(
            Code::UnknownName,
            id.span,
            format!("unknown function `{name}`"),
            "not defined",
        );
        if let Some(s) = suggest::closest(name, names.iter().map(String::as_str)) {
            d = d.with_help(format!("did you mean `{s}`?"));
        }
        self.diags.push(d);
        for a in args {
            let _ = self.expr(&a.value, cx);
        }
        hir::Expr::error(span)
    }

    /// Matches arguments to parameter names: positional first, then named. Reports arity errors.
    fn bind_args<'e>(
        &mut self,
        what: &str,
        params: &[(&str, bool)],
        variadic: bool,
        args: &'e [ast::CallArg],
        span: Span,
    ) -> Option<Vec<Vec<&'e ast::Expr>>> {
        let mut slots: Vec<Vec<&ast::Expr>> = vec![Vec::new(); params.len()];
        let mut ok = true;
        let mut positional = 0usize;
        for a in args {
            match &a.name {
                None => {
                    if positional < params.len() {
                        if let Some(s) = slots.get_mut(positional) {
                            s.push(&a.value);
                        }
                        positional += 1;
                    } else if variadic {
                        if let Some(s) = slots.last_mut() {
                            s.push(&a.value);
                        }
                    } else {
                        self.diags.push(Diagnostic::error(
                            Code::ArgumentCount,
                            a.value.span,
                            format!(
                                "`{what}` takes {} argument{}",
                                params.len(),
                                if params.len() == 1 { "" } else { "s" }
                            ),
                            "one too many",
                        ));
                        ok = false;
                    }
                }
                Some(n) => match params.iter().position(|(p, _)| *p == n.name) {
                    Some(i) => {
                        if slots.get(i).is_some_and(|s| !s.is_empty()) {
                            self.error(
                                Code::DuplicateArgument,
                                n.span,
                                format!("argument `{}` is given twice", n.name),
                                "given again",
                            );
                            ok = false;
                        } else if let Some(s) = slots.get_mut(i) {
                            s.push(&a.value);
                        }
                    }
                    None => {
                        let mut d = Diagnostic::error(
                            Code::UnknownArgument,
                            n.span,
                            format!("`{what}` has no argument `{}`", n.name),
                            "unknown argument",
                        );
                        if let Some(s) = suggest::closest(&n.name, params.iter().map(|(p, _)| *p)) {
                            d = d.with_help(format!("did you mean `{s}`?"));
                        }
                        self.diags.push(d);
                        ok = false;
                    }
                },
            }
        }
        let missing: Vec<String> = params
            .iter()
            .zip(&slots)
            .filter(|((_, optional), s)| !optional && s.is_empty())
            .map(|((p, _), _)| format!("`{p}`"))
            .collect();
        if !missing.is_empty() {
            self.diags.push(Diagnostic::error(
                Code::ArgumentCount,
                span,
                format!("`{what}` needs {}", missing.join(", ")),
                "missing arguments",
            ));
            ok = false;
        }
        ok.then_some(slots)
    }

    fn call_fn(&mut self, f: Arc<FnDef>, args: &[ast::CallArg], span: Span, cx: &mut Cx) -> hir::Expr {
        let params: Vec<(&str, bool)> = f
            .params
            .iter()
            .map(|p| (p.name.as_str(), p.default.is_some()))
            .collect();
        let Some(slots) = self.bind_args(&f.name, &params, false, args, span) else {
            for a in args {
                let _ = self.expr(&a.value, cx);
            }
            return hir::Expr::error(span);
        };
        let mut out = Vec::new();
        let mut mismatched = false;
        for (p, slot) in f.params.iter().zip(slots) {
            match slot.first() {
                Some(a) => {
                    let h = self.expr(a, cx);
                    self.expect_arg(&h, &p.ty, &p.name);
                    mismatched |= !h.ty.fits(&p.ty);
                    out.push(h);
                }
                None => out.push(hir::Expr {
                    kind: hir::ExprKind::Lit(p.default.clone().unwrap_or(Value::Bool(false))),
                    ty: p.ty.clone(),
                    span,
                }),
            }
        }
        if mismatched {
            // Reported: the call is an error (never evaluated with an argument of the wrong type).
            return hir::Expr::error(span);
        }
        let ty = f.ret.clone();
        hir::Expr {
            kind: hir::ExprKind::Call(f, out),
            ty,
            span,
        }
    }

    fn call_builtin(
        &mut self,
        sig: &'static builtins::BuiltinSig,
        args: &[ast::CallArg],
        span: Span,
        cx: &mut Cx,
    ) -> hir::Expr {
        // `lines(tag)` takes a tag name, not an expression.
        if sig.builtin == Builtin::Lines {
            return self.lines_call(args, span, cx);
        }
        let params: Vec<(&str, bool)> = sig.params.iter().map(|p| (p.name, p.optional)).collect();
        let Some(slots) = self.bind_args(sig.name, &params, sig.variadic, args, span) else {
            for a in args {
                let _ = self.expr(&a.value, cx);
            }
            return hir::Expr::error(span);
        };
        // A variadic builtin's arguments are all its arguments; any other's, one per parameter.
        let hs: Vec<Option<hir::Expr>> = if sig.variadic {
            slots.iter().flatten().map(|a| Some(self.expr(a, cx))).collect()
        } else {
            slots.iter().map(|s| s.first().map(|a| self.expr(a, cx))).collect()
        };
        let ty = builtins::ty(&mut builtins::TyCall {
            sig,
            args: &hs,
            span,
            diags: &mut self.diags,
        });
        hir::Expr {
            kind: hir::ExprKind::Builtin(sig.builtin, hs),
            ty,
            span,
        }
    }

    fn lines_call(&mut self, args: &[ast::CallArg], span: Span, cx: &mut Cx) -> hir::Expr {
        let mut tag = None;
        let mut group = None;
        for a in args {
            let is_group = a.name.as_ref().is_some_and(|n| n.name == "group");
            if is_group || tag.is_some() {
                let g = self.expr(&a.value, cx);
                self.expect_ty(&g, &Ty::Number);
                group = Some(Box::new(g));
            } else if let K::Name(id) = &a.value.kind {
                tag = Some(id.name.clone());
            } else {
                self.error(
                    Code::TypeMismatch,
                    a.value.span,
                    "`lines` takes a tag name, e.g. `lines(profit_deduction)`",
                    "not a tag name",
                );
                return hir::Expr::error(span);
            }
        }
        let Some(tag) = tag else {
            self.error(
                Code::ArgumentCount,
                span,
                "`lines` needs a tag, e.g. `lines(profit_deduction)`",
                "no tag",
            );
            return hir::Expr::error(span);
        };
        hir::Expr {
            kind: hir::ExprKind::Lines(tag, group),
            ty: Ty::Money(cx.currency.unwrap_or(Currency::USD)),
            span,
        }
    }
}

/// Phase 1 of body checking: the names each block declares, and the depth of its scope stack.
fn collect_decls<'a>(
    stmts: &'a [ast::Stmt],
    block: usize,
    depth: usize,
    body: &mut Body<'a>,
    diags: &mut Vec<Diagnostic>,
) {
    for s in stmts {
        match s {
            ast::Stmt::Let(l) => add_decl(body, block, depth, Some(&l.name), DeclAst::Let(l), diags),
            ast::Stmt::Line(l) => add_decl(body, block, depth, l.name.as_ref(), DeclAst::Line(l), diags),
            ast::Stmt::If(i) => {
                let then = new_block(body, block);
                collect_decls(&i.then, then, depth, body, diags);
                let otherwise = new_block(body, block);
                collect_decls(&i.otherwise, otherwise, depth, body, diags);
            }
            ast::Stmt::For(f) => {
                let inner = new_block(body, block);
                collect_decls(&f.body, inner, depth + 1, body, diags);
            }
            _ => {}
        }
    }
}

fn new_block(body: &mut Body<'_>, parent: usize) -> usize {
    body.blocks.push(Block {
        parent: Some(parent),
        names: HashMap::new(),
    });
    body.blocks.len() - 1
}

fn add_decl<'a>(
    body: &mut Body<'a>,
    block: usize,
    depth: usize,
    name: Option<&ast::Ident>,
    ast: DeclAst<'a>,
    diags: &mut Vec<Diagnostic>,
) {
    let index = body.decls.len();
    if let Some(n) = name
        && let Some(blk) = body.blocks.get_mut(block)
    {
        if let Some(first) = blk.names.get(&n.name) {
            let first_span = body.decls.get(*first as usize).map_or(n.span, |d| match d.ast {
                DeclAst::Let(l) => l.name.span,
                DeclAst::Line(l) => l.name.as_ref().map_or(l.span, |x| x.span),
            });
            let code = if matches!(ast, DeclAst::Line(_)) {
                Code::DuplicateLine
            } else {
                Code::Duplicate
            };
            diags.push(
                Diagnostic::error(
                    code,
                    n.span,
                    format!("`{}` is defined twice", n.name),
                    "defined again here",
                )
                .with_label(first_span, "first defined here"),
            );
        } else {
            blk.names
                .insert(n.name.clone(), u32::try_from(index).unwrap_or(u32::MAX));
        }
    }
    body.decls.push(BodyDecl {
        ast,
        block,
        depth,
        state: DeclState::Pending,
    });
}

/// Checks a standalone expression in a module's scope (test blocks, doc examples).
pub fn check_expr(
    module: &ast::Module,
    imports: &[Arc<CheckedModule>],
    own: &CheckedModule,
    e: &ast::Expr,
) -> (hir::Expr, Vec<Diagnostic>) {
    let mut checker = Checker::new(module, imports);
    for (name, item) in &own.items {
        checker.done.insert(name.clone(), ItemState::Done(Some(item.clone())));
    }
    let mut cx = Cx::default();
    let h = checker.expr(e, &mut cx);
    (h, checker.diags)
}
