//! `billc explain`: an invoice's calculation trace, for people ([`explain_text`]) and tools
//! ([`explain_json`]), and the lookup of invoices by number or site ([`find`]).
//!
//! The text form is a header (number, site, customer, contract, group, period, dates, terms, status and
//! its reasons, total) followed by each line with its amount and its trace as a tree:
//!
//! ```text
//! 1. Towne Park Fees for Services · gl 4790 · $53,866.92
//!    line "Towne Park Fees for Services" = $53,866.92  [contracts/0238.bill:20]
//!    │  rule: line "Towne Park Fees for Services" { amount: fees }
//!    ├─ let fees = $53,866.92  [contracts/0238.bill:18]
//!    │     band 1: $100,750.00 at 40.00% = $40,300.00
//!    └─ …
//! ```
//!
//! Under each node come its rule text and its facts (tier bands, filters, months of a window), aligned
//! with its children and joined to them by `│` when it has any; then its inputs, drawn with `├─`, `└─`
//! and `│`. The rendering only reads the trace; it never recomputes a value.

use crate::invoice::{Invoice, TraceNode};
use crate::numbering::InvoiceNumber;
use crate::output::sorted_invoices;
use billc_lang::value::format::format_cents;
use std::fmt::Write as _;

/// The readable explanation of one invoice (see the module documentation for the layout).
pub fn explain_text(invoice: &Invoice) -> String {
    let mut out = String::new();
    let i = invoice;
    push(&mut out, &format!("Invoice {}", i.number));
    let group = match &i.group_title {
        Some(title) => format!("{} ({title})", i.group),
        None => i.group.to_string(),
    };
    let due = match i.due {
        Some(d) => d.to_string(),
        None => "unknown (payment terms not understood)".to_owned(),
    };
    let rows: [(&str, String); 9] = [
        ("site", i.site.clone()),
        ("customer", i.customer.clone()),
        ("contract", i.contract.clone()),
        ("group", group),
        ("period", i.period.clone()),
        ("date", i.date.to_string()),
        ("due", due),
        ("terms", i.terms.clone()),
        ("status", i.status.as_str().replace('_', " ")),
    ];
    for (name, value) in rows {
        push(&mut out, &format!("  {name:<9} {value}"));
    }
    for reason in &i.status_reasons {
        push(&mut out, &format!("  {:<9} - {reason}", ""));
    }
    push(&mut out, &format!("  {:<9} {}", "total", format_cents(i.total)));
    for (n, line) in i.lines.iter().enumerate() {
        out.push('\n');
        let head = format!(
            "{}. {} · gl {} · {}",
            n + 1,
            line.title,
            line.gl,
            format_cents(line.amount)
        );
        push(&mut out, &head);
        let indent = " ".repeat(format!("{}. ", n + 1).chars().count());
        if !line.description.is_empty() {
            push(&mut out, &format!("{indent}{}", line.description));
        }
        if !line.tags.is_empty() {
            push(&mut out, &format!("{indent}tags: {}", line.tags.join(", ")));
        }
        render_node(&mut out, &line.trace, &indent, &indent);
    }
    out
}

/// Writes `node` on one line starting with `first` (the branch drawn so far), its details and inputs
/// below it with `rest` as their prefix.
/// Enters the node through [`billc_lang::stack::deeper`]: a trace is as deep as the calls it records.
fn render_node(out: &mut String, node: &TraceNode, first: &str, rest: &str) {
    billc_lang::stack::deeper(|| render_node_here(out, node, first, rest))
}

