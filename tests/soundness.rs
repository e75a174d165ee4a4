//! Soundness of the checker against the evaluator (issue 13): every value an expression evaluates
//! to belongs to its checked type, kind and unit (money in its currency, number, percent, quantity
//! of its unit, rate per its unit, tier results field by field).
//!
//! A generator writes well-typed expressions over literals, arithmetic, comparisons, `if`, and the
//! tier builtins over every kind of table (percent of money, of numbers and of quantities, money per
//! unit of a number, rate per unit of a quantity); each becomes `fn probe() -> T = …`, is checked, and
//! every node of its checked tree is evaluated on its own and compared with the node's type. An
//! evaluation error (an amount above a bounded last tier, an overflow) is allowed: a value of the
//! wrong kind never is. Cases: `SOUNDNESS_CASES` (default 2,000), e.g.
//! `SOUNDNESS_CASES=200000 cargo test --release --test soundness`.
//!
//! Beyond the generated programs, the evaluator itself asserts the same relation
//! ([`Value::belongs_to`]) for every expression it evaluates in a debug build: every test that bills
//! a contract (the repository's, the 516 imported, the generated sites of `tests/run.rs`) also
//! checks the types of data reads, windows, function bodies and component arguments.
//! `the_evaluator_refuses_a_value_of_the_wrong_type` shows the assertion firing.
//!
//! The findings of issue 13 items 1 and 2 are the tests below the property, each with its figure.

use billc_lang::check::Item;
use billc_lang::hir::{Expr, ExprKind};
use billc_lang::session::Session;
use billc_lang::ty::Ty;
use billc_lang::value::Value;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// The children of a checked expression.
fn children(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Builtin(_, args) => args.iter().flatten().collect(),
        ExprKind::Call(_, args) | ExprKind::List(args) => args.iter().collect(),
        ExprKind::Unary(_, a) | ExprKind::Field(a, _) | ExprKind::Cast(a) => vec![a],
        ExprKind::Binary(_, a, b) | ExprKind::Where(a, b) | ExprKind::Comprehension(a, b) => vec![a, b],
        ExprKind::If(a, b, c) => vec![a, b, c],
        ExprKind::Record(fields) => fields.iter().map(|(_, x)| x).collect(),
        ExprKind::Tiers(tiers) => tiers
            .iter()
            .flat_map(|t| std::iter::once(&t.price).chain(t.limit.iter()).chain(t.fee.iter()))
            .collect(),
        _ => Vec::new(),
    }
}

/// Checks `fn probe() -> ty = expr` and evaluates every node of its body: the number of nodes
/// evaluated, or why the case is not sound.
fn probe(ty: &str, expr: &str) -> Result<usize, String> {
    let mut session = Session::default();
    let text = format!("use pricing\nfn probe() -> {ty} = {expr}\n");
    let file = session.add_file("probe.bill", &text);
    let diags = session.diagnostics(&[file]);
    // Warnings are not unsoundness: a generated table may well end with a limit (W0501).
    if let Some(d) = diags.iter().find(|d| d.is_error()) {
        return Err(format!("does not check: {}\n{text}", d.message));
    }
    let module = session.module(file);
    let Some(Item::Fn(f)) = module.items.get("probe") else {
        return Err(format!("no probe in\n{text}"));
    };
    let mut stack = vec![&f.body];
    let mut evaluated = 0;
    while let Some(e) = stack.pop() {
        stack.extend(children(e));
        if let Ok(v) = billc_lang::eval::const_eval(e) {
            evaluated += 1;
            if !v.belongs_to(&e.ty) {
                return Err(format!(
                    "`{}` is `{}`, evaluates to {v:?}\n{text}",
                    e.ty,
                    snippet(&text, e)
                ));
            }
        }
    }
    Ok(evaluated)
}

fn snippet<'t>(text: &'t str, e: &Expr) -> &'t str {
    text.get(e.span.start as usize..e.span.end as usize).unwrap_or("?")
}

// ------------------------------------------------------------------ the generator

