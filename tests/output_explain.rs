//! `billc explain`: the text and JSON forms of hand-built invoices, shared subtrees printed once,
//! `--line` and `--depth` ([`Focus`]), traces too large or too deep to print naively, reading
//! `exceptions.csv` back, and the lookup by number or site. The binary on real runs:
//! `tests/explain.rs`.

mod output_fixtures;

use billc_billing::explain::{
    ExceptionRow, Focus, explain_focused, explain_json, explain_text, find, parse_exceptions,
};
use billc_billing::invoice::{Invoice, TraceNode};
use output_fixtures::*;
use std::sync::Arc;

#[test]
fn revenue_share_with_three_bands_and_an_annual_window() {
    insta::assert_snapshot!(explain_text(&revenue_share()));
}

#[test]
fn management_agreement_with_profit_share() {
    insta::assert_snapshot!(explain_text(&management_agreement()));
}

#[test]
fn per_labor_hour() {
    insta::assert_snapshot!(explain_text(&output_fixtures::per_labor_hour()));
}

#[test]
fn json_form() {
    insta::assert_snapshot!(explain_json(&[&revenue_share()]));
}

#[test]
fn json_form_is_one_array_that_round_trips() {
    let (a, b) = (management_agreement(), revenue_share());
    let back: Vec<Invoice> = serde_json::from_str(&explain_json(&[&a, &b])).unwrap();
    assert_eq!(back, [a.clone(), b]);
    let one: Vec<Invoice> = serde_json::from_str(&explain_json(&[&a])).unwrap();
    assert_eq!(one, [a]);
    assert_eq!(explain_json(&[]), "[]\n");
}

// ------------------------------------------------------------------------------- shared subtrees

/// Equal subtrees (compared by content: these are separate copies) are printed in full once and
/// referred to after; look-alikes differing in one fact or one source column are not.
#[test]
fn shared_subtrees_are_printed_once() {
    let text = explain_text(&shared_subtrees());
    insta::assert_snapshot!(text);
    // `let fee` in full once (its `rate` fact), `let base` twice: itself, and its look-alike whose
    // input row differs. The copy whose column differs is printed in full too.
    assert_eq!(text.matches("rate: 10.00%").count(), 1, "{text}");
    assert_eq!(text.matches("revenue.csv:2)").count(), 2, "{text}");
    assert_eq!(text.matches("revenue.csv:3)").count(), 1, "{text}");
    assert_eq!(text.matches("(see #1.1)").count(), 2, "{text}");
    assert_eq!(text.matches("(see #1.2)").count(), 1, "{text}");
}

/// The fixtures without repeated subtrees print as before: no references.
#[test]
fn traces_without_repeats_get_no_references() {
    for inv in [revenue_share(), output_fixtures::per_labor_hour()] {
        let text = explain_text(&inv);
        assert!(!text.contains('#'), "{text}");
    }
}

#[test]
fn focus_on_one_line() {
    // Line 2 alone: `base` is printed in full there, and is what `fee` refers to.
    let focused = explain_focused(
        &shared_subtrees(),
        Focus {
            line: Some(2),
            depth: None,
        },
    );
    insta::assert_snapshot!(focused);
    assert!(!focused.contains("1. Fee"), "{focused}");
    let missing = explain_focused(
        &revenue_share(),
        Focus {
            line: Some(3),
            depth: None,
        },
    );
    assert!(missing.ends_with("\nno line 3: the invoice has 2 lines\n"), "{missing}");
}

#[test]
fn focus_to_a_depth() {
    let cut = |depth| {
        explain_focused(
            &shared_subtrees(),
            Focus {
                line: None,
                depth: Some(depth),
            },
        )
    };
    insta::assert_snapshot!("focus_to_a_depth_2", cut(2));
    // Depth 1: each line's own node and how much is below it.
    let one = cut(1);
    assert!(one.contains("… 3 more below (--depth)"), "{one}");
    assert!(!one.contains("let fee"), "{one}");
    // Deep enough for everything: the same as no depth at all.
    assert_eq!(cut(4), explain_text(&shared_subtrees()));
    assert_eq!(cut(40), explain_text(&shared_subtrees()));
    // One level short: every cut names the nodes hidden below it.
    let three = cut(3);
    assert!(three.contains("… 1 more below (--depth)"), "{three}");
}

/// `n` levels of a value used twice by the level above, shared as one `Arc` as the evaluator
/// shares it: 2^n paths, n + 1 distinct nodes.
fn doubling(n: usize) -> TraceNode {
    let mut top = node("x0", "1");
    for k in 1..=n {
        let below = Arc::new(top);
        top = node(&format!("x{k}"), "1");
        top.inputs = vec![below.clone(), below];
    }
    top
}

/// A graph of 2^60 paths prints in a few lines: each distinct subtree once.
#[test]
fn a_trace_shared_as_a_graph_prints_once_per_distinct_subtree() {
    let inv = invoice(
        "0600-202503-01-01",
        "0600",
        vec![line("Big", "4790", 1.into(), &[], doubling(60))],
    );
    let text = explain_text(&inv);
    let tree_rows = text.lines().filter(|l| l.contains(" = 1")).count();
    // Each level: its node in full, then one reference for the second use.
    assert_eq!(tree_rows, 60 + 60 + 1, "{text}");
    let cut = explain_focused(
        &inv,
        Focus {
            line: None,
            depth: Some(2),
        },
    );
    // 2 + 4 + … + 2^59 = 2^60 - 2 nodes under each child of the top: counted, not walked.
    assert!(
        cut.contains(&format!("… {} more below (--depth)", (1u64 << 60) - 2)),
        "{cut}"
    );
}