fn render_node_here(out: &mut String, node: &TraceNode, first: &str, rest: &str) {
    let mut head = format!("{first}{} = {}", node.label, node.value);
    if let Some(src) = &node.source {
        let _ = write!(head, "  [{}:{}]", src.file, src.line);
    }
    push(out, &head);
    let detail_prefix = if node.inputs.is_empty() {
        format!("{rest}   ")
    } else {
        format!("{rest}│  ")
    };
    if let Some(src) = &node.source
        && !src.text.is_empty()
    {
        push(out, &format!("{detail_prefix}rule: {}", src.text));
    }
    if let Some(formula) = &node.formula {
        for line in formula_lines(formula, node) {
            push(out, &format!("{detail_prefix}{line}"));
        }
    }
    for fact in &node.facts {
        push(out, &format!("{detail_prefix}{}: {}", fact.name, fact.value));
    }
    for line in data_lines(node) {
        push(out, &format!("{detail_prefix}{line}"));
    }
    let count = node.inputs.len();
    for (k, input) in node.inputs.iter().enumerate() {
        let last = k + 1 == count;
        let branch = format!("{rest}{}", if last { "└─ " } else { "├─ " });
        let below = format!("{rest}{}", if last { "   " } else { "│  " });
        render_node(out, input, &branch, &below);
    }
}

/// A node's formula: in the rule's words, with the values substituted, then each named value with
/// where it was written (`pteb = 32%  [contracts/1820….bill:19]`).
fn formula_lines(formula: &billc_lang::trace::Term, node: &TraceNode) -> Vec<String> {
    let (words, values) = formula.render(&node.inputs);
    let mut lines = vec![if words == values {
        format!("formula: {values} = {}", node.value)
    } else {
        format!("formula: {words} = {values} = {}", node.value)
    }];
    for (name, value, at) in formula.named_values() {
        let at = at.map(|l| format!("  [{}:{}]", l.file, l.line)).unwrap_or_default();
        lines.push(format!("  {name} = {value}{at}"));
    }
    lines
}

/// A node's months, tier bands and input rows, one line each.
fn data_lines(node: &TraceNode) -> Vec<String> {
    let mut lines: Vec<String> = node
        .months
        .iter()
        .map(|m| format!("{}: {}", m.month, m.value))
        .collect();
    lines.extend(node.sites.iter().map(|s| format!("site {}: {}", s.site, s.value)));
    for (i, band) in node.bands.iter().enumerate() {
        lines.push(format!("band {}: {}", i + 1, band.text));
    }
    for g in &node.rows {
        let dims: Vec<String> = g.dims.iter().map(|d| format!("{} {}", d.column, d.value)).collect();
        let value = g.value.as_ref().map(|v| format!(" = {v}")).unwrap_or_default();
        let rows = if g.rows == 1 {
            "1 row".to_owned()
        } else {
            format!("{} rows", g.rows)
        };
        let minutes = g
            .minutes
            .map(|m| format!(", from {} minutes rounded to 0.01 h row by row", m.normalize()))
            .unwrap_or_default();
        lines.push(format!(
            "input: {}{value} ({rows} from {}{minutes})",
            dims.join(", "),
            g.origin()
        ));
    }
    lines
}

fn push(out: &mut String, line: &str) {
    out.push_str(line.trim_end());
    out.push('\n');
}

/// The invoice as pretty JSON (two-space indentation, keys in the order of the `Invoice` fields,
/// amounts as exact decimal strings, a final newline): the same shape `trace.json` stores per invoice.
pub fn explain_json(invoice: &Invoice) -> String {
    match serde_json::to_string_pretty(invoice) {
        Ok(mut text) => {
            text.push('\n');
            text
        }
        // INVARIANT: an `Invoice` holds only strings, numbers, dates and decimals, which always
        // serialize; this arm exists only because the signature of `to_string_pretty` allows failure.
        Err(e) => format!("{{\"error\": {:?}}}\n", e.to_string()),
    }
}

/// The invoices `key` names: the one with that number (with or without dashes, as in a Great Plains
/// document number), or else every invoice of that site. Results are ordered by number.
pub fn find<'a>(invoices: &'a [Invoice], key: &str) -> Vec<&'a Invoice> {
    let key = key.trim();
    let sorted = sorted_invoices(invoices);
    let by_number: Vec<&Invoice> = if InvoiceNumber::parse(key).is_ok() {
        sorted.iter().copied().filter(|i| i.number == key).collect()
    } else {
        sorted
            .iter()
            .copied()
            .filter(|i| !key.is_empty() && i.number.replace('-', "") == key)
            .collect()
    };
    if !by_number.is_empty() {
        return by_number;
    }
    sorted.into_iter().filter(|i| i.site == key).collect()
}
