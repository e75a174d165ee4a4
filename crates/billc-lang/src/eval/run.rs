//! One contract, one service month: every line of the plan evaluated and rounded, zero lines
//! dropped, checks applied, ad-hoc reviewer lines added (RULES.md §13), each line with its trace.

use super::{DataView, EvalError, Machine};
use crate::eval_error::InternalError;
use crate::plan::Plan;
use crate::syntax::ast::CheckKind;
use crate::time::YearMonth;
use crate::trace::{InvoiceLine, TraceNode};
use crate::value::Value;
use crate::value::money;
use rust_decimal::Decimal;
use std::sync::Arc;

/// A line with the invoice group it goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunLine {
    pub group: u32,
    pub line: InvoiceLine,
}

/// What one contract produced for one month.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ContractRun {
    /// Non-zero lines in invoice order.
    pub lines: Vec<RunLine>,
    /// The lines that came to $0 and are left off the invoice, as (group, title): kept only by
    /// [`run_contract_keeping_zero`] (for `billc test`, where `expect line "X" = $0` reads them).
    pub zero_lines: Vec<(u32, String)>,
    /// Messages of `check … else approval` that failed: the invoices need approval.
    pub approvals: Vec<String>,
    /// Messages of `check … else exception` that failed: the invoices must not be issued.
    pub exceptions: Vec<String>,
}

/// Gl codes of ad-hoc kinds when the row gives none (RULES.md §13).
fn adhoc_default_gl(kind: &str) -> &'static str {
    match kind {
        "reimbursable" => "4792",
        "client_paid" => "7000",
        _ => "4790",
    }
}

/// Evaluates a plan for a service month. An error means the contract could not be billed.
pub fn run_contract(plan: &Plan, data: &dyn DataView, period: YearMonth) -> Result<ContractRun, EvalError> {
    run(plan, data, period, false)
}

/// [`run_contract`], keeping the title and group of each line that came to $0
/// ([`ContractRun::zero_lines`]); billing never needs them, so it never evaluates their titles.
pub fn run_contract_keeping_zero(
    plan: &Plan,
    data: &dyn DataView,
    period: YearMonth,
) -> Result<ContractRun, EvalError> {
    run(plan, data, period, true)
}

fn run(plan: &Plan, data: &dyn DataView, period: YearMonth, keep_zero: bool) -> Result<ContractRun, EvalError> {
    let mut m = Machine::new(
        Some(plan),
        &plan.envs,
        &plan.slots,
        Some(data),
        period,
        Arc::from(plan.site.as_str()),
    );
    let cx = m.main_cx();
    let mut out = ContractRun::default();
    for check in &plan.checks {
        let scope = m.env_scope(check.env);
        m.trace.push(Vec::new());
        let ok = m.eval(&check.cond, &scope, &cx)?.as_bool() == Some(true);
        m.trace.pop();
        if !ok {
            let msg = m.eval(&check.message, &scope, &cx)?.display();
            match check.kind {
                CheckKind::Approval => out.approvals.push(msg),
                CheckKind::Exception => out.exceptions.push(msg),
            }
        }
    }
    let mut with_order: Vec<(Decimal, usize, RunLine)> = Vec::new();
    for (i, line) in plan.lines.iter().enumerate() {
        m.trace.push(Vec::new());
        let amount = m.slot(line.slot, &cx, line.span).map_err(|e| EvalError {
            span: e.span.or(Some(line.span)),
            ..e
        });
        let mut nodes = m.trace.pop().unwrap_or_default();
        let amount = match amount? {
            Value::Money(d, _) => money::cents(d),
            other => {
                return Err(EvalError::new(InternalError::LineNotMoney { amount: other }, line.span));
            }
        };
        let quiet = || super::Cx {
            tracing: false,
            ..cx.clone()
        };
        if amount.is_zero() {
            if keep_zero {
                let scope = m.env_scope(line.env);
                let title = m.eval(&line.title, &scope, &quiet())?.display();
                out.zero_lines.push((line.group, title));
            }
            continue;
        }
        let scope = m.env_scope(line.env);
        let quiet = quiet();
        let title = m.eval(&line.title, &scope, &quiet)?.display();
        let gl = match &line.gl {
            Some(g) => gl_text(&m.eval(g, &scope, &quiet)?),
            None => "4790".to_string(),
        };
        let description = match &line.desc {
            Some(d) => m.eval(d, &scope, &quiet)?.display(),
            None => String::new(),
        };
        // The slot's own node is the trace of the line.
        // (The memo keeps a reference to it, so this copies the node itself, not the subtree.)
        let mut trace = nodes
            .pop()
            .map(std::sync::Arc::unwrap_or_clone)
            .unwrap_or_else(|| TraceNode {
                label: format!("line {title}"),
                value: Value::Money(amount, crate::ty::Currency::USD).display(),
                source: plan.sources.loc(line.span),
                ..TraceNode::default()
            });
        trace.label = format!("line \"{title}\"");
        with_order.push((
            line.order,
            i,
            RunLine {
                group: line.group,
                line: InvoiceLine {
                    title,
                    description,
                    gl,
                    amount,
                    tags: line.tags.clone(),
                    trace,
                },
            },
        ));
    }
    // Reviewer lines (adhoc.csv): misc, reimbursable and client-paid go on the invoice.
    for (k, item) in data.adhoc(&plan.site, period).into_iter().enumerate() {
        if item.kind == "non_billable" || item.amount.is_zero() {
            continue;
        }
        let gl = if item.gl.is_empty() {
            adhoc_default_gl(&item.kind).to_string()
        } else {
            item.gl.clone()
        };
        let mut tags = vec!["adhoc".to_string(), item.kind.clone()];
        if item.kind == "client_paid" {
            tags.push("profit_deduction".into());
        }
        let value = Value::Money(money::cents(item.amount), crate::ty::Currency::USD).display();
        with_order.push((
            Decimal::from(150),
            plan.lines.len() + k,
            RunLine {
                group: item.group,
                line: InvoiceLine {
                    title: item.title.clone(),
                    description: String::new(),
                    gl,
                    amount: money::cents(item.amount),
                    tags,
                    trace: TraceNode {
                        label: format!("ad-hoc {} line", item.kind),
                        value,
                        amount: crate::trace::Amount::of(&Value::Money(
                            money::cents(item.amount),
                            crate::ty::Currency::USD,
                        )),
                        facts: vec![crate::trace::Fact {
                            name: "source".into(),
                            value: format!("adhoc.csv:{}", item.line),
                        }],
                        ..TraceNode::default()
                    },
                },
            },
        ));
    }
    with_order.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    out.lines = with_order.into_iter().map(|(_, _, l)| l).collect();
    Ok(out)
}

/// A gl code written as a number (`4790`) or text (`"4790"`).
fn gl_text(v: &Value) -> String {
    match v {
        Value::Number(d) => d.normalize().to_string(),
        other => other.display(),
    }
}
