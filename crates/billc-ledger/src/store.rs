//! The ledger's storage: one SQLite file, its schema and its migrations, and every SQL statement
//! billc runs. Nothing outside this module knows there is SQL.
//!
//! The interface is narrow on purpose (README → "The ledger" → "Another database"): [`Store::open`],
//! [`Store::write`] (one transaction: everything inside it is committed together or not at all) and
//! [`Store::read`], and on [`Db`] the domain-level reads and writes the ledger's logic needs
//! (documents of a period, a document by number, appending an event, …). A server database would
//! implement the same methods over its own connection.
//!
//! Durability: WAL journal with `synchronous = FULL`, so a committed transaction survives a crash of
//! the process or the machine, and a `kill -9` at any moment leaves the last committed state
//! (tested by `tests/ledger_kill.rs`). A new ledger appears whole: made under another name and
//! linked into place ([`create_whole`]), so a kill while it is made leaves no ledger rather than a
//! file without a schema or with a hot journal. Every write of billc is one transaction begun
//! `IMMEDIATE` (the write lock is taken first, so two writers queue instead of failing half-way).
//!
//! Triggers make the audit log and a document's content append-only inside SQLite itself: an
//! `UPDATE` or `DELETE` of an event, of a line, or of a document's content columns is refused. A
//! hand edit that drops the triggers is still found by `billc ledger verify` (hash chain, digests).

use crate::digest::{self, EventFields};
use crate::model::{Content, Customer, Document, Event, Kind, Line, Payment, RunRow, Status};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use rust_decimal::Decimal;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Why the ledger cannot be used.
#[derive(Debug)]
pub enum StoreError {
    /// SQLite refused (the file is not a database, it is locked too long, a constraint failed, …).
    Sqlite { path: PathBuf, error: rusqlite::Error },
    /// There is no ledger at the path: no file, or (read-only) a file without a schema, as a `billc
    /// run` killed while creating it leaves (commands other than `run` never create one).
    Missing(PathBuf),
    /// The file was written by a newer billc (its schema version is above ours).
    Newer { path: PathBuf, found: u32, known: u32 },
    /// The file system refused (creating the ledger's file).
    Io { path: PathBuf, error: std::io::Error },
    /// A stored value cannot be read back (a hand edit put text where an amount belongs, …).
    Corrupt { path: PathBuf, what: String },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Sqlite { path, error } => write!(f, "{}: {error}", path.display()),
            StoreError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            StoreError::Missing(path) => write!(
                f,
                "{}: no ledger here (a `billc run` creates it; or give --ledger PATH)",
                path.display()
            ),
            StoreError::Newer { path, found, known } => write!(
                f,
                "{}: the ledger has schema version {found}, this billc knows up to {known}: use a newer billc",
                path.display()
            ),
            StoreError::Corrupt { path, what } => write!(f, "{}: {what} (run `billc ledger verify`)", path.display()),
        }
    }
}

impl std::error::Error for StoreError {}

