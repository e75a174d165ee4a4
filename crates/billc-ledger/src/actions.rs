//! What finance does to documents between runs: approve, reject, send, void, dispute (and
//! withdraw a dispute), credit, adjust, and close a period. Each checks the transition and the
//! actor's roles, writes the change and its event in one transaction, and returns what it did and
//! what it refused (a refusal is an event too).
//!
//! | command | from | to |
//! |---|---|---|
//! | `approve` | draft, needs_approval, rejected | approved |
//! | `reject` | draft, needs_approval, approved | rejected |
//! | `send` | approved | sent (a credit note, when sent, settles the invoice it credits) |
//! | `void` | draft, needs_approval, approved, rejected | voided |
//! | `dispute` | sent, partially_paid, paid | disputed |
//! | `dispute --withdraw` | disputed | sent, partially_paid, paid or credited, by what was paid and credited |
//! | `credit` | sent, partially_paid, paid, disputed | (unchanged) + a draft credit note for all of it |
//! | `adjust` | unsent: superseded + the next version with the line; sent: a credit note + a replacement with it |

use crate::balance::settled_status;
use crate::log::{refusal_event, transition};
use crate::model::{Document, Kind, Line, Status};
use crate::record::{self, Book, credit_note};
use crate::roles::Action;
use crate::store::{Db, NewEvent};
use crate::{Actor, LedgerError};
use rust_decimal::Decimal;
use serde::Serialize;

/// A status command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Approve,
    Reject,
    Send,
    Void,
    Dispute,
    /// Withdraw a dispute.
    Withdraw,
    Credit,
}

impl Command {
    fn action(self) -> Action {
        match self {
            Command::Approve => Action::Approve,
            Command::Reject => Action::Reject,
            Command::Send => Action::Send,
            Command::Void => Action::Void,
            Command::Dispute | Command::Withdraw => Action::Dispute,
            Command::Credit => Action::Credit,
        }
    }

    /// The command as typed.
    pub fn name(self) -> &'static str {
        match self {
            Command::Withdraw => "dispute --withdraw",
            c => c.action().as_str(),
        }
    }

    /// The statuses it starts from.
    fn from(self) -> &'static [Status] {
        match self {
            Command::Approve => &[Status::Draft, Status::NeedsApproval, Status::Rejected],
            Command::Reject => &[Status::Draft, Status::NeedsApproval, Status::Approved],
            Command::Send => &[Status::Approved],
            Command::Void => &[Status::Draft, Status::NeedsApproval, Status::Approved, Status::Rejected],
            Command::Dispute => &[Status::Sent, Status::PartiallyPaid, Status::Paid],
            Command::Withdraw => &[Status::Disputed],
            Command::Credit => &[Status::Sent, Status::PartiallyPaid, Status::Paid, Status::Disputed],
        }
    }

    /// What the word for the past is.
    fn past(self) -> &'static str {
        match self {
            Command::Approve => "approved",
            Command::Reject => "rejected",
            Command::Send => "sent",
            Command::Void => "voided",
            Command::Dispute => "disputed",
            Command::Withdraw => "dispute withdrawn",
            Command::Credit => "credited",
        }
    }
}

/// Which documents a command is for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Invoice numbers, as typed.
    pub numbers: Vec<String>,
    /// Or every document of a period …
    pub period: Option<String>,
    /// … in a status.
    pub status: Option<Status>,
}

/// One document a command changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Done {
    pub number: String,
    pub from: Status,
    pub to: Status,
    /// A document the command made (a credit note, a new version).
    pub made: Vec<String>,
    /// Other documents the command changed on the way (the invoice a sent credit note settles).
    pub also: Vec<(String, Status)>,
}

/// One document a command left alone, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub number: String,
    pub why: String,
}

/// What a command did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub done: Vec<Done>,
    pub refused: Vec<Refused>,
}

