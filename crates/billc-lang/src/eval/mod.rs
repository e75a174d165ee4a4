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

pub use crate::builtins::tiers;
pub use crate::eval_error::{EvalError, EvalErrorKind, Expected, InternalError};
pub use crate::input::{AdhocItem, DataView, RowView};

use crate::builtins::queries::row_value;
use crate::builtins::{self, At, Call, Selection, compare};
use crate::eval_error::{MAX_LIST, MAX_STEPS, MAX_TEXT, Missing, R, Uses, arith, kind_of};
use crate::hir::{Builtin, Expr, ExprKind, TextPart};
use crate::plan::{Binding, Env, EnvId, Plan, Slot, SlotId};
use crate::schema::TableName;
use crate::span::Span;
use crate::syntax::ast::{BinOp, DurationUnit, UnOp};
use crate::time::YearMonth;
use crate::trace::{Amount, Fact, Term, TraceNode};
use crate::ty::Currency;
use crate::value::money;
use crate::value::{self, Value};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::rc::Rc;
use std::sync::Arc;

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
    /// While a slot is traced: the value of each part of its expression, for its formula
    /// ([`Machine::term`]). One frame per traced slot, with the depth of `trace` it belongs to.
    seen: Vec<Frame>,
    /// The last node a builtin recorded: the call's span and the node's index in its frame.
    traced: Option<(Span, usize)>,
    env_scopes: FxHashMap<EnvId, Scope<'p>>,
    /// Expressions evaluated so far, against [`MAX_STEPS`].
    steps: u64,
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
            seen: Vec::new(),
            traced: None,
            env_scopes: FxHashMap::default(),
            steps: 0,
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

    fn loc(&self, span: Span) -> Option<Arc<crate::trace::SourceLoc>> {
        self.plan.and_then(|p| p.sources.loc(span))
    }

    /// The value of a slot in a context, memoized; lines are rounded to cents.
    fn slot(&mut self, id: SlotId, cx: &Cx<'p>, span: Span) -> R<Value> {
        let key: MemoKey = (id, cx.month.index(), cx.site.clone());
        // A value memoized without its trace (read untraced, in a window) is evaluated again
        // when a traced rule reads it: the same value, now with its node.
        if let Some((v, node)) = self.memo.get(&key).filter(|(_, n)| n.is_some() || !cx.tracing) {
            let v = v.clone();
            if let Some(node) = node.clone() {
                self.record(cx, node);
            }
            return Ok(v);
        }
        let slots = self.slots;
        let Some(slot) = slots.get(id as usize) else {
            return Err(EvalError::new(InternalError::UnknownSlot, span));
        };
        if self.busy.contains(&key) {
            return Err(EvalError::new(
                EvalErrorKind::Cycle {
                    name: slot.name.clone(),
                },
                span,
            ));
        }
        self.busy.push(key.clone());
        let scope = self.env_scope(slot.env);
        // Past MAX_TRACE_DEPTH nested nodes, a let or line is a node without inputs: a chain of
        // thousands of lets would make a trace as deep, and every pass over it (writing,
        // reading, printing, freeing) would recurse as deep.
        let cut = cx.tracing && !self.room_to_trace();
        let inner_cx = Cx {
            row: None,
            tracing: cx.tracing && !cut,
            ..cx.clone()
        };
        let (result, children, seen) = if inner_cx.tracing {
            self.in_frame(&slot.expr, &scope, &inner_cx)
        } else {
            (self.eval(&slot.expr, &scope, &inner_cx), Vec::new(), Frame::default())
        };
        self.busy.pop();
        let mut v = result?;
        let is_line = matches!(slot.kind, crate::plan::SlotKind::Line(_));
        let mut facts = Vec::new();
        if cut {
            facts.push(Fact {
                name: "trace".into(),
                value: format!("cut here, {MAX_TRACE_DEPTH} levels deep: how this value was computed is not traced"),
            });
        }
        if is_line && let Value::Money(d, c) = v {
            if d.abs() >= crate::eval_error::LARGEST_AMOUNT {
                return Err(EvalError::new(
                    EvalErrorKind::ImplausibleAmount { amount: d, currency: c },
                    slot.span,
                ));
            }
            let cents = money::cents(d);
            if cx.tracing && cents != d {
                facts.push(Fact {
                    name: "rounded".into(),
                    value: format!(
                        "{} → {} (a line is rounded to cents, half away from zero: RULES.md §3)",
                        Value::Money(d, c).display(),
                        Value::Money(cents, c).display()
                    ),
                });
            }
            v = Value::Money(cents, c);
        }
        let node = cx.tracing.then(|| {
            let formula = formula_worth_showing(self.term(&slot.expr, &seen, 0), children.len());
            Arc::new(TraceNode {
                label: if is_line {
                    format!("line {}", slot.name)
                } else {
                    format!("let {}", slot.name)
                },
                value: v.display(),
                amount: Amount::of(&v),
                formula,
                source: self.loc(slot.span),
                facts,
                inputs: children,
                ..TraceNode::default()
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
            Some(Bind::Val(v)) => {
                if cx.tracing {
                    self.see(span, Seen::Named(v.clone()));
                }
                Ok(v)
            }
            Some(Bind::Lazy(expr, s)) => {
                let inner = Cx {
                    row: None,
                    ..cx.clone()
                };
                let v = self.eval(expr, &s, &inner)?;
                if cx.tracing {
                    self.see(span, Seen::Arg(v.clone(), expr.span));
                }
                Ok(v)
            }
            None => Err(EvalError::new(InternalError::UnboundVariable, span)),
        }
    }

    /// Evaluates `body` in a trace frame of its own and makes its node with `make` (the machine,
    /// the value, the formula and the inputs the body recorded).
    fn traced(
        &mut self,
        body: &'p Expr,
        scope: &Scope<'p>,
        cx: &Cx<'p>,
        make: impl FnOnce(&Self, &Value, Option<Term>, Vec<Arc<TraceNode>>) -> TraceNode,
    ) -> R<(Value, TraceNode)> {
        let (result, inputs, frame) = self.in_frame(body, scope, cx);
        let value = result?;
        let formula = formula_worth_showing(self.term(body, &frame, 0), inputs.len());
        let node = make(self, &value, formula, inputs);
        Ok((value, node))
    }

    /// Evaluates `body` in a trace frame and a formula frame of its own: the result, the nodes it
    /// recorded and what its parts evaluated to (the one place both frames are pushed and popped).
    fn in_frame(&mut self, body: &'p Expr, scope: &Scope<'p>, cx: &Cx<'p>) -> (R<Value>, Vec<Arc<TraceNode>>, Frame) {
        self.trace.push(Vec::new());
        self.seen.push(Frame {
            depth: self.trace.len(),
            ..Frame::default()
        });
        let result = self.eval(body, scope, cx);
        let inputs = self.trace.pop().unwrap_or_default();
        let frame = self.seen.pop().unwrap_or_default();
        (result, inputs, frame)
    }

    /// Whether a node nested here still gets a trace frame of its own ([`MAX_TRACE_DEPTH`]).
    fn room_to_trace(&self) -> bool {
        self.trace.len() <= MAX_TRACE_DEPTH
    }

    /// Notes what the part of the traced slot's expression at `at` evaluated to (only in the
    /// slot's own frame: a builtin's nested evaluation records nothing here).
    fn see(&mut self, at: Span, seen: Seen) {
        if let Some(frame) = self.frame() {
            frame.parts.insert(at, seen);
        }
    }

    /// The formula frame of the slot being traced, when evaluation is in that slot's own frame.
    fn frame(&mut self) -> Option<&mut Frame> {
        let depth = self.trace.len();
        self.seen.last_mut().filter(|f| f.depth == depth)
    }

    /// The formula of an expression from what its parts evaluated to ([`Machine::see`]).
    fn term(&self, e: &'p Expr, frame: &Frame, depth: u32) -> Term {
        let seen = &frame.parts;
        if depth > MAX_FORMULA_DEPTH {
            return match seen.get(&e.span) {
                Some(Seen::Value(v) | Seen::Arg(v, _) | Seen::Named(v)) => value_term(v, None, None),
                _ => Term::Unevaluated,
            };
        }
        let Some(here) = seen.get(&e.span) else {
            return Term::Unevaluated;
        };
        let value = match here {
            Seen::Node(i) => return Term::Input { input: *i },
            Seen::Named(v) => {
                let name = self.source_text(e.span);
                return value_term(v, (!name.is_empty()).then_some(name), None);
            }
            Seen::Arg(v, written) => {
                let name = self.source_text(e.span);
                return value_term(v, (!name.is_empty()).then_some(name), self.loc(*written));
            }
            Seen::Value(v) => v,
        };
        let op = |op: &str, args: Vec<Term>| Term::Op {
            op: op.to_string(),
            args,
            value: value.display(),
            amount: Amount::of(value),
        };
        match &e.kind {
            // A constant folded into a literal keeps its name (`CLAIMS_ACCOUNTS`).
            ExprKind::Lit(v) => value_term(v, self.constant_name(e), self.loc(e.span)),
            ExprKind::Binary(o, a, b) => op(
                o.symbol(),
                vec![self.term(a, frame, depth + 1), self.term(b, frame, depth + 1)],
            ),
            ExprKind::Unary(o, a) => op(
                match o {
                    UnOp::Neg => "neg",
                    UnOp::Not => "not",
                },
                vec![self.term(a, frame, depth + 1)],
            ),
            ExprKind::Field(base, name) => match self.term(base, frame, depth + 1) {
                // A field of a named record (`validation.percent`) is a named value itself,
                // written where the record was.
                Term::Value { name: Some(n), at, .. } => value_term(value, Some(format!("{n}.{name}")), at),
                base => op(&format!(".{name}"), vec![base]),
            },
            ExprKind::Cast(a) => self.term(a, frame, depth + 1),
            ExprKind::If(c, t, f) => {
                let taken = frame.branches.get(&e.span).copied().unwrap_or(false);
                Term::If {
                    cond: Box::new(self.term(c, frame, depth + 1)),
                    taken,
                    branch: Box::new(self.term(if taken { t } else { f }, frame, depth + 1)),
                }
            }
            ExprKind::Call(f, args) => op(&f.name, args.iter().map(|a| self.term(a, frame, depth + 1)).collect()),
            ExprKind::Builtin(b, args) => op(
                &snake(&format!("{b:?}")),
                args.iter().flatten().map(|a| self.term(a, frame, depth + 1)).collect(),
            ),
            ExprKind::Lines(tag, _) => value_term(value, Some(format!("lines({tag})")), None),
            _ => value_term(value, None, None),
        }
    }

    /// Enters the node through [`stack::deeper`] (see `crate::stack`).
    /// Evaluates `e` within the budget: at most [`MAX_STEPS`] expressions per evaluation, texts of
    /// at most [`MAX_TEXT`] bytes and lists of at most [`MAX_LIST`] elements, so that no contract
    /// can take unbounded time or memory (functions that call each other twice make work
    /// exponential in their depth; a text or list added to itself doubles).
    fn eval(&mut self, e: &'p Expr, scope: &Scope<'p>, cx: &Cx<'p>) -> R<Value> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            // Reported where the evaluation started (the line or constant), not where it ran out.
            return Err(EvalError {
                kind: EvalErrorKind::TooManySteps,
                span: None,
            });
        }
        let before = if cx.tracing {
            self.trace.last().map(Vec::len)
        } else {
            None
        };
        let value = crate::stack::deeper(|| self.eval_here(e, scope, cx))?;
        if let Some(before) = before {
            self.saw(e, &value, before);
        }
        if cfg!(debug_assertions) && !value.belongs_to(&e.ty) {
            let ty = e.ty.to_string();
            return Err(EvalError::new(InternalError::Unsound { value, ty }, e.span));
        }
        match &value {
            Value::Text(t) if t.len() > MAX_TEXT => Err(EvalError::new(EvalErrorKind::TextTooLong, e.span)),
            Value::List(l) if l.len() > MAX_LIST => Err(EvalError::new(EvalErrorKind::ListTooLong, e.span)),
            _ => Ok(value),
        }
    }

    /// Notes the value of a traced part: a let or line, or a builtin that recorded its node, is
    /// that input of the formula; a local notes itself ([`Machine::local`]).
    fn saw(&mut self, e: &'p Expr, value: &Value, before: usize) {
        // Most traced evaluation is outside a formula's own frame (a builtin's arguments, a
        // window's months): nothing to note, and no value to copy.
        if matches!(e.kind, ExprKind::Local(_)) || self.frame().is_none() {
            return;
        }
        let after = self.trace.last().map_or(0, Vec::len);
        let node = match &e.kind {
            // A let, line or function call records exactly its own node (`lines` records the
            // lines it adds).
            ExprKind::BodyRef(_) | ExprKind::Call(..) if after == before + 1 => Some(before),
            ExprKind::Builtin(..) if after > before && self.traced == Some((e.span, after - 1)) => Some(after - 1),
            _ => None,
        };
        let seen = match node {
            Some(i) => Seen::Node(i),
            None => Seen::Value(value.clone()),
        };
        self.see(e.span, seen);
    }

    fn eval_here(&mut self, e: &'p Expr, scope: &Scope<'p>, cx: &Cx<'p>) -> R<Value> {
        let span = e.span;
        match &e.kind {
            ExprKind::Lit(v) => Ok(v.clone()),
            ExprKind::Error => Err(EvalError::new(InternalError::ErroneousExpression, span)),
            ExprKind::Local(i) => self.local(scope, *i, cx, span),
            ExprKind::BodyRef(i) => self.body_ref(scope, *i, cx, span),
            ExprKind::Call(f, args) => {
                let locals: Vec<Bind<'p>> = args.iter().map(|a| Bind::Lazy(a, scope.clone())).collect();
                let inner = Scope {
                    locals: Rc::new(locals),
                    env: None,
                };
                let body_cx = Cx {
                    row: None,
                    ..cx.clone()
                };
                // Past MAX_TRACE_DEPTH nested frames a call is no node of its own (a chain of
                // thousands of functions would make a trace as deep, and every pass over it with
                // it): its value stands in its caller's formula.
                if !cx.tracing || self.trace.is_empty() || !self.room_to_trace() {
                    return self.eval(&f.body, &inner, &body_cx);
                }
                // Traced, a call is a node of its own: the function's formula over its arguments
                // (each with where the caller wrote it), and the nodes its body read.
                let (value, node) = self.traced(&f.body, &inner, &body_cx, |m, v, formula, inputs| TraceNode {
                    formula,
                    source: m.loc(f.span),
                    inputs,
                    ..TraceNode::of(format!("call {}", f.name), v)
                })?;
                self.record(cx, Arc::new(node));
                Ok(value)
            }
            ExprKind::Builtin(b, args) => self.builtin(*b, args, scope, cx, span),
            ExprKind::Unary(op, a) => {
                let v = self.eval(a, scope, cx)?;
                unary(*op, v).map_err(|k| EvalError::new(k, span))
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, scope, cx, span),
            ExprKind::Field(base, name) => {
                let v = self.eval(base, scope, cx)?;
                field(&v, name).ok_or_else(|| EvalError::new(InternalError::NoField { name: name.clone() }, span))
            }
            ExprKind::RowField(..) | ExprKind::Table(_) | ExprKind::Column(..) | ExprKind::Where(..) => {
                self.data_node(e, cx)
            }
            ExprKind::If(c, t, f) => {
                let taken = self.eval(c, scope, cx)? == Value::Bool(true);
                if cx.tracing
                    && let Some(frame) = self.frame()
                {
                    frame.branches.insert(span, taken);
                }
                self.eval(if taken { t } else { f }, scope, cx)
            }
            ExprKind::List(..)
            | ExprKind::Comprehension(..)
            | ExprKind::Record(_)
            | ExprKind::Tiers(_)
            | ExprKind::Text(_) => self.composite(e, scope, cx),
            ExprKind::Cast(a) => {
                let v = self.eval(a, scope, cx)?;
                Ok(match (&v, &e.ty) {
                    (Value::Number(d), crate::ty::Ty::Quantity(u)) => Value::Quantity(*d, *u),
                    (Value::Quantity(d, _), _) => Value::Number(*d),
                    _ => v,
                })
            }
            ExprKind::Lines(tag, group) => self.lines(tag, group.as_deref(), scope, cx, span),
        }
    }

    /// A let or line of the enclosing body: its slot's value (only with a plan: in compile-time
    /// evaluation a let is not constant).
    fn body_ref(&mut self, scope: &Scope<'p>, i: u32, cx: &Cx<'p>, span: Span) -> R<Value> {
        let Some(env) = scope.env else {
            return Err(EvalError::new(EvalErrorKind::NotConstant(Uses::LetOrLine), span));
        };
        let resolved = if let Some(plan) = self.plan {
            plan.resolve_ref(env, i)
        } else {
            resolve_in(self.envs, env, i)
        };
        match (resolved, self.plan) {
            (Some(slot), Some(_)) => self.slot(slot, cx, span),
            (Some(slot), None) => {
                let name = self.slots.get(slot as usize).map_or(Uses::LetOrLine, |s| Uses::Let {
                    name: s.name.to_string(),
                });
                Err(EvalError::new(EvalErrorKind::NotConstant(name), span))
            }
            (None, _) => Err(EvalError::new(EvalErrorKind::NotConstant(Uses::LetOrLine), span)),
        }
    }

    /// A column of the row being filtered; a table, column or filtered table outside a query is
    /// not a value.
    fn data_node(&mut self, e: &'p Expr, cx: &Cx<'p>) -> R<Value> {
        let span = e.span;
        match &e.kind {
            ExprKind::RowField(table, col) => {
                let Some((t, row)) = cx.row.filter(|(t, _)| t == table) else {
                    return Err(EvalError::new(
                        EvalErrorKind::NotConstant(Uses::Column { column: col.clone() }),
                        span,
                    ));
                };
                let _ = t;
                row_value(*table, row, col)
                    .ok_or_else(|| EvalError::new(EvalErrorKind::BadColumnValue { column: col.clone() }, span))
            }
            ExprKind::Table(t) => Err(EvalError::new(
                EvalErrorKind::NotConstant(Uses::Table { table: *t }),
                span,
            )),
            ExprKind::Column(t, c) => Err(EvalError::new(
                EvalErrorKind::NotConstant(Uses::TableColumn {
                    table: *t,
                    column: c.clone(),
                }),
                span,
            )),
            ExprKind::Where(..) => Err(EvalError::new(EvalErrorKind::NotConstant(Uses::FilteredTable), span)),
            _ => Err(EvalError::new(InternalError::NotA(Expected::DataNode), span)),
        }
    }

    /// Lists, comprehensions, records, tier tables and text: their parts evaluated in order.
    fn composite(&mut self, e: &'p Expr, scope: &Scope<'p>, cx: &Cx<'p>) -> R<Value> {
        let span = e.span;
        match &e.kind {
            ExprKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(i, scope, cx)?);
                }
                Ok(Value::List(Arc::new(out)))
            }
            ExprKind::Comprehension(body, list) => {
                let Value::List(items) = self.eval(list, scope, cx)? else {
                    return Err(EvalError::new(InternalError::NotA(Expected::List), span));
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
                        TextPart::Expr(x) => s.push_str(&self.eval(x, scope, cx)?.display_in_text()),
                    }
                }
                Ok(Value::text(&s))
            }
            _ => Err(EvalError::new(InternalError::NotA(Expected::Composite), span)),
        }
    }

    /// `lines(tag, group:)`: Σ of the rounded lines of the plan with the tag.
    fn lines(&mut self, tag: &str, group: Option<&'p Expr>, scope: &Scope<'p>, cx: &Cx<'p>, span: Span) -> R<Value> {
        let group = match group {
            Some(g) => match self.eval(g, scope, cx)? {
                Value::Number(n) => u32::try_from(n.trunc().mantissa()).ok(),
                _ => None,
            },
            None => None,
        };
        let Some(plan) = self.plan else {
            return Err(EvalError::new(EvalErrorKind::NotConstant(Uses::InvoiceLines), span));
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
                        EvalErrorKind::NotConstant(Uses::Table { table: *t }),
                        e.span,
                    ));
                };
                if !data.covers(*t, &cx.site, cx.month) {
                    return Err(EvalError::new(
                        EvalErrorKind::MissingData(Missing::NotLoaded {
                            table: *t,
                            month: cx.month,
                            site: cx.site.to_string(),
                        }),
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
                    let text = self.filter_text(cond, scope, cx);
                    filters.push(text);
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
                    None => Err(EvalError::new(EvalErrorKind::NotConstant(Uses::AnyTable), e.span)),
                }
            }
            ExprKind::Local(i) => match scope.locals.get(*i as usize).cloned() {
                Some(Bind::Lazy(x, s)) => self.select(x, &s, cx),
                _ => Err(EvalError::new(InternalError::NotA(Expected::Table), e.span)),
            },
            _ => Err(EvalError::new(InternalError::NotA(Expected::Table), e.span)),
        }
    }

    /// A filter as written, then the values of the names it uses: `account in accounts (accounts
    /// = ["6000", "6010"])`, what the rows were selected by and not only its words. A name whose
    /// value depends on the row (none: a filter's names are arguments and lets) is left as written.
    fn filter_text(&mut self, cond: &'p Expr, scope: &Scope<'p>, cx: &Cx<'p>) -> String {
        let text = self.source_text(cond.span);
        let mut names: Vec<(String, String)> = Vec::new();
        let mut todo = vec![cond];
        while let Some(e) = todo.pop() {
            match &e.kind {
                ExprKind::Lit(v) => {
                    if let Some(name) = self.constant_name(e)
                        && !names.iter().any(|(n, _)| *n == name)
                    {
                        names.push((name, v.display()));
                    }
                }
                ExprKind::Local(_) | ExprKind::BodyRef(_) => {
                    let name = self.source_text(e.span);
                    if names.iter().any(|(n, _)| *n == name) {
                        continue;
                    }
                    let quiet = Cx {
                        row: None,
                        tracing: false,
                        ..cx.clone()
                    };
                    if let Ok(v) = self.eval(e, scope, &quiet) {
                        names.push((name, v.display()));
                    }
                }
                _ => {
                    let mut kids = Vec::new();
                    crate::hir::for_each_child(e, &mut |c| kids.push(c));
                    todo.extend(kids.into_iter().rev());
                }
            }
        }
        if names.is_empty() {
            return text;
        }
        let values: Vec<String> = names.iter().map(|(n, v)| format!("{n} = {v}")).collect();
        format!("{text} ({})", values.join("; "))
    }

    /// The name a literal was written as, when it is a constant folded at check time
    /// (`CLAIMS_ACCOUNTS`): its source text is a name, not the literal itself.
    fn constant_name(&self, e: &Expr) -> Option<String> {
        if matches!(&e.kind, ExprKind::Lit(Value::Enum(_))) {
            return None;
        }
        let first = self
            .plan
            .and_then(|p| p.sources.files.get(e.span.file.0 as usize))
            .and_then(|(_, text)| text.get(e.span.range()))
            .and_then(|t| t.chars().next());
        if !first.is_some_and(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let text = self.source_text(e.span);
        let mut chars = text.chars();
        let is_name = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !matches!(text.as_str(), "true" | "false");
        is_name.then_some(text)
    }

    fn source_text(&self, span: Span) -> String {
        self.plan
            .and_then(|p| p.sources.files.get(span.file.0 as usize))
            .and_then(|(_, text)| text.get(span.range()))
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }

    /// A builtin call: folded only when it does not depend on the service month; its rule is the
    /// builtin's family's (`builtins`), which evaluates arguments through [`BuiltinCall`].
    fn builtin(
        &mut self,
        b: Builtin,
        args: &'p [Option<Expr>],
        scope: &Scope<'p>,
        cx: &Cx<'p>,
        span: Span,
    ) -> R<Value> {
        if !self.month_known && builtins::month_dependent(b, args) {
            return Err(EvalError::new(
                EvalErrorKind::NotConstant(Uses::ServiceMonth {
                    builtin: snake(&format!("{b:?}")),
                }),
                span,
            ));
        }
        let mut call = BuiltinCall {
            m: self,
            args,
            scope,
            cx,
            span,
        };
        builtins::eval(b, &mut call)
    }
}

