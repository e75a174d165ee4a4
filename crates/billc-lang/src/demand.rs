//! What data a run needs: for every fact table and site, how many months before the period the
//! contracts' rules read. `billc run` reads only those rows in full; the other rows of earlier months
//! are counted, never parsed, so a run's time and memory follow what the contracts need, not the years
//! of history in the data directory.
//!
//! The analysis walks each compiled plan the way the evaluator would, but over every branch at once
//! and without data: a table read at month offset `back` demands `back` earlier months for the site it
//! is read for. Windows shift the offset of what they wrap (`tiered(…, calendar_year)`, `prior(…)`);
//! `across(sites, …)` moves the read to other sites. Anything the analysis cannot bound statically (a
//! window or month that is not a constant, `at` a computed month, an escalation's rates read at past
//! steps, `across` a computed list of sites) demands the whole history the run allows.
//!
//! INVARIANT: the demand is an over-approximation of what evaluation reads. The evaluator checks each
//! read against it ([`crate::eval::DataView::covers`]), so a gap would surface as a contract failing
//! with "not loaded", never as a silently missing amount.

use crate::builtins::{self, Reach};
use crate::hir::for_each_child;
use crate::hir::{Builtin, Expr, ExprKind};
use crate::plan::{Binding, EnvId, Plan, PlanBody, SlotId};
use crate::schema::TableName;
use crate::time::YearMonth;
use crate::value::Value;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

/// The fact tables, in the order of [`Demand`]'s arrays.
pub const FACT_TABLES: [TableName; 4] = [
    TableName::Revenue,
    TableName::Statistics,
    TableName::Gl,
    TableName::Timesheets,
];

/// The position of a fact table in [`FACT_TABLES`].
pub fn table_slot(t: TableName) -> usize {
    match t {
        TableName::Revenue => 0,
        TableName::Statistics => 1,
        TableName::Gl => 2,
        TableName::Timesheets => 3,
    }
}

/// Site numbers are four digits.
pub const SITES: usize = 10_000;

/// Months before the period that the rules may read, per table and site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Demand {
    /// `back[table][site]`: earlier months read (0: the period only). Never above `history`.
    back: [Vec<u16>; 4],
    history: u16,
    /// `readers[table]`: the sites of the contracts whose rules read the table, in plan order;
    /// `None` for [`Demand::everything`], which was computed from no plans.
    readers: Option<[Vec<String>; 4]>,
}

/// How far back a read reaches: a number of months, or [`UNBOUNDED`].
type Back = u32;
const UNBOUNDED: Back = u32::MAX;

/// Which sites a read is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Sites {
    /// The contract's own site.
    Own,
    /// The sites named in an `across`.
    Listed(Rc<Vec<String>>),
    /// Sites not known before the run.
    All,
}

impl Demand {
    /// Every site reads `history` earlier months of every table (what a run without plans assumes).
    pub fn everything(history: u32) -> Demand {
        let h = clamp(history);
        Demand {
            back: std::array::from_fn(|_| vec![h; SITES]),
            history: h,
            readers: None,
        }
    }

    /// The demand of a set of plans for a period, each read capped at `history` months.
    pub fn of_plans(plans: &[Arc<Plan>], period: YearMonth, history: u32) -> Demand {
        use rayon::prelude::*;
        let h = clamp(history);
        let mut demand = Demand {
            back: std::array::from_fn(|_| vec![0; SITES]),
            history: h,
            readers: None,
        };
        let mut readers: [Vec<String>; 4] = Default::default();
        // The plans are walked in parallel; the reads are merged in plan order (a maximum, so the
        // order does not matter anyway).
        let all: Vec<Vec<Read>> = plans.par_iter().map(|p| reads(p, period)).collect();
        for (plan, reads) in plans.iter().zip(all) {
            let mut read = [false; 4];
            for (sites, table, back) in reads {
                if let Some(seen) = read.get_mut(table_slot(table))
                    && !std::mem::replace(seen, true)
                    && let Some(r) = readers.get_mut(table_slot(table))
                {
                    r.push(plan.site.clone());
                }
                let months = u16::try_from(back).unwrap_or(u16::MAX).min(h);
                let Some(per_site) = demand.back.get_mut(table_slot(table)) else {
                    continue;
                };
                match sites {
                    Target::Own => raise(per_site, &plan.site, months),
                    Target::Listed(list) => list.iter().for_each(|s| raise(per_site, s, months)),
                    Target::All => per_site.iter_mut().for_each(|b| *b = (*b).max(months)),
                }
            }
        }
        demand.readers = Some(readers);
        demand
    }

