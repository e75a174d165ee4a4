//! From a checked contract to a calculation plan: components instantiated, compile-time `if`/`for`
//! unrolled, invoice groups resolved, every let and line a numbered slot with its source span, and a
//! dependency order in which no slot comes before what it reads.
//!
//! INVARIANT: a [`Plan`] is self-contained (owned, `Arc`s, no salsa ids): evaluation needs nothing
//! else, so rayon workers share plans freely. Every line's group exists in the contract.

use crate::check::CheckedContract;
use crate::diag::{Code, Diagnostic};
use crate::eval;
use crate::hir::{Expr, ExprKind, Stmt};
use crate::plan::*;
use crate::span::Span;
use crate::value::Value;
use rust_decimal::Decimal;
use rustc_hash::FxHashSet;
use std::sync::Arc;

struct Compiler<'c> {
    contract: &'c CheckedContract,
    slots: Vec<Slot>,
    envs: Vec<Env>,
    lines: Vec<(LinePlan, usize)>,
    checks: Vec<CheckPlan>,
    diags: Vec<Diagnostic>,
    sources: Arc<SourceIndex>,
    /// Statements compiled so far (a `for` repeats its body's), against [`MAX_STATEMENTS`].
    statements: usize,
    /// The list of the outermost `for` being unrolled, where an oversized plan is reported.
    unrolling: Option<Span>,
    /// The contract's component block being compiled (the outermost one): errors that arise in a
    /// component's body, in the library, are the block's, and are reported there.
    instance: Option<Span>,
}

/// The most statements one contract may compile to, `for` bodies counted once per element: the
/// largest contract of the repository compiles to a few hundred; nested `for` loops over ten
/// elements eight deep would make 10⁸ lines and exhaust memory ([`Code::PlanTooLarge`]).
pub const MAX_STATEMENTS: usize = 100_000;

/// Compiles a checked contract into a plan. Errors (unknown groups, data-dependent compile-time
/// values, cycles through `lines(tag)`) are diagnostics; the plan is `None` if there were any.
pub fn compile(contract: &CheckedContract, file: &str, sources: Arc<SourceIndex>) -> (Option<Plan>, Vec<Diagnostic>) {
    let mut c = Compiler {
        contract,
        slots: Vec::new(),
        envs: vec![Env {
            bindings: Vec::new(),
            refs: vec![None; contract.refs as usize],
            parent: None,
        }],
        lines: Vec::new(),
        checks: Vec::new(),
        diags: Vec::new(),
        sources,
        statements: 0,
        unrolling: None,
        instance: None,
    };
    c.stmts(&contract.body, 0, "");
    let mut lines = std::mem::take(&mut c.lines);
    lines.sort_by(|a, b| a.0.order.cmp(&b.0.order).then(a.1.cmp(&b.1)));
    let lines: Vec<LinePlan> = lines.into_iter().map(|(l, _)| l).collect();
    for (i, l) in lines.iter().enumerate() {
        if let Some(slot) = c.slots.get_mut(l.slot as usize) {
            slot.kind = SlotKind::Line(i);
        }
    }
    let mut plan = PlanBody {
        site: contract.site.clone(),
        customer: contract.customer.clone(),
        billing: contract.billing,
        terms: contract.terms.clone(),
        effective: contract.effective,
        review: contract.review.clone(),
        groups: contract.groups.clone(),
        file: file.to_string(),
        slots: c.slots,
        envs: c.envs,
        lines,
        checks: c.checks,
        order: Vec::new(),
    };
    let mut diags = c.diags;
    diags.extend(unknown_groups_read(contract, &plan));
    match dependency_order(&plan) {
        Ok(order) => plan.order = order,
        Err(cycle) => diags.push(cycle_diagnostic(&plan, &cycle)),
    }
    if diags.iter().any(Diagnostic::is_error) {
        (None, diags)
    } else {
        (
            Some(Plan {
                body: Arc::new(plan),
                sources: c.sources,
            }),
            diags,
        )
    }
}

