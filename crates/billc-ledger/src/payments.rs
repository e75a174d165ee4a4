//! Payments and receivables: what an invoice still owes, importing a payments file, and the
//! aging of what is owed (README → "The ledger" → "Payments").
//!
//! A payments file is DATA.md's `payments.csv`: `invoice,date,amount,reference`. Each row is
//! matched to its invoice by number:
//! - **applied** to a sent invoice (sent, partially paid, disputed): up to what it still owes; the
//!   invoice becomes `partially_paid` or `paid`;
//! - **overpaid**: the part above what is owed is recorded as an explicit overpayment (a credit in
//!   the customer's favour, shown by `aging`), never as more paid than owed;
//! - **unmatched**: no such invoice, or one that is not owed (not sent, superseded, voided, a credit
//!   note, paid in full): recorded with the reason, applied to nothing, reported.
//!
//! Re-importing is idempotent by `reference`: a reference already recorded with the same invoice,
//! date and amount is skipped; with different values it is a conflict and nothing of the file is
//! imported. A file with a bad row (an amount that is not a positive amount in cents, a date that
//! is not a date, an empty reference, a reference twice) imports nothing either, and every bad row
//! is named with its line. One file is one transaction.

use crate::balance::{owed, settled_status};
use crate::log::transition;
use crate::model::{Customer, Document, Kind, Payment, Status};
use crate::record::ancestry;
use crate::roles::Action;
use crate::store::{Db, NewEvent};
use crate::{Actor, LedgerError};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One row of a payments file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Row {
    line: u64,
    invoice: String,
    date: NaiveDate,
    amount: Decimal,
    reference: String,
}

/// What importing a payments file did, row by row.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Imported {
    /// Payments recorded now (applied, overpaid or unmatched).
    pub recorded: Vec<Payment>,
    /// References already in the ledger with the same values: skipped.
    pub already: Vec<String>,
}

impl Imported {
    /// Total amount of the payments recorded with `outcome`.
    pub fn sum(&self, pick: impl Fn(&Payment) -> Decimal) -> Decimal {
        self.recorded
            .iter()
            .map(pick)
            .fold(Decimal::ZERO, |a, b| a.saturating_add(b))
    }
}

fn read_rows(file: &Path, text: &str) -> Result<Vec<Row>, LedgerError> {
    let name = file.display();
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| LedgerError::Input(format!("{name}:1: cannot read the header: {e}")))?
        .clone();
    let col = |n: &str| header.iter().position(|h| h.trim() == n);
    let (Some(ci), Some(cd), Some(ca), Some(cr)) = (col("invoice"), col("date"), col("amount"), col("reference"))
    else {
        return Err(LedgerError::Input(format!(
            "{name}:1: the header must name invoice, date, amount and reference (it has: {})",
            header.iter().collect::<Vec<_>>().join(", ")
        )));
    };
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                bad.push(format!("{name}:{}: {e}", e.position().map_or(0, |p| p.line())));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let field = |k: usize| record.get(k).unwrap_or("").trim().to_owned();
        let (invoice, date, amount, reference) = (field(ci), field(cd), field(ca), field(cr));
        let mut why = Vec::new();
        if invoice.is_empty() {
            why.push("`invoice` is empty".to_owned());
        }
        let parsed_date = NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok();
        if parsed_date.is_none() {
            why.push(format!("`date` `{date}` is not a date (YYYY-MM-DD)"));
        }
        let parsed_amount = Decimal::from_str_exact(&amount)
            .ok()
            .filter(|a| *a > Decimal::ZERO && a.scale() <= 2);
        if parsed_amount.is_none() {
            why.push(format!("`amount` `{amount}` is not a positive amount in cents"));
        }
        if reference.is_empty() {
            why.push("`reference` is empty".to_owned());
        } else if let Some(first) = seen.insert(reference.clone(), line) {
            why.push(format!("reference `{reference}` is already on line {first}"));
        }
        match (why.is_empty(), parsed_date, parsed_amount) {
            (true, Some(date), Some(amount)) => rows.push(Row {
                line,
                invoice,
                date,
                amount,
                reference,
            }),
            _ => bad.push(format!("{name}:{line}: {}", why.join("; "))),
        }
    }
    if !bad.is_empty() {
        return Err(LedgerError::Input(format!(
            "{} in the payments file: nothing imported\n  {}",
            plural(bad.len(), "bad row"),
            bad.join("\n  ")
        )));
    }
    Ok(rows)
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Imports a payments file (one transaction). A role refusal is logged and returned as `Err`.
pub fn import(store: &mut crate::Store, actor: &Actor, file: &Path, text: &str) -> Result<Imported, LedgerError> {
    let rows = read_rows(file, text)?;
    if let Some(roles) = &actor.roles
        && let Err(why) = roles.allows(&actor.name, Action::ImportPayments)
    {
        crate::log::log_refusal(store, actor, None, Action::ImportPayments, &why)?;
        return Err(LedgerError::Input(format!("payments import refused: {why}")));
    }
    store.write(|db| {
        let mut out = Imported::default();
        let mut conflicts = Vec::new();
        for row in &rows {
            if let Some(old) = db.payment(&row.reference)? {
                if old.invoice == row.invoice && old.amount == row.amount && old.date == row.date.to_string() {
                    out.already.push(row.reference.clone());
                } else {
                    conflicts.push(format!(
                        "{}:{}: reference `{}` was imported before as {} {} on {}",
                        file.display(),
                        row.line,
                        row.reference,
                        old.invoice,
                        old.amount,
                        old.date
                    ));
                }
                continue;
            }
            out.recorded.push(apply(db, actor, row)?);
        }
        if !conflicts.is_empty() {
            return Err(LedgerError::Input(format!(
                "{} with references already imported differently: nothing imported\n  {}",
                plural(conflicts.len(), "row"),
                conflicts.join("\n  ")
            )));
        }
        Ok(out)
    })
}

