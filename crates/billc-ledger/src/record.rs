//! A run into the ledger: each invoice the run made becomes a version of its number, and the run's
//! period folder is written with the numbers the ledger gave (README → "The ledger" → "Versions").
//!
//! For each invoice, by its number without the version (the *base*, `0238-202503-01`), against the
//! base's current version (the latest invoice version that was not superseded):
//!
//! | the ledger has | the run's invoice is | the run |
//! |---|---|---|
//! | nothing | | makes version 01 (`draft`, or `needs_approval` as the run's review says) |
//! | any version | the same content (digest) | keeps it: same number, no new row (only the run log) |
//! | an unsent version (draft, needs_approval, approved, rejected) | different | supersedes it with the next version |
//! | a sent version | different | leaves it as it is; makes a **credit note** for all of it (the next version) and a **replacement** (the one after) |
//! | a voided or fully credited version | different | makes the next version |
//!
//! Credit note and full replacement (not an adjustment invoice for the difference), always: the
//! customer receives a complete invoice that stands on its own, each document exports to Great
//! Plains as itself, and an auditor reads every version whole; an adjustment invoice would make the
//! amount owed a sum over documents.
//!
//! A base of the period that the run's contracts billed before but bill nothing for now is
//! *withdrawn*: voided if unsent, credited if sent (unless `billc adjust` lines hold it, or the
//! contract failed this run: a failure is never read as "nothing to bill").
//!
//! Ad-hoc lines recorded with `billc adjust` are added to their base's invoice on every re-run, so a
//! re-run keeps them (RULES.md §13). Customers over their credit limit (own or a parent's) make the
//! run's new versions `needs_approval`, and an exception says why.

use crate::log::transition;
use crate::model::{Content, Customer, Document, Kind, Line, Status};
use crate::store::{Db, NewDocument, NewEvent, RunCounts};
use crate::{Actor, LedgerError, number_of, split_number};
use billc_billing::invoice::{Exception, ExceptionKind, Invoice, TraceNode};
use billc_lang::trace::{Fact, InvoiceLine};
use billc_lang::value::format::format_cents;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// What the ledger needs to know about a run besides its invoices.
pub struct RunInput {
    pub period: String,
    pub contracts_digest: String,
    pub data_digest: String,
    pub billc_version: String,
    pub started_at: String,
    /// The options, as JSON.
    pub options: String,
    pub refused: bool,
    /// The contracts of the run (their files): only their bases can be withdrawn.
    pub contracts: BTreeSet<String>,
    /// `customers.csv`, when the data has one.
    pub customers: Vec<Customer>,
    /// Site → customer id, from `sites.csv`.
    pub site_customers: BTreeMap<String, String>,
}

/// What recording a run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub run: i64,
    pub counts: RunCounts,
    /// The credit notes the run made (numbers), for the summary.
    pub credit_notes: Vec<String>,
    /// Numbers of the versions the run superseded, voided or credited, with the number that took
    /// their place (if any).
    pub replaced: Vec<(String, Option<String>)>,
}

/// The content of a run's invoice as the ledger keeps it.
pub fn content_of(inv: &Invoice, customer_id: Option<String>) -> Result<Content, LedgerError> {
    let (base, _) = split_number(&inv.number)
        .ok_or_else(|| LedgerError::Input(format!("`{}` is not an invoice number", inv.number)))?;
    Ok(Content {
        base: base.to_owned(),
        kind: Kind::Invoice,
        period: inv.period.clone(),
        site: inv.site.clone(),
        customer: inv.customer.clone(),
        customer_id,
        contract: inv.contract.clone(),
        group: inv.group,
        group_title: inv.group_title.clone(),
        date: inv.date.to_string(),
        due: inv.due.map(|d| d.to_string()),
        terms: inv.terms.clone(),
        total: inv.total,
        lines: inv
            .lines
            .iter()
            .map(|l| Line {
                title: l.title.clone(),
                description: l.description.clone(),
                gl: l.gl.clone(),
                amount: l.amount,
                tags: l.tags.clone(),
                origin: if l.tags.iter().any(|t| t == ADJUSTMENT_TAG) {
                    "adjustment".into()
                } else {
                    "run".into()
                },
            })
            .collect(),
    })
}

pub use crate::model::ADJUSTMENT_TAG;

/// Records a run, renumbering `invoices` to the versions the ledger gave them, adding the ledger's
/// ad-hoc lines, and adding credit-limit approvals to `exceptions`. One transaction: a run is
/// recorded whole or not at all.
pub fn record_run(
    store: &mut crate::Store,
    actor: &Actor,
    input: &RunInput,
    invoices: &mut [Invoice],
    exceptions: &mut Vec<Exception>,
) -> Result<Recorded, LedgerError> {
    store.write(|db| record_in(db, actor, input, invoices, exceptions))
}

