//! The salsa database: source files are inputs; parsing, module checking and contract compilation
//! are tracked queries, so editing one contract's file re-runs only that file's queries.
//!
//! Pipeline (one query per arrow, all memoized): `SourceFile` → [`parse_file`] → [`check_module`]
//! (types, consts, fns, components; reads the modules it `use`s) → [`compile_contract`] (checks and
//! compiles one contract into an `Arc<Plan>`); [`check_file`] gathers a file's diagnostics and plans.
//! Evaluation runs on plans outside salsa.
//!
//! `tests/incremental.rs` proves with [`BillDb::with_log`] which queries re-run after an edit.

use crate::check::{self, CheckedModule};
use crate::compile;
use crate::diag::{Code, Diagnostic};
use crate::plan::Plan;
use crate::span::FileId;
use crate::syntax::ast;
use std::sync::{Arc, Mutex};

/// A `.bill` source: its display path, its text and its id in spans.
#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(ref)]
    pub path: String,
    #[returns(ref)]
    pub text: Arc<str>,
    #[returns(copy)]
    pub id: u32,
}

/// All sources of a session, for module resolution (`use towne_park`).
#[salsa::input(debug)]
pub struct Workspace {
    #[returns(ref)]
    pub files: Vec<SourceFile>,
}

/// A file checked within a workspace.
#[salsa::interned(debug)]
pub struct ModuleKey<'db> {
    #[returns(copy)]
    pub workspace: Workspace,
    #[returns(copy)]
    pub file: SourceFile,
}

/// One contract of a file (by position among the file's contracts).
#[salsa::interned(debug)]
pub struct ContractKey<'db> {
    #[returns(copy)]
    pub module: ModuleKey<'db>,
    #[returns(copy)]
    pub index: u32,
}

/// A parsed file: the module and its syntax errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub module: ast::Module,
    pub diags: Vec<Diagnostic>,
}

/// A checked module with the diagnostics of resolving its `use`s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleOutput {
    pub module: Arc<CheckedModule>,
    pub diags: Vec<Diagnostic>,
}

/// A compiled contract: its plan (none if it has errors) and its diagnostics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractOutput {
    pub site: String,
    pub plan: Option<Arc<Plan>>,
    pub diags: Vec<Diagnostic>,
}

#[salsa::tracked(returns(clone))]
pub fn parse_file(db: &dyn salsa::Database, file: SourceFile) -> Arc<Parsed> {
    let (module, diags) = crate::syntax::parser::parse(FileId(file.id(db)), file.text(db));
    Arc::new(Parsed { module, diags })
}

/// The module name of a file: its file name without `.bill`.
pub fn module_name(path: &str) -> &str {
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    base.strip_suffix(".bill").unwrap_or(base)
}

#[salsa::tracked(returns(clone))]
pub fn check_module<'db>(db: &'db dyn salsa::Database, key: ModuleKey<'db>) -> Arc<ModuleOutput> {
    let file = key.file(db);
    let parsed = parse_file(db, file);
    let mut imports = Vec::new();
    let mut diags = Vec::new();
    for item in &parsed.module.items {
        let ast::Item::Use(name) = item else { continue };
        let found = key
            .workspace(db)
            .files(db)
            .iter()
            .find(|f| module_name(f.path(db)) == name.name && **f != file)
            .copied();
        match found {
            Some(m) => {
                let out = check_module(db, ModuleKey::new(db, key.workspace(db), m));
                imports.push(out.module.clone());
            }
            None => {
                let names: Vec<String> = key
                    .workspace(db)
                    .files(db)
                    .iter()
                    .map(|f| module_name(f.path(db)).to_string())
                    .collect();
                let mut d = Diagnostic::error(
                    Code::UnknownModule,
                    name.span,
                    format!("unknown module `{}`", name.name),
                    "no such module",
                );
                if let Some(s) = check::suggest::closest(&name.name, names.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                } else {
                    d = d.with_help(
                        "the standard library is `towne_park`; other modules are `.bill` files checked together",
                    );
                }
                diags.push(d);
            }
        }
    }
    let module = check::check_module(
        FileId(file.id(db)),
        module_name(file.path(db)),
        &parsed.module,
        &imports,
    );
    Arc::new(ModuleOutput {
        module: Arc::new(module),
        diags,
    })
}

/// The imports of a module (already checked).
fn imports_of<'db>(db: &'db dyn salsa::Database, key: ModuleKey<'db>) -> Vec<Arc<CheckedModule>> {
    let file = key.file(db);
    let parsed = parse_file(db, file);
    let mut imports = Vec::new();
    for item in &parsed.module.items {
        let ast::Item::Use(name) = item else { continue };
        if let Some(m) = key
            .workspace(db)
            .files(db)
            .iter()
            .find(|f| module_name(f.path(db)) == name.name && **f != file)
        {
            imports.push(
                check_module(db, ModuleKey::new(db, key.workspace(db), *m))
                    .module
                    .clone(),
            );
        }
    }
    imports
}

