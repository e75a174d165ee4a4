//! Evaluation: a plan, a service month and the data give invoice lines, each with its trace.
//!
//! The evaluator walks the typed tree. Arguments are passed by name (evaluated where they are used,
//! in the service month and site in force there), which is what makes windows work: `prior(x,
//! calendar_year)` evaluates `x` again in each earlier month of the window. Lets and lines are
//! memoized per (slot, month, site). Arithmetic is exact and checked; the only rounding is where a
//! rule says so (`round`, escalation steps) and where a line is made (to cents, half away from zero).
//!
//! Evaluation is pure and deterministic: the same plan, month and data give the same lines.

pub mod run;
pub mod tiers;

use crate::hir::{Builtin, Expr, ExprKind, TextPart};
use crate::plan::{Binding, Env, EnvId, Plan, Slot, SlotId};
use crate::schema::{ColumnTy, TableName, column_position};
use crate::span::Span;
use crate::syntax::ast::{BinOp, DurationUnit, UnOp};
use crate::time::YearMonth;
use crate::trace::{Fact, TraceNode};
use crate::ty::Currency;
use crate::value::money::{self, ArithError, Rounding};
use crate::value::{self, Value};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::rc::Rc;
use std::sync::Arc;

/// Why evaluation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvalErrorKind {
    Overflow,
    DivisionByZero,
    /// A compile-time value that needs data or a let (says what it uses).
    NotConstant(String),
    /// Data the rule needs is absent (a site's start date, an index level…).
    MissingData(String),
    /// A value outside what a rule accepts (a negative number of places, …).
    Invalid(String),
}

impl EvalErrorKind {
    pub fn describe(&self) -> String {
        match self {
            EvalErrorKind::Overflow => "the amount is too large (decimal overflow)".into(),
            EvalErrorKind::DivisionByZero => "division by zero".into(),
            EvalErrorKind::NotConstant(what) => format!("it depends on {what}"),
            EvalErrorKind::MissingData(what) => format!("missing data: {what}"),
            EvalErrorKind::Invalid(what) => what.clone(),
        }
    }
}

/// An evaluation error with the span of the rule that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    pub kind: EvalErrorKind,
    pub span: Option<Span>,
}

impl EvalError {
    fn new(kind: EvalErrorKind, span: Span) -> EvalError {
        EvalError { kind, span: Some(span) }
    }
}

fn arith(e: ArithError, span: Span) -> EvalError {
    EvalError::new(
        match e {
            ArithError::Overflow => EvalErrorKind::Overflow,
            ArithError::DivisionByZero => EvalErrorKind::DivisionByZero,
        },
        span,
    )
}

type R<T> = Result<T, EvalError>;

/// One aggregated input row as the evaluator sees it.
pub trait RowView {
    /// A dimension column's text (`revenue_code`, …), by its position among the table's dimensions.
    fn dim(&self, index: usize) -> &str;
    /// A measure's sum, by its position among the table's measures.
    fn measure(&self, index: usize) -> Decimal;
    /// The smallest file line of the rows in this group ("first row" order).
    fn first_line(&self) -> u32;
    /// How many input rows this group holds.
    fn count(&self) -> u32;
    /// Records that a rule read this row (for the accounting of input rows).
    fn mark_used(&self);
    /// Where the rows come from, for traces: `revenue.csv:1042`.
    fn origin(&self) -> String {
        format!("line {}", self.first_line())
    }
}

/// An ad-hoc reviewer line (adhoc.csv).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdhocItem {
    pub group: u32,
    pub kind: String,
    pub title: String,
    pub gl: String,
    pub amount: Decimal,
    pub line: u32,
}

impl AdhocItem {
    /// The amount of a reviewer line as billed (RULES.md §13): client-paid and non-billable expenses
    /// are always negative, whatever sign the row was written with; misc and reimbursable lines keep
    /// their sign.
    pub fn billed_amount(kind: &str, amount: Decimal) -> Decimal {
        match kind {
            "client_paid" | "non_billable" => -amount.abs(),
            _ => amount,
        }
    }
}

/// The input data, as the evaluator needs it. Implemented by the data layer and by test data.
pub trait DataView: Sync {
    /// The rows of a table for a site and month (empty when there are none).
    fn rows<'a>(&'a self, table: TableName, site: &str, month: YearMonth) -> Vec<&'a dyn RowView>;
    fn site_start(&self, site: &str) -> Option<NaiveDate>;
    fn index(&self, name: &str, month: YearMonth) -> Option<Decimal>;
    fn adhoc(&self, site: &str, month: YearMonth) -> Vec<AdhocItem>;
    /// Whether the rows of a table for a site and month were loaded (reading any other month is an
    /// error, never a silent zero).
    fn covers(&self, table: TableName, site: &str, month: YearMonth) -> bool;
}

/// Evaluates an expression that needs no data and no lets (constants, literals, defaults).
pub fn const_eval(e: &Expr) -> R<Value> {
    let mut m = Machine::new(None, &[], &[], None, YearMonth { year: 2000, month: 1 }, Arc::from(""));
    m.eval(e, &Scope::root(None), &m.main_cx())
}

/// Evaluates an expression for a site and month over data (the `expect` values of test blocks).
pub fn eval_with(e: &Expr, data: &dyn DataView, period: YearMonth, site: &str) -> R<Value> {
    let mut m = Machine::new(None, &[], &[], Some(data), period, Arc::from(site));
    m.eval(e, &Scope::root(None), &m.main_cx())
}

/// Evaluates a compile-time value of a body being compiled: component arguments and loop variables
/// are visible, data and lets are not.
pub fn eval_static(e: &Expr, env: EnvId, envs: &[Env], slots: &[Slot]) -> R<Value> {
    let mut m = Machine::new(
        None,
        envs,
        slots,
        None,
        YearMonth { year: 2000, month: 1 },
        Arc::from(""),
    );
    let scope = m.env_scope(env);
    m.eval(e, &scope, &m.main_cx())
}

/// A binding on the runtime scope stack.
#[derive(Clone)]
enum Bind<'p> {
    Val(Value),
    Lazy(&'p Expr, Scope<'p>),
}

/// The runtime scope: locals (parameters, loop and comprehension variables) and the plan
/// environment that resolves `BodyRef`s.
#[derive(Clone)]
struct Scope<'p> {
    locals: Rc<Vec<Bind<'p>>>,
    env: Option<EnvId>,
}

impl<'p> Scope<'p> {
    fn root(env: Option<EnvId>) -> Scope<'p> {
        Scope {
            locals: Rc::new(Vec::new()),
            env,
        }
    }

    fn push(&self, v: Value) -> Scope<'p> {
        let mut locals = (*self.locals).clone();
        locals.push(Bind::Val(v));
        Scope {
            locals: Rc::new(locals),
            env: self.env,
        }
    }
}

/// The context of an evaluation: which month and site, the row being filtered, whether to trace.
#[derive(Clone)]
struct Cx<'p> {
    month: YearMonth,
    site: Arc<str>,
    row: Option<(TableName, &'p dyn RowView)>,
    tracing: bool,
}

impl<'p> Cx<'p> {
    /// The same site in another month, outside any row and untraced (window months, escalation
    /// steps, `at`): the one way rules look at a month other than their own.
    fn in_month(&self, month: YearMonth) -> Cx<'p> {
        Cx {
            month,
            tracing: false,
            row: None,
            ..self.clone()
        }
    }
}