fn apply(db: &Db<'_>, actor: &Actor, row: &Row) -> Result<Payment, LedgerError> {
    let mut payment = Payment {
        reference: row.reference.clone(),
        invoice: row.invoice.clone(),
        date: row.date.to_string(),
        amount: row.amount,
        applied: Decimal::ZERO,
        overpaid: Decimal::ZERO,
        outcome: "unmatched".into(),
        reason: String::new(),
    };
    let doc = db.document(&row.invoice)?;
    let unmatched = match &doc {
        None => Some(format!("no invoice `{}` in the ledger", row.invoice)),
        Some(d) if d.content.kind == Kind::CreditNote => Some(format!("{} is a credit note", d.number)),
        Some(d) if !d.status.is_receivable() => Some(match d.status {
            Status::Paid => format!("{} is already paid in full", d.number),
            Status::Credited => format!("{} was credited in full", d.number),
            s => format!("{} is {s}, not sent: nothing is owed on it", d.number),
        }),
        Some(_) => None,
    };
    let (doc_id, detail) = match (doc, unmatched) {
        (Some(d), None) => {
            let owed = owed(db, &d)?.max(Decimal::ZERO);
            payment.applied = row.amount.min(owed);
            payment.overpaid = row.amount - payment.applied;
            payment.outcome = "applied".into();
            if !payment.overpaid.is_zero() {
                payment.reason = format!(
                    "overpayment: {} owed, {} paid",
                    billc_lang::value::format::format_cents(owed),
                    billc_lang::value::format::format_cents(row.amount)
                );
            }
            db.insert_payment(&payment, Some(d.id), &actor.name, &actor.at)?;
            let to = if d.status == Status::Disputed {
                Status::Disputed
            } else {
                settled_status(db, &d)?
            };
            let detail = serde_json::json!({
                "reference": payment.reference, "amount": payment.amount.to_string(),
                "applied": payment.applied.to_string(), "overpaid": payment.overpaid.to_string(),
            })
            .to_string();
            if to != d.status {
                transition(db, actor, None, &d, to, "payment", &payment.reason, detail)?;
                return Ok(payment);
            }
            (Some(d.id), detail)
        }
        (_, reason) => {
            payment.reason = reason.unwrap_or_default();
            db.insert_payment(&payment, None, &actor.name, &actor.at)?;
            (
                None,
                serde_json::json!({ "reference": payment.reference, "invoice": payment.invoice, "amount": payment.amount.to_string() })
                    .to_string(),
            )
        }
    };
    db.append_event(&NewEvent {
        at: &actor.at,
        actor: &actor.name,
        action: "payment",
        document: doc_id,
        run: None,
        from: None,
        to: None,
        reason: &payment.reason,
        detail,
    })?;
    Ok(payment)
}

/// How `aging` groups receivables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Site,
    Customer,
    /// The top of each customer's parent chain.
    Parent,
}