    /// The sites of the contracts whose rules read `table`, in plan order; `None` when this demand
    /// was computed from no plans ([`Demand::everything`]).
    pub fn readers(&self, table: TableName) -> Option<&[String]> {
        self.readers.as_ref()?.get(table_slot(table)).map(Vec::as_slice)
    }

    /// Earlier months of `table` that site number `site` reads.
    pub fn back(&self, table: TableName, site: usize) -> u16 {
        self.back
            .get(table_slot(table))
            .and_then(|v| v.get(site))
            .copied()
            .unwrap_or(0)
    }

    /// Whether site number `site` reads `table` `back` months before the period.
    pub fn reads(&self, table: TableName, site: usize, back: i64) -> bool {
        reaches(self.table(table), site, back)
    }

    /// The most months any site reads of a table.
    pub fn deepest(&self, table: TableName) -> u16 {
        self.back
            .get(table_slot(table))
            .and_then(|v| v.iter().max())
            .copied()
            .unwrap_or(0)
    }

    /// The history cap this demand was computed with.
    pub fn history(&self) -> u16 {
        self.history
    }

    /// The per-site months of a table, indexed by site number.
    pub fn table(&self, table: TableName) -> &[u16] {
        self.back.get(table_slot(table)).map_or(&[], Vec::as_slice)
    }
}

/// The fact tables a plan's rules can read for a period (for any site, any month), in
/// [`FACT_TABLES`] order: what must be present in the data for the contract to be billed right.
pub fn tables_read(plan: &Plan, period: YearMonth) -> Vec<TableName> {
    let mut tables: Vec<TableName> = reads(plan, period).into_iter().map(|(_, t, _)| t).collect();
    tables.sort_by_key(|t| table_slot(*t));
    tables.dedup();
    tables
}

/// Whether `back` months before the period is within what site number `site` reads, given the
/// months per site of one table (the period itself always is).
pub fn reaches(months: &[u16], site: usize, back: i64) -> bool {
    back <= 0 || months.get(site).is_some_and(|b| i64::from(*b) >= back)
}

fn clamp(history: u32) -> u16 {
    u16::try_from(history).unwrap_or(u16::MAX)
}

fn raise(per_site: &mut [u16], site: &str, months: u16) {
    let b = site.as_bytes();
    if b.len() != 4 || !b.iter().all(u8::is_ascii_digit) {
        return;
    }
    let n = b.iter().fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0'));
    if let Some(slot) = per_site.get_mut(n) {
        *slot = (*slot).max(months);
    }
}

/// The sites a read is for, as the analysis of one plan reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Own,
    Listed(Vec<String>),
    All,
}

/// One table read of a plan: for which sites, which table, how many months back.
type Read = (Target, TableName, Back);

/// What a name on the analysis' scope stack stands for.
#[derive(Clone)]
enum Local<'p> {
    /// A value known at compile time (a component default, a loop or list element).
    Value(Value),
    /// An argument, read where it was written.
    Lazy(&'p Expr, Scope<'p>),
    /// An element of a list not known before the run.
    Opaque,
}

#[derive(Clone)]
struct Scope<'p> {
    locals: Rc<Vec<Local<'p>>>,
    env: Option<EnvId>,
}

/// Steps after which a plan is given up on and assumed to read everything (no real plan comes near).
const BUDGET: u32 = 200_000;

struct Walker<'p> {
    plan: &'p PlanBody,
    period: YearMonth,
    reads: HashMap<(Sites, TableName), Back>,
    seen: HashSet<(SlotId, Back, Sites)>,
    env_scopes: HashMap<EnvId, Scope<'p>>,
    steps: u32,
}