type MemoKey = (SlotId, i64, Arc<str>);

/// Rows chosen by a query: the table, the column read, the rows, and the filters (for traces).
type Selection<'p> = (TableName, Option<String>, Vec<&'p dyn RowView>, Vec<String>);

struct Machine<'p> {
    plan: Option<&'p Plan>,
    envs: &'p [Env],
    slots: &'p [Slot],
    data: Option<&'p dyn DataView>,
    month: YearMonth,
    /// Whether `month` is a real service month. Compile-time evaluation (constants, folded tier
    /// tables, compile-time `if`) has none: anything that depends on the month is not constant there.
    month_known: bool,
    site: Arc<str>,
    memo: FxHashMap<MemoKey, (Value, Option<Arc<TraceNode>>)>,
    busy: Vec<MemoKey>,
    trace: Vec<Vec<Arc<TraceNode>>>,
    env_scopes: FxHashMap<EnvId, Scope<'p>>,
}

impl<'p> Machine<'p> {
    fn new(
        plan: Option<&'p Plan>,
        envs: &'p [Env],
        slots: &'p [Slot],
        data: Option<&'p dyn DataView>,
        month: YearMonth,
        site: Arc<str>,
    ) -> Machine<'p> {
        Machine {
            plan,
            envs,
            slots,
            data,
            month,
            month_known: plan.is_some() || data.is_some(),
            site,
            memo: FxHashMap::default(),
            busy: Vec::new(),
            trace: Vec::new(),
            env_scopes: FxHashMap::default(),
        }
    }

    fn main_cx(&self) -> Cx<'p> {
        Cx {
            month: self.month,
            site: self.site.clone(),
            row: None,
            tracing: true,
        }
    }

    fn env_scope(&mut self, env: EnvId) -> Scope<'p> {
        if let Some(s) = self.env_scopes.get(&env) {
            return s.clone();
        }
        let envs = self.envs;
        let mut locals = Vec::with_capacity(envs.get(env as usize).map_or(0, |e| e.bindings.len()));
        if let Some(e) = envs.get(env as usize) {
            for b in &e.bindings {
                locals.push(match b {
                    Binding::Value(v) => Bind::Val(v.clone()),
                    Binding::Arg(expr, arg_env) => {
                        let s = self.env_scope(*arg_env);
                        Bind::Lazy(expr.as_ref(), s)
                    }
                });
            }
        }
        let scope = Scope {
            locals: Rc::new(locals),
            env: Some(env),
        };
        self.env_scopes.insert(env, scope.clone());
        scope
    }

    fn record(&mut self, cx: &Cx<'p>, node: Arc<TraceNode>) {
        if cx.tracing
            && let Some(top) = self.trace.last_mut()
        {
            top.push(node);
        }
    }

    /// Records a trace node for a builtin's result (when tracing), with the facts it computed.
    fn note(&mut self, cx: &Cx<'p>, label: &str, result: &Value, span: Span, facts: Vec<Fact>) {
        if cx.tracing {
            let node = TraceNode {
                label: label.into(),
                value: result.display(),
                source: self.loc(span),
                facts,
                inputs: Vec::new(),
            };
            self.record(cx, Arc::new(node));
        }
    }

    fn loc(&self, span: Span) -> Option<Arc<crate::trace::SourceLoc>> {
        self.plan.and_then(|p| p.sources.loc(span))
    }

    /// The value of a slot in a context, memoized; lines are rounded to cents.
    fn slot(&mut self, id: SlotId, cx: &Cx<'p>, span: Span) -> R<Value> {
        let key: MemoKey = (id, cx.month.index(), cx.site.clone());
        if let Some((v, node)) = self.memo.get(&key) {
            let v = v.clone();
            if let Some(node) = node.clone() {
                self.record(cx, node);
            }
            return Ok(v);
        }
        let slots = self.slots;
        let Some(slot) = slots.get(id as usize) else {
            return Err(EvalError::new(EvalErrorKind::Invalid("unknown slot".into()), span));
        };
        if self.busy.contains(&key) {
            return Err(EvalError::new(
                EvalErrorKind::Invalid(format!("`{}` depends on itself", slot.name)),
                span,
            ));
        }
        self.busy.push(key.clone());
        let scope = self.env_scope(slot.env);
        let inner_cx = Cx {
            row: None,
            ..cx.clone()
        };
        if cx.tracing {
            self.trace.push(Vec::new());
        }
        let result = self.eval(&slot.expr, &scope, &inner_cx);
        let children = if cx.tracing {
            self.trace.pop().unwrap_or_default()
        } else {
            Vec::new()
        };
        self.busy.pop();
        let mut v = result?;
        let is_line = matches!(slot.kind, crate::plan::SlotKind::Line(_));
        if is_line && let Value::Money(d, c) = v {
            v = Value::Money(money::cents(d), c);
        }
        let node = cx.tracing.then(|| {
            Arc::new(TraceNode {
                label: if is_line {
                    format!("line {}", slot.name)
                } else {
                    format!("let {}", slot.name)
                },
                value: v.display(),
                source: self.loc(slot.span),
                facts: Vec::new(),
                inputs: children,
            })
        });
        if let Some(n) = node.clone() {
            self.record(cx, n);
        }
        self.memo.insert(key, (v.clone(), node));
        Ok(v)
    }

    fn local(&mut self, scope: &Scope<'p>, i: u32, cx: &Cx<'p>, span: Span) -> R<Value> {
        match scope.locals.get(i as usize).cloned() {
            Some(Bind::Val(v)) => Ok(v),
            Some(Bind::Lazy(expr, s)) => {
                let inner = Cx {
                    row: None,
                    ..cx.clone()
                };
                self.eval(expr, &s, &inner)
            }
            None => Err(EvalError::new(EvalErrorKind::Invalid("unbound variable".into()), span)),
        }
    }

    fn eval(&mut self, e: &'p Expr, scope: &Scope<'p>, cx: &Cx<'p>) -> R<Value> {
        let span = e.span;
        match &e.kind {
            ExprKind::Lit(v) => Ok(v.clone()),
            ExprKind::Error => Err(EvalError::new(
                EvalErrorKind::Invalid("erroneous expression".into()),
                span,
            )),
            ExprKind::Local(i) => self.local(scope, *i, cx, span),
            ExprKind::BodyRef(i) => {
                let Some(env) = scope.env else {
                    return Err(EvalError::new(EvalErrorKind::NotConstant("a let or line".into()), span));
                };
                let resolved = if let Some(plan) = self.plan {
                    plan.resolve_ref(env, *i)
                } else {
                    resolve_in(self.envs, env, *i)
                };
                match (resolved, self.plan) {
                    (Some(slot), Some(_)) => self.slot(slot, cx, span),
                    (Some(slot), None) => {
                        let name = self
                            .slots
                            .get(slot as usize)
                            .map_or("a let".to_string(), |s| format!("`{}`", s.name));
                        Err(EvalError::new(EvalErrorKind::NotConstant(name), span))
                    }
                    (None, _) => Err(EvalError::new(EvalErrorKind::NotConstant("a let or line".into()), span)),
                }
            }
            ExprKind::Call(f, args) => {
                let locals: Vec<Bind<'p>> = args.iter().map(|a| Bind::Lazy(a, scope.clone())).collect();
                let inner = Scope {
                    locals: Rc::new(locals),
                    env: None,
                };
                self.eval(
                    &f.body,
                    &inner,
                    &Cx {
                        row: None,
                        ..cx.clone()
                    },
                )
            }
            ExprKind::Builtin(b, args) => self.builtin(*b, args, scope, cx, span),
            ExprKind::Unary(op, a) => {
                let v = self.eval(a, scope, cx)?;
                match (op, v) {
                    (UnOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
                    (UnOp::Neg, v) => match v.decimal() {
                        Some(d) => Ok(v.with_decimal(-d)),
                        None => Err(EvalError::new(EvalErrorKind::Invalid("cannot negate".into()), span)),
                    },
                    _ => Err(EvalError::new(EvalErrorKind::Invalid("bad operand".into()), span)),
                }
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, scope, cx, span),
            ExprKind::Field(base, name) => {
                let v = self.eval(base, scope, cx)?;
                field(&v, name)
                    .ok_or_else(|| EvalError::new(EvalErrorKind::Invalid(format!("no field `{name}`")), span))
            }
            ExprKind::RowField(table, col) => {
                let Some((t, row)) = cx.row.filter(|(t, _)| t == table) else {
                    return Err(EvalError::new(
                        EvalErrorKind::NotConstant(format!("the column `{col}`")),
                        span,
                    ));
                };
                let _ = t;
                row_value(*table, row, col)
                    .ok_or_else(|| EvalError::new(EvalErrorKind::Invalid(format!("bad value in column `{col}`")), span))
            }
            ExprKind::Table(t) => Err(EvalError::new(
                EvalErrorKind::NotConstant(format!("the table `{}`", t.name())),
                span,
            )),
            ExprKind::Column(t, c) => Err(EvalError::new(
                EvalErrorKind::NotConstant(format!("`{}.{c}`", t.name())),
                span,
            )),
            ExprKind::Where(..) => Err(EvalError::new(
                EvalErrorKind::NotConstant("a filtered table".into()),
                span,
            )),
            ExprKind::If(c, t, f) => match self.eval(c, scope, cx)? {
                Value::Bool(true) => self.eval(t, scope, cx),
                _ => self.eval(f, scope, cx),
            },
            ExprKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(i, scope, cx)?);
                }
                Ok(Value::List(Arc::new(out)))
            }
            ExprKind::Comprehension(body, list) => {
                let Value::List(items) = self.eval(list, scope, cx)? else {
                    return Err(EvalError::new(EvalErrorKind::Invalid("not a list".into()), span));
                };
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    let inner = scope.push(item.clone());
                    out.push(self.eval(body, &inner, cx)?);
                }
                Ok(Value::List(Arc::new(out)))
            }
            ExprKind::Record(fields) => {
                let mut out = Vec::with_capacity(fields.len());
                for (n, x) in fields {
                    out.push((n.clone(), self.eval(x, scope, cx)?));
                }
                Ok(Value::Record(Arc::new(out)))
            }
            ExprKind::Tiers(tiers) => {
                let mut out = Vec::with_capacity(tiers.len());
                for t in tiers {
                    let price = self.eval(&t.price, scope, cx)?;
                    let limit = match &t.limit {
                        Some(l) => Some(self.eval(l, scope, cx)?),
                        None => None,
                    };
                    let fee = match &t.fee {
                        Some(f) => Some(self.eval(f, scope, cx)?),
                        None => None,
                    };
                    out.push(value::TierValue { price, limit, fee });
                }
                Ok(Value::Tiers(Arc::new(out)))
            }
            ExprKind::Text(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        TextPart::Lit(l) => s.push_str(l),
                        TextPart::Expr(x) => s.push_str(&self.eval(x, scope, cx)?.display()),
                    }
                }
                Ok(Value::text(&s))
            }
            ExprKind::Cast(a) => {
                let v = self.eval(a, scope, cx)?;
                Ok(match (&v, &e.ty) {
                    (Value::Number(d), crate::ty::Ty::Quantity(u)) => Value::Quantity(*d, *u),
                    (Value::Quantity(d, _), _) => Value::Number(*d),
                    _ => v,
                })
            }
            ExprKind::Lines(tag, group) => {
                let group = match group {
                    Some(g) => match self.eval(g, scope, cx)? {
                        Value::Number(n) => u32::try_from(n.trunc().mantissa()).ok(),
                        _ => None,
                    },
                    None => None,
                };
                let Some(plan) = self.plan else {
                    return Err(EvalError::new(EvalErrorKind::NotConstant("invoice lines".into()), span));
                };
                let slots: Vec<SlotId> = plan.tagged(tag, group).map(|l| l.slot).collect();
                let mut total = Decimal::ZERO;
                for s in slots {
                    if let Value::Money(d, _) = self.slot(s, cx, span)? {
                        total = money::add(total, d).map_err(|x| arith(x, span))?;
                    }
                }
                Ok(Value::Money(total, Currency::USD))
            }
        }
    }

    fn binary(&mut self, op: BinOp, a: &'p Expr, b: &'p Expr, scope: &Scope<'p>, cx: &Cx<'p>, span: Span) -> R<Value> {
        match op {
            BinOp::And => {
                return Ok(Value::Bool(
                    self.eval(a, scope, cx)?.as_bool() == Some(true)
                        && self.eval(b, scope, cx)?.as_bool() == Some(true),
                ));
            }
            BinOp::Or => {
                return Ok(Value::Bool(
                    self.eval(a, scope, cx)?.as_bool() == Some(true)
                        || self.eval(b, scope, cx)?.as_bool() == Some(true),
                ));
            }
            _ => {}
        }
        let l = self.eval(a, scope, cx)?;
        let r = self.eval(b, scope, cx)?;
        binop(op, &l, &r, &e_ty(a, b)).map_err(|k| EvalError::new(k, span))
    }

    /// The rows selected by a table, column or `where` expression (all of them for a bare table).
    fn select(&mut self, e: &'p Expr, scope: &Scope<'p>, cx: &Cx<'p>) -> R<Selection<'p>> {
        match &e.kind {
            ExprKind::Table(t) | ExprKind::Column(t, _) => {
                let col = match &e.kind {
                    ExprKind::Column(_, c) => Some(c.clone()),
                    _ => None,
                };
                let Some(data) = self.data else {
                    return Err(EvalError::new(
                        EvalErrorKind::NotConstant(format!("the table `{}`", t.name())),
                        e.span,
                    ));
                };
                if !data.covers(*t, &cx.site, cx.month) {
                    return Err(EvalError::new(
                        EvalErrorKind::MissingData(format!(
                            "{} of {} for site {}, which is not in the data loaded for this run",
                            t.name(),
                            cx.month,
                            cx.site
                        )),
                        e.span,
                    ));
                }
                Ok((*t, col, data.rows(*t, &cx.site, cx.month), Vec::new()))
            }
            ExprKind::Where(base, cond) => {
                let (t, col, rows, mut filters) = self.select(base, scope, cx)?;
                let mut kept = Vec::with_capacity(rows.len());
                for row in rows {
                    let rcx = Cx {
                        row: Some((t, row)),
                        tracing: false,
                        ..cx.clone()
                    };
                    if self.eval(cond, scope, &rcx)?.as_bool() == Some(true) {
                        kept.push(row);
                    }
                }
                // The filter's text is only shown in traces.
                if cx.tracing {
                    filters.push(self.source_text(cond.span));
                }
                Ok((t, col, kept, filters))
            }
            ExprKind::BodyRef(i) => {
                let slot = scope
                    .env
                    .and_then(|env| self.plan.and_then(|p| p.resolve_ref(env, *i)))
                    .and_then(|s| self.slots.get(s as usize));
                match slot {
                    Some(slot) => {
                        let s = self.env_scope(slot.env);
                        self.select(&slot.expr, &s, cx)
                    }
                    None => Err(EvalError::new(EvalErrorKind::NotConstant("a table".into()), e.span)),
                }
            }
            ExprKind::Local(i) => match scope.locals.get(*i as usize).cloned() {
                Some(Bind::Lazy(x, s)) => self.select(x, &s, cx),
                _ => Err(EvalError::new(EvalErrorKind::Invalid("not a table".into()), e.span)),
            },
            _ => Err(EvalError::new(EvalErrorKind::Invalid("not a table".into()), e.span)),
        }
    }

    fn source_text(&self, span: Span) -> String {
        self.plan
            .and_then(|p| p.sources.files.get(span.file.0 as usize))
            .and_then(|(_, text)| text.get(span.range()))
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }

    fn arg(&mut self, args: &'p [Option<Expr>], i: usize, scope: &Scope<'p>, cx: &Cx<'p>) -> R<Option<Value>> {
        match args.get(i).and_then(|a| a.as_ref()) {
            Some(a) => Ok(Some(self.eval(a, scope, cx)?)),
            None => Ok(None),
        }
    }

    fn req(&mut self, args: &'p [Option<Expr>], i: usize, scope: &Scope<'p>, cx: &Cx<'p>, span: Span) -> R<Value> {
        self.arg(args, i, scope, cx)?
            .ok_or_else(|| EvalError::new(EvalErrorKind::Invalid("missing argument".into()), span))
    }

    /// The months of a window before the service month (oldest first).
    fn window_months(&self, window: &str, cx: &Cx<'p>, span: Span) -> R<Vec<YearMonth>> {
        let start = match window {
            "monthly" => cx.month,
            "calendar_year" => YearMonth {
                year: cx.month.year,
                month: 1,
            },
            "anniversary" => {
                let started = self.data.and_then(|d| d.site_start(&cx.site)).ok_or_else(|| {
                    EvalError::new(
                        EvalErrorKind::MissingData(format!(
                            "the start date of site `{}` (sites.csv), for an anniversary window",
                            cx.site
                        )),
                        span,
                    )
                })?;
                let m = YearMonth::of(started).month;
                let year = if cx.month.month >= m {
                    cx.month.year
                } else {
                    cx.month.year - 1
                };
                YearMonth { year, month: m }
            }
            other => {
                return Err(EvalError::new(
                    EvalErrorKind::Invalid(format!("unknown window `{other}`")),
                    span,
                ));
            }
        };
        Ok(start.through(cx.month).filter(|m| *m < cx.month).collect())
    }

    fn builtin(
        &mut self,
        b: Builtin,
        args: &'p [Option<Expr>],
        scope: &Scope<'p>,
        cx: &Cx<'p>,
        span: Span,
    ) -> R<Value> {
        let ty = args.first().and_then(|a| a.as_ref()).map(|a| a.ty.clone());
        if !self.month_known && month_dependent(b, args) {
            return Err(EvalError::new(
                EvalErrorKind::NotConstant(format!("the service month (`{}`)", snake(&format!("{b:?}")))),
                span,
            ));
        }
        match b {
            Builtin::Sum | Builtin::Count | Builtin::First => {
                let Some(Some(arg)) = args.first() else {
                    return Err(EvalError::new(EvalErrorKind::Invalid("missing argument".into()), span));
                };
                if let crate::ty::Ty::List(_) = arg.ty {
                    let Value::List(items) = self.eval(arg, scope, cx)? else {
                        return Err(EvalError::new(EvalErrorKind::Invalid("not a list".into()), span));
                    };
                    if b == Builtin::Count {
                        return Ok(Value::Number(Decimal::from(items.len())));
                    }
                    return sum_values(&items, &e_elem(arg)).map_err(|k| EvalError::new(k, span));
                }
                let (table, col, rows, filters) = self.select(arg, scope, cx)?;
                for r in &rows {
                    r.mark_used();
                }
                let nrows: u64 = rows.iter().map(|r| u64::from(r.count())).sum();
                let result = match b {
                    Builtin::Count => Value::Number(Decimal::from(nrows)),
                    Builtin::Sum => {
                        let Some(col) = &col else {
                            return Err(EvalError::new(EvalErrorKind::Invalid("sum of a table".into()), span));
                        };
                        let Some((cty, idx)) = column_position(table, col) else {
                            return Err(EvalError::new(
                                EvalErrorKind::Invalid(format!("unknown column `{col}`")),
                                span,
                            ));
                        };
                        let mut total = Decimal::ZERO;
                        for r in &rows {
                            total = money::add(total, r.measure(idx)).map_err(|x| arith(x, span))?;
                        }
                        let _ = cty;
                        column_value(table, col, total)
                    }
                    _ => {
                        let Some(col) = &col else {
                            return Err(EvalError::new(EvalErrorKind::Invalid("first of a table".into()), span));
                        };
                        match rows.iter().min_by_key(|r| r.first_line()) {
                            Some(r) => row_value(table, *r, col).ok_or_else(|| {
                                EvalError::new(EvalErrorKind::Invalid(format!("bad value in `{col}`")), span)
                            })?,
                            None => match self.arg(args, 1, scope, cx)? {
                                Some(d) => d,
                                None => {
                                    return Err(EvalError::new(
                                        EvalErrorKind::MissingData(format!(
                                            "no row of `{}` matches, and `first` has no default",
                                            table.name()
                                        )),
                                        span,
                                    ));
                                }
                            },
                        }
                    }
                };
                if cx.tracing {
                    let what = match b {
                        Builtin::Sum => "sum",
                        Builtin::Count => "count",
                        _ => "first",
                    };
                    let mut facts = vec![Fact {
                        name: "rows".into(),
                        value: nrows.to_string(),
                    }];
                    facts.push(Fact {
                        name: "month".into(),
                        value: cx.month.to_string(),
                    });
                    for f in filters {
                        facts.push(Fact {
                            name: "where".into(),
                            value: f,
                        });
                    }
                    // The groups of input rows behind the value, so an auditor can find them.
                    if rows.len() <= MAX_TRACED_GROUPS {
                        let dims: Vec<&str> = table
                            .columns()
                            .iter()
                            .filter(|(_, t)| t.is_dimension())
                            .map(|(n, _)| *n)
                            .collect();
                        let measure = col.as_deref().and_then(|c| column_position(table, c));
                        for r in &rows {
                            let what: Vec<String> = dims
                                .iter()
                                .enumerate()
                                .filter(|(i, _)| !r.dim(*i).is_empty())
                                .map(|(i, n)| format!("{n} {}", r.dim(i)))
                                .collect();
                            let amount = match (&col, measure) {
                                (Some(c), Some((_, i))) => {
                                    format!(" = {}", column_value(table, c, r.measure(i)).display())
                                }
                                _ => String::new(),
                            };
                            let n = r.count();
                            facts.push(Fact {
                                name: "input".into(),
                                value: format!(
                                    "{}{amount} ({n} row{} from {})",
                                    what.join(", "),
                                    if n == 1 { "" } else { "s" },
                                    r.origin()
                                ),
                            });
                        }
                    }
                    let node = TraceNode {
                        label: format!(
                            "{what} {}{}",
                            table.name(),
                            col.as_ref().map(|c| format!(".{c}")).unwrap_or_default()
                        ),
                        value: result.display(),
                        source: self.loc(span),
                        facts,
                        inputs: Vec::new(),
                    };
                    self.record(cx, Arc::new(node));
                }
                Ok(result)
            }
            Builtin::Min | Builtin::Max => {
                let mut values = Vec::new();
                for a in args.iter().flatten() {
                    match self.eval(a, scope, cx)? {
                        Value::List(items) if args.len() == 1 => values.extend(items.iter().cloned()),
                        v => values.push(v),
                    }
                }
                let mut best: Option<Value> = None;
                for v in values {
                    best = Some(match best {
                        None => v,
                        Some(cur) => {
                            let ord = compare(&v, &cur).ok_or_else(|| {
                                EvalError::new(EvalErrorKind::Invalid("incomparable values".into()), span)
                            })?;
                            let take = if b == Builtin::Min { ord.is_lt() } else { ord.is_gt() };
                            if take { v } else { cur }
                        }
                    });
                }
                best.ok_or_else(|| {
                    EvalError::new(
                        EvalErrorKind::Invalid(format!(
                            "`{}` of an empty list",
                            if b == Builtin::Min { "min" } else { "max" }
                        )),
                        span,
                    )
                })
            }
            Builtin::Abs => {
                let v = self.req(args, 0, scope, cx, span)?;
                Ok(v.with_decimal(v.decimal().unwrap_or_default().abs()))
            }
            Builtin::Ceil => {
                let v = self.req(args, 0, scope, cx, span)?;
                Ok(v.with_decimal(v.decimal().unwrap_or_default().ceil()))
            }
            Builtin::Round => {
                let v = self.req(args, 0, scope, cx, span)?;
                let places = match self.arg(args, 1, scope, cx)? {
                    Some(Value::Number(n)) => u32::try_from(n.trunc().mantissa())
                        .ok()
                        .filter(|p| *p <= 20)
                        .ok_or_else(|| {
                            EvalError::new(EvalErrorKind::Invalid(format!("cannot round to `{n}` places")), span)
                        })?,
                    _ => 2,
                };
                let mode = match self.arg(args, 2, scope, cx)? {
                    Some(Value::Enum(m)) => Rounding::from_name(&m).unwrap_or(Rounding::HalfAway),
                    _ => Rounding::HalfAway,
                };
                let d = v.decimal().unwrap_or_default();
                // Percentages round their written form: round(12.345%, 2) is 12.35%.
                let rounded = if matches!(v, Value::Percent(_)) {
                    money::round(d, places + 2, mode)
                } else {
                    money::round(d, places, mode)
                };
                Ok(v.with_decimal(rounded))
            }
            Builtin::Cap | Builtin::Floor => {
                let v = self.req(args, 0, scope, cx, span)?;
                let at = self.req(args, 1, scope, cx, span)?;
                let ord = compare(&v, &at)
                    .ok_or_else(|| EvalError::new(EvalErrorKind::Invalid("incomparable values".into()), span))?;
                Ok(
                    if (b == Builtin::Cap && ord.is_gt()) || (b == Builtin::Floor && ord.is_lt()) {
                        at
                    } else {
                        v
                    },
                )
            }
            Builtin::Tiered | Builtin::Volume => {
                let Some(Some(amount_expr)) = args.first() else {
                    return Err(EvalError::new(EvalErrorKind::Invalid("missing amount".into()), span));
                };
                let Value::Tiers(table) = self.req(args, 1, scope, cx, span)? else {
                    return Err(EvalError::new(EvalErrorKind::Invalid("not a tier table".into()), span));
                };
                let window = match self.arg(args, 2, scope, cx)? {
                    Some(Value::Enum(w)) => w.to_string(),
                    _ => "monthly".to_string(),
                };
                let amount = self.eval(amount_expr, scope, cx)?;
                let base = amount.decimal().unwrap_or_default();
                let mut prior = Decimal::ZERO;
                let mut prior_facts = Vec::new();
                if b == Builtin::Tiered {
                    for m in self.window_months(&window, cx, span)? {
                        let mcx = cx.in_month(m);
                        let v = self.eval(amount_expr, scope, &mcx)?.decimal().unwrap_or_default();
                        prior_facts.push(Fact {
                            name: format!("base {m}"),
                            value: amount.with_decimal(v).display(),
                        });
                        prior = money::add(prior, v).map_err(|x| arith(x, span))?;
                    }
                }
                let outcome = if b == Builtin::Tiered {
                    tiers::tiered(base, prior, &table)
                } else {
                    tiers::volume(base, &table)
                }
                .map_err(|k| EvalError::new(k, span))?;
                let currency = match &ty {
                    Some(crate::ty::Ty::Money(c)) => *c,
                    _ => Currency::USD,
                };
                let outcome = value::TierOutcome { currency, ..outcome };
                if cx.tracing {
                    let mut facts = vec![
                        Fact {
                            name: "window".into(),
                            value: window.clone(),
                        },
                        Fact {
                            name: "this month".into(),
                            value: amount.display(),
                        },
                    ];
                    if b == Builtin::Tiered && window != "monthly" {
                        facts.extend(prior_facts);
                        facts.push(Fact {
                            name: "earlier in window".into(),
                            value: amount.with_decimal(prior).display(),
                        });
                    }
                    for (i, band) in outcome.bands.iter().enumerate() {
                        facts.push(Fact {
                            name: format!("band {}", i + 1),
                            value: tiers::describe_band(band, &amount),
                        });
                    }
                    let node = TraceNode {
                        label: if b == Builtin::Tiered {
                            "tiered".into()
                        } else {
                            "volume".into()
                        },
                        value: value::format_money(outcome.due, currency),
                        source: self.loc(span),
                        facts,
                        inputs: Vec::new(),
                    };
                    self.record(cx, Arc::new(node));
                }
                Ok(Value::TierResult(Arc::new(outcome)))
            }
            Builtin::Prior => {
                let Some(Some(value_expr)) = args.first() else {
                    return Err(EvalError::new(EvalErrorKind::Invalid("missing value".into()), span));
                };
                let window = match self.req(args, 1, scope, cx, span)? {
                    Value::Enum(w) => w.to_string(),
                    _ => "monthly".into(),
                };
                let mut total: Option<Value> = None;
                let mut facts = vec![Fact {
                    name: "window".into(),
                    value: window.clone(),
                }];
                for m in self.window_months(&window, cx, span)? {
                    let mcx = cx.in_month(m);
                    let v = self.eval(value_expr, scope, &mcx)?;
                    facts.push(Fact {
                        name: m.to_string(),
                        value: v.display(),
                    });
                    total = Some(match total {
                        None => v,
                        Some(t) => add_values(&t, &v).map_err(|k| EvalError::new(k, span))?,
                    });
                }
                let result = match total {
                    Some(t) => t,
                    None => zero_like(&value_expr.ty),
                };
                self.note(cx, "prior", &result, span, facts);
                Ok(result)
            }
            Builtin::At => {
                let Value::Month(m) = self.req(args, 1, scope, cx, span)? else {
                    return Err(EvalError::new(EvalErrorKind::Invalid("not a month".into()), span));
                };
                let Some(Some(value_expr)) = args.first() else {
                    return Err(EvalError::new(EvalErrorKind::Invalid("missing value".into()), span));
                };
                let mcx = cx.in_month(m);
                self.eval(value_expr, scope, &mcx)
            }
            Builtin::Across => {
                let Value::List(sites) = self.req(args, 0, scope, cx, span)? else {
                    return Err(EvalError::new(
                        EvalErrorKind::Invalid("not a list of sites".into()),
                        span,
                    ));
                };
                let Some(Some(value_expr)) = args.get(1) else {
                    return Err(EvalError::new(EvalErrorKind::Invalid("missing value".into()), span));
                };
                let mut total: Option<Value> = None;
                let mut facts = Vec::new();
                for s in sites.iter() {
                    let site = s.as_text().unwrap_or("").to_string();
                    let scx = Cx {
                        site: Arc::from(site.as_str()),
                        tracing: false,
                        row: None,
                        ..cx.clone()
                    };
                    let v = self.eval(value_expr, scope, &scx)?;
                    facts.push(Fact {
                        name: format!("site {site}"),
                        value: v.display(),
                    });
                    total = Some(match total {
                        None => v,
                        Some(t) => add_values(&t, &v).map_err(|k| EvalError::new(k, span))?,
                    });
                }
                let result = total.unwrap_or_else(|| zero_like(&value_expr.ty));
                self.note(cx, "across", &result, span, facts);
                Ok(result)
            }
            Builtin::Escalate => self.escalate(args, scope, cx, span),
            Builtin::IndexChange => {
                let name = self.req(args, 0, scope, cx, span)?;
                let name = name.as_text().unwrap_or("").to_string();
                let months = match self.arg(args, 1, scope, cx)? {
                    Some(Value::Number(n)) => i64::try_from(n.trunc().mantissa()).unwrap_or(12),
                    _ => 12,
                };
                let end = cx
                    .month
                    .plus(-1)
                    .ok_or_else(|| EvalError::new(EvalErrorKind::Invalid("month out of range".into()), span))?;
                let start = end
                    .plus(-months)
                    .ok_or_else(|| EvalError::new(EvalErrorKind::Invalid("month out of range".into()), span))?;
                let level = |m: YearMonth| {
                    self.data.and_then(|d| d.index(&name, m)).ok_or_else(|| {
                        EvalError::new(
                            EvalErrorKind::MissingData(format!("index `{name}` has no value for {m} (indexes.csv)")),
                            span,
                        )
                    })
                };
                let (a, z) = (level(start)?, level(end)?);
                let change = money::div(z, a)
                    .and_then(|q| money::sub(q, Decimal::ONE))
                    .map_err(|x| arith(x, span))?;
                if cx.tracing {
                    let node = TraceNode {
                        label: format!("index_change {name}"),
                        value: Value::Percent(change).display(),
                        source: self.loc(span),
                        facts: vec![
                            Fact {
                                name: start.to_string(),
                                value: a.to_string(),
                            },
                            Fact {
                                name: end.to_string(),
                                value: z.to_string(),
                            },
                        ],
                        inputs: Vec::new(),
                    };
                    self.record(cx, Arc::new(node));
                }
                Ok(Value::Percent(change))
            }
            Builtin::IndexLevel => {
                let name = self.req(args, 0, scope, cx, span)?;
                let name = name.as_text().unwrap_or("").to_string();
                let month = match self.arg(args, 1, scope, cx)? {
                    Some(Value::Month(m)) => m,
                    _ => cx.month,
                };
                self.data
                    .and_then(|d| d.index(&name, month))
                    .map(Value::Number)
                    .ok_or_else(|| {
                        EvalError::new(
                            EvalErrorKind::MissingData(format!(
                                "index `{name}` has no value for {month} (indexes.csv)"
                            )),
                            span,
                        )
                    })
            }
            Builtin::Prorate => {
                let v = self.req(args, 0, scope, cx, span)?;
                let first = cx.month.first_day();
                let last = cx.month.last_day();
                let from = match self.arg(args, 1, scope, cx)? {
                    Some(Value::Date(d)) => d.max(first),
                    _ => first,
                };
                let to = match self.arg(args, 2, scope, cx)? {
                    Some(Value::Date(d)) => d.min(last),
                    _ => last,
                };
                let days = if to < from { 0 } else { (to - from).num_days() + 1 };
                let d = v.decimal().unwrap_or_default();
                let share = money::mul(d, Decimal::from(days))
                    .and_then(|x| money::div(x, Decimal::from(cx.month.days())))
                    .map_err(|x| arith(x, span))?;
                Ok(v.with_decimal(share))
            }
            Builtin::ByYear | Builtin::ContractYear => {
                let Value::Date(start) = self.req(args, 0, scope, cx, span)? else {
                    return Err(EvalError::new(EvalErrorKind::Invalid("not a date".into()), span));
                };
                let months = cx.month.months_since(YearMonth::of(start)).max(0);
                let year = usize::try_from(months / 12).unwrap_or(0);
                if b == Builtin::ContractYear {
                    return Ok(Value::Number(Decimal::from(year + 1)));
                }
                let Value::List(values) = self.req(args, 1, scope, cx, span)? else {
                    return Err(EvalError::new(EvalErrorKind::Invalid("not a list".into()), span));
                };
                values
                    .get(year.min(values.len().saturating_sub(1)))
                    .cloned()
                    .ok_or_else(|| EvalError::new(EvalErrorKind::Invalid("`by_year` of an empty list".into()), span))
            }
            Builtin::ServiceMonth => Ok(Value::Month(cx.month)),
            Builtin::DaysInMonth | Builtin::FirstDay | Builtin::LastDay => {
                let m = match self.arg(args, 0, scope, cx)? {
                    Some(Value::Month(m)) => m,
                    _ => cx.month,
                };
                Ok(match b {
                    Builtin::DaysInMonth => Value::Number(Decimal::from(m.days())),
                    Builtin::FirstDay => Value::Date(m.first_day()),
                    _ => Value::Date(m.last_day()),
                })
            }
            Builtin::AddMonths => {
                let (Value::Date(d), Value::Number(n), Value::Enum(policy)) = (
                    self.req(args, 0, scope, cx, span)?,
                    self.req(args, 1, scope, cx, span)?,
                    self.req(args, 2, scope, cx, span)?,
                ) else {
                    return Err(EvalError::new(EvalErrorKind::Invalid("bad arguments".into()), span));
                };
                if !n.fract().is_zero() {
                    return Err(EvalError::new(
                        EvalErrorKind::Invalid(format!("cannot add `{n}` months: whole months only")),
                        span,
                    ));
                }
                let n = i64::try_from(n.mantissa() / 10i128.pow(n.scale())).unwrap_or(0);
                let policy = if &*policy == "overflow" {
                    crate::time::MonthEnd::Overflow
                } else {
                    crate::time::MonthEnd::Clamp
                };
                crate::time::add_months(d, n, policy)
                    .map(Value::Date)
                    .ok_or_else(|| EvalError::new(EvalErrorKind::Invalid("date out of range".into()), span))
            }
            Builtin::SiteStart => self
                .data
                .and_then(|d| d.site_start(&cx.site))
                .map(Value::Date)
                .ok_or_else(|| {
                    EvalError::new(
                        EvalErrorKind::MissingData(format!("the start date of site `{}` (sites.csv)", cx.site)),
                        span,
                    )
                }),
            Builtin::Adhoc => {
                let kind = self.req(args, 0, scope, cx, span)?;
                let kind = kind.as_text().unwrap_or("").to_string();
                let group = match self.arg(args, 1, scope, cx)? {
                    Some(Value::Number(n)) => u32::try_from(n.trunc().mantissa()).ok(),
                    _ => None,
                };
                let Some(data) = self.data else {
                    return Err(EvalError::new(EvalErrorKind::NotConstant("ad-hoc lines".into()), span));
                };
                let mut total = Decimal::ZERO;
                for item in data.adhoc(&cx.site, cx.month) {
                    if item.kind == kind && group.is_none_or(|g| g == item.group) {
                        total = money::add(total, item.amount).map_err(|x| arith(x, span))?;
                    }
                }
                Ok(Value::Money(total, Currency::USD))
            }
            Builtin::Len => match self.req(args, 0, scope, cx, span)? {
                Value::List(items) => Ok(Value::Number(Decimal::from(items.len()))),
                _ => Err(EvalError::new(EvalErrorKind::Invalid("not a list".into()), span)),
            },
            Builtin::Year | Builtin::MonthNumber => match self.req(args, 0, scope, cx, span)? {
                Value::Month(m) => Ok(Value::Number(Decimal::from(if b == Builtin::Year {
                    i64::from(m.year)
                } else {
                    i64::from(m.month)
                }))),
                _ => Err(EvalError::new(EvalErrorKind::Invalid("not a month".into()), span)),
            },
            Builtin::MonthOf => match self.req(args, 0, scope, cx, span)? {
                Value::Date(d) => Ok(Value::Month(YearMonth::of(d))),
                _ => Err(EvalError::new(EvalErrorKind::Invalid("not a date".into()), span)),
            },
            Builtin::Lines => Err(EvalError::new(
                EvalErrorKind::Invalid("`lines` is resolved by the compiler".into()),
                span,
            )),
        }
    }

    /// RULES.md §2: applied once for every 1st of `every` after `since` up to and including the
    /// first day of the service month, compounding, rounded at each step.
    fn escalate(&mut self, args: &'p [Option<Expr>], scope: &Scope<'p>, cx: &Cx<'p>, span: Span) -> R<Value> {
        let base = self.req(args, 0, scope, cx, span)?;
        let Value::Enum(every) = self.req(args, 3, scope, cx, span)? else {
            return Err(EvalError::new(
                EvalErrorKind::Invalid("`every` must be a month".into()),
                span,
            ));
        };
        let month = crate::time::month_number(&every)
            .ok_or_else(|| EvalError::new(EvalErrorKind::Invalid(format!("`{every}` is not a month")), span))?;
        let since = match self.arg(args, 4, scope, cx)? {
            Some(Value::Date(d)) => d,
            _ => self.plan.and_then(|p| p.effective).ok_or_else(|| {
                EvalError::new(
                    EvalErrorKind::MissingData("`escalate` needs `since:` or the contract's `effective` date".into()),
                    span,
                )
            })?,
        };
        let cap = match self.arg(args, 5, scope, cx)? {
            Some(Value::Percent(p)) => Some(p),
            _ => None,
        };
        let floor = match self.arg(args, 6, scope, cx)? {
            Some(Value::Percent(p)) => Some(p),
            _ => None,
        };
        let places = match self.arg(args, 7, scope, cx)? {
            Some(Value::Number(n)) => u32::try_from(n.trunc().mantissa()).unwrap_or(2),
            _ => 2,
        };
        let service_start = cx.month.first_day();
        let mut dates = Vec::new();
        let mut year = since.format("%Y").to_string().parse::<i32>().unwrap_or(2000);
        while let Some(d) = NaiveDate::from_ymd_opt(year, month, 1) {
            if d > service_start {
                break;
            }
            if d > since {
                dates.push(d);
            }
            year += 1;
            if dates.len() > 200 {
                break;
            }
        }
        let mut current = base.clone();
        let mut facts = vec![Fact {
            name: "base".into(),
            value: base.display(),
        }];
        for d in dates {
            let step_cx = cx.in_month(YearMonth::of(d));
            let cur = current.decimal().unwrap_or_default();
            let next = if let Some(rate) = self.arg(args, 1, scope, &step_cx)? {
                let mut r = rate.decimal().unwrap_or_default();
                if let Some(c) = cap {
                    r = r.min(c);
                }
                if let Some(f) = floor {
                    r = r.max(f);
                }
                money::mul(cur, Decimal::ONE + r).map_err(|x| arith(x, span))?
            } else if let Some(add) = self.arg(args, 2, scope, &step_cx)? {
                money::add(cur, add.decimal().unwrap_or_default()).map_err(|x| arith(x, span))?
            } else {
                cur
            };
            // Money and rates round to cents; percentages to `places` decimals of their written form.
            let rounded = match current {
                Value::Percent(_) => money::round(next, places + 2, Rounding::HalfAway),
                Value::Number(_) => next,
                _ => money::round(next, places, Rounding::HalfAway),
            };
            current = current.with_decimal(rounded);
            facts.push(Fact {
                name: d.format("%Y-%m-%d").to_string(),
                value: current.display(),
            });
        }
        if cx.tracing {
            let node = TraceNode {
                label: "escalate".into(),
                value: current.display(),
                source: self.loc(span),
                facts,
                inputs: Vec::new(),
            };
            self.record(cx, Arc::new(node));
        }
        Ok(current)
    }
}