/// One builtin call as its rule sees it: the machine, the arguments and where the call is.
struct BuiltinCall<'m, 'p> {
    m: &'m mut Machine<'p>,
    args: &'p [Option<Expr>],
    scope: &'m Scope<'p>,
    cx: &'m Cx<'p>,
    span: Span,
}

impl<'p> Call<'p> for BuiltinCall<'_, 'p> {
    fn args(&self) -> &'p [Option<Expr>] {
        self.args
    }

    fn span(&self) -> Span {
        self.span
    }

    fn month(&self) -> YearMonth {
        self.cx.month
    }

    fn site(&self) -> Arc<str> {
        self.cx.site.clone()
    }

    fn data(&self) -> Option<&'p dyn DataView> {
        self.m.data
    }

    fn effective(&self) -> Option<NaiveDate> {
        self.m.plan.and_then(|p| p.effective)
    }

    fn tracing(&self) -> bool {
        self.cx.tracing
    }

    fn eval_at(&mut self, i: usize, at: At<'_>) -> R<Option<Value>> {
        let Some(Some(e)) = self.args.get(i) else {
            return Ok(None);
        };
        let v = match at {
            At::Here => self.m.eval(e, self.scope, self.cx)?,
            At::Month(month) => self.m.eval(e, self.scope, &self.cx.in_month(month))?,
            At::Site(site) => {
                let scx = Cx {
                    site: Arc::from(site),
                    tracing: false,
                    row: None,
                    ..self.cx.clone()
                };
                self.m.eval(e, self.scope, &scx)?
            }
        };
        Ok(Some(v))
    }

    fn eval_month(&mut self, i: usize, month: YearMonth) -> R<Option<(Value, Option<TraceNode>)>> {
        let Some(Some(e)) = self.args.get(i) else {
            return Ok(None);
        };
        if !self.cx.tracing || !self.m.room_to_trace() {
            return Ok(Some((self.m.eval(e, self.scope, &self.cx.in_month(month))?, None)));
        }
        let cx = Cx {
            tracing: true,
            ..self.cx.in_month(month)
        };
        let (value, node) = self.m.traced(e, self.scope, &cx, |_, v, formula, inputs| TraceNode {
            formula,
            inputs,
            ..TraceNode::of(format!("month {month}"), v)
        })?;
        Ok(Some((value, Some(node))))
    }

    fn select(&mut self, i: usize) -> R<Selection<'p>> {
        let Some(Some(e)) = self.args.get(i) else {
            return Err(EvalError::new(InternalError::MissingArgument, self.span));
        };
        self.m.select(e, self.scope, self.cx)
    }

    fn trace(&mut self, node: TraceNode) {
        let node = TraceNode {
            source: self.m.loc(self.span),
            ..node
        };
        self.m.record(self.cx, Arc::new(node));
        if self.cx.tracing {
            let at = self.m.trace.last().map_or(0, Vec::len).saturating_sub(1);
            self.m.traced = Some((self.span, at));
        }
    }
}

