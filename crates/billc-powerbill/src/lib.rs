//! `billc import powerbill`: PowerBill configuration records (RULES.md §14) → readable `.bill`
//! contracts that call the Towne Park standard library.
//!
//! - Only enabled components are imported, each as the stdlib component that implements its RULES.md
//!   section, with its invoice group, dated rows (`from`/`until`) and the annual increment
//!   (`escalate(…, by:, every:, since:)`, RULES.md §2).
//! - Nothing is silently changed or dropped: a value that looks wrong in the source (a share over 100 %,
//!   a mid-month advance of $0, tier limits that do not increase, a labor service without a GL code, a
//!   component pointing at an undeclared invoice group, …) is imported as written when billc can express
//!   it, and always becomes a [`Warning`] with the JSON path; the free-text notes (terms PowerBill billed
//!   by hand) are kept as comments in the contract and reported.
//! - The output is a pure function of the JSON: same input, same bytes.
//!
//! [`model`] is the typed configuration; [`emit`] writes the contract text.
//!
//! Modules, bottom to top (a module imports only modules listed before it): [`model`], [`emit`].
//! Uses the language crate (payment terms, months) and nothing above it; pure: JSON text in,
//! contract text and warnings out.

pub mod emit;
pub mod model;

use std::fmt;

/// A finding about one configuration, for the import report.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    /// The configuration file, as given.
    pub file: String,
    /// Where in the JSON, e.g. `original.perLaborHour.jobRates[2].name`.
    pub path: String,
    /// A stable kind, e.g. `share_over_100`, `notes_not_imported`.
    pub kind: &'static str,
    /// What and why, in one sentence.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {} [{}]", self.file, self.path, self.message, self.kind)
    }
}

/// One imported configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// `<site>-<customer>.bill`.
    pub file_name: String,
    /// The contract text.
    pub text: String,
    pub warnings: Vec<Warning>,
}

/// Imports one configuration (`source` names it in comments and warnings).
pub fn import(source: &str, json: &str) -> Result<Imported, String> {
    let config: model::Config =
        serde_json::from_str(json).map_err(|e| format!("{source}: not a PowerBill configuration: {e}"))?;
    let site = config.metadata.site_number.trim();
    if site.len() != 4 || !site.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{source}: metadata.siteNumber `{site}` is not a 4-digit site number"
        ));
    }
    let mut emitter = emit::Emitter::new(source, &config);
    let text = emitter.contract();
    Ok(Imported {
        file_name: format!("{site}-{}.bill", slug(&config.metadata.customer_name)),
        text,
        warnings: emitter.into_warnings(),
    })
}

/// `Margaret R. Pardee Memorial Hospital` → `margaret-r-pardee-memorial-hospital` (at most 48 bytes).
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 48 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "contract".into() } else { out }
}

/// The import report as CSV: `file,path,kind,message`, sorted.
pub fn report_csv(warnings: &[Warning]) -> Result<String, String> {
    let mut sorted: Vec<&Warning> = warnings.iter().collect();
    sorted.sort();
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let e = |e: csv::Error| e.to_string();
    w.write_record(["file", "path", "kind", "message"]).map_err(e)?;
    for x in sorted {
        w.write_record([&x.file, &x.path, x.kind, &x.message]).map_err(e)?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Margaret R. Pardee Memorial Hospital"),
            "margaret-r-pardee-memorial-hospital"
        );
        assert_eq!(slug("  &&& "), "contract");
        assert_eq!(slug("Hôtel Été"), "h-tel-t");
    }
}