/// Traces list the row groups behind a sum when there are at most this many.
const MAX_TRACED_GROUPS: usize = 12;

/// `ServiceMonth` → `service_month`, for messages.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Whether a builtin call depends on the service month (so that it is never folded at compile time).
fn month_dependent(b: Builtin, args: &[Option<Expr>]) -> bool {
    let given = |i: usize| args.get(i).is_some_and(Option::is_some);
    match b {
        Builtin::ServiceMonth
        | Builtin::Prorate
        | Builtin::ByYear
        | Builtin::ContractYear
        | Builtin::Escalate
        | Builtin::IndexChange
        | Builtin::Prior
        | Builtin::At
        | Builtin::Adhoc
        | Builtin::Lines => true,
        Builtin::IndexLevel => !given(1),
        Builtin::DaysInMonth | Builtin::FirstDay | Builtin::LastDay => !given(0),
        _ => false,
    }
}

fn resolve_in(envs: &[Env], env: EnvId, index: u32) -> Option<SlotId> {
    let mut current = Some(env);
    while let Some(e) = current {
        let env = envs.get(e as usize)?;
        if let Some(Some(slot)) = env.refs.get(index as usize) {
            return Some(*slot);
        }
        current = env.parent;
    }
    None
}

fn e_ty(a: &Expr, b: &Expr) -> (crate::ty::Ty, crate::ty::Ty) {
    (a.ty.clone(), b.ty.clone())
}