fn record_in(
    db: &Db<'_>,
    actor: &Actor,
    input: &RunInput,
    invoices: &mut [Invoice],
    exceptions: &mut Vec<Exception>,
) -> Result<Recorded, LedgerError> {
    let finished = crate::now();
    let run = db.insert_run(
        &input.period,
        &input.contracts_digest,
        &input.data_digest,
        &input.billc_version,
        &actor.name,
        &input.started_at,
        &finished,
        &input.options,
        input.refused,
    )?;
    if !input.customers.is_empty() {
        db.upsert_customers(&input.customers)?;
    }
    let mut recorded = Recorded {
        run,
        counts: RunCounts::default(),
        credit_notes: Vec::new(),
        replaced: Vec::new(),
    };
    if !input.refused {
        let closed = db.closed(&input.period)?.is_some();
        let mut book = Book::of(db, &input.period)?;
        let mut adjustments: BTreeMap<String, Vec<Line>> = BTreeMap::new();
        for (base, line) in db.adjustments(&input.period)? {
            adjustments.entry(base).or_default().push(line);
        }
        let mut produced = BTreeSet::new();
        let mut made = Vec::new();
        invoices.sort_by(|a, b| a.number.cmp(&b.number));
        for inv in invoices.iter_mut() {
            let customer_id = input.site_customers.get(&inv.site).cloned();
            let mut content = content_of(inv, customer_id)?;
            if let Some(lines) = adjustments.get(&content.base) {
                add_adjustments(inv, &mut content, lines, &actor.at)?;
            }
            produced.insert(content.base.clone());
            let status = match inv.status {
                billc_billing::invoice::Status::Ready if !closed => Status::Draft,
                _ => Status::NeedsApproval,
            };
            let mut reasons = inv.status_reasons.clone();
            if closed && book.current(&content.base).is_none() {
                reasons.push(format!(
                    "period {} is closed: a new invoice in it needs approval",
                    input.period
                ));
            }
            let placed = place(db, actor, run, &mut book, content, status, &reasons, &mut recorded)?;
            inv.number = placed.number.clone();
            if placed.created {
                made.push((placed.id, inv.number.clone()));
            }
        }
        withdraw(
            db,
            actor,
            run,
            input,
            &mut book,
            &produced,
            &adjustments,
            exceptions,
            &mut recorded,
        )?;
        credit_limits(db, actor, run, input, invoices, exceptions, &made)?;
        recorded.counts.invoices = invoices.len() as i64;
    }
    recorded.counts.exceptions = exceptions.len() as i64;
    for (seq, e) in exceptions.iter().enumerate() {
        db.insert_exception(run, seq, &e.site, e.kind.as_str(), &e.location, &e.message)?;
    }
    db.set_run_counts(run, &recorded.counts)?;
    let detail = serde_json::json!({
        "period": input.period,
        "contracts_digest": input.contracts_digest,
        "data_digest": input.data_digest,
        "refused": input.refused,
        "counts": recorded.counts,
    });
    db.append_event(&NewEvent {
        at: &finished,
        actor: &actor.name,
        action: "run",
        document: None,
        run: Some(run),
        from: None,
        to: None,
        reason: "",
        detail: detail.to_string(),
    })?;
    Ok(recorded)
}

/// Appends the ledger's ad-hoc lines to a run's invoice (and its content), with a trace saying who
/// added each and why.
fn add_adjustments(inv: &mut Invoice, content: &mut Content, lines: &[Line], at: &str) -> Result<(), LedgerError> {
    for line in lines {
        let total = inv
            .total
            .checked_add(line.amount)
            .ok_or_else(|| LedgerError::Input(format!("{}: the total overflows with its ad-hoc lines", inv.number)))?;
        inv.total = total;
        content.total = total;
        content.lines.push(line.clone());
        inv.lines.push(InvoiceLine {
            title: line.title.clone(),
            description: line.description.clone(),
            gl: line.gl.clone(),
            amount: line.amount,
            tags: line.tags.clone(),
            trace: TraceNode {
                label: format!("line \"{}\"", line.title),
                value: format_cents(line.amount),
                facts: vec![
                    Fact {
                        name: "ad-hoc line".into(),
                        value: "recorded in the ledger by `billc adjust` (RULES.md §13)".into(),
                    },
                    Fact {
                        name: "reason".into(),
                        value: line.description.clone(),
                    },
                    Fact {
                        name: "included".into(),
                        value: format!("in the run of {at}"),
                    },
                ],
                ..TraceNode::default()
            },
        });
    }
    Ok(())
}