/// One group's receivables by age.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AgingRow {
    pub key: String,
    pub name: String,
    /// Days 0–30, 31–60, 61–90, over 90 since the invoice date.
    pub buckets: [Decimal; 4],
    /// Overpayments in the customer's favour (not applied to any invoice).
    pub credits: Decimal,
    pub total: Decimal,
    pub invoices: u64,
}

/// Receivables as of `as_of`: every sent invoice dated on or before it with something owed, by age
/// since its invoice date.
pub fn aging(store: &mut crate::Store, as_of: NaiveDate, by: GroupBy) -> Result<Vec<AgingRow>, LedgerError> {
    store.read(|db| {
        let customers: BTreeMap<String, Customer> = db.customers()?.into_iter().map(|c| (c.id.clone(), c)).collect();
        let key_of = |d: &Document| -> (String, String) {
            match (by, &d.content.customer_id) {
                (GroupBy::Site, _) => (d.content.site.clone(), d.content.customer.clone()),
                (GroupBy::Customer, Some(id)) => (
                    id.clone(),
                    customers
                        .get(id)
                        .map_or_else(|| d.content.customer.clone(), |c| c.name.clone()),
                ),
                (GroupBy::Parent, Some(id)) => {
                    let top = ancestry(&customers, id).pop().unwrap_or_else(|| id.clone());
                    let name = customers.get(&top).map_or_else(|| top.clone(), |c| c.name.clone());
                    (top, name)
                }
                (_, None) => (d.content.customer.clone(), d.content.customer.clone()),
            }
        };
        let mut rows: BTreeMap<String, AgingRow> = BTreeMap::new();
        let overflow = || LedgerError::Input("receivables overflow".into());
        for d in db.select(None, None, None)? {
            if d.content.kind != Kind::Invoice || !d.status.was_sent() {
                continue;
            }
            let Ok(date) = NaiveDate::parse_from_str(&d.content.date, "%Y-%m-%d") else {
                continue;
            };
            if date > as_of {
                continue;
            }
            let owed = owed(db, &d)?;
            let over: Decimal = db
                .payments(Some(d.id))?
                .iter()
                .try_fold(Decimal::ZERO, |a, p| a.checked_add(p.overpaid))
                .ok_or_else(overflow)?;
            if owed <= Decimal::ZERO && over.is_zero() {
                continue;
            }
            let (key, name) = key_of(&d);
            let row = rows.entry(key.clone()).or_insert_with(|| AgingRow {
                key,
                name,
                ..AgingRow::default()
            });
            if owed > Decimal::ZERO {
                let days = (as_of - date).num_days();
                let bucket = match days {
                    ..=30 => 0,
                    31..=60 => 1,
                    61..=90 => 2,
                    _ => 3,
                };
                row.buckets[bucket] = row.buckets[bucket].checked_add(owed).ok_or_else(overflow)?;
                row.invoices += 1;
            }
            row.credits = row.credits.checked_sub(over).ok_or_else(overflow)?;
            row.total = row
                .buckets
                .iter()
                .try_fold(row.credits, |a, b| a.checked_add(*b))
                .ok_or_else(overflow)?;
        }
        Ok(rows.into_values().collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_are_all_named_and_nothing_is_imported() {
        let text = "invoice,date,amount,reference\n\
                    0238-202503-01-01,2025-04-10,100.00,CHK-1\n\
                    ,2025-04-10,1.005,\n\
                    0238-202503-01-01,10/04/2025,-5,CHK-1\n";
        let e = read_rows(Path::new("payments.csv"), text).unwrap_err().to_string();
        assert_eq!(
            e,
            "2 bad rows in the payments file: nothing imported\n  \
             payments.csv:3: `invoice` is empty; `amount` `1.005` is not a positive amount in cents; `reference` is empty\n  \
             payments.csv:4: `date` `10/04/2025` is not a date (YYYY-MM-DD); `amount` `-5` is not a positive amount in cents; reference `CHK-1` is already on line 2",
        );
    }

    #[test]
    fn amounts_are_read_exactly() {
        let rows = read_rows(
            Path::new("p.csv"),
            "reference,invoice,amount,date\nA,0238-202503-01-01,1234567.89,2025-04-10\n",
        )
        .unwrap();
        assert_eq!(rows[0].amount.to_string(), "1234567.89");
        assert_eq!(rows[0].line, 2);
    }
}
