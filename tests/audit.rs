//! An auditor's check of the README's example run: every line of every invoice recomputed from
//! `billc explain --format json` alone, by a small calculator that knows arithmetic, sums of rows,
//! tier bands, window months and rounding, and nothing of billc's evaluator.
//!
//! Each trace node is recomputed from what it shows (its formula and the values written in it, its
//! input rows, its bands, its months, its sites, its inputs) and compared with the amount it
//! states; a line is rounded to cents, half away from zero. What the calculator cannot recompute
//! from the JSON (a node that states an amount without showing where it comes from) is a gap, and
//! the test fails on any gap: an input missing from a trace is caught here. The values it takes as
//! given are the ones an auditor has beside the invoice: the invoice's month (`service_month()`,
//! `first_day()`, `last_day()`) and the values written in the contracts and the standard library,
//! each with its file and line.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::str::FromStr;

/// A recomputed value: a number (money, percentage as a fraction, quantity…) or a truth value.
#[derive(Clone, Copy, Debug, PartialEq)]
enum V {
    Num(Decimal),
    Bool(bool),
    /// A date, month or text, compared as written (ISO dates compare in order).
    Text(&'static str),
}

impl V {
    fn num(self) -> Option<Decimal> {
        match self {
            V::Num(d) => Some(d),
            _ => None,
        }
    }
}

struct Audit {
    /// What could not be recomputed: `invoice · line · node label: why`.
    gaps: BTreeSet<String>,
    /// Nodes whose stated amount differs from the recomputed one.
    wrong: Vec<String>,
    here: String,
}

fn dec(j: &Json) -> Option<Decimal> {
    Decimal::from_str(j.as_str()?).ok()
}

fn stated(node: &Json) -> Option<V> {
    node.get("amount").and_then(|a| dec(&a["amount"])).map(V::Num)
}

impl Audit {
    fn gap(&mut self, node: &Json, why: &str) {
        let label = node["label"].as_str().unwrap_or("?");
        self.gaps.insert(format!("{} · {label}: {why}", self.here));
    }

    /// Recomputes a node from what its trace shows, checks it against the amount it states and
    /// returns the stated value (so that one wrong node is reported once, not at every use).
    fn node(&mut self, node: &Json) -> Option<V> {
        let label = node["label"].as_str().unwrap_or("");
        let inputs = node["inputs"].as_array().cloned().unwrap_or_default();
        // A window's earlier months are nodes of their own (with the rows read in each): each is
        // recomputed, and must state the value the window lists for its month.
        if let Some(months) = node.get("months").and_then(Json::as_array) {
            for m in months {
                let name = format!("month {}", m["month"].as_str().unwrap_or(""));
                match inputs.iter().find(|i| i["label"] == name.as_str()) {
                    Some(month) => {
                        let got = self.node(month);
                        if got != dec(&m["amount"]["amount"]).map(V::Num) {
                            self.wrong
                                .push(format!("{} · {label} {name}: lists {m}, its node {got:?}", self.here));
                        }
                    }
                    None => self.gap(node, &format!("{name} has no node with its rows")),
                }
            }
        }
        let computed = if let Some(f) = node.get("formula") {
            self.term(f, &inputs, node)
        } else if let Some(rows) = node.get("rows").and_then(Json::as_array) {
            self.rows(label, rows, node)
        } else if node.get("rows").is_none() && (label.starts_with("sum ") || label.starts_with("adhoc ")) {
            // A sum over no rows.
            Some(V::Num(Decimal::ZERO))
        } else if let Some(bands) = node.get("bands").and_then(Json::as_array) {
            self.bands(bands, node)
        } else if let Some(sites) = node.get("sites").and_then(Json::as_array) {
            sites
                .iter()
                .map(|m| dec(&m["amount"]["amount"]))
                .sum::<Option<Decimal>>()
                .map(V::Num)
        } else if let Some(months) = node.get("months").and_then(Json::as_array) {
            months
                .iter()
                .map(|m| dec(&m["amount"]["amount"]))
                .sum::<Option<Decimal>>()
                .map(V::Num)
        } else if label == "prior" {
            // A window with no earlier month (January of a calendar year).
            Some(V::Num(Decimal::ZERO))
        } else if inputs.len() == 1
            && ["let ", "line ", "call ", "month "]
                .iter()
                .any(|p| label.starts_with(p))
        {
            self.node(&inputs[0])
        } else {
            self.gap(node, "states its value without showing how it was computed");
            return stated(node);
        };
        let is_line = label.starts_with("line ");
        let computed = match computed {
            Some(V::Num(d)) if is_line => Some(V::Num(
                d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero),
            )),
            other => other,
        };
        match (computed, stated(node)) {
            (Some(c), Some(s)) if c != s => self
                .wrong
                .push(format!("{} · {label}: states {s:?}, recomputed {c:?}", self.here)),
            (None, _) => self.gap(node, "its formula uses a value the calculator cannot recompute"),
            _ => {}
        }
        stated(node).or(computed)
    }