fn e_elem(e: &Expr) -> crate::ty::Ty {
    match &e.ty {
        crate::ty::Ty::List(t) => (**t).clone(),
        t => t.clone(),
    }
}

fn zero_like(ty: &crate::ty::Ty) -> Value {
    use crate::ty::Ty;
    match ty {
        Ty::Money(c) => Value::Money(Decimal::ZERO, *c),
        Ty::Percent => Value::Percent(Decimal::ZERO),
        Ty::Quantity(u) => Value::Quantity(Decimal::ZERO, *u),
        Ty::Rate(c, u) => Value::Rate(Decimal::ZERO, *c, *u),
        Ty::Duration(u) => Value::Duration(Decimal::ZERO, *u),
        _ => Value::Number(Decimal::ZERO),
    }
}

fn sum_values(items: &[Value], elem: &crate::ty::Ty) -> Result<Value, EvalErrorKind> {
    let mut total = zero_like(elem);
    for v in items {
        total = add_values(&total, v)?;
    }
    Ok(total)
}

fn add_values(a: &Value, b: &Value) -> Result<Value, EvalErrorKind> {
    let (x, y) = (a.decimal().unwrap_or_default(), b.decimal().unwrap_or_default());
    money::add(x, y).map(|d| a.with_decimal(d)).map_err(kind_of)
}

