//! Writing the audit log: a status change with its event, and a refusal as an event. Every module
//! that changes a document's status goes through [`transition`], so no status is ever set without
//! the event that says who set it, when and why.

use crate::model::{Document, Status};
use crate::roles::Action;
use crate::store::{Db, NewEvent};
use crate::{Actor, LedgerError};

/// Writes a status change and its event.
#[allow(clippy::too_many_arguments, reason = "one event's fields")]
pub fn transition(
    db: &Db<'_>,
    actor: &Actor,
    run: Option<i64>,
    doc: &Document,
    to: Status,
    action: &str,
    why: &str,
    detail: String,
) -> Result<(), LedgerError> {
    db.set_status(doc.id, to)?;
    db.append_event(&NewEvent {
        at: &actor.at,
        actor: &actor.name,
        action,
        document: Some(doc.id),
        run,
        from: Some(doc.status),
        to: Some(to),
        reason: why,
        detail,
    })?;
    Ok(())
}

/// Logs a refusal in its own transaction (for refusals found before any write).
pub fn log_refusal(
    store: &mut crate::Store,
    actor: &Actor,
    document: Option<i64>,
    action: Action,
    why: &str,
) -> Result<(), LedgerError> {
    store.write(|db| refusal_event(db, actor, document, action.as_str(), why))
}

pub fn refusal_event(
    db: &Db<'_>,
    actor: &Actor,
    document: Option<i64>,
    command: &str,
    why: &str,
) -> Result<(), LedgerError> {
    db.append_event(&NewEvent {
        at: &actor.at,
        actor: &actor.name,
        action: "refused",
        document,
        run: None,
        from: None,
        to: None,
        reason: why,
        detail: serde_json::json!({ "command": command }).to_string(),
    })?;
    Ok(())
}
