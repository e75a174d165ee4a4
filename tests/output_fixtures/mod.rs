//! Hand-built invoices shared by the `output_*` tests: what the evaluator would produce for a revenue
//! share with an annual window, a management agreement with profit share, and per-labor-hour billing.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use billc_billing::invoice::{Fact, Invoice, InvoiceLine, SourceLoc, Status, TraceNode};
use billc_lang::time::parse_date;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

pub fn node(label: &str, value: &str) -> TraceNode {
    TraceNode {
        label: label.into(),
        value: value.into(),
        ..TraceNode::default()
    }
}

pub fn at(mut n: TraceNode, file: &str, line: u32, text: &str) -> TraceNode {
    n.source = Some(std::sync::Arc::new(SourceLoc {
        file: file.into(),
        line,
        column: 5,
        text: text.into(),
    }));
    n
}

pub fn facts(mut n: TraceNode, facts: &[(&str, &str)]) -> TraceNode {
    n.facts = facts
        .iter()
        .map(|(name, value)| Fact {
            name: (*name).into(),
            value: (*value).into(),
        })
        .collect();
    n
}

pub fn inputs(mut n: TraceNode, inputs: Vec<TraceNode>) -> TraceNode {
    n.inputs = inputs.into_iter().map(std::sync::Arc::new).collect();
    n
}

pub fn line(title: &str, gl: &str, amount: Decimal, tags: &[&str], trace: TraceNode) -> InvoiceLine {
    InvoiceLine {
        title: title.into(),
        description: String::new(),
        gl: gl.into(),
        amount,
        tags: tags.iter().map(|t| (*t).into()).collect(),
        trace,
    }
}

#[allow(
    clippy::unwrap_used,
    reason = "a test helper: a broken fixture should fail the test loudly"
)]
pub fn invoice(number: &str, site: &str, lines: Vec<InvoiceLine>) -> Invoice {
    let total = lines.iter().map(|l| l.amount).sum();
    Invoice {
        number: number.into(),
        site: site.into(),
        contract: format!("contracts/{site}.bill"),
        customer: "Harbor View Hotel".into(),
        group: 1,
        group_title: None,
        period: "2025-03".into(),
        date: parse_date("2025-03-31").unwrap(),
        due: parse_date("2025-04-20"),
        terms: "Due by 20th".into(),
        status: Status::Ready,
        status_reasons: vec![],
        total,
        lines,
    }
}

/// EXAMPLES.md 4, March: annual-calendar revenue share over three tiers, plus a mid-month advance.
pub fn revenue_share() -> Invoice {
    let f = "contracts/0238.bill";
    let qualifying = at(
        facts(
            node("sum revenue.net_external_revenue", "$70,000.00"),
            &[
                ("filter", "revenue_code in [PK1, PK2], deposit_flag != V"),
                ("rows", "31"),
            ],
        ),
        f,
        12,
        "let qualifying = sum revenue.net_external_revenue where revenue_code in codes",
    );
    let window = at(
        facts(
            node("window annual_calendar", "$120,000.00"),
            &[
                ("months", "2025-01, 2025-02"),
                ("2025-01", "$60,000.00"),
                ("2025-02", "$60,000.00"),
            ],
        ),
        f,
        13,
        "let before = accumulated(qualifying, annual_calendar)",
    );
    let tiered = at(
        inputs(
            facts(
                node("tiered", "$12,846.88"),
                &[
                    ("cumulative", "$120,000.00 + $70,000.00 = $190,000.00"),
                    (
                        "band 1",
                        "$0.00 at 40.00% = $0.00 (up to $100,750.00, used up earlier in the window)",
                    ),
                    ("band 2", "$59,750.00 at 20.00% = $11,950.00 (up to $179,750.00)"),
                    ("band 3", "$10,250.00 at 8.75% = $896.875 (unlimited)"),
                    ("rounding", "$12,846.875 → $12,846.88 (half away from zero)"),
                ],
            ),
            vec![qualifying, window],
        ),
        f,
        15,
        "let fees = tiered(qualifying, before, [40% up to 100_750, 20% up to 179_750, 8.75%])",
    );
    let fee_line = at(
        inputs(
            node("line \"Towne Park Fees for Services\"", "$12,846.88"),
            vec![tiered],
        ),
        f,
        18,
        "line \"Towne Park Fees for Services\" gl 4790 = fees",
    );
    let advance_line = at(
        node("line \"Mid-Month Advance\"", "-$5,000.00"),
        f,
        21,
        "line \"Mid-Month Advance\" gl 4790 = -5_000.00",
    );
    let mut fees = line(
        "Towne Park Fees for Services",
        "4790",
        dec!(12846.88),
        &["revenue_share"],
        fee_line,
    );
    fees.description = "Total Base for Fee Calculation: $70,000.00".into();
    let mut advance = line(
        "Mid-Month Advance",
        "4790",
        dec!(-5000.00),
        &["mid_month_advance"],
        advance_line,
    );
    advance.description = "Mid-month billing advance".into();
    invoice("0238-202503-01-01", "0238", vec![fees, advance])
}

