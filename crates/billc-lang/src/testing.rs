//! `billc test`: runs `test` blocks (given inputs, expected lines) and the doc examples of
//! functions (`/// example: expr => value`).

use crate::check::{self, CheckedModule};
use crate::db::SourceFile;
use crate::eval::{self, ContractRun};
use crate::plan::SourceIndex;
use crate::session::Session;
use crate::span::{FileId, Span};
use crate::syntax::ast::{self, Expect, Item, Stmt};
use crate::syntax::parser;
use crate::testdata::MemData;
use crate::time::YearMonth;
use crate::value::Value;
use std::sync::Arc;

/// A failed test: its name and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestFailure {
    pub name: String,
    pub message: String,
}

/// What `billc test` found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestReport {
    pub passed: usize,
    pub failures: Vec<TestFailure>,
}

struct Scope<'a> {
    module: &'a ast::Module,
    imports: Vec<Arc<CheckedModule>>,
    own: Arc<CheckedModule>,
    /// Turns spans into `file:line`.
    sources: Arc<SourceIndex>,
}

impl Scope<'_> {
    /// `file:line` of a span (the path alone if the span is not in a known file).
    fn at(&self, span: Span, path: &str) -> String {
        self.sources
            .loc(span)
            .map_or_else(|| path.to_string(), |l| format!("{}:{}", l.file, l.line))
    }

    fn value(&self, e: &ast::Expr) -> Result<Value, String> {
        let (h, diags) = check::check_expr(self.module, &self.imports, &self.own, e);
        if let Some(d) = diags.first() {
            return Err(d.message.clone());
        }
        eval::const_eval(&h).map_err(|e| e.kind.describe())
    }

    /// The value of an expression for the test's site and month over its given data.
    fn value_in(&self, e: &ast::Expr, data: &MemData, period: YearMonth, site: &str) -> Result<Value, String> {
        let (h, diags) = check::check_expr(self.module, &self.imports, &self.own, e);
        if let Some(d) = diags.first() {
            return Err(d.message.clone());
        }
        eval::eval_with(&h, data, period, site).map_err(|e| e.kind.describe())
    }

    /// The rows of a `given`: a list literal's records are read one by one, so rows may name
    /// different columns (the others are empty or zero).
    fn rows(&self, e: &ast::Expr) -> Result<Vec<Value>, String> {
        match &e.kind {
            ast::ExprKind::List(items) => items.iter().map(|i| self.value(i)).collect(),
            _ => match self.value(e)? {
                Value::List(rows) => Ok(rows.to_vec()),
                _ => Err("takes a list of rows".into()),
            },
        }
    }
}

/// Runs every test block and doc example of `files`.
pub fn run_tests(session: &Session, files: &[SourceFile]) -> TestReport {
    let mut report = TestReport::default();
    let plans = session.plans(session.user_files());
    for file in files {
        let parsed = session.parsed(*file);
        let scope = Scope {
            module: &parsed.module,
            imports: session.imports(*file),
            own: session.module(*file),
            sources: session.index(),
        };
        let path = file.path(&session.db).clone();
        for item in &parsed.module.items {
            match item {
                Item::Test(t) => run_test(&scope, &plans, t, None, &path, &mut report),
                Item::Contract(c) => {
                    for s in &c.body {
                        if let Stmt::Test(t) = s {
                            run_test(&scope, &plans, t, Some(&c.name), &path, &mut report);
                        }
                    }
                }
                Item::Fn(f) => doc_examples(&scope, &f.doc, &f.name.name, &path, &mut report),
                Item::Const(c) => doc_examples(&scope, &c.doc, &c.name.name, &path, &mut report),
                Item::Component(c) => doc_examples(&scope, &c.doc, &c.name.name, &path, &mut report),
                _ => {}
            }
        }
    }
    report
}

fn fail(report: &mut TestReport, name: String, message: String) {
    report.failures.push(TestFailure { name, message });
}