/// The documents of one period, by base, as the ledger has them while a run or a command changes
/// them.
pub struct Book {
    by_base: BTreeMap<String, Vec<Document>>,
}

impl Book {
    /// The documents of `period`.
    pub fn of(db: &Db<'_>, period: &str) -> Result<Book, LedgerError> {
        let mut by_base: BTreeMap<String, Vec<Document>> = BTreeMap::new();
        for d in db.documents_of_period(period)? {
            by_base.entry(d.content.base.clone()).or_default().push(d);
        }
        for docs in by_base.values_mut() {
            docs.sort_by_key(|d| d.version);
        }
        Ok(Book { by_base })
    }

    /// The current version of a base: its latest invoice that was not superseded.
    pub fn current(&self, base: &str) -> Option<&Document> {
        self.by_base
            .get(base)?
            .iter()
            .rev()
            .find(|d| d.content.kind == Kind::Invoice && d.status != Status::Superseded)
    }

    /// The next version number of a base.
    fn next_version(&self, base: &str) -> Result<u32, LedgerError> {
        let last = self
            .by_base
            .get(base)
            .and_then(|d| d.iter().map(|d| d.version).max())
            .unwrap_or(0);
        if last >= 99 {
            return Err(LedgerError::Input(format!(
                "{base}: 99 versions already: a version number has two digits (RULES.md §1)"
            )));
        }
        Ok(last + 1)
    }

    fn bases(&self) -> Vec<String> {
        self.by_base.keys().cloned().collect()
    }

    fn set_status(&mut self, id: i64, status: Status) {
        for d in self.by_base.values_mut().flatten() {
            if d.id == id {
                d.status = status;
            }
        }
    }

    fn add(&mut self, d: Document) {
        self.by_base.entry(d.content.base.clone()).or_default().push(d);
    }
}

/// Where a content went.
struct Placed {
    id: i64,
    number: String,
    /// A new version was made (not kept).
    created: bool,
}

/// Places one content into the book, as the table of this module says.
#[allow(clippy::too_many_arguments, reason = "the run's context, passed down once")]
fn place(
    db: &Db<'_>,
    actor: &Actor,
    run: i64,
    book: &mut Book,
    content: Content,
    status: Status,
    reasons: &[String],
    recorded: &mut Recorded,
) -> Result<Placed, LedgerError> {
    let digest = crate::digest::content(&content);
    let current = book.current(&content.base).cloned();
    let Some(current) = current else {
        let d = create(
            db,
            actor,
            Some(run),
            book,
            content,
            &digest,
            status,
            reasons,
            None,
            "created by the run",
        )?;
        db.link_run(run, d.id, "created")?;
        recorded.counts.created += 1;
        return Ok(Placed {
            id: d.id,
            number: d.number,
            created: true,
        });
    };
    if current.digest == digest {
        db.link_run(run, current.id, "unchanged")?;
        recorded.counts.unchanged += 1;
        return Ok(Placed {
            id: current.id,
            number: current.number,
            created: false,
        });
    }
    let why = format!("run {run} bills it differently");
    let corrects = if current.status.is_open() {
        supersede(db, actor, Some(run), book, &current, &why)?;
        Some(current.id)
    } else if current.status.was_sent() && current.status != Status::Credited {
        let note = credit_note(db, actor, Some(run), book, &current, &why)?;
        db.link_run(run, note.id, "credit_note")?;
        recorded.counts.credit_notes += 1;
        recorded.credit_notes.push(note.number);
        Some(current.id)
    } else {
        None
    };
    let d = create(
        db,
        actor,
        Some(run),
        book,
        content,
        &digest,
        status,
        reasons,
        corrects,
        &format!("replaces {}: {why}", current.number),
    )?;
    db.link_run(run, d.id, "replaced")?;
    recorded.counts.replaced += 1;
    recorded.replaced.push((current.number, Some(d.number.clone())));
    Ok(Placed {
        id: d.id,
        number: d.number,
        created: true,
    })
}