/// How deep a trace goes: nested lets, lines and function calls below this many levels are not
/// traced further (`README` → limits). With [`MAX_FORMULA_DEPTH`], it keeps `trace.json` within
/// the 128 levels of nesting a JSON reader (serde_json's) accepts: 4 for the invoice and line, 2
/// per node, 3 per formula level.
const MAX_TRACE_DEPTH: usize = 32;

/// How deep a formula goes: a part nested deeper is shown as its value.
const MAX_FORMULA_DEPTH: u32 = 16;

/// What the parts of a traced slot's expression evaluated to, for its formula.
#[derive(Default)]
struct Frame {
    /// The depth of [`Machine::trace`] the slot's inputs are recorded at.
    depth: usize,
    parts: FxHashMap<Span, Seen>,
    /// Whether each `if` took its `then` branch.
    branches: FxHashMap<Span, bool>,
}

/// What a part of a traced slot's expression evaluated to.
enum Seen {
    Value(Value),
    /// An argument's value and where the argument was written.
    Arg(Value, Span),
    /// The value of a name bound before the run: a parameter's default, a loop variable.
    Named(Value),
    /// The node recorded for it (a let, line or builtin), by index among the slot's inputs.
    Node(usize),
}

/// A formula, unless it says nothing its node's inputs do not: the only input itself, or a value
/// written nowhere in particular. (With several inputs, even a bare input says which is the value.)
fn formula_worth_showing(formula: Term, inputs: usize) -> Option<Term> {
    match formula {
        Term::Input { .. } if inputs == 1 => None,
        Term::Unevaluated
        | Term::Value {
            name: None, at: None, ..
        } => None,
        f => Some(f),
    }
}