/// The schema, one migration per version: `PRAGMA user_version` says how many have been applied.
/// A migration is never edited once released; a change is a new entry.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    period           TEXT NOT NULL,
    contracts_digest TEXT NOT NULL,
    data_digest      TEXT NOT NULL,
    billc_version    TEXT NOT NULL,
    actor            TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    finished_at      TEXT NOT NULL,
    options          TEXT NOT NULL,
    refused          INTEGER NOT NULL,
    invoices         INTEGER NOT NULL DEFAULT 0,
    created          INTEGER NOT NULL DEFAULT 0,
    unchanged        INTEGER NOT NULL DEFAULT 0,
    replaced         INTEGER NOT NULL DEFAULT 0,
    credit_notes     INTEGER NOT NULL DEFAULT 0,
    withdrawn        INTEGER NOT NULL DEFAULT 0,
    exceptions       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE run_exceptions (
    run_id   INTEGER NOT NULL REFERENCES runs(id),
    seq      INTEGER NOT NULL,
    site     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    location TEXT NOT NULL,
    message  TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE customers (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    parent           TEXT,
    credit_limit     TEXT,
    payment_terms    TEXT NOT NULL,
    billing_contacts TEXT NOT NULL
);
CREATE TABLE documents (
    id           INTEGER PRIMARY KEY,
    number       TEXT NOT NULL UNIQUE,
    base         TEXT NOT NULL,
    version      INTEGER NOT NULL CHECK (version BETWEEN 1 AND 99),
    kind         TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    period       TEXT NOT NULL,
    site         TEXT NOT NULL,
    customer     TEXT NOT NULL,
    customer_id  TEXT,
    contract     TEXT NOT NULL,
    grp          INTEGER NOT NULL,
    group_title  TEXT,
    date         TEXT NOT NULL,
    due          TEXT,
    terms        TEXT NOT NULL,
    total        TEXT NOT NULL,
    digest       TEXT NOT NULL,
    status       TEXT NOT NULL,
    reasons      TEXT NOT NULL,
    corrects     INTEGER REFERENCES documents(id),
    run_id       INTEGER REFERENCES runs(id),
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    sent_digest  TEXT,
    UNIQUE (base, version)
);
CREATE INDEX documents_period ON documents(period, base);
CREATE TABLE lines (
    document_id INTEGER NOT NULL REFERENCES documents(id),
    seq         INTEGER NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    gl          TEXT NOT NULL,
    amount      TEXT NOT NULL,
    tags        TEXT NOT NULL,
    origin      TEXT NOT NULL,
    PRIMARY KEY (document_id, seq)
) WITHOUT ROWID;
CREATE TABLE run_documents (
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    document_id INTEGER NOT NULL REFERENCES documents(id),
    outcome     TEXT NOT NULL,
    PRIMARY KEY (run_id, document_id)
) WITHOUT ROWID;
CREATE TABLE adjustments (
    id       INTEGER PRIMARY KEY,
    base     TEXT NOT NULL,
    period   TEXT NOT NULL,
    title    TEXT NOT NULL,
    gl       TEXT NOT NULL,
    amount   TEXT NOT NULL,
    reason   TEXT NOT NULL,
    actor    TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX adjustments_period ON adjustments(period, base);
CREATE TABLE payments (
    id          INTEGER PRIMARY KEY,
    reference   TEXT NOT NULL UNIQUE,
    invoice     TEXT NOT NULL,
    document_id INTEGER REFERENCES documents(id),
    date        TEXT NOT NULL,
    amount      TEXT NOT NULL,
    applied     TEXT NOT NULL,
    overpaid    TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('applied', 'unmatched')),
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX payments_document ON payments(document_id);
CREATE TABLE periods (
    period    TEXT PRIMARY KEY,
    closed_at TEXT NOT NULL,
    closed_by TEXT NOT NULL
);
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    document_id INTEGER REFERENCES documents(id),
    run_id      INTEGER REFERENCES runs(id),
    from_status TEXT,
    to_status   TEXT,
    reason      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX events_document ON events(document_id);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER lines_frozen_update BEFORE UPDATE ON lines
    BEGIN SELECT RAISE(ABORT, 'a document''s lines never change'); END;
CREATE TRIGGER lines_frozen_delete BEFORE DELETE ON lines
    BEGIN SELECT RAISE(ABORT, 'a document''s lines never change'); END;
CREATE TRIGGER documents_frozen BEFORE UPDATE OF number, base, version, kind, period, site, customer,
    customer_id, contract, grp, group_title, date, due, terms, total, digest, corrects, run_id,
    created_by, created_at ON documents
    BEGIN SELECT RAISE(ABORT, 'a document''s content never changes: make a new version'); END;
CREATE TRIGGER documents_kept BEFORE DELETE ON documents
    BEGIN SELECT RAISE(ABORT, 'documents are never deleted: void or credit them'); END;
CREATE TRIGGER payments_kept BEFORE DELETE ON payments
    BEGIN SELECT RAISE(ABORT, 'payments are never deleted'); END;
"#];

/// The schema version this billc writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// An open ledger file.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// How to open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Create the file if it does not exist (only `billc run`).
    Create,
    /// The file must exist; writes allowed.
    Write,
    /// The file must exist; opened read-only (the `billc ledger` readers, auditors).
    Read,
}

impl Store {
    /// Opens (or creates) the ledger at `path` and brings its schema up to date.
    pub fn open(path: &Path, mode: Mode) -> Result<Store, StoreError> {
        if mode != Mode::Create && !path.is_file() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        if mode == Mode::Create {
            let (dir, prefix) = creating(path);
            // Also when the ledger exists: a creation killed between linking and removing its name.
            remove_stale(dir, &prefix);
            if !path.exists() {
                create_whole(path)?;
            }
        }
        Store::open_file(path, mode)
    }

    fn open_file(path: &Path, mode: Mode) -> Result<Store, StoreError> {
        let flags = match mode {
            Mode::Read => OpenFlags::SQLITE_OPEN_READ_ONLY,
            Mode::Write => OpenFlags::SQLITE_OPEN_READ_WRITE,
            Mode::Create => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let sqlite = |error| StoreError::Sqlite {
            path: path.to_path_buf(),
            error,
        };
        let conn = Connection::open_with_flags(path, flags).map_err(sqlite)?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(sqlite)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        if mode != Mode::Read {
            store
                .conn
                .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
                .map_err(sqlite)?;
        }
        store.migrate(mode)?;
        Ok(store)
    }

    /// Closes the connection (a WAL file is checkpointed and removed when it is the file's last).
    fn close(self) -> Result<(), StoreError> {
        let path = self.path;
        self.conn
            .close()
            .map_err(|(_, error)| StoreError::Sqlite { path, error })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&mut self, mode: Mode) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sqlite = |error| StoreError::Sqlite {
            path: path.clone(),
            error,
        };
        let found: u32 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sqlite)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::Newer {
                path: self.path.clone(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        if mode == Mode::Read {
            // A file with no schema at all is no ledger: what a `billc run` killed between creating
            // the file and committing its schema leaves (the next run creates the schema in it).
            let tables: i64 = self
                .conn
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .map_err(sqlite)?;
            if found == 0 && tables == 0 {
                return Err(StoreError::Missing(self.path.clone()));
            }
            return Err(StoreError::Corrupt {
                path: self.path.clone(),
                what: format!(
                    "schema version {found} needs migrating to {SCHEMA_VERSION}: run a command that writes first"
                ),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sqlite)?;
            tx.execute_batch(sql).map_err(sqlite)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64).map_err(sqlite)?;
            tx.commit().map_err(sqlite)?;
        }
        Ok(())
    }

    /// Runs `work` in one transaction: committed if it returns `Ok`, rolled back otherwise (and if
    /// the process dies inside it).
    pub fn write<T, E: From<StoreError>>(&mut self, work: impl FnOnce(&Db<'_>) -> Result<T, E>) -> Result<T, E> {
        self.transaction(TransactionBehavior::Immediate, true, work)
    }

    /// Runs `work` over one consistent snapshot (a read transaction).
    pub fn read<T, E: From<StoreError>>(&mut self, work: impl FnOnce(&Db<'_>) -> Result<T, E>) -> Result<T, E> {
        self.transaction(TransactionBehavior::Deferred, false, work)
    }

    /// One transaction around `work`: committed (`commit`) or ended without writing.
    fn transaction<T, E: From<StoreError>>(
        &mut self,
        behavior: TransactionBehavior,
        commit: bool,
        work: impl FnOnce(&Db<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let path = self.path.clone();
        let sqlite = |error| StoreError::Sqlite {
            path: path.clone(),
            error,
        };
        let tx = self.conn.transaction_with_behavior(behavior).map_err(sqlite)?;
        let out = work(&Db {
            conn: &tx,
            path: &self.path,
        })?;
        if commit { tx.commit() } else { tx.finish() }.map_err(sqlite)?;
        Ok(out)
    }
}

/// Creates the ledger at `path` whole: the file and its schema are made under a name of their own
/// beside it (`.billing.db.creating-<pid>`), closed, and linked into place, so that `path` never
/// names a ledger half made. A run killed while creating it leaves no ledger (and a hidden file that
/// the next run removes), not a file whose hot rollback journal a read-only `billc ledger
/// verify` could not roll back. A link, not a rename: of two runs creating the same ledger at once,
/// the second keeps the first's file.
fn create_whole(path: &Path) -> Result<(), StoreError> {
    let io = |error| StoreError::Io {
        path: path.to_path_buf(),
        error,
    };
    let (dir, prefix) = creating(path);
    let temp = dir.join(format!("{prefix}{}", std::process::id()));
    remove_with_sidecars(&temp);
    let made = Store::open_file(&temp, Mode::Create)
        .and_then(Store::close)
        .map_err(|e| match e {
            // Named by the ledger's path: the temporary name is not the user's.
            StoreError::Sqlite { error, .. } => StoreError::Sqlite {
                path: path.to_path_buf(),
                error,
            },
            other => other,
        });
    let linked = made.and_then(|()| match std::fs::hard_link(&temp, path) {
        Ok(()) => Ok(()),
        // Another run created it meanwhile: its file is the ledger.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // A file system without hard links: a rename (which would replace a ledger made meanwhile).
        Err(_) => std::fs::rename(&temp, path).map_err(io),
    });
    remove_with_sidecars(&temp);
    linked?;
    // The new name survives a crash of the machine too (`synchronous = FULL`'s promise).
    std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io)
}

/// The folder of a ledger and the name, but for the process id, of the file it is created as.
fn creating(path: &Path) -> (&Path, String) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    (dir, format!(".{name}.creating-"))
}

/// Removes a file and SQLite's files beside it, if there are any.
fn remove_with_sidecars(file: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// Removes what a killed creation left in `dir`: the files `<prefix><pid>` (and their journals)
/// whose process is gone. Only where `/proc` says which processes run; best effort.
fn remove_stale(dir: &Path, prefix: &str) {
    let proc = Path::new("/proc/self");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    if !proc.is_dir() {
        return;
    }
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(prefix) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The ledger inside a transaction: every read and write billc makes.
pub struct Db<'a> {
    conn: &'a Connection,
    path: &'a Path,
}

/// A new event (its id and hashes are given by [`Db::append_event`]).
pub struct NewEvent<'a> {
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub document: Option<i64>,
    pub run: Option<i64>,
    pub from: Option<Status>,
    pub to: Option<Status>,
    pub reason: &'a str,
    pub detail: String,
}

/// A new document.
pub struct NewDocument<'a> {
    pub number: &'a str,
    pub version: u32,
    pub content: &'a Content,
    pub digest: &'a str,
    pub status: Status,
    pub reasons: &'a [String],
    pub corrects: Option<i64>,
    pub run: Option<i64>,
    pub actor: &'a str,
    pub at: &'a str,
}

/// What a document's rows hold, read back without trusting them (for `verify`).
pub struct StoredDocument {
    pub document: Document,
    pub sent_digest: Option<String>,
    pub corrects_id: Option<i64>,
}

const DOCUMENT_COLUMNS: &str = "d.id, d.number, d.base, d.version, d.kind, d.period, d.site, d.customer, \
     d.customer_id, d.contract, d.grp, d.group_title, d.date, d.due, d.terms, d.total, d.digest, d.status, \
     d.reasons, c.number, d.run_id, d.created_by, d.created_at, d.sent_digest, d.corrects";

impl Db<'_> {
    fn sqlite(&self, error: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.to_path_buf(),
            error,
        }
    }

    fn corrupt(&self, what: String) -> StoreError {
        StoreError::Corrupt {
            path: self.path.to_path_buf(),
            what,
        }
    }

    fn decimal(&self, text: &str, what: &str) -> Result<Decimal, StoreError> {
        Decimal::from_str(text).map_err(|_| self.corrupt(format!("{what} `{text}` is not an amount")))
    }

    fn status(&self, text: &str) -> Result<Status, StoreError> {
        Status::parse(text).ok_or_else(|| self.corrupt(format!("`{text}` is not a status")))
    }

    // ---- runs ------------------------------------------------------------------------------

    /// Records a run (its counts are set by [`Db::set_run_counts`] once known). Returns its id.
    #[allow(clippy::too_many_arguments, reason = "one column each, named at the one call site")]
    pub fn insert_run(
        &self,
        period: &str,
        contracts_digest: &str,
        data_digest: &str,
        billc_version: &str,
        actor: &str,
        started_at: &str,
        finished_at: &str,
        options: &str,
        refused: bool,
    ) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO runs (period, contracts_digest, data_digest, billc_version, actor, started_at, \
                 finished_at, options, refused) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    period,
                    contracts_digest,
                    data_digest,
                    billc_version,
                    actor,
                    started_at,
                    finished_at,
                    options,
                    refused
                ])
            })
            .map_err(|e| self.sqlite(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The counts of a run.
    pub fn set_run_counts(&self, run: i64, counts: &RunCounts) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE runs SET invoices = ?2, created = ?3, unchanged = ?4, replaced = ?5, credit_notes = ?6, \
                 withdrawn = ?7, exceptions = ?8 WHERE id = ?1",
                params![
                    run,
                    counts.invoices,
                    counts.created,
                    counts.unchanged,
                    counts.replaced,
                    counts.credit_notes,
                    counts.withdrawn,
                    counts.exceptions
                ],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// One exception of a run.
    pub fn insert_exception(
        &self,
        run: i64,
        seq: usize,
        site: &str,
        kind: &str,
        location: &str,
        message: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO run_exceptions (run_id, seq, site, kind, location, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| s.execute(params![run, seq as i64, site, kind, location, message]))
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, period, contracts_digest, data_digest, billc_version, actor, started_at, finished_at, \
                 options, refused, invoices, created, unchanged, replaced, credit_notes, withdrawn, exceptions \
                 FROM runs ORDER BY id",
            )
            .map_err(|e| self.sqlite(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(RunRow {
                    id: r.get(0)?,
                    period: r.get(1)?,
                    contracts_digest: r.get(2)?,
                    data_digest: r.get(3)?,
                    billc: r.get(4)?,
                    actor: r.get(5)?,
                    started_at: r.get(6)?,
                    finished_at: r.get(7)?,
                    options: r.get(8)?,
                    refused: r.get(9)?,
                    invoices: r.get(10)?,
                    created: r.get(11)?,
                    unchanged: r.get(12)?,
                    replaced: r.get(13)?,
                    credit_notes: r.get(14)?,
                    withdrawn: r.get(15)?,
                    exceptions: r.get(16)?,
                })
            })
            .map_err(|e| self.sqlite(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))
    }

    /// Who made run `id`.
    pub fn run_actor(&self, run: i64) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT actor FROM runs WHERE id = ?1", [run], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    // ---- customers -------------------------------------------------------------------------

    /// Replaces the customer master with `customers` (the run's `customers.csv`). Customers no
    /// longer in the file are kept: documents still name them.
    pub fn upsert_customers(&self, customers: &[Customer]) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO customers (id, name, parent, credit_limit, payment_terms, billing_contacts) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(id) DO UPDATE SET name = excluded.name, \
                 parent = excluded.parent, credit_limit = excluded.credit_limit, \
                 payment_terms = excluded.payment_terms, billing_contacts = excluded.billing_contacts",
            )
            .map_err(|e| self.sqlite(e))?;
        for c in customers {
            stmt.execute(params![
                c.id,
                c.name,
                c.parent,
                c.credit_limit.map(|l| l.to_string()),
                c.payment_terms,
                c.billing_contacts.join(";")
            ])
            .map_err(|e| self.sqlite(e))?;
        }
        Ok(())
    }

    /// The customer master, by id.
    pub fn customers(&self) -> Result<Vec<Customer>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, name, parent, credit_limit, payment_terms, billing_contacts FROM customers ORDER BY id",
            )
            .map_err(|e| self.sqlite(e))?;
        type Raw = (String, String, Option<String>, Option<String>, String, String);
        let raw: Vec<Raw> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .map_err(|e| self.sqlite(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sqlite(e))?;
        raw.into_iter()
            .map(|(id, name, parent, limit, payment_terms, contacts)| {
                Ok(Customer {
                    credit_limit: limit.map(|l| self.decimal(&l, "credit limit")).transpose()?,
                    id,
                    name,
                    parent,
                    payment_terms,
                    billing_contacts: contacts
                        .split(';')
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            })
            .collect()
    }

    // ---- documents -------------------------------------------------------------------------

    /// Inserts a document and its lines. Returns its id.
    pub fn insert_document(&self, d: &NewDocument<'_>) -> Result<i64, StoreError> {
        let c = d.content;
        let reasons = serde_json::to_string(d.reasons).map_err(|e| self.corrupt(e.to_string()))?;
        self.conn
            .prepare_cached(
                "INSERT INTO documents (number, base, version, kind, period, site, customer, customer_id, contract, \
                 grp, group_title, date, due, terms, total, digest, status, reasons, corrects, run_id, created_by, \
                 created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
                 ?18, ?19, ?20, ?21, ?22)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    d.number,
                    c.base,
                    d.version,
                    c.kind.as_str(),
                    c.period,
                    c.site,
                    c.customer,
                    c.customer_id,
                    c.contract,
                    c.group,
                    c.group_title,
                    c.date,
                    c.due,
                    c.terms,
                    c.total.to_string(),
                    d.digest,
                    d.status.as_str(),
                    reasons,
                    d.corrects,
                    d.run,
                    d.actor,
                    d.at
                ])
            })
            .map_err(|e| self.sqlite(e))?;
        let id = self.conn.last_insert_rowid();
        let mut stmt = self
            .conn
            .prepare_cached(
                "INSERT INTO lines (document_id, seq, title, description, gl, amount, tags, origin) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(|e| self.sqlite(e))?;
        for (seq, line) in c.lines.iter().enumerate() {
            let tags = serde_json::to_string(&line.tags).map_err(|e| self.corrupt(e.to_string()))?;
            stmt.execute(params![
                id,
                seq as i64,
                line.title,
                line.description,
                line.gl,
                line.amount.to_string(),
                tags,
                line.origin
            ])
            .map_err(|e| self.sqlite(e))?;
        }
        Ok(id)
    }

    /// Sets a document's status (its content never changes).
    pub fn set_status(&self, document: i64, status: Status) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE documents SET status = ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![document, status.as_str()]))
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Sets the status and the reasons of a document the run just made (a credit limit found after
    /// the versions were assigned).
    pub fn set_status_reasons(&self, document: i64, status: Status, reasons: &[String]) -> Result<(), StoreError> {
        let reasons = serde_json::to_string(reasons).map_err(|e| self.corrupt(e.to_string()))?;
        self.conn
            .execute(
                "UPDATE documents SET status = ?2, reasons = ?3 WHERE id = ?1",
                params![document, status.as_str(), reasons],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Records the digest a document had when it was sent.
    pub fn set_sent_digest(&self, document: i64, digest: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE documents SET sent_digest = ?2 WHERE id = ?1",
                params![document, digest],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Links a document to a run with what the run did to it (`created`, `unchanged`, `replaced`,
    /// `credit_note`, `withdrawn`): the run log.
    pub fn link_run(&self, run: i64, document: i64, outcome: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO run_documents (run_id, document_id, outcome) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![run, document, outcome]))
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    fn documents_where(&self, clause: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<StoredDocument>, StoreError> {
        let sql =
            format!("SELECT {DOCUMENT_COLUMNS} FROM documents d LEFT JOIN documents c ON c.id = d.corrects {clause}");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.sqlite(e))?;
        type Raw = (
            (i64, String, String, u32, String, String, String, String),
            (
                Option<String>,
                String,
                u32,
                Option<String>,
                String,
                Option<String>,
                String,
                String,
            ),
            (
                String,
                String,
                String,
                Option<String>,
                Option<i64>,
                String,
                String,
                Option<String>,
            ),
            Option<i64>,
        );
        let raw: Vec<Raw> = stmt
            .query_map(args, |r| {
                Ok((
                    (
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ),
                    (
                        r.get(8)?,
                        r.get(9)?,
                        r.get(10)?,
                        r.get(11)?,
                        r.get(12)?,
                        r.get(13)?,
                        r.get(14)?,
                        r.get(15)?,
                    ),
                    (
                        r.get(16)?,
                        r.get(17)?,
                        r.get(18)?,
                        r.get(19)?,
                        r.get(20)?,
                        r.get(21)?,
                        r.get(22)?,
                        r.get(23)?,
                    ),
                    r.get(24)?,
                ))
            })
            .map_err(|e| self.sqlite(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sqlite(e))?;
        let mut out = Vec::with_capacity(raw.len());
        for (
            (id, number, base, version, kind, period, site, customer),
            (customer_id, contract, group, group_title, date, due, terms, total),
            (digest, status, reasons, corrects, run, created_by, created_at, sent_digest),
            corrects_id,
        ) in raw
        {
            let kind = Kind::parse(&kind).ok_or_else(|| self.corrupt(format!("`{kind}` is not a document kind")))?;
            let reasons: Vec<String> = serde_json::from_str(&reasons)
                .map_err(|_| self.corrupt(format!("{number}: reasons `{reasons}` are not a JSON list")))?;
            let document = Document {
                id,
                version,
                status: self.status(&status)?,
                reasons,
                corrects,
                run,
                created_by,
                created_at,
                digest,
                content: Content {
                    base,
                    kind,
                    period,
                    site,
                    customer,
                    customer_id,
                    contract,
                    group,
                    group_title,
                    date,
                    due,
                    terms,
                    total: self.decimal(&total, &format!("{number}: total"))?,
                    lines: Vec::new(),
                },
                number,
            };
            out.push(StoredDocument {
                document,
                sent_digest,
                corrects_id,
            });
        }
        Ok(out)
    }

    /// The lines of a document, in order.
    pub fn lines(&self, document: i64) -> Result<Vec<Line>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT title, description, gl, amount, tags, origin FROM lines WHERE document_id = ?1 ORDER BY seq",
            )
            .map_err(|e| self.sqlite(e))?;
        let raw: Vec<(String, String, String, String, String, String)> = stmt
            .query_map([document], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .map_err(|e| self.sqlite(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sqlite(e))?;
        raw.into_iter()
            .map(|(title, description, gl, amount, tags, origin)| {
                Ok(Line {
                    amount: self.decimal(&amount, "line amount")?,
                    tags: serde_json::from_str(&tags)
                        .map_err(|_| self.corrupt(format!("tags `{tags}` are not a JSON list")))?,
                    title,
                    description,
                    gl,
                    origin,
                })
            })
            .collect()
    }

    /// Every document of a service month, by number, without lines.
    pub fn documents_of_period(&self, period: &str) -> Result<Vec<Document>, StoreError> {
        Ok(self
            .documents_where("WHERE d.period = ?1 ORDER BY d.number", &[&period])?
            .into_iter()
            .map(|s| s.document)
            .collect())
    }

    /// Documents chosen by period, status and site (each optional), by number, without lines.
    pub fn select(
        &self,
        period: Option<&str>,
        status: Option<Status>,
        site: Option<&str>,
    ) -> Result<Vec<Document>, StoreError> {
        let status = status.map(Status::as_str);
        Ok(self
            .documents_where(
                "WHERE (?1 IS NULL OR d.period = ?1) AND (?2 IS NULL OR d.status = ?2) AND (?3 IS NULL OR d.site = ?3) \
                 ORDER BY d.number",
                &[&period, &status, &site],
            )?
            .into_iter()
            .map(|s| s.document)
            .collect())
    }

    /// A document by number, with its lines.
    pub fn document(&self, number: &str) -> Result<Option<Document>, StoreError> {
        let Some(found) = self
            .documents_where("WHERE d.number = ?1", &[&number])?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let mut d = found.document;
        d.content.lines = self.lines(d.id)?;
        Ok(Some(d))
    }

    /// Every version of a number's base (`0238-202503-01`), oldest first, with lines.
    pub fn versions(&self, base: &str) -> Result<Vec<Document>, StoreError> {
        let mut docs: Vec<Document> = self
            .documents_where("WHERE d.base = ?1 ORDER BY d.version", &[&base])?
            .into_iter()
            .map(|s| s.document)
            .collect();
        for d in &mut docs {
            d.content.lines = self.lines(d.id)?;
        }
        Ok(docs)
    }

    /// Every document with its lines, its digest at sending and the id it corrects (for `verify`).
    pub fn all_documents(&self) -> Result<Vec<StoredDocument>, StoreError> {
        let mut docs = self.documents_where("ORDER BY d.id", &[])?;
        for d in &mut docs {
            d.document.content.lines = self.lines(d.document.id)?;
        }
        Ok(docs)
    }

    /// The credit notes that correct document `id`.
    pub fn credit_notes_of(&self, document: i64) -> Result<Vec<Document>, StoreError> {
        Ok(self
            .documents_where(
                "WHERE d.corrects = ?1 AND d.kind = 'credit_note' ORDER BY d.id",
                &[&document],
            )?
            .into_iter()
            .map(|s| s.document)
            .collect())
    }

    /// The ad-hoc lines `billc adjust` recorded for a period, by base, in the order recorded.
    pub fn adjustments(&self, period: &str) -> Result<Vec<(String, Line)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT base, title, gl, amount, reason FROM adjustments WHERE period = ?1 ORDER BY id")
            .map_err(|e| self.sqlite(e))?;
        let raw: Vec<(String, String, String, String, String)> = stmt
            .query_map([period], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .map_err(|e| self.sqlite(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sqlite(e))?;
        raw.into_iter()
            .map(|(base, title, gl, amount, reason)| {
                Ok((
                    base,
                    Line {
                        amount: self.decimal(&amount, "adjustment amount")?,
                        title,
                        description: reason,
                        gl,
                        tags: vec![crate::model::ADJUSTMENT_TAG.into()],
                        origin: "adjustment".into(),
                    },
                ))
            })
            .collect()
    }

    /// Records an ad-hoc line for a base.
    pub fn insert_adjustment(
        &self,
        base: &str,
        period: &str,
        line: &Line,
        actor: &str,
        at: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO adjustments (base, period, title, gl, amount, reason, actor, at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    base,
                    period,
                    line.title,
                    line.gl,
                    line.amount.to_string(),
                    line.description,
                    actor,
                    at
                ],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    // ---- payments --------------------------------------------------------------------------

    /// What was applied to a document from payments.
    pub fn paid(&self, document: i64) -> Result<Decimal, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT applied FROM payments WHERE document_id = ?1")
            .map_err(|e| self.sqlite(e))?;
        let raw: Vec<String> = stmt
            .query_map([document], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sqlite(e))?;
        raw.iter().try_fold(Decimal::ZERO, |acc, a| {
            acc.checked_add(self.decimal(a, "payment")?)
                .ok_or_else(|| self.corrupt("payments overflow".into()))
        })
    }

    /// A payment by its reference.
    pub fn payment(&self, reference: &str) -> Result<Option<Payment>, StoreError> {
        Ok(self
            .payments_where("WHERE reference = ?1", &[&reference])?
            .into_iter()
            .next())
    }

    /// Payments of a document (or, with `None`, every payment), in the order recorded.
    pub fn payments(&self, document: Option<i64>) -> Result<Vec<Payment>, StoreError> {
        match document {
            Some(d) => self.payments_where("WHERE document_id = ?1 ORDER BY id", &[&d]),
            None => self.payments_where("ORDER BY id", &[]),
        }
    }

    /// Every payment with the id of the document it was applied to.
    pub fn payments_with_documents(&self) -> Result<Vec<(Option<i64>, Payment)>, StoreError> {
        let ids: Vec<Option<i64>> = {
            let mut stmt = self
                .conn
                .prepare("SELECT document_id FROM payments ORDER BY id")
                .map_err(|e| self.sqlite(e))?;
            stmt.query_map([], |r| r.get(0))
                .map_err(|e| self.sqlite(e))?
                .collect::<Result<_, _>>()
                .map_err(|e| self.sqlite(e))?
        };
        Ok(ids.into_iter().zip(self.payments(None)?).collect())
    }

    fn payments_where(&self, clause: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<Payment>, StoreError> {
        let sql = format!(
            "SELECT reference, invoice, date, amount, applied, overpaid, outcome, reason FROM payments {clause}"
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.sqlite(e))?;
        type Raw = (String, String, String, String, String, String, String, String);
        let raw: Vec<Raw> = stmt
            .query_map(args, |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .map_err(|e| self.sqlite(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sqlite(e))?;
        raw.into_iter()
            .map(
                |(reference, invoice, date, amount, applied, overpaid, outcome, reason)| {
                    Ok(Payment {
                        amount: self.decimal(&amount, "payment amount")?,
                        applied: self.decimal(&applied, "payment applied")?,
                        overpaid: self.decimal(&overpaid, "payment overpaid")?,
                        reference,
                        invoice,
                        date,
                        outcome,
                        reason,
                    })
                },
            )
            .collect()
    }

    /// Records a payment.
    pub fn insert_payment(&self, p: &Payment, document: Option<i64>, actor: &str, at: &str) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO payments (reference, invoice, document_id, date, amount, applied, overpaid, outcome, \
                 reason, actor, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    p.reference,
                    p.invoice,
                    document,
                    p.date,
                    p.amount.to_string(),
                    p.applied.to_string(),
                    p.overpaid.to_string(),
                    p.outcome,
                    p.reason,
                    actor,
                    at
                ])
            })
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    // ---- periods ---------------------------------------------------------------------------

    /// When and by whom a period was closed.
    pub fn closed(&self, period: &str) -> Result<Option<(String, String)>, StoreError> {
        self.conn
            .query_row(
                "SELECT closed_at, closed_by FROM periods WHERE period = ?1",
                [period],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    /// Closes a period.
    pub fn close_period(&self, period: &str, actor: &str, at: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO periods (period, closed_at, closed_by) VALUES (?1, ?2, ?3)",
                params![period, at, actor],
            )
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    // ---- events ----------------------------------------------------------------------------

    /// Appends an event after the last one, chaining its hash. Returns its id.
    pub fn append_event(&self, e: &NewEvent<'_>) -> Result<i64, StoreError> {
        let last: Option<(i64, String)> = self
            .conn
            .prepare_cached("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1")
            .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(|e| self.sqlite(e))?;
        let (id, prev_hash) = match last {
            Some((id, hash)) => (id + 1, hash),
            None => (1, digest::GENESIS.to_owned()),
        };
        let hash = digest::event(&EventFields {
            id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            document: e.document,
            run: e.run,
            from: e.from,
            to: e.to,
            reason: e.reason,
            detail: &e.detail,
            prev_hash: &prev_hash,
        });
        self.conn
            .prepare_cached(
                "INSERT INTO events (id, at, actor, action, document_id, run_id, from_status, to_status, reason, \
                 detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    id,
                    e.at,
                    e.actor,
                    e.action,
                    e.document,
                    e.run,
                    e.from.map(Status::as_str),
                    e.to.map(Status::as_str),
                    e.reason,
                    e.detail,
                    prev_hash,
                    hash
                ])
            })
            .map_err(|e| self.sqlite(e))?;
        Ok(id)
    }

    /// Events, oldest first: all of them, or those of one document.
    pub fn events(&self, document: Option<i64>) -> Result<Vec<(Option<i64>, Event)>, StoreError> {
        let sql = "SELECT e.id, e.at, e.actor, e.action, d.number, e.run_id, e.from_status, e.to_status, e.reason, \
                   e.detail, e.prev_hash, e.hash, e.document_id FROM events e LEFT JOIN documents d ON d.id = e.document_id \
                   WHERE (?1 IS NULL OR e.document_id = ?1) ORDER BY e.id";
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.sqlite(e))?;
        type Raw = (
            (i64, String, String, String, Option<String>, Option<i64>),
            (
                Option<String>,
                Option<String>,
                String,
                String,
                String,
                String,
                Option<i64>,
            ),
        );
        let raw: Vec<Raw> = stmt
            .query_map([document], |r| {
                Ok((
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
                    (
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                        r.get(9)?,
                        r.get(10)?,
                        r.get(11)?,
                        r.get(12)?,
                    ),
                ))
            })
            .map_err(|e| self.sqlite(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sqlite(e))?;
        raw.into_iter()
            .map(
                |((id, at, actor, action, number, run), (from, to, reason, detail, prev_hash, hash, doc))| {
                    Ok((
                        doc,
                        Event {
                            id,
                            at,
                            actor,
                            action,
                            number,
                            run,
                            from: from.map(|s| self.status(&s)).transpose()?,
                            to: to.map(|s| self.status(&s)).transpose()?,
                            reason,
                            detail,
                            prev_hash,
                            hash,
                        },
                    ))
                },
            )
            .collect()
    }

    /// `PRAGMA integrity_check`: `ok`, or what SQLite found.
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.sqlite(e))?;
        stmt.query_map([], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sqlite(e))
    }
}

/// What a run did, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunCounts {
    pub invoices: i64,
    pub created: i64,
    pub unchanged: i64,
    pub replaced: i64,
    pub credit_notes: i64,
    pub withdrawn: i64,
    pub exceptions: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a `billc run` killed between creating the file and committing its schema leaves is no
    /// ledger to a reader, and the next run creates the schema in it.
    #[test]
    fn a_file_without_a_schema_is_no_ledger_until_a_run_creates_one() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, b"").unwrap();
        // Killed after `PRAGMA journal_mode = WAL` (which writes the header) and before the migration.
        let header = dir.path().join("header.db");
        Connection::open(&header)
            .unwrap()
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
            .unwrap();
        for path in [&empty, &header] {
            assert!(matches!(Store::open(path, Mode::Read), Err(StoreError::Missing(p)) if p == *path));
            Store::open(path, Mode::Create).unwrap();
            let mut store = Store::open(path, Mode::Read).unwrap();
            let runs = store.read(|db| db.runs()).unwrap();
            assert!(runs.is_empty());
        }
        // A database of something else (tables, no billc schema) is not taken for a missing ledger.
        let other = dir.path().join("other.db");
        Connection::open(&other)
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        assert!(matches!(
            Store::open(&other, Mode::Read),
            Err(StoreError::Corrupt { .. })
        ));
    }

    /// A new ledger is made under a name of its own and linked into place; what a killed creation
    /// left (its process gone) is removed, and nothing else is left beside the ledger.
    #[test]
    fn a_new_ledger_appears_whole_and_a_killed_creation_is_cleaned_up() {
        let dir = tempfile::tempdir().unwrap();
        // Above Linux's largest pid: no process has it.
        let stale = dir.path().join(".billing.db.creating-4194305");
        std::fs::write(&stale, b"").unwrap();
        std::fs::write(dir.path().join(".billing.db.creating-4194305-journal"), b"x").unwrap();
        let path = dir.path().join("billing.db");
        let mut store = Store::open(&path, Mode::Create).unwrap();
        assert!(store.read(|db| db.runs()).unwrap().is_empty());
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["billing.db", "billing.db-shm", "billing.db-wal"]);
        drop(store);
        assert!(Store::open(&path, Mode::Read).is_ok());
    }
}