fn doc_examples(scope: &Scope<'_>, doc: &ast::Doc, owner: &str, path: &str, report: &mut TestReport) {
    for (line, _) in &doc.lines {
        let Some(example) = line.trim().strip_prefix("example:") else {
            continue;
        };
        let name = format!("{path}: doc example of `{owner}`: {}", example.trim());
        let Some((expr, expected)) = example.split_once("=>") else {
            fail(
                report,
                name,
                "a doc example reads `example: expression => value`".into(),
            );
            continue;
        };
        let parsed = (
            parser::parse_expr(FileId(0), expr.trim()),
            parser::parse_expr(FileId(0), expected.trim()),
        );
        let (Ok(expr), Ok(expected)) = parsed else {
            fail(report, name, "the example does not parse".into());
            continue;
        };
        match (scope.value(&expr), scope.value(&expected)) {
            (Ok(a), Ok(b)) if same(&a, &b) => report.passed += 1,
            (Ok(a), Ok(b)) => fail(report, name, format!("got {}, expected {}", a.display(), b.display())),
            (Err(e), _) | (_, Err(e)) => fail(report, name, e),
        }
    }
}

/// Equal values, ignoring the scale of decimals (`$2.50` = `$2.5`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::TierResult(t), other) | (other, Value::TierResult(t)) => other.decimal() == Some(t.due),
        _ => match (a.decimal(), b.decimal()) {
            (Some(x), Some(y)) => x == y && std::mem::discriminant(a) == std::mem::discriminant(b),
            _ => a == b,
        },
    }
}

fn run_test(
    scope: &Scope<'_>,
    plans: &[Arc<crate::plan::Plan>],
    t: &ast::Test,
    within: Option<&str>,
    path: &str,
    report: &mut TestReport,
) {
    let name = format!("{}: {}", scope.at(t.span, path), t.name);
    let site = match (within, &t.contract) {
        (_, Some((s, _))) => s.clone(),
        (Some(s), None) => s.to_string(),
        (None, None) => {
            fail(
                report,
                name,
                "the test names no contract: add `contract \"0000\"`".into(),
            );
            return;
        }
    };
    let Some(plan) = plans.iter().find(|p| p.site == site) else {
        fail(report, name, format!("no compiled contract `{site}`"));
        return;
    };
    let period = match t.period.as_ref().map(|p| scope.value(p)) {
        Some(Ok(Value::Month(m))) => m,
        Some(Err(e)) => return fail(report, name, e),
        _ => return fail(report, name, "the test needs `period YYYY-MM`".into()),
    };
    let mut data = MemData::default();
    for g in &t.given {
        let rows = match scope.rows(&g.rows) {
            Ok(rows) => rows,
            Err(e) => return fail(report, name, format!("`given {}`: {e}", g.table.name)),
        };
        for row in rows.iter() {
            let Value::Record(fields) = row else {
                return fail(report, name, "each given row is a record `{column: value, …}`".into());
            };
            if let Err(e) = data.push(&g.table.name, &site, fields) {
                return fail(report, name, e);
            }
        }
    }
    let run = match eval::run_contract_keeping_zero(plan, &data, period) {
        Ok(run) => run,
        Err(e) => {
            let at = e
                .span
                .and_then(|s| plan.sources.loc(s))
                .map(|l| format!(" at {}:{}", l.file, l.line))
                .unwrap_or_default();
            return fail(report, name, format!("evaluation failed{at}: {}", e.kind.describe()));
        }
    };
    let mut problems = Vec::new();
    for expect in &t.expects {
        if let Err(p) = check_expect(scope, &run, expect, (&data, period, &site)) {
            let at = scope.at(crate::check::test_blocks::expect_span(expect), path);
            problems.push(format!("{at}: {p}"));
        }
    }
    if problems.is_empty() {
        report.passed += 1;
    } else {
        let lines: Vec<String> = run
            .lines
            .iter()
            .map(|l| {
                let amount = Value::Money(l.line.amount, crate::ty::Currency::USD).display();
                format!("group {} {:?} {amount}", l.group, l.line.title)
            })
            .collect();
        problems.push(format!("lines were:\n  {}", lines.join("\n  ")));
        fail(report, name, problems.join("\n"));
    }
}

