//! Resource bounds: no contract can crash, hang or exhaust `billc`.
//!
//! Each input here once aborted the process (a stack overflow, exit 134) or took seconds to
//! minutes to parse; each now gets one diagnostic with a code, from the `billc` binary, at once.
//! The last tests bill contracts at the limits on worker threads with a quarter of rayon's usual
//! stack, in a debug build, to the cent.

mod common;

use common::billc;
use std::path::Path;

/// Writes `text` as `name` in a fresh folder and runs `billc check` on it: (exit code, stderr).
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a temp file that cannot be written is a failure"
)]
fn check(name: &str, text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let (code, _, stderr) = billc(&["check", path.to_str().unwrap()]);
    (code, stderr)
}

/// The `error[CODE]: message` headers and the `file:line:column` of each, in order.
fn headers(stderr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = stderr.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with("error[") || line.starts_with("warning[") {
            let at = lines.peek().map_or("", |l| l.rsplit('/').next().unwrap_or(""));
            out.push(format!("{line} @ {at}"));
        }
    }
    out
}

fn one_error(name: &str, text: &str) -> String {
    let (code, stderr) = check(name, text);
    assert_eq!(
        code,
        1,
        "{name}: exit code (stderr: {})",
        &stderr[..stderr.len().min(400)]
    );
    let found = headers(&stderr);
    assert_eq!(found.len(), 1, "{name}: {found:?}");
    found.into_iter().next().unwrap_or_default()
}

#[test]
fn nested_parentheses_are_refused_past_one_hundred() {
    let text = format!("const A = {}1{}\n", "(".repeat(3_300), ")".repeat(3_300));
    assert_eq!(
        one_error("parens.bill", &text),
        "error[E0003]: brackets nested more than 100 deep @ parens.bill:1:111"
    );
}

#[test]
fn long_chains_of_operators_ifs_calls_fields_and_prefixes_are_refused() {
    let else_ifs: String = (0..5_000).map(|i| format!("if {i} == 1 then {i} else ")).collect();
    for (name, body, column) in [
        ("chain.bill", format!("{else_ifs}0"), 6424),
        ("sum.bill", vec!["1"; 4_000].join(" + "), 11),
        ("calls.bill", format!("f{}", "(1)".repeat(10_000)), 11),
        ("fields.bill", format!("x{}", ".a".repeat(10_000)), 11),
        ("negations.bill", format!("{}1", "-".repeat(10_000)), 11),
        ("nots.bill", format!("{}true", "not ".repeat(10_000)), 11),
    ] {
        let text = format!("const A = {body}\n");
        assert_eq!(
            one_error(name, &text),
            format!("error[E0003]: nested more than 256 levels deep @ {name}:1:{column}")
        );
    }
}

#[test]
fn deeply_nested_types_and_statements_are_refused() {
    let types = format!(
        "fn f(x: {}Number{}) -> Number = 1\n",
        "List<".repeat(3_300),
        ">".repeat(3_300)
    );
    assert_eq!(
        one_error("types.bill", &types),
        "error[E0003]: nested more than 256 levels deep @ types.bill:1:1289"
    );
    let ifs = format!(
        "contract \"1001\" {{\n  customer \"X\"\n  if true {{ }} {}\n}}\n",
        vec!["else if true { }"; 3_300].join(" ")
    );
    assert_eq!(
        one_error("ifs.bill", &ifs),
        "error[E0003]: nested more than 256 levels deep @ ifs.bill:3:4341"
    );
}

#[test]
fn ten_thousand_functions_calling_the_next_check_cleanly() {
    // Not an error: each definition is shallow; the checker goes through all of them in turn.
    let mut text: String = (0..10_000)
        .map(|i| format!("fn f{i}(x: Number) -> Number = f{}(x)\n", i + 1))
        .collect();
    text.push_str("fn f10000(x: Number) -> Number = x\nconst A = f0(1)\n");
    let (code, stderr) = check("fns.bill", &text);
    assert_eq!((code, headers(&stderr)), (0, Vec::new()));
}

#[test]
fn unclosed_and_misclosed_nestings_are_one_error_at_once() {
    // 26 unclosed lists took 17 s; 18 unclosed `if` blocks 16 s.
    assert_eq!(
        one_error("lists.bill", &format!("const x = {}\n", "[".repeat(26))),
        "error[E0001]: `[` is never closed @ lists.bill:1:36"
    );
    let ifs = format!("contract \"1001\" {{\n{}}}\n", "if true {\n".repeat(18));
    assert_eq!(
        one_error("ifs.bill", &ifs),
        "error[E0001]: `{` is never closed @ ifs.bill:18:9"
    );
    // Balanced, 26 deep: read once (a list and a comprehension no longer both start `[ expr`).
    let lists = format!("const x = {}1{}\n", "[".repeat(26), "]".repeat(26));
    let (code, stderr) = check("balanced.bill", &lists);
    assert_eq!((code, headers(&stderr)), (0, Vec::new()));
}

