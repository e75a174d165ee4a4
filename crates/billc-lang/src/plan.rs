//! A calculation plan: what a contract compiles to and the evaluator runs. Every let and line is a
//! numbered slot with its expression, the environment (component arguments, loop variables) it is
//! evaluated in and its source span; lines carry their title, GL code, group and tags; `order` is a
//! dependency order in which no slot comes before what it reads.
//!
//! INVARIANT: a [`Plan`] is self-contained (owned, `Arc`s, no salsa ids): evaluation needs nothing
//! else, so rayon workers share plans freely. Every line's group exists in the contract.
//!
//! Only the types live here (below the evaluator, which reads them); [`crate::compile`] builds them.

use crate::hir::{Expr, GroupDef, ReviewDef};
use crate::span::Span;
use crate::syntax::ast::CheckKind;
use crate::terms::Billing;
use crate::value::Value;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::sync::Arc;

pub type SlotId = u32;
pub type EnvId = u32;

/// A binding of a component parameter or loop variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Binding {
    /// Known at compile time (a default or a loop element).
    Value(Value),
    /// An argument: evaluated on demand, in the environment it was written in.
    Arg(Arc<Expr>, EnvId),
}

/// The scope a slot's expression is evaluated in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Env {
    pub bindings: Vec<Binding>,
    /// `BodyRef(i)` → slot; `None` means "look in the parent" (loop bodies).
    pub refs: Vec<Option<SlotId>>,
    pub parent: Option<EnvId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotKind {
    Let,
    /// Index into [`Plan::lines`].
    Line(usize),
}

/// A named value of the plan: a let or a line amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Qualified for component members: `revenue_share.qualifying`.
    pub name: String,
    pub kind: SlotKind,
    pub expr: Arc<Expr>,
    pub env: EnvId,
    pub span: Span,
}

/// A line of the plan (its amount is the slot's value, rounded to cents).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinePlan {
    pub slot: SlotId,
    pub title: Arc<Expr>,
    pub gl: Option<Arc<Expr>>,
    pub desc: Option<Arc<Expr>>,
    pub group: u32,
    pub tags: Vec<String>,
    pub order: Decimal,
    pub env: EnvId,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckPlan {
    pub cond: Arc<Expr>,
    pub message: Arc<Expr>,
    pub kind: CheckKind,
    pub env: EnvId,
    pub span: Span,
}

/// The source files a plan's spans point into: (display path, text).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SourceIndex {
    pub files: Vec<(Arc<str>, Arc<str>)>,
    /// Byte offsets where each file's lines start, computed on first use (traces ask for the line
    /// of every value they record: a binary search, not a scan from the start of the file).
    line_starts: Vec<std::sync::OnceLock<Vec<u32>>>,
    /// Locations already made: every contract's trace points at the same standard-library rules, so
    /// each is built once and shared.
    locs: LocCache,
}

/// The shared locations of a [`SourceIndex`]. A cache, not data: a copy starts empty and two caches
/// compare equal.
#[derive(Default)]
struct LocCache(std::sync::RwLock<FxHashMap<Span, Arc<crate::trace::SourceLoc>>>);

impl Clone for LocCache {
    fn clone(&self) -> LocCache {
        LocCache::default()
    }
}

impl PartialEq for LocCache {
    fn eq(&self, _: &LocCache) -> bool {
        true
    }
}

impl Eq for LocCache {}

impl std::fmt::Debug for LocCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocCache")
    }
}

impl SourceIndex {
    pub fn new(files: Vec<(Arc<str>, Arc<str>)>) -> SourceIndex {
        SourceIndex {
            line_starts: files.iter().map(|_| std::sync::OnceLock::new()).collect(),
            files,
            locs: LocCache::default(),
        }
    }

