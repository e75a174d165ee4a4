//! What a document owes: its total less the payments applied and the sent credit notes that correct
//! it, and the status that follows from that for a sent invoice.

use crate::LedgerError;
use crate::model::{Document, Kind, Status};
use crate::store::Db;
use rust_decimal::Decimal;

/// What a sent invoice still owes: its total less the payments applied and the sent credit notes
/// that correct it.
pub fn owed(db: &Db<'_>, doc: &Document) -> Result<Decimal, LedgerError> {
    let paid = db.paid(doc.id)?;
    let credited = credited(db, doc)?;
    doc.content
        .total
        .checked_sub(paid)
        .and_then(|o| o.checked_sub(credited))
        .ok_or_else(|| LedgerError::Input(format!("{}: the balance overflows", doc.number)))
}

/// What sent credit notes have credited on `doc` (a positive amount).
pub fn credited(db: &Db<'_>, doc: &Document) -> Result<Decimal, LedgerError> {
    db.credit_notes_of(doc.id)?
        .iter()
        .filter(|n| n.status.was_sent())
        .try_fold(Decimal::ZERO, |acc, n| acc.checked_sub(n.content.total))
        .ok_or_else(|| LedgerError::Input(format!("{}: credits overflow", doc.number)))
}

/// The status of a sent invoice from what was paid and credited on it (not disputed).
pub fn settled_status(db: &Db<'_>, doc: &Document) -> Result<Status, LedgerError> {
    if doc.content.kind == Kind::CreditNote {
        return Ok(Status::Sent);
    }
    let paid = db.paid(doc.id)?;
    let owed = owed(db, doc)?;
    Ok(if owed > Decimal::ZERO {
        if paid.is_zero() && credited(db, doc)?.is_zero() {
            Status::Sent
        } else {
            Status::PartiallyPaid
        }
    } else if paid.is_zero() {
        Status::Credited
    } else {
        Status::Paid
    })
}