/// Every table read of a plan: for which sites, which table, how many months back.
fn reads(plan: &Plan, period: YearMonth) -> Vec<Read> {
    let body: &PlanBody = plan;
    let mut w = Walker {
        plan: body,
        period,
        reads: HashMap::new(),
        seen: HashSet::new(),
        env_scopes: HashMap::new(),
        steps: 0,
    };
    for slot in 0..body.slots.len() {
        w.slot(u32::try_from(slot).unwrap_or(u32::MAX), 0, &Sites::Own);
    }
    for line in &body.lines {
        let scope = w.env_scope(line.env);
        for e in [Some(&line.title), line.gl.as_ref(), line.desc.as_ref()]
            .into_iter()
            .flatten()
        {
            w.walk(e, &scope, 0, &Sites::Own);
        }
    }
    for check in &body.checks {
        let scope = w.env_scope(check.env);
        w.walk(&check.cond, &scope, 0, &Sites::Own);
        w.walk(&check.message, &scope, 0, &Sites::Own);
    }
    if w.steps > BUDGET {
        return crate::demand::FACT_TABLES
            .iter()
            .map(|t| (Target::All, *t, UNBOUNDED))
            .collect();
    }
    let mut out: Vec<Read> = w
        .reads
        .into_iter()
        .map(|((s, t), b)| {
            let target = match s {
                Sites::Own => Target::Own,
                Sites::Listed(l) => Target::Listed(l.to_vec()),
                Sites::All => Target::All,
            };
            (target, t, b)
        })
        .collect();
    out.sort_by_key(|(_, t, b)| (table_slot(*t), *b));
    out
}