/// A chain 20,000 levels deep, on a thread with a 256 KiB stack: hashing it and printing its top
/// levels grows the stack on the heap instead of overflowing.
#[test]
fn a_deep_trace_does_not_overflow_a_small_stack() {
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let mut top = node("n0", "0");
            for k in 1..=20_000 {
                let below = top;
                top = node(&format!("n{k}"), "0");
                top.inputs = vec![Arc::new(below)];
            }
            let inv = invoice(
                "0700-202503-01-01",
                "0700",
                vec![line("Deep", "4790", 0.into(), &[], top)],
            );
            let text = explain_focused(
                &inv,
                Focus {
                    line: None,
                    depth: Some(3),
                },
            );
            // Taken apart level by level: dropping the chain recursively would overflow.
            let mut next = inv.lines.into_iter().next().map(|l| l.trace);
            while let Some(mut n) = next {
                next = n.inputs.pop().and_then(|a| Arc::try_unwrap(a).ok());
            }
            text
        })
        .unwrap();
    let text = worker.join().unwrap();
    assert!(text.contains("n19998 = 0"), "{text}");
    assert!(text.contains("… 19998 more below (--depth)"), "{text}");
}

// ------------------------------------------------------------------------------ exceptions.csv

#[test]
fn exceptions_are_read_back() {
    let text = "site,kind,location,message\n\
                ,run_refused,,\"no invoices were made: 1 bad row, in revenue.csv\"\n\
                9005,no_invoice,contracts/9005.bill,no invoice for 2025-03: every line of the contract is zero\n";
    let rows = parse_exceptions(text).unwrap();
    let row = |site: &str, kind: &str, location: &str, message: &str| ExceptionRow {
        site: site.into(),
        kind: kind.into(),
        location: location.into(),
        message: message.into(),
    };
    assert_eq!(
        rows,
        [
            row(
                "",
                "run_refused",
                "",
                "no invoices were made: 1 bad row, in revenue.csv"
            ),
            row(
                "9005",
                "no_invoice",
                "contracts/9005.bill",
                "no invoice for 2025-03: every line of the contract is zero"
            ),
        ]
    );
    assert!(parse_exceptions("site,kind\n9005,no_invoice\n").is_err());
}

#[test]
fn find_by_number_or_site() {
    let mut second = revenue_share();
    second.number = "0238-202503-02-01".into();
    second.group = 2;
    let all = vec![
        management_agreement(),
        second,
        revenue_share(),
        output_fixtures::per_labor_hour(),
    ];
    let numbers = |key: &str| -> Vec<String> { find(&all, key).iter().map(|i| i.number.clone()).collect() };
    assert_eq!(numbers("0238-202503-01-01"), ["0238-202503-01-01"]);
    assert_eq!(numbers(" 0412-202503-01-01 "), ["0412-202503-01-01"]);
    // a Great Plains document number finds its invoice too
    assert_eq!(numbers("02382025030101"), ["0238-202503-01-01"]);
    // a site gives all its invoices, by number
    assert_eq!(numbers("0238"), ["0238-202503-01-01", "0238-202503-02-01"]);
    assert_eq!(numbers("0190"), ["0190-202503-01-01"]);
    assert!(numbers("0238-202504-01-01").is_empty());
    assert!(numbers("9999").is_empty());
    assert!(numbers("").is_empty());
}

/// Several rows of a site are listed one a line, at most ten, then how many more the file has.
#[test]
fn many_reasons_are_listed_and_counted() {
    let row = |kind: &str, location: &str, message: &str| ExceptionRow {
        site: "0238".into(),
        kind: kind.into(),
        location: location.into(),
        message: message.into(),
    };
    let mut exceptions = vec![row(
        "site_skipped",
        "contracts/0238.bill",
        "no invoices for site 0238: its data has bad rows (--skip-bad-sites)",
    )];
    for line in 2..14 {
        exceptions.push(row(
            "bad_row",
            &format!("revenue.csv:{line}"),
            "amount `x` is not a number",
        ));
    }
    // Read as `trace.json` is, so that fields a trace file gains keep their defaults.
    let mut trace: billc_billing::output::Trace =
        serde_json::from_str(r#"{"period": "2025-03", "billc": "0.1.0", "invoices": []}"#).unwrap();
    trace.invoices = vec![revenue_share()];
    let folder = billc_billing::explain::PeriodFolder {
        dir: "out/2025-03".into(),
        trace: Some(trace),
        exceptions,
    };
    let why = folder.lookup("0238-202503-01-01").map(|found| found.len());
    assert_eq!(why, Ok(1));
    let why = folder.lookup("0238-202503-02-01").unwrap_err().to_string();
    assert_eq!(
        why,
        "no invoice `0238-202503-02-01` in out/2025-03; site 0238 has 0238-202503-01-01"
    );
    let none = billc_billing::explain::PeriodFolder {
        trace: Some(billc_billing::output::Trace {
            invoices: vec![],
            ..folder.trace.clone().unwrap()
        }),
        ..folder
    };
    insta::assert_snapshot!(none.lookup("0238").unwrap_err().to_string());
}