    /// The location of a span, with the first line of its text (made once per span, then shared).
    pub fn loc(&self, span: Span) -> Option<Arc<crate::trace::SourceLoc>> {
        if let Some(loc) = self.locs.0.read().ok().and_then(|m| m.get(&span).cloned()) {
            return Some(loc);
        }
        let loc = Arc::new(self.make_loc(span)?);
        if let Ok(mut m) = self.locs.0.write() {
            m.insert(span, loc.clone());
        }
        Some(loc)
    }

    fn make_loc(&self, span: Span) -> Option<crate::trace::SourceLoc> {
        let (path, text) = self.files.get(span.file.0 as usize)?;
        let starts = self.line_starts.get(span.file.0 as usize)?.get_or_init(|| {
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|k| u32::try_from(k + 1).unwrap_or(u32::MAX)))
                .collect()
        });
        let offset = (span.start as usize).min(text.len());
        let index = starts.partition_point(|&s| s as usize <= offset).max(1);
        let line = u32::try_from(index).unwrap_or(u32::MAX);
        let line_start = starts.get(index - 1).map_or(0, |&s| s as usize);
        let column = text
            .get(line_start..offset)
            .map_or(0, |l| l.chars().count())
            .saturating_add(1);
        let column = u32::try_from(column).unwrap_or(u32::MAX);
        let snippet = text.get(span.range()).unwrap_or("");
        let first = snippet.lines().next().unwrap_or("").trim_end();
        let mut shown: String = first.chars().take(120).collect();
        if snippet.contains('\n') || first.chars().count() > 120 {
            shown.push_str(" …");
        }
        Some(crate::trace::SourceLoc {
            file: path.to_string(),
            line,
            column,
            text: shown,
        })
    }
}

/// A contract ready to evaluate: its compiled body (shared, never copied) and the source index used to
/// point traces at source lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub body: Arc<PlanBody>,
    pub sources: Arc<SourceIndex>,
}

impl std::ops::Deref for Plan {
    type Target = PlanBody;
    fn deref(&self) -> &PlanBody {
        &self.body
    }
}

/// What a contract compiles to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanBody {
    pub site: String,
    pub customer: String,
    pub billing: Billing,
    pub terms: String,
    pub effective: Option<chrono::NaiveDate>,
    pub review: Option<ReviewDef>,
    pub groups: Vec<GroupDef>,
    /// The contract's source file, as given.
    pub file: String,
    pub slots: Vec<Slot>,
    pub envs: Vec<Env>,
    /// Lines in invoice order: by `order`, then as written.
    pub lines: Vec<LinePlan>,
    pub checks: Vec<CheckPlan>,
    /// Slots in dependency order.
    pub order: Vec<SlotId>,
}

impl PlanBody {
    /// Resolves `BodyRef(index)` in an environment (through loop parents).
    pub fn resolve_ref(&self, env: EnvId, index: u32) -> Option<SlotId> {
        let mut current = Some(env);
        while let Some(e) = current {
            let env = self.envs.get(e as usize)?;
            if let Some(Some(slot)) = env.refs.get(index as usize) {
                return Some(*slot);
            }
            current = env.parent;
        }
        None
    }

    /// The line plans carrying a tag (optionally of one group).
    pub fn tagged(&self, tag: &str, group: Option<u32>) -> impl Iterator<Item = &LinePlan> {
        self.lines
            .iter()
            .filter(move |l| l.tags.iter().any(|t| t == tag) && group.is_none_or(|g| g == l.group))
    }

    pub fn group(&self, number: u32) -> Option<&GroupDef> {
        self.groups.iter().find(|g| g.number == number)
    }

    /// The invoice groups the contract bills: those it declares, or group 1 when it declares none
    /// (the rule `compile` checks every line's group against).
    pub fn invoice_groups(&self) -> Vec<u32> {
        if self.groups.is_empty() {
            vec![1]
        } else {
            self.groups.iter().map(|g| g.number).collect()
        }
    }
}

/// Default `order` of a line that does not say: after the Towne Park components' own positions.
pub const DEFAULT_ORDER: u32 = 100;