/// Runs a status command over a selection, in one transaction.
pub fn act(
    store: &mut crate::Store,
    actor: &Actor,
    command: Command,
    selection: &Selection,
    reason: &str,
) -> Result<Outcome, LedgerError> {
    store.write(|db| {
        let mut out = Outcome::default();
        for found in resolve(db, selection)? {
            let doc = match found {
                Ok(doc) => doc,
                Err(refused) => {
                    refusal_event(db, actor, None, command.name(), &refused.why)?;
                    out.refused.push(refused);
                    continue;
                }
            };
            match one(db, actor, command, &doc, reason)? {
                Ok(done) => out.done.push(done),
                Err(why) => {
                    let why = format!("cannot {}: {why}", command.name());
                    refusal_event(db, actor, Some(doc.id), command.name(), &why)?;
                    out.refused.push(Refused {
                        number: doc.number.clone(),
                        why,
                    });
                }
            }
        }
        Ok(out)
    })
}

/// The documents of a selection (numbers first, in the order given; unknown numbers refused).
fn resolve(db: &Db<'_>, selection: &Selection) -> Result<Vec<Result<Document, Refused>>, LedgerError> {
    let mut out = Vec::new();
    for number in &selection.numbers {
        out.push(db.document(number)?.ok_or_else(|| Refused {
            number: number.clone(),
            why: format!("no invoice `{number}` in the ledger"),
        }));
    }
    if selection.period.is_some() || selection.status.is_some() {
        for d in db.select(selection.period.as_deref(), selection.status, None)? {
            if !selection.numbers.contains(&d.number) {
                out.push(Ok(d));
            }
        }
    }
    Ok(out)
}

/// One document: `Ok(Err(why))` when the command is refused for it.
fn one(
    db: &Db<'_>,
    actor: &Actor,
    command: Command,
    doc: &Document,
    reason: &str,
) -> Result<Result<Done, String>, LedgerError> {
    if !command.from().contains(&doc.status) {
        let from: Vec<&str> = command.from().iter().map(|s| s.as_str()).collect();
        return Ok(Err(format!(
            "it is {}; {} needs {}{}",
            doc.status,
            command.name(),
            from.join(" or "),
            hint(command, doc.status)
        )));
    }
    if let Some(roles) = &actor.roles {
        if let Err(why) = roles.allows(&actor.name, command.action()) {
            return Ok(Err(why));
        }
        if command == Command::Approve {
            let needs = doc.status == Status::NeedsApproval || !doc.reasons.is_empty();
            if let Err(why) = roles.may_approve(&actor.name, needs, doc.content.total) {
                return Ok(Err(why));
            }
            let made_by = match doc.run {
                Some(run) => db.run_actor(run)?.unwrap_or_default(),
                None => doc.created_by.clone(),
            };
            if made_by == actor.name {
                return Ok(Err(format!(
                    "`{}` made it ({}): someone else approves it (separation of duties)",
                    actor.name,
                    doc.run.map_or_else(|| "by hand".to_owned(), |r| format!("run {r}"))
                )));
            }
        }
    }
    if matches!(
        command,
        Command::Reject | Command::Void | Command::Dispute | Command::Credit
    ) && reason.trim().is_empty()
    {
        return Ok(Err(format!("{} needs a reason (--reason)", command.name())));
    }
    if command == Command::Dispute && doc.content.kind == Kind::CreditNote {
        return Ok(Err(
            "a credit note is not disputed: dispute the invoice it credits".into()
        ));
    }
    let mut done = Done {
        number: doc.number.clone(),
        from: doc.status,
        to: doc.status,
        made: Vec::new(),
        also: Vec::new(),
    };
    match command {
        Command::Credit => {
            if doc.content.kind == Kind::CreditNote {
                return Ok(Err("it is a credit note".into()));
            }
            if let Some(pending) = db.credit_notes_of(doc.id)?.iter().find(|n| n.status != Status::Voided) {
                return Ok(Err(format!(
                    "{} already credits it ({})",
                    pending.number, pending.status
                )));
            }
            let mut book = Book::of(db, &doc.content.period)?;
            let note = credit_note(db, actor, None, &mut book, doc, reason)?;
            done.made.push(note.number);
        }
        Command::Send => {
            transition(
                db,
                actor,
                None,
                doc,
                Status::Sent,
                "sent",
                reason,
                serde_json::json!({ "digest": doc.digest }).to_string(),
            )?;
            db.set_sent_digest(doc.id, &doc.digest)?;
            done.to = Status::Sent;
            if doc.content.kind == Kind::CreditNote
                && let Some(corrected) = doc.corrects.as_deref()
                && let Some(inv) = db.document(corrected)?
            {
                let to = settled_status(db, &inv)?;
                if to != inv.status {
                    transition(
                        db,
                        actor,
                        None,
                        &inv,
                        to,
                        "credited",
                        &format!("{} sent", doc.number),
                        String::new(),
                    )?;
                    done.also.push((inv.number.clone(), to));
                }
            }
        }
        _ => {
            let to = match command {
                Command::Approve => Status::Approved,
                Command::Reject => Status::Rejected,
                Command::Void => Status::Voided,
                Command::Dispute => Status::Disputed,
                _ => settled_status(db, doc)?,
            };
            transition(db, actor, None, doc, to, command.past(), reason, String::new())?;
            done.to = to;
        }
    }
    Ok(Ok(done))
}

