//! Dangerous shapes: programs that check, evaluate and bill, yet bill something nobody meant. Each
//! rule is a warning (a `W05xx` code), never an error: the program is valid, but a person should
//! look. `billc check` prints them; `billc check --deny-warnings` fails on them (for CI).
//!
//! The rules live here once, as plain functions, for two callers: the checker (on the tier tables
//! it types, [`tier_table`]) and the contract pipeline (on a compiled plan, [`plan`]); and the
//! PowerBill importer, which applies the same predicates ([`last_tier_limited`],
//! [`share_out_of_range`]) to a configuration before it writes the contract.
//!
//! - W0501 the last tier of a table has an `up to` limit: an amount above it is billed by no tier
//!   (the evaluator refuses such a month, `AboveLastTier`; PowerBill billed it at 0 %);
//! - W0502 a share (a tier's percentage) above 100 % or below 0 %;
//! - W0503 `escalate` without `since:` in a contract with no `effective` date: every month fails
//!   to bill, as missing data;
//! - W0504 a contract billed in advance whose lines read `timesheets`: it bills hours that have not
//!   been worked yet.
//!
//! Deliberately not here: judging amounts (a $0 fee, an odd rate) — those are the importer's own
//! warnings about its source, not shapes of a program.

use crate::diag::{Code, Diagnostic};
use crate::hir::{Builtin, Expr, ExprKind, FnDef, Tier, for_each_child};
use crate::plan::{Binding, PlanBody};
use crate::schema::TableName;
use crate::span::Span;
use crate::terms::Billing;
use crate::value::Value;
use rust_decimal::Decimal;
use std::collections::HashSet;

/// W0501's rule: the last of a table's tiers has a limit (`limited` says, tier by tier, whether it
/// has one). An empty table is not this shape.
pub fn last_tier_limited(limited: impl IntoIterator<Item = bool>) -> bool {
    limited.into_iter().last().unwrap_or(false)
}

/// W0502's rule: a share (a fraction: 1 is 100 %) outside 0–100 %.
pub fn share_out_of_range(share: Decimal) -> bool {
    share > Decimal::ONE || (share.is_sign_negative() && !share.is_zero())
}

/// The warnings of one checked tier table (written at `span`).
pub fn tier_table(tiers: &[Tier], span: Span) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for t in tiers {
        if let ExprKind::Lit(Value::Percent(p)) = &t.price.kind
            && share_out_of_range(*p)
        {
            let shown = (*p * Decimal::ONE_HUNDRED).normalize();
            out.push(
                Diagnostic::warning(
                    Code::ShareOutOfRange,
                    t.price.span,
                    format!("a share of `{shown}%`, outside 0–100 %"),
                    "not a share of the amount",
                )
                .with_help("a tier's percentage is the part of the amount billed: write it between 0% and 100%"),
            );
        }
    }
    // Only on a table that is otherwise well formed: an unlimited tier before the last is E0213.
    let earlier_limited = tiers.iter().rev().skip(1).all(|t| t.limit.is_some());
    if earlier_limited
        && last_tier_limited(tiers.iter().map(|t| t.limit.is_some()))
        && let Some(limit) = tiers.last().and_then(|t| t.limit.as_ref())
    {
        out.push(
            Diagnostic::warning(
                Code::LastTierLimited,
                limit.span,
                "the last tier has a limit: an amount above it is billed by no tier",
                "nothing bills above this",
            )
            .with_label(span, "in this tier table")
            .with_help(
                "add a last tier without `up to` (`0%` if nothing is due above the limit), or remove the last limit",
            ),
        );
    }
    out
}

