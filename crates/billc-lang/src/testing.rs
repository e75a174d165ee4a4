//! `billc test`: runs `test` blocks (given inputs, expected lines) and the doc examples of
//! functions (`/// example: expr => value`).

use crate::check::{self, CheckedModule};
use crate::db::SourceFile;
use crate::eval::{self, ContractRun};
use crate::session::Session;
use crate::span::FileId;
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
}

impl Scope<'_> {
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
    let name = format!("{path}: {}", t.name);
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
    let run = match eval::run_contract(plan, &data, period) {
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
            problems.push(p);
        }
    }
    if problems.is_empty() {
        report.passed += 1;
    } else {
        let lines: Vec<String> = run
            .lines
            .iter()
            .map(|l| format!("group {} {:?} {}", l.group, l.line.title, l.line.amount))
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
    match expect {
        Expect::Line {
            title, group, amount, ..
        } => {
            let title = scope.value(title)?.display();
            let group = group_of(group)?;
            let want = scope.value(amount)?.decimal().unwrap_or_default();
            let found: Vec<_> = run
                .lines
                .iter()
                .filter(|l| l.line.title == title && group.is_none_or(|g| g == l.group))
                .collect();
            let total: rust_decimal::Decimal = found.iter().map(|l| l.line.amount).sum();
            if found.is_empty() {
                return Err(format!("expected line {title:?} = {want}, but there is no such line"));
            }
            if total != want {
                return Err(format!("line {title:?}: expected {want}, got {total}"));
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
                Some(l) => Err(format!("expected no line {title:?}, got {}", l.line.amount)),
                None => Ok(()),
            }
        }
        Expect::Total { group, amount, .. } => {
            let group = group_of(group)?;
            let want = scope.value(amount)?.decimal().unwrap_or_default();
            let total: rust_decimal::Decimal = run
                .lines
                .iter()
                .filter(|l| group.is_none_or(|g| g == l.group))
                .map(|l| l.line.amount)
                .sum();
            if total == want {
                Ok(())
            } else {
                Err(format!("total: expected {want}, got {total}"))
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
