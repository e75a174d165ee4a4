//! The `billc` command line: arguments, reading files, colours and exit codes. No language logic.
//!
//! Exit status: 0 success, 1 the input is wrong (diagnostics printed), 2 usage error.

use billc::diag::render;
use billc::session::Session;
use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "billc",
    version,
    about = "Contracts as code: check, test and run billing contracts"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and type-check .bill files and folders.
    Check {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Run the `test` blocks (and the standard library's doc examples) of .bill files.
    Test {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Check { paths } => check(&paths),
        Command::Test { paths } => test(&paths),
    }
}

/// Loads `.bill` files (folders searched recursively, in sorted order) into a session.
fn load(paths: &[PathBuf]) -> Result<(Session, Vec<billc::db::SourceFile>), ExitCode> {
    let mut files = Vec::new();
    for p in paths {
        if let Err(e) = billc::source::collect(p, "bill", &mut files) {
            eprintln!("error: {e}");
            return Err(ExitCode::from(2));
        }
    }
    let mut session = Session::default();
    let mut loaded = Vec::new();
    for f in files {
        match std::fs::read_to_string(&f) {
            Ok(text) => loaded.push(session.add_file(&display(&f), &text)),
            Err(e) => {
                eprintln!("error: cannot read `{}`: {e}", f.display());
                return Err(ExitCode::from(1));
            }
        }
    }
    Ok((session, loaded))
}

fn display(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

fn emit(session: &Session, diags: &[billc::diag::Diagnostic]) {
    let sources = session.sources();
    let list: Vec<(&str, &str)> = sources.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    render::emit(diags, &list, std::io::stderr().is_terminal());
}

fn check(paths: &[PathBuf]) -> ExitCode {
    let (session, files) = match load(paths) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let diags = session.diagnostics(&files);
    emit(&session, &diags);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let contracts = session.plans(&files).len();
    if errors > 0 {
        eprintln!(
            "{errors} error{} in {} file{}",
            plural(errors),
            files.len(),
            plural(files.len())
        );
        return ExitCode::from(1);
    }
    println!(
        "checked {} file{}, {contracts} contract{}: no errors",
        files.len(),
        plural(files.len()),
        plural(contracts)
    );
    ExitCode::SUCCESS
}

fn test(paths: &[PathBuf]) -> ExitCode {
    let (session, files) = match load(paths) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let diags = session.diagnostics(&files);
    if diags.iter().any(|d| d.is_error()) {
        emit(&session, &diags);
        return ExitCode::from(1);
    }
    let report = billc::testing::run_tests(&session, &files);
    for failure in &report.failures {
        eprintln!("FAIL {}\n  {}", failure.name, failure.message.replace('\n', "\n  "));
    }
    println!("{} passed, {} failed", report.passed, report.failures.len());
    if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