/// A contract at the limits: a 250-term sum, a chain of 300 functions each calling the next, a
/// 120-deep `else if` and a chain of 3,000 lets, all reading data, so that the evaluator goes the
/// whole depth (and the trace is cut at its own depth, so that it can be written and read back).
fn deep_contract() -> String {
    let revenue = "sum(revenue.net_external_revenue)";
    let mut text = String::from("use towne_park\n\n");
    for i in 0..300 {
        text.push_str(&format!("fn f{i}(x: Money) -> Money = f{}(x) + $1\n", i + 1));
    }
    text.push_str(&format!("fn f300(x: Money) -> Money = x + {revenue}\n\n"));
    let sum = vec![revenue; 250].join(" + ");
    let ifs = format!("if {revenue} > $100,000 then $1 else ").repeat(120);
    let mut lets = format!("  let a0 = {revenue}\n");
    for i in 1..3_000 {
        lets.push_str(&format!("  let a{i} = a{} + $1\n", i - 1));
    }
    text.push_str(&format!(
        "contract \"1138\" {{\n  customer \"Torrance Marriott\"\n  billing arrears\n  effective 2020-01-01\n  \
         group 1 \"Parking\"\n  line \"Deep\" gl \"4000\" = {sum}\n  line \"Chain\" gl \"4000\" = f0($5)\n  \
         line \"Ifs\" gl \"4000\" = {ifs}$7\n{lets}  line \"Lets\" gl \"4000\" = a2999\n}}\n"
    ));
    text
}

#[test]
fn contracts_at_the_limits_bill_to_the_cent_on_small_stacks() {
    let contracts = tempfile::tempdir().unwrap();
    std::fs::write(contracts.path().join("1138.bill"), deep_contract()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data");
    // 512 KiB for the main thread and for every worker (a quarter of rayon's default 2 MiB).
    let command = format!(
        "ulimit -s 512 && RUST_MIN_STACK=524288 exec '{}' run '{}' --data '{}' --period 2025-03 --out '{}'",
        common::BILLC,
        contracts.path().display(),
        data.display(),
        out.path().display()
    );
    let status = std::process::Command::new("sh")
        .args(["-c", &command])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert_ne!(status.status.code(), Some(134), "{stderr}");
    let invoices = std::fs::read_to_string(out.path().join("2025-03/invoices.csv"))
        .unwrap_or_else(|e| panic!("no invoices ({e}): {stderr}"));
    let lines: Vec<&str> = invoices.lines().filter(|l| l.contains(",4000,")).collect();
    assert_eq!(
        lines,
        [
            "1138-202503-01-01,1138,1,2025-03-31,Deep,4000,17500000.00",
            "1138-202503-01-01,1138,1,2025-03-31,Chain,4000,70305.00",
            "1138-202503-01-01,1138,1,2025-03-31,Ifs,4000,7.00",
            "1138-202503-01-01,1138,1,2025-03-31,Lets,4000,72999.00",
        ]
    );
    // The trace of all this is written, read back and printed on the same small stacks.
    let explain = format!(
        "ulimit -s 512 && RUST_MIN_STACK=524288 exec '{}' explain '{}' 1138",
        common::BILLC,
        out.path().join("2025-03").display()
    );
    let shown = std::process::Command::new("sh")
        .args(["-c", &explain])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&shown.stdout);
    assert_eq!(
        shown.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(text.contains("trace: cut here, 32 levels deep"), "{text}");
}

#[test]
fn the_repository_s_contracts_are_far_from_the_limit() {
    let mut deepest = (0, String::new());
    for dir in ["contracts", "stdlib", "tests/lang", "tests/corpus"] {
        let mut paths: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "bill") && !p.ends_with("too_deep_brackets.bill"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            let (mut module, _) = billc_lang::syntax::parse(billc_lang::span::FileId(0), &text);
            let depth = billc_lang::syntax::depth::depth(&mut module);
            if depth > deepest.0 {
                deepest = (depth, path.display().to_string());
            }
        }
    }
    println!("deepest: {deepest:?}");
    assert!(deepest.0 <= billc_lang::syntax::depth::MAX_DEPTH / 8, "{deepest:?}");
}