fn money_lit() -> impl Strategy<Value = String> {
    (-5_000i64..1_000_000).prop_map(|c| {
        let d = rust_decimal::Decimal::new(c, 2);
        if c < 0 { format!("-${}", -d) } else { format!("${d}") }
    })
}
fn number_lit() -> impl Strategy<Value = String> {
    (-50i64..100_000).prop_map(|c| format!("({})", rust_decimal::Decimal::new(c, 1)))
}
fn percent_lit() -> impl Strategy<Value = String> {
    (0i64..10_000).prop_map(|c| format!("{}%", rust_decimal::Decimal::new(c, 2)))
}
fn units_lit() -> impl Strategy<Value = String> {
    (0i64..100_000).prop_map(|c| format!("({} units)", rust_decimal::Decimal::new(c, 1)))
}
fn rate_lit() -> impl Strategy<Value = String> {
    (1i64..10_000).prop_map(|c| format!("${}/unit", rust_decimal::Decimal::new(c, 2)))
}

/// Increasing limits, `unit` after each, and the last tier unlimited or (sometimes) bounded.
fn table(prices: BoxedStrategy<String>, limit: fn(i64) -> String) -> BoxedStrategy<String> {
    (
        // Two tiers at least: a lone unlimited tier has no limit to give the amount its type.
        proptest::collection::vec((prices, 1i64..50_000), 2..4),
        any::<bool>(),
    )
        .prop_map(move |(tiers, bounded)| {
            let mut at = 0;
            let n = tiers.len();
            let parts: Vec<String> = tiers
                .into_iter()
                .enumerate()
                .map(|(i, (p, step))| {
                    at += step;
                    if i + 1 < n || bounded {
                        format!("{p} up to {}", limit(at))
                    } else {
                        p
                    }
                })
                .collect();
            format!("{{ {} }}", parts.join(", "))
        })
        .boxed()
}

/// A tier call of one of the five table kinds: (price type, amount type, call text).
fn tier_call(depth: u32) -> BoxedStrategy<(String, String, String)> {
    let f = prop_oneof![Just("tiered"), Just("volume")];
    prop_oneof![
        (
            f.clone(),
            money(depth),
            table(percent_lit().boxed(), |l| format!("${l}"))
        )
            .prop_map(|(f, a, t)| ("Percent".into(), "Money".into(), format!("{f}({a}, {t})"))),
        (
            f.clone(),
            number(depth),
            table(percent_lit().boxed(), |l| format!("{l}"))
        )
            .prop_map(|(f, a, t)| ("Percent".into(), "Number".into(), format!("{f}({a}, {t})"))),
        (
            f.clone(),
            units(depth),
            table(percent_lit().boxed(), |l| format!("{l} units"))
        )
            .prop_map(|(f, a, t)| ("Percent".into(), "Quantity<unit>".into(), format!("{f}({a}, {t})"))),
        (
            f.clone(),
            number(depth),
            table(money_lit().prop_map(|m| format!("({m})")).boxed(), |l| format!("{l}"))
        )
            .prop_map(|(f, a, t)| ("Money".into(), "Number".into(), format!("{f}({a}, {t})"))),
        (f, units(depth), table(rate_lit().boxed(), |l| format!("{l} units"))).prop_map(|(f, a, t)| (
            "Money/Unit".into(),
            "Quantity<unit>".into(),
            format!("{f}({a}, {t})")
        )),
    ]
    .boxed()
}

/// A field of a tier call whose type is `want` (as written in a type).
fn tier_field(depth: u32, want: &'static str) -> BoxedStrategy<String> {
    tier_call(depth)
        .prop_filter_map("no field of that type", move |(price, amount, call)| {
            let due = match (price.as_str(), amount.as_str()) {
                ("Percent", a) => a.to_string(),
                _ => "Money".to_string(),
            };
            let fields = [
                ("due", due),
                ("base", amount.clone()),
                ("banded", amount.clone()),
                ("prior", amount),
                ("blend", price),
            ];
            fields
                .iter()
                .find(|(_, t)| t == want)
                .map(|(f, _)| format!("{call}.{f}"))
        })
        .boxed()
}