fn kind_of(e: ArithError) -> EvalErrorKind {
    match e {
        ArithError::Overflow => EvalErrorKind::Overflow,
        ArithError::DivisionByZero => EvalErrorKind::DivisionByZero,
    }
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Month(x), Value::Month(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        _ => Some(a.decimal()?.cmp(&b.decimal()?)),
    }
}

/// The value of a field of a record or tier result.
fn field(v: &Value, name: &str) -> Option<Value> {
    match v {
        Value::Record(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, x)| x.clone()),
        Value::TierResult(t) => Some(match name {
            "due" => Value::Money(t.due, t.currency),
            "base" => Value::Money(t.base, t.currency),
            "prior" => Value::Money(t.prior, t.currency),
            "banded" => Value::Money(t.banded, t.currency),
            "blend" => Value::Percent(t.blend),
            _ => return None,
        }),
        _ => None,
    }
}

/// A summed measure as a typed value.
fn column_value(table: TableName, col: &str, d: Decimal) -> Value {
    match table.column(col) {
        Some(ColumnTy::Money) => Value::Money(d, Currency::USD),
        Some(ColumnTy::Hours) => Value::Quantity(d, crate::syntax::ast::Unit::Hour),
        _ => Value::Number(d),
    }
}

/// A column of one row as a typed value.
fn row_value(table: TableName, row: &dyn RowView, col: &str) -> Option<Value> {
    let (ty, idx) = column_position(table, col)?;
    Some(match ty {
        ColumnTy::Text => Value::text(row.dim(idx)),
        ColumnTy::NumberDim => Value::Number(row.dim(idx).parse::<Decimal>().ok()?),
        ColumnTy::DateDim => Value::Date(crate::time::parse_date(row.dim(idx))?),
        _ => column_value(table, col, row.measure(idx)),
    })
}