impl<'p> Walker<'p> {
    fn env_scope(&mut self, env: EnvId) -> Scope<'p> {
        if let Some(s) = self.env_scopes.get(&env) {
            return s.clone();
        }
        let plan = self.plan;
        let mut locals = Vec::new();
        if let Some(e) = plan.envs.get(env as usize) {
            for b in &e.bindings {
                locals.push(match b {
                    Binding::Value(v) => Local::Value(v.clone()),
                    Binding::Arg(expr, arg_env) => Local::Lazy(expr, self.env_scope(*arg_env)),
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

    fn slot(&mut self, id: SlotId, back: Back, sites: &Sites) {
        if !self.seen.insert((id, back, sites.clone())) {
            return;
        }
        let plan = self.plan;
        if let Some(slot) = plan.slots.get(id as usize) {
            let scope = self.env_scope(slot.env);
            self.walk(&slot.expr, &scope, back, sites);
        }
    }

    fn note(&mut self, table: TableName, back: Back, sites: &Sites) {
        let entry = self.reads.entry((sites.clone(), table)).or_insert(0);
        *entry = (*entry).max(back);
    }

    /// Enters the node through [`stack::deeper`] (see `crate::stack`).
    fn walk(&mut self, e: &'p Expr, scope: &Scope<'p>, back: Back, sites: &Sites) {
        crate::stack::deeper(|| self.walk_here(e, scope, back, sites))
    }

    fn walk_here(&mut self, e: &'p Expr, scope: &Scope<'p>, back: Back, sites: &Sites) {
        self.steps += 1;
        if self.steps > BUDGET {
            return;
        }
        match &e.kind {
            ExprKind::Table(t) | ExprKind::Column(t, _) => self.note(*t, back, sites),
            ExprKind::Local(i) => {
                if let Some(Local::Lazy(x, s)) = scope.locals.get(*i as usize).cloned() {
                    self.walk(x, &s, back, sites);
                }
            }
            ExprKind::BodyRef(i) => {
                if let Some(slot) = scope.env.and_then(|env| self.plan.resolve_ref(env, *i)) {
                    self.slot(slot, back, sites);
                }
            }
            ExprKind::Call(f, args) => {
                let inner = call_scope(args, scope);
                self.walk(&f.body, &inner, back, sites);
            }
            ExprKind::Comprehension(body, list) => {
                self.walk(list, scope, back, sites);
                // A constant list is walked element by element (an empty one not at all), so that
                // windows named in its elements are known; any other list once, elements unknown.
                let elements = self.elements(list, scope, 0).unwrap_or_else(|| vec![Local::Opaque]);
                for element in elements {
                    let mut locals = (*scope.locals).clone();
                    locals.push(element);
                    let inner = Scope {
                        locals: Rc::new(locals),
                        env: scope.env,
                    };
                    self.walk(body, &inner, back, sites);
                }
            }
            ExprKind::Lines(tag, group) => {
                if let Some(g) = group {
                    self.walk(g, scope, back, sites);
                }
                let plan = self.plan;
                for line in plan.tagged(tag, None) {
                    self.slot(line.slot, back, sites);
                }
            }
            ExprKind::Builtin(b, args) => self.builtin(*b, args, scope, back, sites),
            _ => {
                let mut kids = Vec::new();
                for_each_child(e, &mut |c| kids.push(c));
                for k in kids {
                    self.walk(k, scope, back, sites);
                }
            }
        }
    }

    /// A builtin call: its arguments walked in the months and sites its demand rule
    /// ([`builtins::demand`]) says they are evaluated in.
    fn builtin(&mut self, b: Builtin, args: &'p [Option<Expr>], scope: &Scope<'p>, back: Back, sites: &Sites) {
        let reach = builtins::demand(b);
        // The argument evaluated in other months, and how much further back they go.
        let (shifted, further): (Option<usize>, Back) = match reach {
            Reach::Window { value, window } => (Some(value), self.window(args.get(window), scope, back)),
            Reach::InMonth { value, month } => (Some(value), self.in_month(args.get(month), scope, back)),
            Reach::Here | Reach::AtSites { .. } | Reach::PastSteps => (None, 0),
        };
        if let Reach::AtSites { value, sites: list } = reach {
            let listed = match args.get(list).and_then(Option::as_ref) {
                Some(list) => self.site_list(list, scope),
                None => None,
            };
            let across = listed.map_or(Sites::All, |l| Sites::Listed(Rc::new(l)));
            for (i, a) in args.iter().enumerate() {
                if let Some(a) = a {
                    let s = if i == value { &across } else { sites };
                    self.walk(a, scope, back, s);
                }
            }
            return;
        }
        for (i, a) in args.iter().enumerate() {
            let Some(a) = a else { continue };
            let at = if Some(i) == shifted {
                back.saturating_add(further)
            } else if reach == Reach::PastSteps && i > 0 {
                // The rates and amounts of an escalation are read at each past step.
                UNBOUNDED
            } else {
                back
            };
            self.walk(a, scope, at, sites);
        }
    }

    /// How much further back than `back` a value read in the month given by `arg` is.
    fn in_month(&mut self, arg: Option<&'p Option<Expr>>, scope: &Scope<'p>, back: Back) -> Back {
        match arg
            .and_then(Option::as_ref)
            .and_then(|m| self.static_value(m, scope, 0))
        {
            Some(Value::Month(m)) => u32::try_from(self.period.months_since(m)).map_or(0, |d| d.saturating_sub(back)),
            _ => UNBOUNDED,
        }
    }

    /// The expression a let or line name stands for, with the scope it is written in.
    fn body_ref(&mut self, scope: &Scope<'p>, index: u32) -> Option<(&'p Expr, Scope<'p>)> {
        let plan = self.plan;
        let slot = plan.slots.get(plan.resolve_ref(scope.env?, index)? as usize)?;
        Some((&slot.expr, self.env_scope(slot.env)))
    }

    /// The value of an expression when it is a constant reachable through names: a literal, a
    /// component argument or default, a field of a record built from those (`s.window` of
    /// `structure(codes, tiers, accumulate)`), a let holding one. `None` when it depends on anything
    /// else.
    fn static_value(&mut self, e: &'p Expr, scope: &Scope<'p>, depth: u32) -> Option<Value> {
        if depth > 64 {
            return None;
        }
        match &e.kind {
            ExprKind::Lit(v) => Some(v.clone()),
            ExprKind::Local(i) => match scope.locals.get(*i as usize)?.clone() {
                Local::Value(v) => Some(v),
                Local::Lazy(x, s) => self.static_value(x, &s, depth + 1),
                Local::Opaque => None,
            },
            ExprKind::BodyRef(i) => {
                let (x, s) = self.body_ref(scope, *i)?;
                self.static_value(x, &s, depth + 1)
            }
            ExprKind::Call(f, args) => {
                let inner = call_scope(args, scope);
                self.static_value(&f.body, &inner, depth + 1)
            }
            ExprKind::Field(base, name) => self.static_field(base, scope, name, depth + 1),
            _ => None,
        }
    }

    /// The elements of a list known before the run: a constant list, or a list written out (its
    /// elements read where written).
    fn elements(&mut self, e: &'p Expr, scope: &Scope<'p>, depth: u32) -> Option<Vec<Local<'p>>> {
        if depth > 64 {
            return None;
        }
        match &e.kind {
            ExprKind::List(items) => Some(items.iter().map(|x| Local::Lazy(x, scope.clone())).collect()),
            ExprKind::Local(i) => match scope.locals.get(*i as usize)?.clone() {
                Local::Lazy(x, s) => self.elements(x, &s, depth + 1),
                Local::Value(Value::List(items)) => Some(items.iter().cloned().map(Local::Value).collect()),
                _ => None,
            },
            ExprKind::BodyRef(i) => {
                let (x, s) = self.body_ref(scope, *i)?;
                self.elements(x, &s, depth + 1)
            }
            _ => match self.static_value(e, scope, depth + 1)? {
                Value::List(items) => Some(items.iter().cloned().map(Local::Value).collect()),
                _ => None,
            },
        }
    }

    /// The constant value of field `name` of a record expression.
    fn static_field(&mut self, e: &'p Expr, scope: &Scope<'p>, name: &str, depth: u32) -> Option<Value> {
        if depth > 64 {
            return None;
        }
        match &e.kind {
            ExprKind::Record(fields) => {
                let (_, x) = fields.iter().find(|(n, _)| n == name)?;
                self.static_value(x, scope, depth + 1)
            }
            ExprKind::Local(i) => match scope.locals.get(*i as usize)?.clone() {
                Local::Lazy(x, s) => self.static_field(x, &s, name, depth + 1),
                Local::Value(v) => record_field(&v, name),
                Local::Opaque => None,
            },
            ExprKind::BodyRef(i) => {
                let (x, s) = self.body_ref(scope, *i)?;
                self.static_field(x, &s, name, depth + 1)
            }
            ExprKind::Call(f, args) => {
                let inner = call_scope(args, scope);
                self.static_field(&f.body, &inner, name, depth + 1)
            }
            ExprKind::Lit(v) => record_field(v, name),
            _ => None,
        }
    }

    /// The sites of an `across`, when they are constants.
    fn site_list(&mut self, list: &'p Expr, scope: &Scope<'p>) -> Option<Vec<String>> {
        let mut sites = Vec::new();
        for element in self.elements(list, scope, 0)? {
            let value = match element {
                Local::Value(v) => v,
                Local::Lazy(x, s) => self.static_value(x, &s, 0)?,
                Local::Opaque => return None,
            };
            sites.push(value.as_text()?.to_string());
        }
        Some(sites)
    }

    /// The months a window reaches before the month it is evaluated in.
    fn window(&mut self, arg: Option<&'p Option<Expr>>, scope: &Scope<'p>, back: Back) -> Back {
        let name = match arg {
            None | Some(None) => return 0,
            Some(Some(e)) => match self.static_value(e, scope, 0) {
                Some(Value::Enum(w)) => w.to_string(),
                _ => return UNBOUNDED,
            },
        };
        match name.as_str() {
            "monthly" => 0,
            // Back to January of the month evaluated, which is any of the `back` months before the
            // period: the furthest of those Januaries.
            "calendar_year" if back <= 120 => {
                let furthest = (0..=back)
                    .filter_map(|k| {
                        let m = self.period.plus(-i64::from(k))?;
                        Some(k + m.month.saturating_sub(1))
                    })
                    .max()
                    .unwrap_or(back);
                furthest - back
            }
            "calendar_year" | "anniversary" => 11,
            _ => UNBOUNDED,
        }
    }
}

/// The scope of a function body: its parameters are the call's arguments, read where written.
fn call_scope<'p>(args: &'p [Expr], scope: &Scope<'p>) -> Scope<'p> {
    Scope {
        locals: Rc::new(args.iter().map(|a| Local::Lazy(a, scope.clone())).collect()),
        env: None,
    }
}

fn record_field(v: &Value, name: &str) -> Option<Value> {
    match v {
        Value::Record(fields) => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Session;

    const JUNE: YearMonth = YearMonth { year: 2025, month: 6 };

    /// The reads of one contract's plan, as `(sites, table, back)` with `u32::MAX` for unbounded.
    fn reads_of(body: &str) -> Vec<(String, &'static str, Back)> {
        let mut session = Session::default();
        let f = session.add_file("c.bill", &format!("use towne_park\ncontract \"0238\" {{\n customer \"X\"\n billing arrears\n terms \"Due in 30 Days\"\n{body}\n}}\n"));
        let (diags, plans) = session.check(&[f]);
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        let plan = plans.first().expect("a plan");
        reads(plan, JUNE)
            .into_iter()
            .map(|(s, t, b)| {
                let sites = match s {
                    Target::Own => "own".to_string(),
                    Target::Listed(l) => l.join("+"),
                    Target::All => "all".to_string(),
                };
                (sites, t.name(), b)
            })
            .collect()
    }

    #[test]
    fn windows_reach_back_as_far_as_they_accumulate() {
        let share = |window: &str| {
            reads_of(&format!(
                "revenue_share {{ codes [\"PK\"] tiers {{ 40% up to $1,000, 20% }} {window} }}"
            ))
        };
        assert_eq!(share(""), vec![("own".into(), "revenue", 0)]);
        assert_eq!(share("accumulate calendar_year"), vec![("own".into(), "revenue", 5)]);
        assert_eq!(share("accumulate anniversary"), vec![("own".into(), "revenue", 11)]);
        // A second structure written out: its own window counts.
        assert_eq!(
            share("also [structure([\"VL\"], { 10% }, calendar_year)]"),
            vec![("own".into(), "revenue", 5)]
        );
    }

    #[test]
    fn labor_and_gl_components_read_the_period() {
        assert_eq!(
            reads_of("per_labor_hour { job \"VAL\" title \"Valet\" rate $20.00/h overtime $30.00/h }"),
            vec![("own".into(), "timesheets", 0)]
        );
        let ma = reads_of(
            "billable_accounts { payroll [\"6010\"] expenses [\"6500\"] pteb 18.5% }\n\
             management_agreement { fee $1,000.00 profit_share true profit_tiers { 0% up to $10,000, 25% } }",
        );
        assert!(ma.iter().all(|(s, _, b)| s == "own" && *b == 0), "{ma:?}");
        assert!(ma.iter().any(|(_, t, _)| *t == "gl"), "{ma:?}");
    }

    #[test]
    fn months_named_by_rules() {
        let at = reads_of("line \"March\" gl 4790 = at(sum(revenue.net_external_revenue), 2025-03)");
        assert_eq!(at, vec![("own".into(), "revenue", 3)]);
        let prior = reads_of("line \"YTD\" gl 4790 = prior(sum(revenue.net_external_revenue), calendar_year)");
        assert_eq!(prior, vec![("own".into(), "revenue", 5)]);
        let nested = reads_of(
            "let m = sum(revenue.net_external_revenue)\n\
             line \"N\" gl 4790 = prior(prior(m, calendar_year), anniversary)",
        );
        // Eleven months back is July 2024, whose calendar year started in January 2024.
        assert_eq!(nested, vec![("own".into(), "revenue", 17)]);
    }

    #[test]
    fn other_sites_and_unknown_months() {
        let across =
            reads_of("line \"Shared\" gl 4790 = across([\"0238\", \"0239\"], sum(revenue.net_external_revenue))");
        assert_eq!(across, vec![("0238+0239".into(), "revenue", 0)]);
        let computed = reads_of(
            "let m = month_of(add_months(first_day(), -2, clamp))\n\
             line \"Then\" gl 4790 = at(sum(revenue.net_external_revenue), m)",
        );
        assert_eq!(computed, vec![("own".into(), "revenue", UNBOUNDED)]);
    }

    #[test]
    fn demand_caps_at_the_history_read() {
        let mut session = Session::default();
        let f = session.add_file(
            "c.bill",
            "use towne_park\ncontract \"0007\" {\n customer \"X\"\n billing arrears\n terms \"Due in 30 Days\"\n\
             line \"Far\" gl 4790 = prior(prior(sum(gl.balance), anniversary), anniversary)\n}\n",
        );
        let (_, plans) = session.check(&[f]);
        let d = Demand::of_plans(&plans, JUNE, 11);
        assert_eq!(d.back(TableName::Gl, 7), 11);
        assert_eq!(d.back(TableName::Gl, 8), 0);
        assert_eq!(d.back(TableName::Revenue, 7), 0);
        assert_eq!(d.deepest(TableName::Gl), 11);
    }

    #[test]
    fn raise_takes_the_deepest_read() {
        let mut v = vec![0u16; SITES];
        raise(&mut v, "0238", 5);
        raise(&mut v, "0238", 2);
        raise(&mut v, "238", 9);
        assert_eq!(v.get(238), Some(&5));
        assert_eq!(v.iter().filter(|b| **b > 0).count(), 1);
    }
}