/// What to do instead, when a command does not apply.
fn hint(command: Command, status: Status) -> &'static str {
    match (command, status) {
        (Command::Send, Status::Draft | Status::NeedsApproval) => " (approve it first)",
        (Command::Void, s) if s.was_sent() => " (a sent invoice is credited: `billc credit`)",
        (Command::Credit, s) if s.is_open() => " (an unsent invoice is voided: `billc void`)",
        (_, Status::Superseded) => " (a later version replaced it: `billc ledger history`)",
        _ => "",
    }
}

/// An ad-hoc line (RULES.md §13) on the current version of `number`'s base.
pub struct Adjustment {
    pub title: String,
    pub gl: String,
    pub amount: Decimal,
    pub reason: String,
}

/// Adds an ad-hoc line: the line is recorded (every later re-run keeps it) and the invoice gets a
/// new version with it — after superseding it if unsent, or after a credit note if sent.
pub fn adjust(
    store: &mut crate::Store,
    actor: &Actor,
    number: &str,
    adjustment: &Adjustment,
) -> Result<Outcome, LedgerError> {
    store.write(|db| {
        let refuse = |why: String| -> Result<Outcome, LedgerError> {
            let why = format!("cannot adjust: {why}");
            refusal_event(db, actor, None, "adjust", &why)?;
            Ok(Outcome {
                done: Vec::new(),
                refused: vec![Refused {
                    number: number.to_owned(),
                    why,
                }],
            })
        };
        let Some(named) = db.document(number)? else {
            return refuse(format!("no invoice `{number}` in the ledger"));
        };
        if let Some(roles) = &actor.roles
            && let Err(why) = roles.allows(&actor.name, Action::Adjust)
        {
            return refuse(why);
        }
        if adjustment.reason.trim().is_empty() {
            return refuse("adjust needs a reason (--reason)".into());
        }
        if adjustment.amount.is_zero() || adjustment.amount.scale() > 2 {
            return refuse(format!(
                "the amount {} is not a non-zero amount in cents",
                adjustment.amount
            ));
        }
        let mut book = Book::of(db, &named.content.period)?;
        let Some(current) = book.current(&named.content.base).cloned() else {
            return refuse(format!("{number} is a credit note: adjust the invoice"));
        };
        if current.number != named.number {
            return refuse(format!(
                "{} is not the current version: {} is",
                named.number, current.number
            ));
        }
        if matches!(current.status, Status::Voided | Status::Credited) {
            return refuse(format!("{} is {}", current.number, current.status));
        }
        let line = Line {
            title: adjustment.title.clone(),
            description: adjustment.reason.clone(),
            gl: adjustment.gl.clone(),
            amount: adjustment.amount,
            tags: vec![record::ADJUSTMENT_TAG.into()],
            origin: "adjustment".into(),
        };
        db.insert_adjustment(
            &current.content.base,
            &current.content.period,
            &line,
            &actor.name,
            &actor.at,
        )?;
        let mut content = current.content.clone();
        content.lines = db.lines(current.id)?;
        content.lines.push(line);
        content.total = content
            .total
            .checked_add(adjustment.amount)
            .ok_or_else(|| LedgerError::Input(format!("{number}: the total overflows")))?;
        let mut done = Done {
            number: current.number.clone(),
            from: current.status,
            to: current.status,
            made: Vec::new(),
            also: Vec::new(),
        };
        let why = format!(
            "ad-hoc line `{}` {}: {}",
            adjustment.title, adjustment.amount, adjustment.reason
        );
        if current.status.is_open() {
            transition(
                db,
                actor,
                None,
                &current,
                Status::Superseded,
                "superseded",
                &why,
                String::new(),
            )?;
            done.to = Status::Superseded;
        } else {
            let note = credit_note(db, actor, None, &mut book, &current, &why)?;
            done.made.push(note.number);
        }
        let digest = crate::digest::content(&content);
        let replacement = record::create(
            db,
            actor,
            None,
            &mut book,
            content,
            &digest,
            Status::Draft,
            &[],
            Some(current.id),
            &format!("replaces {}: {why}", current.number),
        )?;
        done.made.push(replacement.number);
        Ok(Outcome {
            done: vec![done],
            refused: Vec::new(),
        })
    })
}