/// A management agreement: billable payroll, PTEB, support, fee and profit share (EXAMPLES.md 14, 17).
#[allow(
    clippy::unwrap_used,
    reason = "a test helper: a broken fixture should fail the test loudly"
)]
pub fn management_agreement() -> Invoice {
    let f = "contracts/0412.bill";
    let payroll_node = at(
        facts(
            node("sum gl.balance", "$100,000.00"),
            &[("accounts", "6000, 6010, 6100 (enabled)"), ("rows", "3")],
        ),
        f,
        8,
        "let payroll = sum gl.balance where account in payroll_accounts",
    );
    let payroll = line(
        "Billable Payroll",
        "4791",
        dec!(100000.00),
        &["profit_deduction"],
        at(
            inputs(
                node("line \"Billable Payroll\"", "$100,000.00"),
                vec![payroll_node.clone()],
            ),
            f,
            9,
            "line \"Billable Payroll\" gl 4791 = payroll",
        ),
    );
    let pteb = line(
        "Payroll Taxes & Benefits",
        "4791",
        dec!(35000.00),
        &["profit_deduction"],
        at(
            facts(
                inputs(
                    node("line \"Payroll Taxes & Benefits\"", "$35,000.00"),
                    vec![payroll_node],
                ),
                &[("rate", "35.00% of $100,000.00")],
            ),
            f,
            10,
            "line \"Payroll Taxes & Benefits\" gl 4791 = payroll * 35%",
        ),
    );
    let support = line(
        "Support Services",
        "4791",
        dec!(4050.00),
        &["profit_deduction"],
        at(
            facts(
                node("line \"Support Services\"", "$4,050.00"),
                &[
                    ("base", "payroll $100,000.00 + PTEB $35,000.00 = $135,000.00"),
                    ("rate", "3.00%"),
                ],
            ),
            f,
            11,
            "line \"Support Services\" gl 4791 = (payroll + pteb) * 3%",
        ),
    );
    let fee = line(
        "Management Fee",
        "4791",
        dec!(3000.00),
        &["profit_deduction"],
        at(
            node("line \"Management Fee\"", "$3,000.00"),
            f,
            13,
            "line \"Management Fee\" gl 4791 = 3_000.00",
        ),
    );
    let revenue = at(
        facts(
            node("sum revenue.net_external_revenue", "$267,050.00"),
            &[
                ("filter", "deposit_flag != V, category != Per Man Hour"),
                ("rows", "30"),
            ],
        ),
        f,
        15,
        "let rev = sum revenue.net_external_revenue where deposit_flag != V",
    );
    let deductions = at(
        facts(
            node("sum lines tagged profit_deduction", "$142,050.00"),
            &[
                ("Billable Payroll", "$100,000.00"),
                ("Payroll Taxes & Benefits", "$35,000.00"),
                ("Support Services", "$4,050.00"),
                ("Management Fee", "$3,000.00"),
            ],
        ),
        f,
        16,
        "let deductions = sum lines tagged profit_deduction",
    );
    let profit = at(
        inputs(node("let profit", "$125,000.00"), vec![revenue, deductions]),
        f,
        17,
        "let profit = rev - deductions",
    );
    let share = at(
        inputs(
            facts(
                node("tiered", "$35,000.00"),
                &[
                    ("band 1", "$50,000.00 at 20.00% = $10,000.00"),
                    ("band 2", "$50,000.00 at 30.00% = $15,000.00"),
                    ("band 3", "$25,000.00 at 40.00% = $10,000.00"),
                ],
            ),
            vec![profit],
        ),
        f,
        18,
        "tiered(profit, [20% up to 50_000, 30% up to 100_000, 40%])",
    );
    let profit_share = line(
        "Towne Park Profit Share",
        "4791",
        dec!(35000.00),
        &["profit_share"],
        at(
            inputs(node("line \"Towne Park Profit Share\"", "$35,000.00"), vec![share]),
            f,
            19,
            "line \"Towne Park Profit Share\" gl 4791 = tiered(profit, …)",
        ),
    );
    let mut inv = invoice(
        "0412-202503-01-01",
        "0412",
        vec![payroll, pteb, support, fee, profit_share],
    );
    inv.customer = "Mercy General Hospital".into();
    inv.group_title = Some("Management Agreement".into());
    inv.terms = "Due in 30 Days".into();
    inv.due = parse_date("2025-04-30");
    inv.status = Status::NeedsApproval;
    inv.status_reasons = vec![
        "revenue `$409,100.00` differs from forecast `$350,000.00` by `$59,100.00` (`16.89%`), above both thresholds `10.00%` and `$2,500.00`".into(),
    ];
    inv
}