/// Arithmetic and comparison on values; the types were checked, so mismatches here are bugs
/// reported as errors, not panics.
fn binop(op: BinOp, l: &Value, r: &Value, tys: &(crate::ty::Ty, crate::ty::Ty)) -> Result<Value, EvalErrorKind> {
    let _ = tys;
    use Value as V;
    let bad = || {
        EvalErrorKind::Invalid(format!(
            "cannot apply `{}` to {} and {}",
            op.symbol(),
            l.display(),
            r.display()
        ))
    };
    match op {
        BinOp::Eq => return Ok(V::Bool(values_equal(l, r))),
        BinOp::Ne => return Ok(V::Bool(!values_equal(l, r))),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let o = compare(l, r).ok_or_else(bad)?;
            return Ok(V::Bool(match op {
                BinOp::Lt => o.is_lt(),
                BinOp::Le => o.is_le(),
                BinOp::Gt => o.is_gt(),
                _ => o.is_ge(),
            }));
        }
        BinOp::In | BinOp::NotIn => {
            let V::List(items) = r else { return Err(bad()) };
            let found = items.iter().any(|x| values_equal(l, x));
            return Ok(V::Bool(if op == BinOp::In { found } else { !found }));
        }
        _ => {}
    }
    match (op, l, r) {
        (BinOp::Add, V::Text(a), V::Text(b)) => Ok(V::text(&format!("{a}{b}"))),
        (BinOp::Add, V::List(a), V::List(b)) => {
            let mut out = (**a).clone();
            out.extend(b.iter().cloned());
            Ok(V::List(Arc::new(out)))
        }
        (BinOp::Add | BinOp::Sub, V::Date(d), V::Duration(n, DurationUnit::Day)) => {
            let days = i64::try_from(n.trunc().mantissa()).map_err(|_| EvalErrorKind::Overflow)?;
            let days = if op == BinOp::Add { days } else { -days };
            d.checked_add_signed(chrono::Duration::days(days))
                .map(V::Date)
                .ok_or(EvalErrorKind::Overflow)
        }
        (BinOp::Add | BinOp::Sub, V::Month(m), V::Duration(n, u)) => {
            let k = i64::try_from(n.trunc().mantissa()).map_err(|_| EvalErrorKind::Overflow)?;
            let k = if *u == DurationUnit::Year { k * 12 } else { k };
            let k = if op == BinOp::Add { k } else { -k };
            m.plus(k).map(V::Month).ok_or(EvalErrorKind::Overflow)
        }
        (BinOp::Sub, V::Date(a), V::Date(b)) => Ok(V::Duration(Decimal::from((*a - *b).num_days()), DurationUnit::Day)),
        (BinOp::Sub, V::Month(a), V::Month(b)) => {
            Ok(V::Duration(Decimal::from(a.months_since(*b)), DurationUnit::Month))
        }
        (BinOp::Add | BinOp::Sub, _, _) => {
            let (a, b) = (l.decimal().ok_or_else(bad)?, r.decimal().ok_or_else(bad)?);
            let d = if op == BinOp::Add {
                money::add(a, b)
            } else {
                money::sub(a, b)
            }
            .map_err(kind_of)?;
            Ok(l.with_decimal(d))
        }
        (BinOp::Mul, _, _) => {
            let (a, b) = (l.decimal().ok_or_else(bad)?, r.decimal().ok_or_else(bad)?);
            let d = money::mul(a, b).map_err(kind_of)?;
            Ok(match (l, r) {
                (V::Money(_, c), _) | (_, V::Money(_, c)) => V::Money(d, *c),
                (V::Rate(_, c, _), V::Quantity(..)) | (V::Quantity(..), V::Rate(_, c, _)) => V::Money(d, *c),
                (V::Rate(..), _) => l.with_decimal(d),
                (_, V::Rate(..)) => r.with_decimal(d),
                (V::Quantity(..), _) => l.with_decimal(d),
                (_, V::Quantity(..)) => r.with_decimal(d),
                (V::Duration(..), _) => l.with_decimal(d),
                (_, V::Duration(..)) => r.with_decimal(d),
                (V::Percent(_), _) | (_, V::Percent(_)) => V::Percent(d),
                _ => V::Number(d),
            })
        }
        (BinOp::Div, _, _) => {
            let (a, b) = (l.decimal().ok_or_else(bad)?, r.decimal().ok_or_else(bad)?);
            let d = money::div(a, b).map_err(kind_of)?;
            Ok(match (l, r) {
                (V::Money(..), V::Money(..)) => V::Number(d),
                (V::Money(_, c), V::Quantity(_, u)) => V::Rate(d, *c, *u),
                (V::Quantity(..), V::Quantity(..))
                | (V::Percent(_), V::Percent(_))
                | (V::Duration(..), V::Duration(..)) => V::Number(d),
                _ => l.with_decimal(d),
            })
        }
        _ => Err(bad()),
    }
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a.decimal(), b.decimal()) {
        (Some(x), Some(y)) => x == y && std::mem::discriminant(a) == std::mem::discriminant(b),
        _ => a == b,
    }
}

pub use run::{ContractRun, RunLine, run_contract};