/// Closes a period: every document of it must be settled to the customer (sent, paid, credited,
/// disputed) or out of the way (voided, superseded). Afterwards a re-run of it only makes credit
/// notes and replacements for what changed, and a new invoice in it needs approval.
pub fn close(store: &mut crate::Store, actor: &Actor, period: &str) -> Result<Result<usize, String>, LedgerError> {
    store.write(|db| {
        let refuse = |why: String| -> Result<Result<usize, String>, LedgerError> {
            let why = format!("cannot close {period}: {why}");
            refusal_event(db, actor, None, "close", &why)?;
            Ok(Err(why))
        };
        if let Some(roles) = &actor.roles
            && let Err(why) = roles.allows(&actor.name, Action::Close)
        {
            return refuse(why);
        }
        if let Some((at, by)) = db.closed(period)? {
            return refuse(format!("{by} closed it at {at}"));
        }
        let docs = db.documents_of_period(period)?;
        if docs.is_empty() {
            return refuse("the ledger has no document of it".into());
        }
        let open: Vec<String> = docs
            .iter()
            .filter(|d| d.status.is_open())
            .map(|d| format!("{} ({})", d.number, d.status))
            .collect();
        if !open.is_empty() {
            let shown: Vec<&str> = open.iter().take(10).map(String::as_str).collect();
            let more = if open.len() > 10 {
                format!(" and {} more", open.len() - 10)
            } else {
                String::new()
            };
            return refuse(format!(
                "{} not sent yet: {}{more}",
                if open.len() == 1 {
                    "1 document is".to_owned()
                } else {
                    format!("{} documents are", open.len())
                },
                shown.join(", ")
            ));
        }
        db.close_period(period, &actor.name, &actor.at)?;
        db.append_event(&NewEvent {
            at: &actor.at,
            actor: &actor.name,
            action: "closed",
            document: None,
            run: None,
            from: None,
            to: None,
            reason: period,
            detail: serde_json::json!({ "period": period, "documents": docs.len() }).to_string(),
        })?;
        Ok(Ok(docs.len()))
    })
}