/// Bills `bad` (a contract for site 0170) beside the real Torrance Marriott contract over the
/// example data for March 2025: (exit code, the `contract_failed` rows, 1138's invoice lines).
#[expect(clippy::unwrap_used, reason = "test helper: a failure to write or run is a failure")]
fn bill_beside_a_real_contract(bad: &str) -> (i32, Vec<String>, usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let contracts = tempfile::tempdir().unwrap();
    std::fs::write(contracts.path().join("0170.bill"), bad).unwrap();
    std::fs::copy(
        root.join("contracts/1138-torrance-marriott.bill"),
        contracts.path().join("1138.bill"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let data = root.join("examples/data");
    let args = common::run_args(contracts.path(), &data, "2025-03", out.path(), &[]);
    let (code, _, _) = billc(&args);
    let exceptions = std::fs::read_to_string(out.path().join("2025-03/exceptions.csv")).unwrap();
    let failed = exceptions
        .lines()
        .filter(|l| l.contains("contract_failed"))
        .map(|l| l.replace(&contracts.path().display().to_string(), "<contracts>"))
        .collect();
    let invoices = std::fs::read_to_string(out.path().join("2025-03/invoices.csv")).unwrap();
    (code, failed, invoices.lines().filter(|l| l.contains(",1138,")).count())
}

fn site_0170(body: &str) -> String {
    format!(
        "use towne_park\n\n{body}\ncontract \"0170\" {{\n  customer \"Example 13 Hotel\"\n  billing arrears\n  \
         effective 2020-01-01\n  group 1 \"Parking\"\n  line \"Fee\" gl \"4000\" = fee()\n}}\n"
    )
}

/// `g0(x) = base`, then forty functions each calling the one below twice: `g40` makes 2⁴⁰ calls,
/// years of work without the budget.
fn doubling(base: &str) -> String {
    let mut fns = format!("fn g0(x: Money) -> Money = {base}\n");
    for i in 0..40 {
        fns.push_str(&format!("fn g{}(x: Money) -> Money = g{i}(x) + g{i}(x)\n", i + 1));
    }
    fns
}

#[test]
fn an_exponential_contract_fails_alone_within_the_step_budget() {
    let mut fns = doubling("x + sum(revenue.net_external_revenue)");
    fns.push_str("fn fee() -> Money = g40($1)\n");
    let (code, failed, lines_1138) = bill_beside_a_real_contract(&site_0170(&fns));
    assert_eq!(code, 1);
    assert_eq!(
        failed,
        [
            "0170,contract_failed,<contracts>/0170.bill:51,\"the contract could not be evaluated for 2025-03: \
             the evaluation takes more than 10,000,000 steps (do functions call each other over and over?)\""
        ]
    );
    assert!(lines_1138 > 0, "the other contract is billed");
}

#[test]
fn texts_and_lists_that_double_fail_the_contract_not_the_run() {
    let mut texts = String::from("fn t0() -> Text = \"ab{sum(revenue.net_external_revenue)}\"\n");
    let mut lists = String::from("fn l0() -> List<Money> = [sum(revenue.net_external_revenue)]\n");
    for i in 0..40 {
        texts.push_str(&format!("fn t{}() -> Text = \"{{t{i}()}}{{t{i}()}}\"\n", i + 1));
        lists.push_str(&format!("fn l{}() -> List<Money> = l{i}() + l{i}()\n", i + 1));
    }
    texts.push_str("fn fee() -> Money = if t40() == \"\" then $1 else $2\n");
    lists.push_str("fn fee() -> Money = sum(l40())\n");
    for (body, location, message) in [
        (
            texts,
            21,
            "a text grows past 1,048,576 bytes (is a text added to itself over and over?)",
        ),
        (
            lists,
            23,
            "a list grows past 1,000,000 elements (is a list added to itself over and over?)",
        ),
    ] {
        let (code, failed, lines_1138) = bill_beside_a_real_contract(&site_0170(&body));
        assert_eq!(code, 1);
        assert_eq!(
            failed,
            [format!(
                "0170,contract_failed,<contracts>/0170.bill:{location},\"the contract could not be evaluated for 2025-03: {message}\""
            )]
        );
        assert!(lines_1138 > 0, "the other contract is billed");
    }
}

#[test]
fn a_constant_past_the_budget_is_one_error_at_the_constant() {
    let mut text = doubling("x");
    text.push_str("const A = g40($1)\n");
    assert_eq!(
        one_error("constant.bill", &text),
        "error[E0402]: cannot compute this constant: the evaluation takes more than 10,000,000 steps \
         (do functions call each other over and over?) @ constant.bill:42:11"
    );
}

#[test]
fn lines_past_the_decimal_range_fail_a_test_instead_of_panicking() {
    // `billc test` summed these two lines into a panic ("Addition overflowed").
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("1001.bill");
    let line = "$79,228,162,514,264,337,593,543,950,000";
    std::fs::write(
        &path,
        format!(
            "contract \"1001\" {{\n  customer \"Big\"\n  group 1 \"Parking\"\n  line \"A\" gl \"4000\" = {line}\n  \
             line \"B\" gl \"4000\" = {line}\n  test \"the total\" {{\n    period 2025-03\n    expect total = $1\n  }}\n}}\n"
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = billc(&["test", path.to_str().unwrap()]);
    let place = path.display().to_string();
    assert_eq!(
        (code, stdout.as_str(), stderr.replace(&place, "1001.bill").as_str()),
        (
            1,
            "0 passed, 1 failed\n",
            "FAIL 1001.bill:6: the total\n  evaluation failed at 1001.bill:4: the line amount \
             $79,228,162,514,264,337,593,543,950,000 is implausible (a trillion dollars or more): check the data\n"
        )
    );
}