/// A value as a formula's leaf.
fn value_term(v: &Value, name: Option<String>, at: Option<Arc<crate::trace::SourceLoc>>) -> Term {
    // A list of numbers lists them exactly (a `sum` of it can be checked).
    let items = match v {
        Value::List(items) => items
            .iter()
            .map(Amount::of)
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    Term::Value {
        value: v.display(),
        amount: Amount::of(v),
        items,
        name,
        at,
    }
}

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

/// The value of a field of a record or tier result.
fn field(v: &Value, name: &str) -> Option<Value> {
    match v {
        Value::Record(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, x)| x.clone()),
        Value::TierResult(t) => t.field(name),
        _ => None,
    }
}

/// Arithmetic and comparison on values; the types were checked, so mismatches here are bugs
/// reported as errors, not panics.
fn binop(op: BinOp, l: &Value, r: &Value, tys: &(crate::ty::Ty, crate::ty::Ty)) -> Result<Value, EvalErrorKind> {
    let _ = tys;
    use Value as V;
    let bad = || {
        EvalErrorKind::from(InternalError::BadOperands {
            op,
            left: l.clone(),
            right: r.clone(),
        })
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

/// `not` and unary minus.
fn unary(op: UnOp, v: Value) -> Result<Value, EvalErrorKind> {
    match (op, v) {
        (UnOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
        (UnOp::Neg, v) => match v.decimal() {
            Some(d) => Ok(v.with_decimal(-d)),
            None => Err(InternalError::CannotNegate.into()),
        },
        _ => Err(InternalError::BadOperand.into()),
    }
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a.decimal(), b.decimal()) {
        (Some(x), Some(y)) => x == y && std::mem::discriminant(a) == std::mem::discriminant(b),
        _ => a == b,
    }
}

pub use run::{ContractRun, RunLine, run_contract, run_contract_keeping_zero};
