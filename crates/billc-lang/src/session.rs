//! A compilation session: the embedded standard library plus the user's files in one salsa
//! database; the driver behind `billc check`, `billc test` and `billc run`.
//!
//! Diagnostics are read here (never inside queries). Plans come out with the session's source index
//! attached, so traces can name files and lines.

use crate::db::{self, BillDb, ModuleKey, SourceFile, Workspace};
use crate::diag::Diagnostic;
use crate::plan::{Plan, SourceIndex};
use salsa::{Durability, Setter};
use std::sync::Arc;

/// The standard library, embedded in the binary (nickel's pattern): (path, text).
pub const STDLIB: &[(&str, &str)] = &[
    (
        "stdlib/towne_park.bill",
        include_str!("../../../stdlib/towne_park.bill"),
    ),
    ("stdlib/pricing.bill", include_str!("../../../stdlib/pricing.bill")),
];

/// A set of sources being checked together.
pub struct Session {
    pub db: BillDb,
    workspace: Workspace,
    files: Vec<SourceFile>,
    /// How many of `files` are the embedded standard library.
    stdlib_count: usize,
    /// (path, text) of every file by id, kept in step with the database: the source index handed
    /// to plans is a copy of reference counts, not of texts.
    texts: Vec<(Arc<str>, Arc<str>)>,
    /// The source index handed to plans, rebuilt only after an edit.
    index: std::sync::OnceLock<Arc<SourceIndex>>,
}

impl Default for Session {
    fn default() -> Self {
        Session::new(BillDb::default())
    }
}

impl Session {
    /// A session holding the standard library.
    pub fn new(db: BillDb) -> Session {
        let workspace = Workspace::new(&db, Vec::new());
        let mut s = Session {
            db,
            workspace,
            files: Vec::new(),
            stdlib_count: 0,
            texts: Vec::new(),
            index: std::sync::OnceLock::new(),
        };
        for (path, text) in STDLIB {
            s.add_file(path, text);
        }
        s.stdlib_count = s.files.len();
        s
    }

    /// Adds a source file. A file with the same path as a standard-library module replaces it
    /// (so that `billc check stdlib/` checks the files on disk).
    pub fn add_file(&mut self, path: &str, text: &str) -> SourceFile {
        let text = &*normalize_text(text);
        if let Some(existing) = self
            .files
            .iter()
            .take(self.stdlib_count)
            .find(|f| same_path(f.path(&self.db), path))
            .copied()
        {
            let text: Arc<str> = Arc::from(text);
            existing.set_text(&mut self.db).to(text.clone());
            let kept = Arc::from(existing.path(&self.db).as_str());
            self.remember(existing, kept, text);
            return existing;
        }
        let id = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        // Durability (salsa): the standard library rarely changes (HIGH), files as loaded are MEDIUM,
        // and a file edited through `set_text` becomes LOW. After an edit of a LOW file, salsa knows
        // without looking that nothing MEDIUM or HIGH changed, so the memos of the other files are
        // reused without walking their dependencies (re-checking 10,000 contracts after one edit
        // costs a few ms instead of tens; see benches/check.rs).
        let durability = if self.stdlib_count == 0 && is_stdlib(path) {
            Durability::HIGH
        } else {
            Durability::MEDIUM
        };
        // The text is shared by the database and the source index of plans, not copied.
        let text: Arc<str> = Arc::from(text);
        let file = SourceFile::builder(path.to_string(), text.clone(), id)
            .durability(durability)
            .new(&self.db);
        self.files.push(file);
        self.remember(file, Arc::from(path), text);
        // The workspace's list grows by one: take it out of the database and put it back longer,
        // rather than copying `files` (which made loading n files cost n² copies).
        let mut listed = self
            .workspace
            .set_files(&mut self.db)
            .with_durability(Durability::MEDIUM)
            .to(Vec::new());
        listed.push(file);
        self.workspace
            .set_files(&mut self.db)
            .with_durability(Durability::MEDIUM)
            .to(listed);
        file
    }

    /// Replaces a file's text (a new salsa revision). The file becomes LOW durability: it is being
    /// edited, and its next edits invalidate only what depends on it.
    pub fn set_text(&mut self, file: SourceFile, text: &str) {
        let text: Arc<str> = Arc::from(&*normalize_text(text));
        file.set_text(&mut self.db)
            .with_durability(Durability::LOW)
            .to(text.clone());
        let path = Arc::from(file.path(&self.db).as_str());
        self.remember(file, path, text);
    }

    /// Keeps `texts` in step with a file's new text and drops the cached index.
    fn remember(&mut self, file: SourceFile, path: Arc<str>, text: Arc<str>) {
        let id = file.id(&self.db) as usize;
        if id == self.texts.len() {
            self.texts.push((path, text));
        } else {
            let empty: Arc<str> = Arc::from("");
            while self.texts.len() <= id {
                self.texts.push((empty.clone(), empty.clone()));
            }
            if let Some(slot) = self.texts.get_mut(id) {
                *slot = (path, text);
            }
        }
        self.index = std::sync::OnceLock::new();
    }

    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The user's files (not the embedded standard library).
    pub fn user_files(&self) -> &[SourceFile] {
        self.files.get(self.stdlib_count..).unwrap_or(&[])
    }

