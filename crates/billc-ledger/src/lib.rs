//! billc-ledger: the billing system of record. Every run, every version of every invoice, every
//! status change, payment and credit note, in one SQLite file (README → "The ledger").
//!
//! Modules, bottom to top (a module imports only modules listed before it): [`model`], [`digest`],
//! [`store`], [`roles`], [`log`], [`balance`], [`record`], [`actions`], [`payments`], [`verify`].
//! [`model`] is the vocabulary (statuses, documents, events); [`digest`] the content digests and
//! the audit log's hash chain; [`store`] the one module that knows SQL; [`roles`] who may do what;
//! [`log`] status changes and refusals as events; [`balance`] what a document owes; [`record`] a
//! run into versions (unchanged, superseded, credit note and replacement, withdrawn); [`actions`]
//! approve, reject, send, void, dispute, credit, adjust, close; [`payments`] payment import and
//! aging; [`verify`] the chain and the invariants recomputed.
//!
//! Above the billing crate (it reads a run's [`billc_billing::invoice::Invoice`]s); below the
//! command line. It never prints: what it did and what it refused are returned as values.

pub mod actions;
pub mod balance;
pub mod digest;
pub mod log;
pub mod model;
pub mod payments;
pub mod record;
pub mod roles;
pub mod store;
pub mod verify;

use std::fmt;
use std::path::{Path, PathBuf};

pub use store::{Mode, Store, StoreError};

/// The ledger file's name when no `--ledger` is given: `<out>/billing.db`.
pub const DEFAULT_FILE: &str = "billing.db";

/// The roles file's name, beside the ledger.
pub const ROLES_FILE: &str = "roles.csv";

/// Why a ledger command did not do what it was asked.
#[derive(Debug)]
pub enum LedgerError {
    /// The file cannot be used.
    Store(StoreError),
    /// The roles file cannot be read (names its line and reason).
    Roles(String),
    /// The input is wrong: an unknown invoice, a bad amount, a payments file with bad rows.
    Input(String),
}

impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerError::Store(e) => e.fmt(f),
            LedgerError::Roles(e) | LedgerError::Input(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for LedgerError {}

impl From<StoreError> for LedgerError {
    fn from(e: StoreError) -> Self {
        LedgerError::Store(e)
    }
}

/// Who acts, when, under which roles: given to every command that writes.
pub struct Actor {
    /// The user name (`--by`, or the operating system's user).
    pub name: String,
    /// The time of the command, `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC).
    pub at: String,
    /// The roles file, if there is one beside the ledger (without one, roles are not checked).
    pub roles: Option<roles::Roles>,
}

impl Actor {
    /// `name` acting now, with the roles file beside `ledger` (read if it exists).
    pub fn new(name: String, ledger: &Path) -> Result<Actor, LedgerError> {
        Ok(Actor {
            name,
            at: now(),
            roles: roles::Roles::beside(ledger)?,
        })
    }
}

/// The current time as the ledger writes it.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The user billc acts for when no `--by` is given: `$USER`, `$LOGNAME` or `$USERNAME`, else (on
/// Linux, where a service or a container often sets none of them) the name of the process's user
/// id in `/etc/passwd`.
pub fn os_user() -> Option<String> {
    ["USER", "LOGNAME", "USERNAME"]
        .into_iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|u| !u.trim().is_empty())
        .or_else(passwd_user)
}

fn passwd_user() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_owned();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid && !name.is_empty()).then(|| name.to_owned())
    })
}

/// The ledger of a run writing into `out`: `<out>/billing.db` unless `explicit`.
pub fn ledger_path(out: &Path, explicit: Option<&Path>) -> PathBuf {
    explicit.map_or_else(|| out.join(DEFAULT_FILE), Path::to_path_buf)
}

/// `{site}-{YYYYMM}-{GG}` of `{site}-{YYYYMM}-{GG}-{VV}`, and the version.
pub fn split_number(number: &str) -> Option<(&str, u32)> {
    let (base, version) = number.rsplit_once('-')?;
    let v: u32 = version.parse().ok()?;
    (version.len() == 2 && base.matches('-').count() == 2).then_some((base, v))
}

/// `{base}-{VV}`.
pub fn number_of(base: &str, version: u32) -> String {
    format!("{base}-{version:02}")
}