    /// Σ of a query's row groups (a count of rows, or the first row's value).
    fn rows(&mut self, label: &str, rows: &[Json], node: &Json) -> Option<V> {
        if label.starts_with("count ") {
            return Some(V::Num(
                rows.iter()
                    .map(|r| Decimal::from(r["rows"].as_u64().unwrap_or(0)))
                    .sum(),
            ));
        }
        if label.starts_with("first ") {
            let first = rows.iter().min_by_key(|r| r["first_line"].as_u64())?;
            return dec(&first["amount"]["amount"]).map(V::Num);
        }
        if !["sum ", "ad-hoc ", "adhoc "].iter().any(|p| label.starts_with(p)) {
            self.gap(node, "rows of a query the calculator does not know");
            return None;
        }
        for r in rows {
            // Hours of timesheets: each row rounded to 0.01 h, so within rows × 0.005 h of
            // the group's minutes ÷ 60.
            if let (Some(minutes), Some(hours)) = (r.get("minutes").and_then(dec), dec(&r["amount"]["amount"])) {
                let slack = Decimal::from(r["rows"].as_u64().unwrap_or(0)) * Decimal::new(5, 3);
                if (hours - minutes / Decimal::from(60)).abs() > slack {
                    self.wrong
                        .push(format!("{} · {label}: {hours} h from {minutes} minutes", self.here));
                }
            }
        }
        rows.iter()
            .map(|r| dec(&r["amount"]["amount"]))
            .sum::<Option<Decimal>>()
            .map(V::Num)
    }

    /// Σ of the bands' dues, each band's due checked as its amount × price.
    fn bands(&mut self, bands: &[Json], node: &Json) -> Option<V> {
        let mut total = Decimal::ZERO;
        for b in bands {
            let (amount, price, due) = (dec(&b["amount"])?, dec(&b["price"])?, dec(&b["due"])?);
            if amount * price != due {
                let text = b["text"].as_str().unwrap_or("");
                self.wrong
                    .push(format!("{} · band {text}: {amount} × {price} is not {due}", self.here));
            }
            total += due;
        }
        if node.get("months").is_some() || node["facts"].to_string().contains("earlier in window") {
            // The bands of a cumulative tier start where the window's earlier months left off: the
            // bands hold this month's part, checked above.
        }
        Some(V::Num(total))
    }

