//! `billc ledger verify`: SQLite's own integrity check, the audit log's hash chain recomputed, and
//! the ledger's invariants checked against the rows as they are (not as billc wrote them):
//!
//! 1. every event's hash is the hash of its fields and of the event before it (a changed, removed
//!    or inserted event breaks the chain from there on);
//! 2. every document's number is its base and version, unique; its digest is the digest of its
//!    rows (number, dates, total, lines); its `created` event carries that same digest;
//! 3. its total is the sum of its lines;
//! 4. a sent document's digest is the one it had when it was sent (its `sent` event's);
//! 5. its status is the one its last status event set;
//! 6. every credit note credits a sent invoice of its base, for exactly minus that invoice's total;
//! 7. no invoice has more applied to it from payments than its total (what exceeds is an explicit
//!    overpayment), and every payment's applied and overpaid parts add up to its amount.
//!
//! Each break is reported with the event or document it is in.

use crate::digest::{self, EventFields};
use crate::model::{Kind, Status};
use crate::store::Db;
use crate::{LedgerError, number_of};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

/// One break of the chain or of an invariant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Break {
    /// `event 12`, `document 0238-202503-01-02`, `sqlite`.
    pub at: String,
    pub what: String,
}

/// What `verify` found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub events: usize,
    pub documents: usize,
    pub payments: usize,
    /// The hash of the last event: note it down, and a later `verify` shows the chain still ends
    /// in it (or grew from it).
    pub head: String,
    pub breaks: Vec<Break>,
}

/// Verifies the ledger (read-only).
pub fn verify(store: &mut crate::Store) -> Result<Verified, LedgerError> {
    store.read(verify_in)
}

fn verify_in(db: &Db<'_>) -> Result<Verified, LedgerError> {
    let mut breaks = Vec::new();
    let integrity = db.integrity_check()?;
    if integrity != ["ok"] {
        for line in integrity {
            breaks.push(Break {
                at: "sqlite".into(),
                what: line,
            });
        }
    }
    let events = db.events(None)?;
    let mut prev = digest::GENESIS.to_owned();
    // Per document: the digest of its `created` event, of its `sent` event, and the last status set.
    let mut created: BTreeMap<i64, String> = BTreeMap::new();
    let mut sent: BTreeMap<i64, String> = BTreeMap::new();
    let mut last_status: BTreeMap<i64, Status> = BTreeMap::new();
    for (doc, e) in &events {
        let at = format!("event {}", e.id);
        if e.prev_hash != prev {
            breaks.push(Break {
                at: at.clone(),
                what: format!(
                    "its previous hash {} is not the hash of the event before it ({prev})",
                    e.prev_hash
                ),
            });
        }
        let hash = digest::event(&EventFields {
            id: e.id,
            at: &e.at,
            actor: &e.actor,
            action: &e.action,
            document: *doc,
            run: e.run,
            from: e.from,
            to: e.to,
            reason: &e.reason,
            detail: &e.detail,
            prev_hash: &e.prev_hash,
        });
        if hash != e.hash {
            breaks.push(Break {
                at: at.clone(),
                what: format!(
                    "its content does not hash to its hash (a field was changed): {} {}",
                    e.action,
                    e.number.as_deref().unwrap_or("")
                ),
            });
        }
        prev = e.hash.clone();
        if let Some(d) = doc {
            let field = |name: &str| {
                serde_json::from_str::<serde_json::Value>(&e.detail)
                    .ok()
                    .and_then(|v| v.get(name).and_then(|s| s.as_str()).map(str::to_owned))
            };
            match e.action.as_str() {
                "created" => {
                    created.insert(*d, field("digest").unwrap_or_default());
                }
                "sent" => {
                    sent.insert(*d, field("digest").unwrap_or_default());
                }
                _ => {}
            }
            if let Some(to) = e.to {
                last_status.insert(*d, to);
            }
        }
    }
    let docs = db.all_documents()?;
    let by_id: BTreeMap<i64, &crate::store::StoredDocument> = docs.iter().map(|d| (d.document.id, d)).collect();
    let mut applied: BTreeMap<i64, Decimal> = BTreeMap::new();
    let payments = db.payments_with_documents()?;
    for (doc, p) in &payments {
        if let Some(d) = doc {
            let e = applied.entry(*d).or_default();
            *e = e.saturating_add(p.applied);
        }
        if p.outcome == "applied" && p.applied.saturating_add(p.overpaid) != p.amount {
            breaks.push(Break {
                at: format!("payment {}", p.reference),
                what: format!(
                    "applied {} and overpaid {} do not add up to its amount {}",
                    p.applied, p.overpaid, p.amount
                ),
            });
        }
    }
    for stored in &docs {
        let d = &stored.document;
        let at = format!("document {}", d.number);
        let mut broke = |what: String| {
            breaks.push(Break { at: at.clone(), what });
        };
        if d.number != number_of(&d.content.base, d.version) {
            broke(format!("its number is not {} version {}", d.content.base, d.version));
        }
        let recomputed = digest::content(&d.content);
        if recomputed != d.digest {
            broke(format!(
                "its rows do not hash to its digest (a line, an amount or a date was changed): {recomputed} ≠ {}",
                d.digest
            ));
        }
        match created.get(&d.id) {
            Some(c) if *c == d.digest => {}
            Some(c) => broke(format!(
                "its digest {} is not the one it was created with ({c})",
                d.digest
            )),
            None => broke("no `created` event".into()),
        }
        let sum = d
            .content
            .lines
            .iter()
            .try_fold(Decimal::ZERO, |a, l| a.checked_add(l.amount));
        if sum != Some(d.content.total) {
            broke(format!(
                "its total {} is not the sum of its lines ({})",
                d.content.total,
                sum.map_or_else(|| "overflow".to_owned(), |s| s.to_string())
            ));
        }
        if d.status.was_sent() || sent.contains_key(&d.id) {
            match (sent.get(&d.id), &stored.sent_digest) {
                (Some(at_send), Some(kept)) if at_send == kept && *kept == recomputed => {}
                (Some(at_send), _) => broke(format!("it was sent with digest {at_send} and is now {recomputed}")),
                (None, _) => broke(format!("it is {} but was never sent", d.status)),
            }
        }
        match last_status.get(&d.id) {
            Some(s) if *s == d.status => {}
            Some(s) => broke(format!("its status is {} but its last event set {s}", d.status)),
            None => broke("no status event".into()),
        }
        if d.content.kind == Kind::CreditNote {
            match stored.corrects_id.and_then(|id| by_id.get(&id)) {
                None => broke("a credit note that credits no invoice".into()),
                Some(c) => {
                    if c.document.content.base != d.content.base || !sent.contains_key(&c.document.id) {
                        broke(format!(
                            "it credits {}, which is not a sent invoice of its base",
                            c.document.number
                        ));
                    }
                    if d.content.total != -c.document.content.total {
                        broke(format!(
                            "its total {} is not minus the total {} of {}",
                            d.content.total, c.document.content.total, c.document.number
                        ));
                    }
                }
            }
        } else if let Some(paid) = applied.get(&d.id)
            && *paid > d.content.total
        {
            broke(format!(
                "{paid} applied from payments on a total of {}: more than owed without an overpayment",
                d.content.total
            ));
        }
    }
    Ok(Verified {
        events: events.len(),
        documents: docs.len(),
        payments: payments.len(),
        head: prev,
        breaks,
    })
}