fn money(depth: u32) -> BoxedStrategy<String> {
    if depth == 0 {
        return money_lit().boxed();
    }
    let d = depth - 1;
    prop_oneof![
        3 => money_lit(),
        1 => (money(d), money(d)).prop_map(|(a, b)| format!("({a} + {b})")),
        1 => (money(d), money(d)).prop_map(|(a, b)| format!("({a} - {b})")),
        1 => (money(d), percent(d)).prop_map(|(a, b)| format!("({a} * {b})")),
        1 => (rate(d), units(d)).prop_map(|(a, b)| format!("({a} * {b})")),
        1 => (bool_(d), money(d), money(d)).prop_map(|(c, a, b)| format!("(if {c} then {a} else {b})")),
        1 => (money(d), money(d)).prop_map(|(a, b)| format!("max({a}, {b})")),
        2 => tier_field(d, "Money"),
    ]
    .boxed()
}

fn number(depth: u32) -> BoxedStrategy<String> {
    if depth == 0 {
        return number_lit().boxed();
    }
    let d = depth - 1;
    prop_oneof![
        3 => number_lit(),
        1 => (number(d), number(d)).prop_map(|(a, b)| format!("({a} + {b})")),
        1 => (number(d), number(d)).prop_map(|(a, b)| format!("({a} * {b})")),
        1 => (bool_(d), number(d), number(d)).prop_map(|(c, a, b)| format!("(if {c} then {a} else {b})")),
        2 => tier_field(d, "Number"),
    ]
    .boxed()
}

fn percent(depth: u32) -> BoxedStrategy<String> {
    sums(depth, percent_lit().boxed(), percent, "Percent")
}

fn units(depth: u32) -> BoxedStrategy<String> {
    sums(depth, units_lit().boxed(), units, "Quantity<unit>")
}

/// Expressions of a type that only adds to itself: a literal, a sum of two of them (`of` builds
/// them one level down), or a tier field of type `ty`.
fn sums(
    depth: u32,
    literal: BoxedStrategy<String>,
    of: fn(u32) -> BoxedStrategy<String>,
    ty: &'static str,
) -> BoxedStrategy<String> {
    if depth == 0 {
        return literal;
    }
    let d = depth - 1;
    prop_oneof![
        3 => literal,
        1 => (of(d), of(d)).prop_map(|(a, b)| format!("({a} + {b})")),
        2 => tier_field(d, ty),
    ]
    .boxed()
}

fn rate(depth: u32) -> BoxedStrategy<String> {
    if depth == 0 {
        return rate_lit().boxed();
    }
    prop_oneof![3 => rate_lit(), 1 => tier_field(depth - 1, "Money/Unit")].boxed()
}

fn bool_(depth: u32) -> BoxedStrategy<String> {
    if depth == 0 {
        return prop_oneof![Just("true".to_string()), Just("false".to_string())].boxed();
    }
    let d = depth - 1;
    prop_oneof![
        (money(d), money(d)).prop_map(|(a, b)| format!("({a} < {b})")),
        (number(d), number(d)).prop_map(|(a, b)| format!("({a} == {b})")),
        (number(d), number(d), number(d)).prop_map(|(a, b, c)| format!("({a} in [{b}, {c}])")),
        (percent(d), percent(d)).prop_map(|(a, b)| format!("({a} >= {b})")),
    ]
    .boxed()
}

/// A well-typed expression and its type.
fn program() -> BoxedStrategy<(String, String)> {
    prop_oneof![
        money(3).prop_map(|e| ("Money".to_string(), e)),
        number(3).prop_map(|e| ("Number".to_string(), e)),
        percent(3).prop_map(|e| ("Percent".to_string(), e)),
        units(3).prop_map(|e| ("Quantity<unit>".to_string(), e)),
        rate(3).prop_map(|e| ("Money/Unit".to_string(), e)),
        bool_(3).prop_map(|e| ("Bool".to_string(), e)),
        tier_call(2).prop_map(|(p, a, c)| (format!("TierResult<{p}, {a}>"), c)),
    ]
    .boxed()
}