fn check_expect(
    scope: &Scope<'_>,
    run: &ContractRun,
    expect: &Expect,
    (data, period, site): (&MemData, YearMonth, &str),
) -> Result<(), String> {
    let group_of = |g: &Option<ast::Expr>| -> Result<Option<u32>, String> {
        match g {
            None => Ok(None),
            Some(e) => match scope.value(e)? {
                Value::Number(n) => Ok(u32::try_from(n.trunc().mantissa()).ok()),
                _ => Err("a group is a number".into()),
            },
        }
    };
    let money = |d: rust_decimal::Decimal| Value::Money(d, crate::ty::Currency::USD).display();
    match expect {
        Expect::Line {
            title, group, amount, ..
        } => {
            let title = scope.value(title)?.display();
            let group = group_of(group)?;
            let in_group = |g: u32| group.is_none_or(|x| x == g);
            let found: Vec<_> = run
                .lines
                .iter()
                .filter(|l| l.line.title == title && in_group(l.group))
                .collect();
            let zero = run.zero_lines.iter().any(|(g, t)| *t == title && in_group(*g));
            let amounts: Vec<String> = found.iter().map(|l| money(l.line.amount)).collect();
            // A list: the amounts of every line with the title, in invoice order.
            if let Value::List(items) = scope.value(amount)? {
                let want: Vec<String> = items.iter().map(|v| money(v.decimal().unwrap_or_default())).collect();
                if want == amounts {
                    return Ok(());
                }
                return Err(format!(
                    "lines {title:?}: expected [{}], got [{}]",
                    want.join(", "),
                    amounts.join(", ")
                ));
            }
            let want = scope.value(amount)?.decimal().unwrap_or_default();
            let got = match found.as_slice() {
                [one] => one.line.amount,
                [] if zero => rust_decimal::Decimal::ZERO,
                [] => {
                    return Err(format!(
                        "expected line {title:?} = {}, but there is no such line",
                        money(want)
                    ));
                }
                several => {
                    return Err(format!(
                        "expected line {title:?} = {}, but {} lines have that title ([{}]): name the group, or list their amounts (`= [{}]`)",
                        money(want),
                        several.len(),
                        amounts.join(", "),
                        amounts.join(", ")
                    ));
                }
            };
            if got != want {
                return Err(format!("line {title:?}: expected {}, got {}", money(want), money(got)));
            }
            Ok(())
        }
        Expect::NoLine { title, group, .. } => {
            let title = scope.value(title)?.display();
            let group = group_of(group)?;
            match run
                .lines
                .iter()
                .find(|l| l.line.title == title && group.is_none_or(|g| g == l.group))
            {
                Some(l) => Err(format!("expected no line {title:?}, got {}", money(l.line.amount))),
                None => Ok(()),
            }
        }
        Expect::Total { group, amount, .. } => {
            let group = group_of(group)?;
            let want = scope.value(amount)?.decimal().unwrap_or_default();
            // Checked: a sum past the decimal range is a failed expectation, never a panic.
            let total = run
                .lines
                .iter()
                .filter(|l| group.is_none_or(|g| g == l.group))
                .try_fold(rust_decimal::Decimal::ZERO, |sum, l| sum.checked_add(l.line.amount))
                .ok_or("total: the lines add up past the largest decimal")?;
            if total == want {
                Ok(())
            } else {
                Err(format!("total: expected {}, got {}", money(want), money(total)))
            }
        }
        Expect::Value { actual, expected, .. } => {
            let (a, b) = (
                scope.value_in(actual, data, period, site)?,
                scope.value_in(expected, data, period, site)?,
            );
            if same(&a, &b) {
                Ok(())
            } else {
                Err(format!("expected {}, got {}", b.display(), a.display()))
            }
        }
    }
}