/// The warnings of a compiled contract: W0503 and W0504. `billing` is the span of the contract's
/// `billing` property and `name` the span of its name (where the warnings point when the danger is
/// a missing property).
pub fn plan(plan: &PlanBody, billing: Option<Span>, name: Span) -> Vec<Diagnostic> {
    let mut walk = Walk::default();
    for slot in &plan.slots {
        walk.slot = Some(slot.name.clone());
        walk.expr(&slot.expr);
    }
    walk.slot = None;
    for line in &plan.lines {
        for e in [Some(&line.title), line.gl.as_ref(), line.desc.as_ref()]
            .into_iter()
            .flatten()
        {
            walk.expr(e);
        }
    }
    for c in &plan.checks {
        walk.expr(&c.cond);
        walk.expr(&c.message);
    }
    for env in &plan.envs {
        for b in &env.bindings {
            if let Binding::Arg(e, _) = b {
                walk.expr(e);
            }
        }
    }
    let mut out = Vec::new();
    if plan.effective.is_none() {
        for span in &walk.escalations {
            out.push(
                Diagnostic::warning(
                    Code::EscalationWithoutStart,
                    *span,
                    format!(
                        "`escalate` has no `since:` and contract `{}` has no `effective` date",
                        plan.site
                    ),
                    "escalated since when?",
                )
                .with_label(name, "no `effective` date")
                .with_help(
                    "give the escalation its start (`since: 2025-01-01`) or the contract an `effective` date; without one every month fails to bill",
                ),
            );
        }
    }
    if plan.billing == Billing::Advanced
        && let Some(read) = walk.timesheets
    {
        let mut d = Diagnostic::warning(
            Code::ActualsBilledInAdvance,
            billing.unwrap_or(name),
            format!(
                "contract `{}` is billed in advance but bills hours worked (`timesheets`)",
                plan.site
            ),
            "billed in advance",
        )
        .with_help(
            "an invoice billed in advance is made before the month's hours are worked: bill labour in arrears, or bill a fixed amount",
        );
        let label = match read.1 {
            Some(slot) => format!("hours worked, read for `{slot}`"),
            None => "hours worked".to_string(),
        };
        d = d.with_label(read.0, label);
        out.push(d);
    }
    out
}

/// What the walk of a plan found.
#[derive(Default)]
struct Walk {
    /// The slot being walked (its name), for W0504's label.
    slot: Option<String>,
    /// `escalate` calls without `since:`, each once.
    escalations: Vec<Span>,
    /// The first read of `timesheets`: where, and for which slot.
    timesheets: Option<(Span, Option<String>)>,
    /// Functions already walked (by address).
    fns: HashSet<usize>,
    seen: HashSet<Span>,
}

impl Walk {
    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Builtin(Builtin::Escalate, args)
                if args.get(4).is_none_or(Option::is_none) && self.seen.insert(e.span) =>
            {
                self.escalations.push(e.span);
            }
            ExprKind::Table(TableName::Timesheets)
            | ExprKind::Column(TableName::Timesheets, _)
            | ExprKind::RowField(TableName::Timesheets, _)
                if self.timesheets.is_none() =>
            {
                self.timesheets = Some((e.span, self.slot.clone()));
            }
            ExprKind::Call(f, _) => self.function(f),
            _ => {}
        }
        for_each_child(e, &mut |c| self.expr(c));
    }

    fn function(&mut self, f: &std::sync::Arc<FnDef>) {
        if self.fns.insert(std::sync::Arc::as_ptr(f) as usize) {
            self.expr(&f.body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{last_tier_limited, share_out_of_range};
    use rust_decimal_macros::dec;

    #[test]
    fn a_share_is_between_0_and_100_percent() {
        for (share, out) in [
            (dec!(0), false),
            (dec!(0.35), false),
            (dec!(1), false),
            (dec!(1.0001), true),
            (dec!(1.2), true),
            (dec!(-0.01), true),
        ] {
            assert_eq!(share_out_of_range(share), out, "{share}");
        }
    }

    #[test]
    fn only_a_limit_on_the_last_tier_counts() {
        assert!(last_tier_limited([true, true]));
        assert!(!last_tier_limited([true, false]));
        assert!(!last_tier_limited([]));
    }
}
