//! The one place where diagnostics become text, through codespan-reporting.
//!
//! [`render_plain`] is what `billc check` prints and what snapshots hold (no colour); [`records`] is
//! the same diagnostics as data for tools (`billc check --format json`).

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

/// One diagnostic as a record for tools (`billc check --format json`): positions are 1-based lines
/// and columns (columns count characters), so an editor can place it without the source text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Record {
    pub code: &'static str,
    pub severity: &'static str,
    pub message: String,
    pub primary: LabelRecord,
    pub secondary: Vec<LabelRecord>,
    pub help: Option<String>,
}

/// A labelled span as a record: the file's display name and where the span starts and ends.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LabelRecord {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
}

/// The diagnostics as records, in the order given.
pub fn records(diags: &[Diagnostic], sources: &SourceList<'_>) -> Vec<Record> {
    diags
        .iter()
        .map(|d| Record {
            code: d.code.as_str(),
            severity: match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            message: d.message.clone(),
            primary: label_record(&d.primary, sources),
            secondary: d.secondary.iter().map(|l| label_record(l, sources)).collect(),
            help: d.help.clone(),
        })
        .collect()
}

fn label_record(label: &super::Label, sources: &SourceList<'_>) -> LabelRecord {
    let (file, text) = sources.get(label.span.file.0 as usize).copied().unwrap_or(("", ""));
    let range = label.span.range();
    let (line, column) = position(text, range.start);
    let (end_line, end_column) = position(text, range.end);
    LabelRecord {
        file: file.to_string(),
        line,
        column,
        end_line,
        end_column,
        message: label.message.clone(),
    }
}

/// The 1-based line and character column of a byte offset (clamped to the text, and to a
/// character boundary).
fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn fallback(diag: &Diagnostic) -> String {
    format!("error[{}]: {}\n", diag.code.as_str(), diag.message)
}