#[salsa::tracked(returns(clone))]
pub fn compile_contract<'db>(db: &'db dyn salsa::Database, key: ContractKey<'db>) -> Arc<ContractOutput> {
    let module_key = key.module(db);
    let file = module_key.file(db);
    let parsed = parse_file(db, file);
    let Some(contract) = parsed
        .module
        .items
        .iter()
        .filter_map(|i| match i {
            ast::Item::Contract(c) => Some(c),
            _ => None,
        })
        .nth(key.index(db) as usize)
    else {
        return Arc::new(ContractOutput {
            site: String::new(),
            plan: None,
            diags: Vec::new(),
        });
    };
    let own = check_module(db, module_key).module.clone();
    let imports = imports_of(db, module_key);
    let checked = check::check_contract(&parsed.module, contract, &imports, &own);
    let mut diags = checked.diags.clone();
    let plan = if diags.iter().any(Diagnostic::is_error) {
        None
    } else {
        let (plan, more) = compile::compile(&checked, file.path(db), Arc::default());
        diags.extend(more);
        if let Some(p) = &plan {
            diags.extend(crate::lint::plan(p, checked.billing_span, checked.name_span));
        }
        // The contract's test blocks: typed in the module's scope, and their `expect line`s
        // against the compiled lines.
        for s in &contract.body {
            if let ast::Stmt::Test(t) = s {
                diags.extend(check::test_blocks::check_test(&parsed.module, &imports, &own, t));
                if let Some(p) = &plan {
                    diags.extend(compile::test_expects(p, t));
                }
            }
        }
        plan.map(Arc::new)
    };
    Arc::new(ContractOutput {
        site: checked.site,
        plan,
        diags,
    })
}

/// Everything `check` reports for one file: its diagnostics (syntax, module, contracts) and the
/// plans of its contracts. One memo per file, so re-checking a workspace after an edit verifies one
/// query per unchanged file instead of four.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileOutput {
    pub diags: Vec<Diagnostic>,
    pub plans: Vec<Arc<Plan>>,
    /// The site and name span of each contract of the file, in order (for the workspace's check
    /// that no site has two contracts, without fetching every parse again).
    pub sites: Vec<(String, crate::span::Span)>,
}

#[salsa::tracked(returns(clone))]
pub fn check_file<'db>(db: &'db dyn salsa::Database, key: ModuleKey<'db>) -> Arc<FileOutput> {
    let parsed = parse_file(db, key.file(db));
    let mut diags = parsed.diags.clone();
    let module = check_module(db, key);
    diags.extend(module.diags.iter().cloned());
    diags.extend(module.module.diags.iter().cloned());
    // Test blocks outside a contract: typed in the module's scope.
    let imports = imports_of(db, key);
    for item in &parsed.module.items {
        if let ast::Item::Test(t) = item {
            diags.extend(check::test_blocks::check_test(
                &parsed.module,
                &imports,
                &module.module,
                t,
            ));
        }
    }
    let mut plans = Vec::new();
    let sites: Vec<(String, crate::span::Span)> = parsed
        .module
        .items
        .iter()
        .filter_map(|i| match i {
            ast::Item::Contract(c) => Some((c.name.clone(), c.name_span)),
            _ => None,
        })
        .collect();
    for i in 0..u32::try_from(sites.len()).unwrap_or(u32::MAX) {
        let c = compile_contract(db, ContractKey::new(db, key, i));
        diags.extend(c.diags.iter().cloned());
        plans.extend(c.plan.clone());
    }
    Arc::new(FileOutput { diags, plans, sites })
}

/// The names of queries that executed (not served from memo), when logging is on.
pub type QueryLog = Arc<Mutex<Vec<String>>>;

#[salsa::db]
#[derive(Clone, Default)]
pub struct BillDb {
    storage: salsa::Storage<Self>,
}

impl BillDb {
    /// A database that records the name of every query it executes (for incrementality tests).
    pub fn with_log() -> (BillDb, QueryLog) {
        let log: QueryLog = Arc::default();
        let sink = log.clone();
        let storage = salsa::Storage::new(Some(Box::new(move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind
                && let Ok(mut l) = sink.lock()
            {
                l.push(format!("{database_key:?}"));
            }
        })));
        (BillDb { storage }, log)
    }
}

#[salsa::db]
impl salsa::Database for BillDb {}