#[test]
fn every_evaluated_expression_belongs_to_its_type() {
    let cases = std::env::var("SOUNDNESS_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let nodes = std::cell::Cell::new(0usize);
    let result = runner.run(&program(), |(ty, e)| {
        nodes.set(nodes.get() + probe(&ty, &e).map_err(TestCaseError::fail)?);
        Ok(())
    });
    let nodes = nodes.get();
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(nodes >= cases as usize, "only {nodes} nodes evaluated");
}

// ------------------------------------------------------------------ the findings

/// Runs the test blocks of `source` (with the standard library): the failures, by test name.
#[expect(clippy::unwrap_used, reason = "test helper: the bundled stdlib is readable")]
fn failures(source: &str) -> Vec<(String, String)> {
    let mut session = Session::default();
    let mut files = Vec::new();
    for entry in std::fs::read_dir("stdlib").unwrap() {
        let path = entry.unwrap().path();
        files.push(session.add_file(&path.to_string_lossy(), &std::fs::read_to_string(&path).unwrap()));
    }
    let file = session.add_file("findings.bill", source);
    let diags = session.diagnostics(&[file]);
    // The findings write last tiers with a limit on purpose (the run-time error above the last
    // tier): warning W0501, which is right; no error.
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
    assert!(
        diags.iter().all(|d| d.code == billc_lang::diag::Code::LastTierLimited),
        "{diags:#?}"
    );
    let report = billc_lang::testing::run_tests(&session, &[file]);
    // A failure is named `findings.bill:LINE: name`.
    let strip = |s: &str| s.split_once(": ").map_or(s, |(_, name)| name).to_string();
    report
        .failures
        .into_iter()
        .map(|f| {
            let message = f.message.lines().next().unwrap_or_default().to_string();
            (strip(&f.name), message)
        })
        .collect()
}

const FINDINGS: &str = r#"
use pricing
fn tax(n: Number) -> Number = tiered(n, { 10% up to 1, 8% }).due
fn rooms() -> TierResult<Money/Unit, Quantity<unit>> = tiered(300 units, { $1.00/unit up to 100 units, $2.00/unit })
fn capped(x: Money) -> Money = tiered(x, { 10% up to $1,000 }).due
fn vol(x: Money) -> Money = volume(x, { 10% up to $1,000, 5% up to $2,000 }).due
fn capped_ytd(x: Money) -> Money = tiered(x, { 10% up to $1,000, 0% }).due
contract "9990" {
    customer "Findings of issue 13"
    line "Base" = $1
    test "tier results over numbers are numbers" {
        period 2025-06
        expect tax(2.5) == 0.22 = true
        expect tax(2.5) = 0.22
        expect 0.22 in [tax(2.5)] = true
    }
    test "tier results over quantities: base in units, blend a rate" {
        period 2025-06
        expect rooms().base = 300 units
        expect rooms().banded = 300 units
        expect rooms().due = $500.00
        expect round(rooms().blend * 3 units) = $5.00
    }
    test "an explicit 0% tail caps; an unlimited last tier takes all" {
        period 2025-06
        expect capped_ytd($1,500) = $100.00
        expect capped($1,000) = $100.00
        expect vol($2,000) = $100.00
    }
    test "negative quantities bill nothing, in packages as in tiers" {
        period 2025-06
        expect package(-250, 100, $40) = $0
        expect package(250, 100, $40) = $120
        expect graduated(-5 units, { $1.00/unit up to 100 units, $0.50/unit }).due = $0
        expect volume_price(-5 units, { $1.00/unit up to 100 units, $0.50/unit }).due = $0
    }
    test "graduated above a bounded last tier" {
        period 2025-06
        expect capped($1,500) = $100
    }
    test "volume above a bounded last tier" {
        period 2025-06
        expect vol($2,000.01) = $100
    }
    test "a package size of 0 or below" {
        period 2025-06
        expect package(250, -100, $40) = $0
    }
    test "escalation beyond its horizon" {
        period 2025-06
        expect escalate($100, by: 1%, every: january, since: 1800-01-01) = $100
    }
    test "escalation within its horizon" {
        period 2025-06
        expect escalate($100, by: 1%, every: january, since: 1826-01-01) = $724.28
    }
    test "add_months by a count beyond the calendar" {
        period 2025-06
        expect add_months(2025-01-31, 100000000000000000000, clamp) = 2025-01-31
    }
}
"#;

/// Before issue 13: `tax(2.5)` was `$0.22` (money under type `Number`, so `== 0.22` was false),
/// `.base` of 300 units was $300.00, `.blend` of a rate read as a percentage; usage above a bounded
/// last tier was billed at 0 (graduated) or not at all (volume), a negative package was -$80,
/// `escalate` stopped after 201 steps and `add_months` returned the date unchanged. Each now
/// computes the right value or fails with an error naming what would have been lost, at the line
/// of the failing `expect`.
#[test]
fn findings_compute_right_or_fail_loudly() {
    let got = failures(FINDINGS);
    let want: Vec<(String, String)> = [
        (
            "graduated above a bounded last tier",
            "findings.bill:39: $500.00 lies above the last tier's limit of $1,000.00, and no tier bills it (give the last tier no limit, or an explicit 0% tier)",
        ),
        (
            "volume above a bounded last tier",
            "findings.bill:43: $0.01 lies above the last tier's limit of $2,000.00, and no tier bills it (give the last tier no limit, or an explicit 0% tier)",
        ),
        ("a package size of 0 or below", "findings.bill:47: division by zero"),
        (
            "escalation beyond its horizon",
            "findings.bill:51: `escalate` would apply 225 annual steps, more than the 200 it allows (is `since:` right?)",
        ),
        ("add_months by a count beyond the calendar", "findings.bill:59: date out of range"),
    ]
    .iter()
    .map(|(n, m)| ((*n).to_string(), (*m).to_string()))
    .collect();
    assert_eq!(got, want);
}

/// Before issue 13, 10²⁷ minutes at $25.08/h billed $4.18·10²⁶; a line amount of a trillion
/// dollars or more is now an error of the contract (the run bills the others).
#[test]
fn implausible_line_amounts_are_errors() {
    let source = r#"
use towne_park
contract "9991" {
    customer "Implausible"
    line "Valet" = $25.08/h * regular_hours("GSA")
    test "10^27 minutes" {
        period 2025-03
        given timesheets [{date: 2025-03-03, job_code: "GSA", regular_minutes: 1000000000000000000000000000}]
        expect line "Valet" = $0
    }
    test "a plausible month" {
        period 2025-03
        given timesheets [{date: 2025-03-03, job_code: "GSA", regular_minutes: 480}]
        expect line "Valet" = $200.64
    }
}
"#;
    assert_eq!(
        failures(source),
        vec![(
            "10^27 minutes".to_string(),
            "evaluation failed at findings.bill:5: the line amount $418,000,000,000,000,000,000,000,000.08 is implausible (a trillion dollars or more): check the data"
                .to_string()
        )]
    );
}

/// A price that cannot apply to the amount is a type error at the call (and in a `TierResult`
/// annotation), where it billed $300.00 for 300 units or read a rate as a percentage.
#[test]
fn prices_apply_to_amounts_of_their_kind_only() {
    let cases = [
        (
            "fn f() -> Money = tiered(3 h, { $1.00/room up to 10 h, $2.00/room }).due",
            "a tier price `Money/Room` cannot apply to an amount `Hours`",
        ),
        (
            "fn f() -> Money = volume($300, { $1.00 up to $100, $2.00 }).due",
            "a tier price `Money` cannot apply to an amount `Money`",
        ),
        (
            "fn f(r: TierResult<Money/Unit, Money>) -> Money = r.due",
            "a tier price `Money/Unit` cannot apply to an amount `Money`",
        ),
    ];
    for (source, want) in cases {
        let mut session = Session::default();
        let file = session.add_file("t.bill", source);
        let diags = session.diagnostics(&[file]);
        let got: Vec<(String, String)> = diags
            .iter()
            .map(|d| (d.code.as_str().to_string(), d.message.clone()))
            .collect();
        assert_eq!(got, vec![("E0201".to_string(), want.to_string())], "{source}");
    }
}

#[test]
fn the_evaluator_refuses_a_value_of_the_wrong_type() {
    // A number typed as money, as an unsound checker would hand it over.
    let forged = Expr {
        kind: ExprKind::Lit(Value::Number(rust_decimal::Decimal::ONE)),
        ty: Ty::usd(),
        span: billc_lang::span::Span::default(),
    };
    let result = billc_lang::eval::const_eval(&forged).map_err(|e| e.kind.describe());
    if cfg!(debug_assertions) {
        assert_eq!(
            result,
            Err("the value 1 is not of its checked type `Money`".to_string())
        );
    } else {
        assert_eq!(result, Ok(Value::Number(rust_decimal::Decimal::ONE)));
    }
}