    fn term(&mut self, t: &Json, inputs: &[Json], owner: &Json) -> Option<V> {
        if let Some(v) = t.get("value") {
            return match v.get("amount") {
                Some(a) => dec(&a["amount"]).map(V::Num),
                None => match v["value"].as_str() {
                    Some("true") => Some(V::Bool(true)),
                    Some("false") => Some(V::Bool(false)),
                    Some(text) => Some(V::Text(leak(text))),
                    None => None,
                },
            };
        }
        if let Some(i) = t.get("input") {
            let input = inputs.get(usize::try_from(i["input"].as_u64()?).ok()?)?;
            return self.node(input);
        }
        if let Some(c) = t.get("if") {
            let taken = c["taken"].as_bool()?;
            let cond = self.term(&c["cond"], inputs, owner);
            if let Some(V::Bool(b)) = cond
                && b != taken
            {
                self.wrong.push(format!(
                    "{} · an if took the branch its condition did not choose",
                    self.here
                ));
            }
            return self.term(&c["branch"], inputs, owner);
        }
        let op = t.get("op")?;
        let name = op["op"].as_str()?;
        let args: Vec<Option<V>> = op["args"]
            .as_array()?
            .iter()
            .map(|a| self.term(a, inputs, owner))
            .collect();
        let n = |i: usize| args.get(i).copied().flatten().and_then(V::num);
        let b = |i: usize| match args.get(i).copied().flatten() {
            Some(V::Bool(x)) => Some(x),
            _ => None,
        };
        let stated_op = op.get("amount").and_then(|a| dec(&a["amount"])).map(V::Num);
        let texts = match (args.first().copied().flatten(), args.get(1).copied().flatten()) {
            (Some(V::Text(a)), Some(V::Text(b))) => Some((a, b)),
            _ => None,
        };
        let cmp = |holds: fn(std::cmp::Ordering) -> bool| match texts {
            Some((a, b)) => Some(V::Bool(holds(a.cmp(b)))),
            None => Some(V::Bool(holds(n(0)?.cmp(&n(1)?)))),
        };
        // A tier result's field, read from the bands of the tier node it names.
        let tier = op["args"]
            .get(0)
            .and_then(|a| a.get("input"))
            .and_then(|i| inputs.get(usize::try_from(i["input"].as_u64()?).ok()?))
            .and_then(tier_node);
        match name {
            "+" => Some(V::Num(n(0)? + n(1)?)),
            "-" => Some(V::Num(n(0)? - n(1)?)),
            "*" => Some(V::Num(n(0)? * n(1)?)),
            "/" => Some(V::Num(n(0)?.checked_div(n(1)?)?)),
            "neg" => Some(V::Num(-n(0)?)),
            "not" => Some(V::Bool(!b(0)?)),
            "and" => Some(V::Bool(b(0)? && b(1)?)),
            "or" => Some(V::Bool(b(0)? || b(1)?)),
            "<" => cmp(std::cmp::Ordering::is_lt),
            "<=" => cmp(std::cmp::Ordering::is_le),
            ">" => cmp(std::cmp::Ordering::is_gt),
            ">=" => cmp(std::cmp::Ordering::is_ge),
            "==" => cmp(std::cmp::Ordering::is_eq),
            "!=" => cmp(std::cmp::Ordering::is_ne),
            // The invoice's own month: what the calculator takes as given.
            "first_day" | "last_day" | "service_month" if args.is_empty() => {
                op["value"].as_str().map(|t| V::Text(leak(t)))
            }
            "first_day" => match args.first().copied().flatten() {
                Some(V::Text(month)) if month.len() == 7 => Some(V::Text(leak(&format!("{month}-01")))),
                _ => None,
            },
            "month_of" => match args.first().copied().flatten() {
                Some(V::Text(date)) => Some(V::Text(leak(date.get(..7)?))),
                _ => None,
            },
            // `add_months(date, n, clamp)`: the same day n months on, or the month's last day.
            "add_months"
                if b(2).is_none() && matches!(args.get(2).copied().flatten(), None | Some(V::Text("clamp"))) =>
            {
                let Some(V::Text(date)) = args.first().copied().flatten() else {
                    return None;
                };
                let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
                let count = n(1)?.normalize();
                let months = if count.scale() == 0 {
                    i32::try_from(count.mantissa()).ok()?
                } else {
                    return None;
                };
                let shifted = if months >= 0 {
                    date.checked_add_months(chrono::Months::new(months.unsigned_abs()))?
                } else {
                    date.checked_sub_months(chrono::Months::new(months.unsigned_abs()))?
                };
                Some(V::Text(leak(&shifted.format("%Y-%m-%d").to_string())))
            }
            // A sum of a list of numbers, each listed.
            "sum" if op["args"].get(0).is_some_and(|a| a["value"].is_object()) => {
                let list = &op["args"][0]["value"];
                let items = list
                    .get("items")
                    .and_then(Json::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                if items.is_empty() && list["value"] != "[]" {
                    self.gap(owner, "a sum of a list whose elements are not listed");
                    return stated_op;
                }
                items
                    .iter()
                    .map(|i| dec(&i["amount"]))
                    .sum::<Option<Decimal>>()
                    .map(V::Num)
            }
            ".due" | ".banded" | ".blend" if tier.is_some() => {
                let bands = tier?;
                let due: Decimal = bands.iter().map(|b| b.2).sum();
                let banded: Decimal = bands.iter().map(|b| b.0).sum();
                Some(V::Num(match name {
                    ".due" => due,
                    ".banded" => banded,
                    // Σ price × band / Σ band; the first price when no band was used.
                    _ if banded.is_zero() => bands.first().map_or(Decimal::ZERO, |b| b.1),
                    _ => due.checked_div(banded)?,
                }))
            }
            "max" => Some(V::Num(n(0)?.max(n(1)?))),
            "min" => Some(V::Num(n(0)?.min(n(1)?))),
            "round" => {
                let places = args
                    .get(1)
                    .copied()
                    .flatten()
                    .and_then(V::num)
                    .map_or(Some(2), |p| u32::try_from(p.mantissa()).ok())?;
                Some(V::Num(
                    n(0)?.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero),
                ))
            }
            other => {
                self.gap(owner, &format!("`{other}` is not recomputed from its arguments"));
                stated_op
            }
        }
    }
}