impl Compiler<'_> {
    /// A slot for a let or line; its expression is shared with the checked component, not copied.
    fn new_slot(&mut self, name: String, kind: SlotKind, expr: &Arc<Expr>, env: EnvId, span: Span) -> SlotId {
        let id = SlotId::try_from(self.slots.len()).unwrap_or(SlotId::MAX);
        self.slots.push(Slot {
            name,
            kind,
            expr: expr.clone(),
            env,
            span,
        });
        id
    }

    fn set_ref(&mut self, env: EnvId, index: u32, slot: SlotId) {
        if let Some(Some(r)) = self.envs.get_mut(env as usize).map(|e| e.refs.get_mut(index as usize)) {
            *r = Some(slot);
        }
    }

    /// A compile-time value: evaluates without data. Reports E0303 if it needs data.
    fn constant(&mut self, e: &Expr, env: EnvId, what: &str) -> Option<Value> {
        match eval::eval_static(e, env, &self.envs, &self.slots) {
            Ok(v) => Some(v),
            Err(err) => {
                let msg = match &err.kind {
                    eval::EvalErrorKind::NotConstant(uses) => {
                        format!("{what} must be known before any data is read, but it uses {uses}")
                    }
                    other => format!("cannot compute {what}: {}", other.describe()),
                };
                self.diags.push(
                    Diagnostic::error(Code::NotConstant, e.span, msg, "not a compile-time value").with_help(
                        "compile-time values are literals, constants, component arguments and loop variables",
                    ),
                );
                None
            }
        }
    }

    /// Enters the node through [`stack::deeper`] (see `crate::stack`).
    fn stmts(&mut self, stmts: &[Stmt], env: EnvId, prefix: &str) {
        crate::stack::deeper(|| self.stmts_here(stmts, env, prefix))
    }

    fn stmts_here(&mut self, stmts: &[Stmt], env: EnvId, prefix: &str) {
        for s in stmts {
            self.statements += 1;
            if self.statements > MAX_STATEMENTS {
                if self.statements == MAX_STATEMENTS + 1 {
                    let span = self.unrolling.unwrap_or_else(|| stmt_span(s));
                    self.diags.push(
                        Diagnostic::error(
                            Code::PlanTooLarge,
                            span,
                            format!(
                                "the contract compiles to more than {} statements",
                                crate::value::format_count(MAX_STATEMENTS as u64)
                            ),
                            "unrolling this `for` repeats its body once per element",
                        )
                        .with_help("a `for` inside a `for` multiplies: loop over the data with a query (`sum(… where …)`) instead"),
                    );
                }
                return;
            }
            match s {
                Stmt::Let {
                    index,
                    name,
                    value,
                    span,
                } => {
                    let slot = self.new_slot(format!("{prefix}{name}"), SlotKind::Let, value, env, *span);
                    self.set_ref(env, *index, slot);
                }
                Stmt::Line(def) => {
                    let name = def
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("line {}", self.lines.len() + 1));
                    let slot = self.new_slot(format!("{prefix}{name}"), SlotKind::Line(0), &def.amount, env, def.span);
                    self.set_ref(env, def.index, slot);
                    let group = match &def.group {
                        None => 1,
                        Some(g) => match self.constant(g, env, "an invoice group") {
                            Some(Value::Number(n)) => {
                                match u32::try_from(n.trunc().mantissa()).ok().filter(|_| n.fract().is_zero()) {
                                    Some(g) => g,
                                    None => {
                                        self.diags.push(Diagnostic::error(
                                            Code::UnknownGroup,
                                            g.span,
                                            format!("`{n}` is not an invoice group number"),
                                            "not a group",
                                        ));
                                        1
                                    }
                                }
                            }
                            _ => 1,
                        },
                    };
                    let declared = !self.contract.groups.is_empty();
                    if (declared && !self.contract.groups.iter().any(|x| x.number == group))
                        || (!declared && group != 1)
                    {
                        let span = def.group.as_ref().map_or(def.span, |g| g.span);
                        let message = format!(
                            "invoice group {group} does not exist in contract `{}`",
                            self.contract.site
                        );
                        let mut d = match self.instance {
                            // At the user's block, with the component's line as a note.
                            Some(block) => Diagnostic::error(
                                Code::UnknownGroup,
                                block,
                                message,
                                format!("this block bills a line in group {group}"),
                            )
                            .with_label(span, "the component's line takes its group from here"),
                            None => Diagnostic::error(Code::UnknownGroup, span, message, format!("group {group}")),
                        }
                        .with_label(self.contract.name_span, "contract declared here");
                        d = if declared {
                            let list: Vec<String> = self.contract.groups.iter().map(|g| g.number.to_string()).collect();
                            d.with_help(format!("the contract declares groups {}", list.join(", ")))
                        } else {
                            d.with_help(format!("declare it in the contract: `group {group} \"Title\"`"))
                        };
                        self.diags.push(d);
                    }
                    let order = match &def.order {
                        None => Decimal::from(DEFAULT_ORDER),
                        Some(o) => match self.constant(o, env, "a line's order") {
                            Some(Value::Number(n)) => n,
                            _ => Decimal::from(DEFAULT_ORDER),
                        },
                    };
                    let seq = self.lines.len();
                    self.lines.push((
                        LinePlan {
                            slot,
                            title: def.title.clone(),
                            gl: def.gl.clone(),
                            desc: def.desc.clone(),
                            group,
                            tags: def.tags.clone(),
                            order,
                            env,
                            span: def.span,
                        },
                        seq,
                    ));
                }
                Stmt::Check {
                    cond,
                    kind,
                    message,
                    span,
                } => self.checks.push(CheckPlan {
                    cond: cond.clone(),
                    message: message.clone(),
                    kind: *kind,
                    env,
                    span: *span,
                }),
                Stmt::If { cond, then, otherwise } => match self.constant(cond, env, "the condition of a block `if`") {
                    Some(Value::Bool(true)) => self.stmts(then, env, prefix),
                    Some(Value::Bool(false)) => self.stmts(otherwise, env, prefix),
                    _ => {}
                },
                Stmt::For { list, body } => {
                    let Some(Value::List(items)) = self.constant(list, env, "the list of a block `for`") else {
                        continue;
                    };
                    let outermost = self.unrolling.is_none();
                    if outermost {
                        self.unrolling = Some(list.span);
                    }
                    let (bindings, refs_len) = match self.envs.get(env as usize) {
                        Some(e) => (e.bindings.clone(), e.refs.len()),
                        None => continue,
                    };
                    for item in items.iter() {
                        let mut b = bindings.clone();
                        b.push(Binding::Value(item.clone()));
                        let child = EnvId::try_from(self.envs.len()).unwrap_or(EnvId::MAX);
                        self.envs.push(Env {
                            bindings: b,
                            refs: vec![None; refs_len],
                            parent: Some(env),
                        });
                        self.stmts(body, child, prefix);
                    }
                    if outermost {
                        self.unrolling = None;
                    }
                }
                Stmt::Instance {
                    component,
                    name,
                    args,
                    span,
                } => {
                    let outermost = self.instance.is_none();
                    if outermost {
                        self.instance = Some(*span);
                    }
                    let mut bindings = Vec::new();
                    for (param, arg) in component.params.iter().zip(args) {
                        bindings.push(match arg {
                            Some(a) => Binding::Arg(a.clone(), env),
                            None => Binding::Value(param.default.clone().unwrap_or(Value::Bool(false))),
                        });
                    }
                    let child = EnvId::try_from(self.envs.len()).unwrap_or(EnvId::MAX);
                    self.envs.push(Env {
                        bindings,
                        refs: vec![None; component.refs as usize],
                        parent: None,
                    });
                    let inner_prefix = format!("{prefix}{name}.");
                    self.stmts(&component.body, child, &inner_prefix);
                    if outermost {
                        self.instance = None;
                    }
                }
            }
        }
    }
}