/// Per labor hour: a regular and an overtime line for one job code.
#[allow(
    clippy::unwrap_used,
    reason = "a test helper: a broken fixture should fail the test loudly"
)]
pub fn per_labor_hour() -> Invoice {
    let f = "contracts/0190.bill";
    let hours = |label: &str, value: &str, rows: &str| {
        at(
            facts(
                node(label, value),
                &[("job_code", "VAL01"), ("rows", rows), ("rounding", "per row to 0.01 h")],
            ),
            f,
            7,
            "let hours = sum timesheets.regular_minutes / 60 where job_code = VAL01",
        )
    };
    let regular = line(
        "Valet Attendant",
        "4700",
        dec!(4126.44),
        &["per_labor_hour"],
        at(
            facts(
                inputs(
                    node("line \"Valet Attendant\"", "$4,126.44"),
                    vec![hours("let regular_hours", "160.25 h", "21")],
                ),
                &[
                    ("rate", "$25.75 per hour (escalated: $25.00 × 1.03 on 2025-01-01)"),
                    ("amount", "160.25 h × $25.75 = $4,126.4375 → $4,126.44"),
                ],
            ),
            f,
            9,
            "line \"Valet Attendant\" gl 4700 = regular_hours * rate",
        ),
    );
    let overtime = line(
        "Valet Attendant",
        "4700",
        dec!(482.88),
        &["per_labor_hour", "overtime"],
        at(
            facts(
                inputs(
                    node("line \"Valet Attendant\" (overtime)", "$482.88"),
                    vec![hours("let overtime_hours", "12.50 h", "4")],
                ),
                &[
                    ("rate", "$38.63 per hour"),
                    ("amount", "12.50 h × $38.63 = $482.875 → $482.88"),
                ],
            ),
            f,
            10,
            "line \"Valet Attendant\" gl 4700 = overtime_hours * overtime_rate",
        ),
    );
    let mut inv = invoice("0190-202503-01-01", "0190", vec![regular, overtime]);
    inv.customer = "Lakeside Convention Center".into();
    inv.terms = "Net 30".into();
    inv.due = None;
    inv
}

/// Subtrees used more than once, as `trace.json` reads them back: equal copies, not shared `Arc`s.
/// `let fee` (with `let base` inside it) makes line 1; line 2 uses `base` and `fee` again; line 3
/// uses `fee` again beside two look-alikes of `base` that must not be taken for it: one whose input
/// differs in one fact, one whose source differs in its column only.
pub fn shared_subtrees() -> Invoice {
    let f = "contracts/0500.bill";
    let rows = |line: &str| {
        at(
            facts(
                node("sum revenue.net_external_revenue", "$80,000.00"),
                &[
                    ("rows", "2"),
                    (
                        "input",
                        &format!("revenue_code PK = $80,000.00 (2 rows from revenue.csv:{line})"),
                    ),
                ],
            ),
            f,
            4,
            "sum(revenue.net_external_revenue)",
        )
    };
    let base_of = |line: &str| {
        at(
            inputs(node("let base", "$80,000.00"), vec![rows(line)]),
            f,
            4,
            "let base = sum(revenue.net_external_revenue)",
        )
    };
    let base = || base_of("2");
    let fee = || {
        at(
            facts(
                inputs(node("let fee", "$8,000.00"), vec![base()]),
                &[("rate", "10.00%")],
            ),
            f,
            5,
            "let fee = base * 10%",
        )
    };
    let mut moved = base();
    moved.source = moved.source.map(|s| {
        let mut s = (*s).clone();
        s.column = 9;
        std::sync::Arc::new(s)
    });
    let line_node = |label: &str, value: &str, at_line: u32, used: Vec<TraceNode>| {
        at(
            inputs(node(&format!("line \"{label}\""), value), used),
            f,
            at_line,
            &format!("line \"{label}\" gl 4790 = …"),
        )
    };
    let lines = vec![
        line(
            "Fee",
            "4790",
            dec!(8000.00),
            &[],
            line_node("Fee", "$8,000.00", 7, vec![fee()]),
        ),
        line(
            "Bonus",
            "4790",
            dec!(88000.00),
            &[],
            line_node("Bonus", "$88,000.00", 8, vec![base(), fee()]),
        ),
        line(
            "Check",
            "4790",
            dec!(168000.00),
            &[],
            line_node("Check", "$168,000.00", 9, vec![base_of("3"), moved, fee()]),
        ),
    ];
    invoice("0500-202503-01-01", "0500", lines)
}
