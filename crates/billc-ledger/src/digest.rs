//! The two hashes of the ledger: a document's content digest (what "unchanged" means, and what a
//! sent version is held to) and the chain hash of the audit log (each event over the one before).
//!
//! Both are BLAKE3 over a fixed, length-prefixed encoding of the fields, so that no two different
//! contents encode alike (`"ab" + "c"` and `"a" + "bc"` differ) and the hash does not depend on
//! how a serializer orders or spells anything. Amounts are encoded normalized (`18234.50` and
//! `18234.5` are one amount).

use crate::model::{Content, Status};

/// `blake3:<hex>` of a document's content: its number without the version, kind, period, site,
/// customer, contract, group, dates, terms, total and every line (title, description, gl, amount,
/// tags, origin). The version, the status and the trace are not part of it: a re-run whose invoice
/// has the same content keeps its version.
pub fn content(c: &Content) -> String {
    let mut h = Fields::default();
    h.text(&c.base);
    h.text(c.kind.as_str());
    h.text(&c.period);
    h.text(&c.site);
    h.text(&c.customer);
    h.opt(c.customer_id.as_deref());
    h.text(&c.contract);
    h.text(&c.group.to_string());
    h.opt(c.group_title.as_deref());
    h.text(&c.date);
    h.opt(c.due.as_deref());
    h.text(&c.terms);
    h.text(&c.total.normalize().to_string());
    h.text(&c.lines.len().to_string());
    for line in &c.lines {
        h.text(&line.title);
        h.text(&line.description);
        h.text(&line.gl);
        h.text(&line.amount.normalize().to_string());
        h.text(&line.tags.len().to_string());
        for tag in &line.tags {
            h.text(tag);
        }
        h.text(&line.origin);
    }
    h.finish()
}

/// The fields of an event that its chain hash covers (everything but its own hash).
pub struct EventFields<'a> {
    pub id: i64,
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub document: Option<i64>,
    pub run: Option<i64>,
    pub from: Option<Status>,
    pub to: Option<Status>,
    pub reason: &'a str,
    pub detail: &'a str,
    pub prev_hash: &'a str,
}

/// `blake3:<hex>` of an event and the hash of the one before it: changing, removing or inserting an
/// event breaks every hash after it ([`crate::verify`]).
pub fn event(e: &EventFields<'_>) -> String {
    let mut h = Fields::default();
    h.text(e.prev_hash);
    h.text(&e.id.to_string());
    h.text(e.at);
    h.text(e.actor);
    h.text(e.action);
    h.opt(e.document.map(|d| d.to_string()).as_deref());
    h.opt(e.run.map(|r| r.to_string()).as_deref());
    h.opt(e.from.map(Status::as_str));
    h.opt(e.to.map(Status::as_str));
    h.text(e.reason);
    h.text(e.detail);
    h.finish()
}

/// The hash before the first event.
pub const GENESIS: &str = "blake3:0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Default)]
struct Fields(blake3::Hasher);

impl Fields {
    fn text(&mut self, s: &str) {
        self.0.update(&(s.len() as u64).to_le_bytes());
        self.0.update(s.as_bytes());
    }

    fn opt(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.0.update(&[1]);
                self.text(s);
            }
            None => {
                self.0.update(&[0]);
            }
        }
    }

    fn finish(self) -> String {
        format!("blake3:{}", self.0.finalize().to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Line};
    use rust_decimal_macros::dec;

    fn sample() -> Content {
        Content {
            base: "0238-202503-01".into(),
            kind: Kind::Invoice,
            period: "2025-03".into(),
            site: "0238".into(),
            customer: "Hotel".into(),
            customer_id: None,
            contract: "contracts/0238.bill".into(),
            group: 1,
            group_title: None,
            date: "2025-03-31".into(),
            due: Some("2025-04-30".into()),
            terms: "Due in 30 Days".into(),
            total: dec!(100.50),
            lines: vec![Line {
                title: "Fee".into(),
                description: String::new(),
                gl: "4790".into(),
                amount: dec!(100.50),
                tags: vec!["fixed_fee".into()],
                origin: "run".into(),
            }],
        }
    }

    #[test]
    fn digest_is_exact_about_amounts_and_blind_to_their_spelling() {
        let a = sample();
        let mut b = sample();
        b.total = dec!(100.5);
        b.lines[0].amount = dec!(100.500);
        assert_eq!(content(&a), content(&b));
        b.lines[0].amount = dec!(100.51);
        assert_ne!(content(&a), content(&b));
    }

    #[test]
    fn fields_do_not_run_into_each_other() {
        let mut a = sample();
        let mut b = sample();
        a.lines[0].title = "ab".into();
        a.lines[0].description = "c".into();
        b.lines[0].title = "a".into();
        b.lines[0].description = "bc".into();
        assert_ne!(content(&a), content(&b));
        let mut c = sample();
        c.due = None;
        c.terms = "2025-04-30Due in 30 Days".into();
        assert_ne!(content(&sample()), content(&c));
    }
}