/// The slots a slot reads directly (through arguments and `lines(tag)` too). `seen` is scratch space
/// (expressions already visited, per environment), emptied here: one set serves every slot of a plan.
fn dependencies(plan: &PlanBody, slot: SlotId, seen: &mut FxHashSet<(usize, EnvId)>) -> Vec<SlotId> {
    let mut out = Vec::new();
    if let Some(s) = plan.slots.get(slot as usize) {
        seen.clear();
        deps(plan, &s.expr, s.env, &mut out, seen);
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn deps(plan: &PlanBody, e: &Expr, env: EnvId, out: &mut Vec<SlotId>, seen: &mut FxHashSet<(usize, EnvId)>) {
    let key = (std::ptr::from_ref(e) as usize, env);
    if !seen.insert(key) {
        return;
    }
    match &e.kind {
        ExprKind::BodyRef(i) => {
            if let Some(s) = plan.resolve_ref(env, *i) {
                out.push(s);
            }
        }
        ExprKind::Local(i) => {
            if let Some(Binding::Arg(arg, arg_env)) =
                plan.envs.get(env as usize).and_then(|e| e.bindings.get(*i as usize))
            {
                deps(plan, arg, *arg_env, out, seen);
            }
        }
        ExprKind::Lines(tag, _) => out.extend(plan.tagged(tag, None).map(|l| l.slot)),
        _ => {}
    }
    crate::hir::for_each_child(e, &mut |child| deps(plan, child, env, out, seen));
}

/// Slots ordered so that each comes after what it reads; or the slots of a cycle.
/// `lines(tag, group: 7)` written in the contract, where the contract has no group 7 (E0302): it would
/// silently read nothing. (Groups passed through a component's arguments are checked on its lines.)
fn unknown_groups_read(contract: &CheckedContract, plan: &PlanBody) -> Vec<Diagnostic> {
    fn visit(e: &Expr, slot: &Slot, contract: &CheckedContract, plan: &PlanBody, out: &mut Vec<Diagnostic>) {
        crate::hir::for_each_child(e, &mut |c| visit(c, slot, contract, plan, out));
        let ExprKind::Lines(_, Some(g)) = &e.kind else {
            return;
        };
        if g.span.file != contract.name_span.file {
            return;
        }
        let Ok(Value::Number(n)) = eval::eval_static(g, slot.env, &plan.envs, &plan.slots) else {
            return;
        };
        let exists = if contract.groups.is_empty() {
            n == rust_decimal::Decimal::ONE
        } else {
            contract
                .groups
                .iter()
                .any(|x| rust_decimal::Decimal::from(x.number) == n)
        };
        if !exists {
            out.push(
                Diagnostic::error(
                    Code::UnknownGroup,
                    g.span,
                    format!(
                        "`lines` reads invoice group {n}, which does not exist in contract `{}`",
                        contract.site
                    ),
                    format!("group {n}"),
                )
                .with_label(contract.name_span, "contract declared here"),
            );
        }
    }
    let mut out = Vec::new();
    for slot in &plan.slots {
        visit(&slot.expr, slot, contract, plan, &mut out);
    }
    out.sort_by_key(|d| d.primary.span.start);
    out.dedup_by_key(|d| d.primary.span.start);
    out
}

fn dependency_order(plan: &PlanBody) -> Result<Vec<SlotId>, Vec<SlotId>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let n = plan.slots.len();
    let mut seen = FxHashSet::default();
    let graph: Vec<Vec<SlotId>> = (0..n)
        .map(|i| dependencies(plan, SlotId::try_from(i).unwrap_or(0), &mut seen))
        .collect();
    let mut mark = vec![Mark::New; n];
    let mut order = Vec::with_capacity(n);
    for start in 0..n {
        if mark.get(start) != Some(&Mark::New) {
            continue;
        }
        // iterative DFS: (node, next child index)
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        if let Some(m) = mark.get_mut(start) {
            *m = Mark::Active;
        }
        while let Some((node, child)) = stack.last().copied() {
            let next = graph.get(node).and_then(|g| g.get(child)).copied();
            match next {
                Some(dep) => {
                    if let Some(top) = stack.last_mut() {
                        top.1 += 1;
                    }
                    let d = dep as usize;
                    match mark.get(d) {
                        Some(Mark::New) => {
                            if let Some(m) = mark.get_mut(d) {
                                *m = Mark::Active;
                            }
                            stack.push((d, 0));
                        }
                        Some(Mark::Active) => {
                            let pos = stack.iter().position(|(x, _)| *x == d).unwrap_or(0);
                            let cycle = stack
                                .iter()
                                .skip(pos)
                                .map(|(x, _)| SlotId::try_from(*x).unwrap_or(0))
                                .collect();
                            return Err(cycle);
                        }
                        _ => {}
                    }
                }
                None => {
                    stack.pop();
                    if let Some(m) = mark.get_mut(node) {
                        *m = Mark::Done;
                    }
                    order.push(SlotId::try_from(node).unwrap_or(0));
                }
            }
        }
    }
    Ok(order)
}

fn cycle_diagnostic(plan: &PlanBody, cycle: &[SlotId]) -> Diagnostic {
    let mut names: Vec<String> = cycle
        .iter()
        .filter_map(|s| plan.slots.get(*s as usize).map(|x| format!("`{}`", x.name)))
        .collect();
    // Close the loop in the message: `x` → `y` → `x`.
    if let Some(head) = names.first().cloned() {
        names.push(head);
    }
    let first = cycle.first().and_then(|s| plan.slots.get(*s as usize));
    let span = first.map_or(Span::default(), |s| s.span);
    let mut d = Diagnostic::error(
        Code::Cycle,
        span,
        format!("these values depend on each other: {}", names.join(" → ")),
        "part of a cycle",
    )
    .with_help("break the loop: compute one of these without reading the others (directly or through `lines(tag)`)");
    for s in cycle.iter().skip(1) {
        if let Some(slot) = plan.slots.get(*s as usize) {
            d = d.with_label(slot.span, format!("`{}`", slot.name));
        }
    }
    d
}

/// The lines of a plan that an `expect line` of a test block answers, when that is known before
/// any data: two or more lines to which the contract itself gives the expected title (a `line`
/// written in it, or a component it passes the title to), in the expected group if it names one,
/// is an ambiguous expectation (E0310). Lines that take a title from the library (a default, or
/// the overtime companion of a `per_labor_hour` line) are not counted here: which of them bills
/// depends on the data, and `billc test` refuses the expectation when more than one does.
pub fn test_expects(plan: &PlanBody, test: &crate::syntax::ast::Test) -> Vec<Diagnostic> {
    use crate::syntax::ast::{Expect, ExprKind as A, TextPart};
    let literal = |e: &crate::syntax::ast::Expr| -> Option<String> {
        match &e.kind {
            A::Text(parts) => parts
                .iter()
                .map(|p| match p {
                    TextPart::Lit(s) => Some(s.as_str()),
                    TextPart::Expr(_) => None,
                })
                .collect::<Option<String>>(),
            _ => None,
        }
    };
    let mut out = Vec::new();
    for e in &test.expects {
        let Expect::Line {
            title, group, amount, ..
        } = e
        else {
            continue;
        };
        // A list of amounts (`= [$100, $20]`) expects every line of the title, in invoice order.
        if matches!(amount.kind, A::List(_)) {
            continue;
        }
        let Some(title_text) = literal(title) else { continue };
        let group = match group.as_ref().map(|g| &g.kind) {
            None => None,
            Some(A::Number(n)) => u32::try_from(n.trunc().mantissa()).ok(),
            Some(_) => continue,
        };
        // Each line with the title, once per place in the contract that gives it (the regular
        // and overtime lines of one `per_labor_hour` share the argument: one place).
        let mut places: Vec<(Span, &LinePlan)> = plan
            .lines
            .iter()
            .filter(|l| group.is_none_or(|g| g == l.group))
            .filter_map(|l| match contract_title(plan, &l.title, l.env) {
                Some((t, at)) if t == title_text && at.file == test.span.file => Some((at, l)),
                _ => None,
            })
            .collect();
        places.sort_by_key(|(at, _)| *at);
        places.dedup_by_key(|(at, _)| *at);
        if places.len() < 2 {
            continue;
        }
        let groups: Vec<u32> = places.iter().map(|(_, l)| l.group).collect();
        let help = if group.is_none() && groups.iter().any(|g| Some(g) != groups.first()) {
            "the lines are in different invoice groups: name the one you expect (`expect line \"…\" group 2 = …`)"
        } else {
            "list their amounts in invoice order (`expect line \"…\" = [$100, $20]`), or give the lines different titles"
        };
        let mut d = Diagnostic::error(
            Code::AmbiguousExpect,
            title.span,
            format!(
                "{} lines are titled `{title_text}`: this expectation is ambiguous",
                places.len()
            ),
            "which line?",
        )
        .with_help(help);
        for (at, l) in places {
            d = d.with_label(at, format!("a line `{title_text}` of group {}", l.group));
        }
        out.push(d);
    }
    out
}

/// A line title known at compile time and where its text is written: a text literal, or a
/// component argument that is one. `None` for anything else, and for a parameter's default
/// (written in the library, not the contract).
fn contract_title(plan: &PlanBody, e: &Expr, env: EnvId) -> Option<(String, Span)> {
    match &e.kind {
        ExprKind::Lit(Value::Text(t)) => Some((t.to_string(), e.span)),
        ExprKind::Local(i) => match plan.envs.get(env as usize)?.bindings.get(*i as usize)? {
            Binding::Arg(a, arg_env) => contract_title(plan, a, *arg_env),
            Binding::Value(_) => None,
        },
        _ => None,
    }
}

/// Where a statement is written (a block `if` or `for`: its condition or list).
fn stmt_span(stmt: &Stmt) -> Span {
    match stmt {
        Stmt::Let { span, .. } | Stmt::Check { span, .. } | Stmt::Instance { span, .. } => *span,
        Stmt::Line(line) => line.span,
        Stmt::If { cond, .. } => cond.span,
        Stmt::For { list, .. } => list.span,
    }
}