/// A value the calculator holds for the length of the test.
fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// The bands (amount, price, due) of the tier node a tier result comes from: the node itself, or
/// the tier node a let or call passes on (its last input with bands).
fn tier_node(node: &Json) -> Option<Vec<(Decimal, Decimal, Decimal)>> {
    if let Some(bands) = node.get("bands").and_then(Json::as_array) {
        return bands
            .iter()
            .map(|b| Some((dec(&b["amount"])?, dec(&b["price"])?, dec(&b["due"])?)))
            .collect();
    }
    node["inputs"].as_array()?.iter().rev().find_map(tier_node)
}

#[test]
fn every_line_of_the_example_run_is_recomputed_from_explain_json() {
    let (_out, folder) = common::readme_run();
    let summary: Json = serde_json::from_str(&std::fs::read_to_string(folder.join("invoices.json")).unwrap()).unwrap();
    let mut audit = Audit {
        gaps: BTreeSet::new(),
        wrong: Vec::new(),
        here: String::new(),
    };
    let mut lines = 0;
    let mut total = Decimal::ZERO;
    for inv in summary["invoices"].as_array().unwrap() {
        let number = inv["number"].as_str().unwrap();
        let doc = common::explain_json(&folder, number);
        // One invoice, or an array of the invoices found.
        let explained = match &doc {
            Json::Array(all) => all.iter().find(|i| i["number"] == number).unwrap().clone(),
            one => one.clone(),
        };
        for line in explained["lines"].as_array().unwrap() {
            let title = line["title"].as_str().unwrap();
            audit.here = format!("{number} · {title}");
            let amount = dec(&line["amount"]).unwrap();
            let got = audit.node(&line["trace"]).and_then(V::num);
            assert_eq!(got, Some(amount), "{number} · {title}");
            lines += 1;
            total += amount;
        }
    }
    assert!(audit.wrong.is_empty(), "{:#?}", audit.wrong);
    assert_eq!(lines, 112);
    assert_eq!(total, Decimal::from_str("3537718.04").unwrap());
    // Nothing a line's amount depends on is missing from its trace.
    assert!(audit.gaps.is_empty(), "{:#?}", audit.gaps);
}
