//! The one place where diagnostics become text, through codespan-reporting.
//!
//! `render_plain` is used by tests and snapshots (no colour); `emit` writes to a terminal with colour
//! when it is one.

use super::{Diagnostic, Severity};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config};

/// The files diagnostics may point into, indexed by `FileId`: (display name, text).
pub type SourceList<'a> = [(&'a str, &'a str)];

fn to_codespan(diag: &Diagnostic) -> cs::Diagnostic<usize> {
    let severity = match diag.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let mut labels = vec![
        cs::Label::primary(diag.primary.span.file.0 as usize, diag.primary.span.range())
            .with_message(diag.primary.message.clone()),
    ];
    for label in &diag.secondary {
        labels.push(
            cs::Label::secondary(label.span.file.0 as usize, label.span.range()).with_message(label.message.clone()),
        );
    }
    let mut out = cs::Diagnostic::new(severity)
        .with_code(diag.code.as_str())
        .with_message(diag.message.clone())
        .with_labels(labels);
    if let Some(help) = &diag.help {
        out = out.with_notes(vec![format!("help: {help}")]);
    }
    out
}

fn files(sources: &SourceList<'_>) -> SimpleFiles<String, String> {
    let mut files = SimpleFiles::new();
    for (name, text) in sources {
        files.add((*name).to_string(), (*text).to_string());
    }
    files
}

/// Renders diagnostics as plain text (no colour), one after the other.
pub fn render_plain(diags: &[Diagnostic], sources: &SourceList<'_>) -> String {
    let files = files(sources);
    let config = Config::default();
    let mut out = String::new();
    for diag in diags {
        match term::emit_into_string(&config, &files, &to_codespan(diag)) {
            Ok(text) => out.push_str(&text),
            Err(_) => out.push_str(&fallback(diag)),
        }
    }
    out
}

/// Writes diagnostics to standard error, with colour when `color` is true.
pub fn emit(diags: &[Diagnostic], sources: &SourceList<'_>, color: bool) {
    use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
    let files = files(sources);
    let config = Config::default();
    let choice = if color { ColorChoice::Auto } else { ColorChoice::Never };
    let stream = StandardStream::stderr(choice);
    let mut lock = stream.lock();
    for diag in diags {
        if term::emit_to_write_style(&mut lock, &config, &files, &to_codespan(diag)).is_err() {
            eprintln!("{}", fallback(diag));
        }
    }
}

fn fallback(diag: &Diagnostic) -> String {
    format!("error[{}]: {}\n", diag.code.as_str(), diag.message)
}
