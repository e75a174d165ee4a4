//! In-memory input data for `test` blocks: rows written as records in the source
//! (`given revenue [{date: 2025-01-15, revenue_code: "PK", net_external_revenue: $60,000}]`).
//!
//! Each given row is its own group (no aggregation is needed at this size); timesheet hours are
//! rounded per row exactly as the data layer does (RULES.md §4).

use crate::eval::{AdhocItem, DataView, RowView};
use crate::schema::TableName;
use crate::schema::column_position;
use crate::time::YearMonth;
use crate::value::Value;
use crate::value::money;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// One given row.
#[derive(Clone, Debug)]
pub struct MemRow {
    dims: Vec<String>,
    measures: Vec<Decimal>,
    line: u32,
}

impl RowView for MemRow {
    fn dim(&self, index: usize) -> &str {
        self.dims.get(index).map_or("", String::as_str)
    }
    fn measure(&self, index: usize) -> Decimal {
        self.measures.get(index).copied().unwrap_or_default()
    }
    fn first_line(&self) -> u32 {
        self.line
    }
    fn count(&self) -> u32 {
        1
    }
    fn mark_used(&self) {}
    fn origin(&self) -> String {
        format!("given row {}", self.line)
    }
}

/// Data given inline.
#[derive(Clone, Debug, Default)]
pub struct MemData {
    rows: BTreeMap<(TableName, String, YearMonth), Vec<MemRow>>,
    starts: BTreeMap<String, NaiveDate>,
    indexes: BTreeMap<(String, YearMonth), Decimal>,
    adhoc: BTreeMap<(String, YearMonth), Vec<AdhocItem>>,
    next_line: u32,
}

fn text_of(v: &Value) -> String {
    match v {
        Value::Number(d) | Value::Money(d, _) | Value::Quantity(d, _) => d.normalize().to_string(),
        Value::Percent(d) => d.normalize().to_string(),
        other => other.display(),
    }
}

impl MemData {
    /// Adds a row to a table for `site`; `fields` are the record's (name, value) pairs.
    pub fn push(&mut self, table: &str, site: &str, fields: &[(String, Value)]) -> Result<(), String> {
        self.next_line += 1;
        let get = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let site = get("site").map_or_else(|| site.to_string(), text_of);
        let month_of = |fields_date: Option<&Value>, period: Option<&Value>| -> Result<YearMonth, String> {
            match (fields_date, period) {
                (Some(Value::Date(d)), _) => Ok(YearMonth::of(*d)),
                (_, Some(Value::Month(m))) => Ok(*m),
                _ => Err(format!("a `{table}` row needs a `date` (or a `period`)")),
            }
        };
        match table {
            "sites" => {
                if let Some(Value::Date(d)) = get("start_date") {
                    self.starts.insert(site, *d);
                }
                Ok(())
            }
            "indexes" => {
                let (Some(Value::Text(name)), Some(Value::Month(m)), Some(v)) =
                    (get("index"), get("period"), get("value"))
                else {
                    return Err("an `indexes` row needs `index`, `period` and `value`".into());
                };
                self.indexes
                    .insert((name.to_string(), *m), v.decimal().unwrap_or_default());
                Ok(())
            }
            "adhoc" => {
                let Some(Value::Month(m)) = get("period") else {
                    return Err("an `adhoc` row needs a `period`".into());
                };
                let item = AdhocItem {
                    group: get("group")
                        .and_then(Value::decimal)
                        .and_then(|d| u32::try_from(d.trunc().mantissa()).ok())
                        .unwrap_or(1),
                    kind: get("kind").map(text_of).unwrap_or_else(|| "misc".into()),
                    title: get("title").map(text_of).unwrap_or_default(),
                    gl: get("gl").map(text_of).unwrap_or_default(),
                    amount: AdhocItem::billed_amount(
                        &get("kind").map(text_of).unwrap_or_else(|| "misc".into()),
                        get("amount").and_then(Value::decimal).unwrap_or_default(),
                    ),
                    line: self.next_line,
                };
                self.adhoc.entry((site, *m)).or_default().push(item);
                Ok(())
            }
            _ => {
                let t = TableName::from_name(table).ok_or_else(|| format!("no input table `{table}`"))?;
                let month = month_of(get("date"), get("period"))?;
                let cols = t.columns();
                let mut dims = Vec::new();
                let mut measures = Vec::new();
                for (name, ty) in cols {
                    if ty.is_dimension() {
                        let v = match (*name, get(name)) {
                            ("week", _) => match get("date") {
                                Some(Value::Date(d)) => {
                                    let back = i64::from(d.weekday().num_days_from_monday());
                                    (*d - chrono::Duration::days(back)).format("%Y-%m-%d").to_string()
                                }
                                _ => String::new(),
                            },
                            (_, Some(v)) => text_of(v),
                            (_, None) => String::new(),
                        };
                        dims.push(v);
                    } else {
                        measures.push(get(name).and_then(Value::decimal).unwrap_or_default());
                    }
                }
                for (name, _) in fields {
                    if name != "date" && name != "period" && name != "site" && t.column(name).is_none() {
                        return Err(format!("table `{table}` has no column `{name}`"));
                    }
                }
                if t == TableName::Timesheets {
                    let minutes = |n: &str| get(n).and_then(Value::decimal).unwrap_or_default();
                    let reg = money::cents(minutes("regular_minutes") / Decimal::from(60));
                    let ot_min = minutes("overtime_minutes")
                        + minutes("holiday_minutes")
                        + minutes("double_overtime_minutes")
                        + minutes("holiday_overtime_minutes")
                        + minutes("holiday_double_overtime_minutes");
                    let ot = money::cents(ot_min / Decimal::from(60));
                    if let Some((_, i)) = column_position(t, "regular_hours")
                        && let Some(slot) = measures.get_mut(i)
                    {
                        *slot = reg;
                    }
                    if let Some((_, i)) = column_position(t, "overtime_hours")
                        && let Some(slot) = measures.get_mut(i)
                    {
                        *slot = ot;
                    }
                }
                self.rows.entry((t, site, month)).or_default().push(MemRow {
                    dims,
                    measures,
                    line: self.next_line,
                });
                Ok(())
            }
        }
    }
}

impl DataView for MemData {
    fn rows<'a>(&'a self, table: TableName, site: &str, month: YearMonth) -> Vec<&'a dyn RowView> {
        self.rows
            .get(&(table, site.to_string(), month))
            .map(|v| v.iter().map(|r| r as &dyn RowView).collect())
            .unwrap_or_default()
    }
    fn site_start(&self, site: &str) -> Option<NaiveDate> {
        self.starts.get(site).copied()
    }
    fn index(&self, name: &str, month: YearMonth) -> Option<Decimal> {
        self.indexes.get(&(name.to_string(), month)).copied()
    }
    fn adhoc(&self, site: &str, month: YearMonth) -> Vec<AdhocItem> {
        self.adhoc.get(&(site.to_string(), month)).cloned().unwrap_or_default()
    }
    fn covers(&self, _table: TableName, _site: &str, _month: YearMonth) -> bool {
        true
    }
}