    /// (path, text) of every file, indexed by file id, for rendering diagnostics.
    pub fn sources(&self) -> Vec<(String, String)> {
        self.files
            .iter()
            .map(|f| (f.path(&self.db).clone(), f.text(&self.db).to_string()))
            .collect()
    }

    /// Every file's path and text, for turning spans into `file:line` (shared by the plans).
    pub(crate) fn index(&self) -> Arc<SourceIndex> {
        self.index
            .get_or_init(|| Arc::new(SourceIndex::new(self.texts.clone())))
            .clone()
    }

    fn module_key(&self, file: SourceFile) -> ModuleKey<'_> {
        ModuleKey::new(&self.db, self.workspace, file)
    }

    /// Every diagnostic of the given files (syntax, modules, contracts), in file order.
    pub fn diagnostics(&self, files: &[SourceFile]) -> Vec<Diagnostic> {
        self.check(files).0
    }

    /// The compiled plans of the given files (contracts with errors have none), with sources.
    pub fn plans(&self, files: &[SourceFile]) -> Vec<Arc<Plan>> {
        self.check(files).1
    }

    /// Diagnostics and plans in one pass: one salsa query per file (`db::check_file`), so that
    /// re-checking a large workspace after one edit costs little more than the edited file.
    pub fn check(&self, files: &[SourceFile]) -> (Vec<Diagnostic>, Vec<Arc<Plan>>) {
        use rayon::prelude::*;
        let index = self.index();
        // Files are checked in parallel, each worker on its own handle of the same database (salsa
        // shares the memos between handles); results are gathered in file order.
        let workspace = self.workspace;
        let outputs: Vec<Arc<db::FileOutput>> = files
            .par_iter()
            .map_with(self.db.clone(), |db, f| {
                db::check_file(&*db, ModuleKey::new(&*db, workspace, *f))
            })
            .collect();
        let mut diags = Vec::new();
        let mut plans = Vec::new();
        for out in outputs {
            diags.extend(out.diags.iter().cloned());
            // Two reference counts per plan, not a copy of it.
            plans.extend(out.plans.iter().map(|p| {
                Arc::new(Plan {
                    body: p.body.clone(),
                    sources: index.clone(),
                })
            }));
        }
        diags.extend(self.duplicate_sites(files));
        (diags, plans)
    }

    /// Two contracts for one site (in two files, or twice in one): an error at the second, naming
    /// the first, so that a run never bills one of them and silently drops the other.
    fn duplicate_sites(&self, files: &[SourceFile]) -> Vec<Diagnostic> {
        use crate::diag::Code;
        use crate::syntax::ast;
        // Run at every check of the workspace (after each edit, over every file): the parses are
        // salsa's memos, the names borrowed from them, hashed with Fx.
        let parsed: Vec<Arc<db::Parsed>> = files.iter().map(|f| self.parsed(*f)).collect();
        let mut first: rustc_hash::FxHashMap<&str, crate::span::Span> = rustc_hash::FxHashMap::default();
        let mut diags = Vec::new();
        for parsed in &parsed {
            for item in &parsed.module.items {
                let ast::Item::Contract(c) = item else { continue };
                match first.get(c.name.as_str()) {
                    Some(span) => diags.push(
                        Diagnostic::error(
                            Code::Duplicate,
                            c.name_span,
                            format!("site {} has two contracts", c.name),
                            "a second contract for this site",
                        )
                        .with_label(*span, "the first contract for this site"),
                    ),
                    None => {
                        first.insert(c.name.as_str(), c.name_span);
                    }
                }
            }
        }
        diags
    }

    /// The checked module of a file (for tests and doc examples).
    pub fn module(&self, file: SourceFile) -> Arc<crate::check::CheckedModule> {
        db::check_module(&self.db, self.module_key(file)).module.clone()
    }

    /// The parsed module of a file.
    pub fn parsed(&self, file: SourceFile) -> Arc<db::Parsed> {
        db::parse_file(&self.db, file)
    }

    /// The checked imports of a file.
    pub fn imports(&self, file: SourceFile) -> Vec<Arc<crate::check::CheckedModule>> {
        let parsed = self.parsed(file);
        let mut out = Vec::new();
        for item in &parsed.module.items {
            if let crate::syntax::ast::Item::Use(name) = item
                && let Some(m) = self
                    .files
                    .iter()
                    .find(|f| db::module_name(f.path(&self.db)) == name.name && **f != file)
            {
                out.push(self.module(*m));
            }
        }
        out
    }
}

/// The text as every later stage sees it: a leading UTF-8 byte order mark dropped, and CRLF and
/// lone CR line endings made LF. Normalised once, where text enters the session, so that both
/// parsers, every span and the text shown in diagnostics index the same string (a CR-only file
/// would otherwise be one line, its first `//` comment swallowing the rest).
pub fn normalize_text(text: &str) -> std::borrow::Cow<'_, str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.contains('\r') {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
}

fn is_stdlib(path: &str) -> bool {
    STDLIB.iter().any(|(p, _)| *p == path)
}

fn same_path(a: &str, b: &str) -> bool {
    let norm = |p: &str| p.trim_start_matches("./").replace('\\', "/");
    let (a, b) = (norm(a), norm(b));
    a == b || b.ends_with(&format!("/{a}")) || a.ends_with(&format!("/{b}"))
}