/// Makes the next version of a base with `content`.
#[allow(clippy::too_many_arguments, reason = "one document's fields")]
pub fn create(
    db: &Db<'_>,
    actor: &Actor,
    run: Option<i64>,
    book: &mut Book,
    content: Content,
    digest: &str,
    status: Status,
    reasons: &[String],
    corrects: Option<i64>,
    why: &str,
) -> Result<Document, LedgerError> {
    let version = book.next_version(&content.base)?;
    let number = number_of(&content.base, version);
    let id = db.insert_document(&NewDocument {
        number: &number,
        version,
        content: &content,
        digest,
        status,
        reasons,
        corrects,
        run,
        actor: &actor.name,
        at: &actor.at,
    })?;
    db.append_event(&NewEvent {
        at: &actor.at,
        actor: &actor.name,
        action: "created",
        document: Some(id),
        run,
        from: None,
        to: Some(status),
        reason: why,
        detail:
            serde_json::json!({ "digest": digest, "total": content.total.to_string(), "kind": content.kind.as_str() })
                .to_string(),
    })?;
    let d = Document {
        id,
        number,
        version,
        status,
        reasons: reasons.to_vec(),
        corrects: None,
        run,
        created_by: actor.name.clone(),
        created_at: actor.at.clone(),
        digest: digest.to_owned(),
        content,
    };
    book.add(d.clone());
    Ok(d)
}

/// Marks an unsent version superseded.
fn supersede(
    db: &Db<'_>,
    actor: &Actor,
    run: Option<i64>,
    book: &mut Book,
    current: &Document,
    why: &str,
) -> Result<(), LedgerError> {
    transition(
        db,
        actor,
        run,
        current,
        Status::Superseded,
        "superseded",
        why,
        String::new(),
    )?;
    book.set_status(current.id, Status::Superseded);
    Ok(())
}

/// A credit note for the whole of a sent invoice: every line negated, dated today, the next
/// version of its base, `draft` (it is approved and sent like any document).
pub fn credit_note(
    db: &Db<'_>,
    actor: &Actor,
    run: Option<i64>,
    book: &mut Book,
    sent: &Document,
    why: &str,
) -> Result<Document, LedgerError> {
    let lines = db.lines(sent.id)?;
    let mut content = sent.content.clone();
    content.kind = Kind::CreditNote;
    content.date = actor.at.get(..10).unwrap_or(&actor.at).to_owned();
    content.due = None;
    content.total = -sent.content.total;
    content.lines = lines
        .into_iter()
        .map(|l| Line {
            amount: -l.amount,
            origin: "credit".into(),
            ..l
        })
        .collect();
    let digest = crate::digest::content(&content);
    create(
        db,
        actor,
        run,
        book,
        content,
        &digest,
        Status::Draft,
        &[],
        Some(sent.id),
        &format!("credits {}: {why}", sent.number),
    )
}

#[allow(clippy::too_many_arguments, reason = "the run's context, passed down once")]
fn withdraw(
    db: &Db<'_>,
    actor: &Actor,
    run: i64,
    input: &RunInput,
    book: &mut Book,
    produced: &BTreeSet<String>,
    adjustments: &BTreeMap<String, Vec<Line>>,
    exceptions: &mut Vec<Exception>,
    recorded: &mut Recorded,
) -> Result<(), LedgerError> {
    let failed: BTreeSet<&str> = exceptions
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                ExceptionKind::ContractFailed
                    | ExceptionKind::CheckFailed
                    | ExceptionKind::SiteSkipped
                    | ExceptionKind::DuplicateInvoice
            )
        })
        .map(|e| e.site.as_str())
        .collect();
    let mut notes = Vec::new();
    for base in book.bases() {
        if produced.contains(&base) {
            continue;
        }
        let Some(current) = book.current(&base).cloned() else {
            continue;
        };
        if !input.contracts.contains(&current.content.contract) || failed.contains(current.content.site.as_str()) {
            continue;
        }
        if adjustments.contains_key(&base) {
            notes.push(Exception {
                site: current.content.site.clone(),
                kind: ExceptionKind::Warning,
                location: current.number.clone(),
                message: format!(
                    "the run bills nothing for {} but it has ad-hoc lines (`billc adjust`): kept as it is",
                    current.number
                ),
            });
            continue;
        }
        let why = format!("run {run} bills nothing for it");
        if current.status.is_open() {
            transition(
                db,
                actor,
                Some(run),
                &current,
                Status::Voided,
                "withdrawn",
                &why,
                String::new(),
            )?;
            book.set_status(current.id, Status::Voided);
            db.link_run(run, current.id, "withdrawn")?;
        } else if current.status.was_sent()
            && current.status != Status::Credited
            // An earlier run (or `billc credit`) is already crediting it: one credit note is enough.
            && !db.credit_notes_of(current.id)?.iter().any(|n| n.status != Status::Voided)
        {
            let note = credit_note(db, actor, Some(run), book, &current, &why)?;
            db.link_run(run, note.id, "credit_note")?;
            recorded.counts.credit_notes += 1;
            recorded.credit_notes.push(note.number);
        } else {
            continue;
        }
        recorded.counts.withdrawn += 1;
        recorded.replaced.push((current.number, None));
    }
    exceptions.extend(notes);
    Ok(())
}

/// What a customer owes and has waiting: receivable balances plus unsent invoices, by customer id.
fn exposure(db: &Db<'_>) -> Result<BTreeMap<String, Decimal>, LedgerError> {
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    for d in db.select(None, None, None)? {
        let Some(customer) = &d.content.customer_id else {
            continue;
        };
        if d.content.kind != Kind::Invoice {
            continue;
        }
        let owed = if d.status.is_open() {
            d.content.total
        } else if d.status.is_receivable() {
            crate::balance::owed(db, &d)?
        } else {
            continue;
        };
        let entry = out.entry(customer.clone()).or_default();
        *entry = entry
            .checked_add(owed)
            .ok_or_else(|| LedgerError::Input(format!("customer {customer}: exposure overflows")))?;
    }
    Ok(out)
}

/// Flags the run's new versions whose customer (or a parent of it) is over its credit limit.
fn credit_limits(
    db: &Db<'_>,
    actor: &Actor,
    run: i64,
    input: &RunInput,
    invoices: &mut [Invoice],
    exceptions: &mut Vec<Exception>,
    made: &[(i64, String)],
) -> Result<(), LedgerError> {
    let customers: BTreeMap<String, Customer> = db.customers()?.into_iter().map(|c| (c.id.clone(), c)).collect();
    if !customers.values().any(|c| c.credit_limit.is_some()) {
        return Ok(());
    }
    let own = exposure(db)?;
    // Each customer's exposure counts for itself and every ancestor.
    let mut rolled: BTreeMap<String, Decimal> = BTreeMap::new();
    for (id, amount) in &own {
        for a in ancestry(&customers, id) {
            let e = rolled.entry(a).or_default();
            *e = e.checked_add(*amount).unwrap_or(Decimal::MAX);
        }
    }
    let over: BTreeMap<&str, String> = customers
        .values()
        .filter_map(|c| {
            let limit = c.credit_limit?;
            let e = rolled.get(&c.id).copied().unwrap_or_default();
            (e > limit).then(|| {
                (
                    c.id.as_str(),
                    format!(
                        "customer {} ({}) is over its credit limit: {} owed and to be sent against {}",
                        c.id,
                        c.name,
                        format_cents(e),
                        format_cents(limit)
                    ),
                )
            })
        })
        .collect();
    if over.is_empty() {
        return Ok(());
    }
    let made: BTreeMap<&str, i64> = made.iter().map(|(id, n)| (n.as_str(), *id)).collect();
    for inv in invoices.iter_mut() {
        let Some(&id) = made.get(inv.number.as_str()) else {
            continue;
        };
        let Some(customer) = input.site_customers.get(&inv.site) else {
            continue;
        };
        let reasons: Vec<String> = ancestry(&customers, customer)
            .iter()
            .filter_map(|a| over.get(a.as_str()).cloned())
            .collect();
        if reasons.is_empty() {
            continue;
        }
        let Some(doc) = db.document(&inv.number)? else {
            continue;
        };
        let mut all = doc.reasons.clone();
        all.extend(reasons.iter().cloned());
        db.set_status_reasons(id, Status::NeedsApproval, &all)?;
        db.append_event(&NewEvent {
            at: &actor.at,
            actor: &actor.name,
            action: "credit_limit",
            document: Some(id),
            run: Some(run),
            from: Some(doc.status),
            to: Some(Status::NeedsApproval),
            reason: &reasons.join("; "),
            detail: String::new(),
        })?;
        inv.status = billc_billing::invoice::Status::NeedsApproval;
        for r in reasons {
            inv.status_reasons.push(r.clone());
            exceptions.push(Exception {
                site: inv.site.clone(),
                kind: ExceptionKind::NeedsApproval,
                location: inv.number.clone(),
                message: r,
            });
        }
    }
    Ok(())
}

/// A customer id and its parents, nearest first (a cycle stops at the first repeat).
pub fn ancestry(customers: &BTreeMap<String, Customer>, id: &str) -> Vec<String> {
    let mut out = vec![id.to_owned()];
    let mut at = id;
    while let Some(parent) = customers.get(at).and_then(|c| c.parent.as_deref()) {
        if out.iter().any(|s| s == parent) {
            break;
        }
        out.push(parent.to_owned());
        at = parent;
    }
    out
}
