//! The files `billc run` writes, and the one place money is formatted for people.
//!
//! A run for service month `P` writes `<out>/P/` (DATA.md, "Outputs"):
//!
//! | file | content |
//! |---|---|
//! | `invoices.json` | the run, exact and machine-readable ([`invoices_json`]) |
//! | `invoices.csv` | one row per line: `number,site,group,date,title,gl,amount` ([`invoices_csv`]) |
//! | `invoices-summary.csv` | one row per invoice: `number,site,customer,group,date,due,status,reasons,total` ([`invoices_summary_csv`]) |
//! | `exceptions.csv` | `site,kind,location,message`, sorted ([`exceptions_csv`]) |
//! | `trace.json` | every invoice in full, with the trace of every line, read back by `billc explain` ([`trace_json`], [`read_trace`]) |
//!
//! **Determinism.** Every file is a pure function of [`RunOutput`], whatever order the invoices and
//! exceptions arrive in (rayon finishes in any order): invoices are sorted by number (ties, which a
//! correct run never has, by contract and then by content), exceptions by all four fields; JSON keys come
//! from struct field order, never from a hash map; no clock, host or path is written.
//!
//! **Formats.** Amounts in `invoices.json` and the CSV files are decimal strings with exactly two
//! decimals (`-12000.00`), rounded half away from zero if a value had more (line amounts already are
//! cents, RULES.md §3). `invoices.json` is pretty-printed with two-space indentation; `trace.json` is
//! compact, one invoice per line (it is read by programs and is by far the largest file). Both end
//! with a newline. CSV
//! files are UTF-8 with RFC 4180 quoting (the `csv` crate, quoting only when needed) and `\n` line ends.
//!
//! `invoices.json` holds the fields DATA.md shows, in that order, plus four that people and tools need:
//! `customer` (after `contract`), `group_title` (after `group`, `null` when none), `terms` (after `due`)
//! and `status_reasons` (after `status`). `due` is `null` when the terms could not be read.
//!
//! `invoices-summary.csv` is what finance reads an invoice by without its lines: `customer` as the
//! contract names it, `due` empty when the terms could not be read, `status` `ready` or
//! `needs_approval`, `reasons` the status reasons joined with `; ` in plain text (the terminal's
//! Markdown quotes dropped, as in `exceptions.csv`), `total` with two decimals. The period folder
//! also holds `summary.json`, the run's figures, written beside `inputs.csv` by
//! [`crate::period::write`] ([`crate::figures`]).
//!
//! Only [`write`] and [`read_trace`] touch the file system; the renderers are pure and tested directly.

use crate::invoice::{Exception, Invoice};
use crate::publish::Staging;
use billc_lang::time::YearMonth;
use billc_lang::value::format::plain_amount;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Everything one `billc run` produced for one service month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutput {
    /// The service month.
    pub period: YearMonth,
    /// A digest of the contracts' sources (computed by the runner).
    pub contracts_digest: String,
    /// A digest of the input data (computed by the runner).
    pub data_digest: String,
    /// The invoices, in any order.
    pub invoices: Vec<Invoice>,
    /// The exceptions, in any order.
    pub exceptions: Vec<Exception>,
}

/// What [`write`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// `<out>/<YYYY-MM>`.
    pub dir: PathBuf,
    /// The files, in the order written.
    pub files: Vec<PathBuf>,
    /// Counts, for the run summary.
    pub invoices: usize,
    pub lines: usize,
    pub exceptions: usize,
}

/// The file names inside `<out>/<period>/`.
pub const INVOICES_JSON: &str = "invoices.json";
pub const INVOICES_CSV: &str = "invoices.csv";
pub const INVOICES_SUMMARY_CSV: &str = "invoices-summary.csv";
pub const EXCEPTIONS_CSV: &str = "exceptions.csv";
pub const TRACE_JSON: &str = "trace.json";
/// The run's figures ([`crate::figures`]), written by [`crate::period::write`].
pub const SUMMARY_JSON: &str = "summary.json";

/// Writes the five invoice and exception files into `<out_dir>/<YYYY-MM>/` as one run: locked, staged in a fresh
/// folder and published at once ([`crate::publish`]), so a reader never sees half a run.
pub fn write(out_dir: &Path, run: &RunOutput) -> io::Result<Written> {
    let lock = crate::publish::lock(out_dir).map_err(io::Error::other)?;
    let staging = lock.stage(run.period)?;
    let mut written = write_files(&staging, run, &mut |_| Ok(()))?;
    written.dir = staging.publish()?;
    written.files = written
        .files
        .iter()
        .filter_map(|f| f.file_name())
        .map(|n| written.dir.join(n))
        .collect();
    Ok(written)
}

/// Writes the five invoice and exception files into a staging folder; `hook` is called before each file.
pub fn write_files(
    staging: &Staging,
    run: &RunOutput,
    hook: &mut dyn FnMut(&str) -> io::Result<()>,
) -> io::Result<Written> {
    let invoices = sorted_invoices(&run.invoices);
    // The trace is by far the largest file (hundreds of MB for a large run): it is streamed to
    // disk while the other four are rendered.
    hook(TRACE_JSON)?;
    let trace_file = staging.create(TRACE_JSON)?;
    let (trace, others) = rayon::join(
        || stream_trace_json(trace_file, run.period, &invoices),
        || -> io::Result<[String; 4]> {
            Ok([
                render_invoices_json(run, &invoices)?,
                render_invoices_csv(&invoices)?,
                render_invoices_summary_csv(&invoices)?,
                exceptions_csv(&run.exceptions)?,
            ])
        },
    );
    trace?;
    let [json, csv, summary, exceptions] = others?;
    let mut written = Vec::with_capacity(5);
    for (name, text) in [
        (INVOICES_JSON, json),
        (INVOICES_CSV, csv),
        (INVOICES_SUMMARY_CSV, summary),
        (EXCEPTIONS_CSV, exceptions),
    ] {
        staging.write_with(name, text.as_bytes(), hook)?;
        written.push(staging.dir().join(name));
    }
    written.push(staging.dir().join(TRACE_JSON));
    Ok(Written {
        dir: staging.dir().to_path_buf(),
        files: written,
        invoices: invoices.len(),
        lines: invoices.iter().map(|i| i.lines.len()).sum(),
        exceptions: run.exceptions.len(),
    })
}

/// `invoices.json` (DATA.md).
pub fn invoices_json(run: &RunOutput) -> io::Result<String> {
    render_invoices_json(run, &sorted_invoices(&run.invoices))
}

/// `invoices.csv`: header `number,site,group,date,title,gl,amount`, one row per line, invoices by number.
pub fn invoices_csv(invoices: &[Invoice]) -> io::Result<String> {
    render_invoices_csv(&sorted_invoices(invoices))
}

/// `invoices-summary.csv`: header `number,site,customer,group,date,due,status,reasons,total`, one
/// row per invoice, by number.
pub fn invoices_summary_csv(invoices: &[Invoice]) -> io::Result<String> {
    render_invoices_summary_csv(&sorted_invoices(invoices))
}

/// `exceptions.csv`: header `site,kind,location,message`, rows sorted by those four fields.
pub fn exceptions_csv(exceptions: &[Exception]) -> io::Result<String> {
    let mut rows: Vec<&Exception> = exceptions.iter().collect();
    rows.sort();
    let mut w = csv_writer();
    w.write_record(["site", "kind", "location", "message"])?;
    for e in rows {
        w.write_record([e.site.as_str(), e.kind.as_str(), &e.location, &plain_text(&e.message)])?;
    }
    csv_finish(w)
}

/// A message as plain text for a spreadsheet: the Markdown code quotes that the terminal shows
/// (`` `net_external_revenue` ``) are dropped, the words stay.
fn plain_text(message: &str) -> String {
    message.replace('`', "")
}

/// `inputs.csv`: how every input row was accounted for, one row per file read.
pub fn inputs_csv(accounts: &[billc_data::FileAccount]) -> io::Result<String> {
    let mut w = csv_writer();
    w.write_record([
        "file",
        "rows",
        "used",
        "unmatched",
        "history",
        "other_months",
        "reference",
        "bad",
    ])?;
    for a in accounts {
        w.write_record([
            a.file.clone(),
            a.rows.to_string(),
            a.used.to_string(),
            a.unmatched.to_string(),
            a.history.to_string(),
            a.other_months.to_string(),
            a.reference.to_string(),
            a.bad.to_string(),
        ])?;
    }
    csv_finish(w)
}

/// `unmatched.csv`: the period's rows of contract sites that no rule read, grouped per site and file.
pub fn unmatched_csv(rows: &[billc_data::Unmatched]) -> io::Result<String> {
    let mut w = csv_writer();
    w.write_record(["site", "file", "first_line", "rows", "what"])?;
    for u in rows {
        w.write_record([
            u.site.clone(),
            u.file.clone(),
            u.first_line.to_string(),
            u.rows.to_string(),
            u.what.clone(),
        ])?;
    }
    csv_finish(w)
}

/// `trace.json`: the period and every invoice in full (header, lines, trace trees), by number.
pub fn trace_json(period: YearMonth, invoices: &[Invoice]) -> io::Result<String> {
    render_trace_json(period, &sorted_invoices(invoices))
}

/// The version of the shape of `trace.json` (and of `billc explain --format json`): 1 since the
/// traces carry formulas, exact amounts, row groups, months and bands. A reader refuses a newer one.
pub const TRACE_SCHEMA: u32 = 1;

/// What `trace.json` holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trace {
    /// [`TRACE_SCHEMA`] of the billc that wrote it (0: before the schema was versioned).
    #[serde(default)]
    pub schema: u32,
    /// The service month, `YYYY-MM`.
    pub period: String,
    /// The version of billc that wrote it.
    pub billc: String,
    /// Every invoice of the run, by number.
    pub invoices: Vec<Invoice>,
}

/// Why `trace.json` could not be read.
#[derive(Debug)]
pub enum ReadTraceError {
    /// The file could not be opened or read.
    Io { path: PathBuf, error: io::Error },
    /// The file is not a trace written by billc.
    Format { path: PathBuf, error: serde_json::Error },
    /// Written by a newer billc, in a schema this one does not know.
    Newer { path: PathBuf, schema: u32 },
}

impl fmt::Display for ReadTraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadTraceError::Io { path, error } => {
                write!(f, "cannot read `{}`: {error}", path.display())
            }
            ReadTraceError::Format { path, error } => {
                write!(f, "`{}` is not a billc trace: {error}", path.display())
            }
            ReadTraceError::Newer { path, schema } => write!(
                f,
                "`{}` has trace schema {schema}, newer than this billc's {TRACE_SCHEMA}: explain it with the billc that wrote it",
                path.display()
            ),
        }
    }
}

impl std::error::Error for ReadTraceError {}

/// Reads `<dir>/trace.json`, where `dir` is a run's `<out>/<period>` directory (or the file itself).
pub fn read_trace(dir: &Path) -> Result<Trace, ReadTraceError> {
    let path = if dir.is_dir() {
        dir.join(TRACE_JSON)
    } else {
        dir.to_path_buf()
    };
    let text = fs::read_to_string(&path).map_err(|error| ReadTraceError::Io {
        path: path.clone(),
        error,
    })?;
    let trace: Trace = serde_json::from_str(&text).map_err(|error| ReadTraceError::Format {
        path: path.clone(),
        error,
    })?;
    if trace.schema > TRACE_SCHEMA {
        return Err(ReadTraceError::Newer {
            path,
            schema: trace.schema,
        });
    }
    Ok(trace)
}

/// The invoices in output order: by number, then contract, then content (a total order, so the
/// result does not depend on the input order even when numbers repeat).
pub fn sorted_invoices(invoices: &[Invoice]) -> Vec<&Invoice> {
    let mut sorted: Vec<&Invoice> = invoices.iter().collect();
    sorted.sort_by(|a, b| compare_invoices(a, b));
    sorted
}

fn compare_invoices(a: &Invoice, b: &Invoice) -> Ordering {
    a.number
        .cmp(&b.number)
        .then_with(|| a.contract.cmp(&b.contract))
        .then_with(|| {
            if a == b {
                Ordering::Equal
            } else {
                // Rare (duplicate numbers are a runner error); any total order will do.
                serde_json::to_string(a)
                    .unwrap_or_default()
                    .cmp(&serde_json::to_string(b).unwrap_or_default())
            }
        })
}

// ---- invoices.json ----------------------------------------------------------------------------

#[derive(Serialize)]
struct JsonRun<'a> {
    period: String,
    run: JsonMeta<'a>,
    invoices: Vec<JsonInvoice<'a>>,
}

/// The `run` object of `invoices.json` and `summary.json`: what the run read, and which billc.
#[derive(Serialize)]
pub(crate) struct JsonMeta<'a> {
    contracts_digest: &'a str,
    data_digest: &'a str,
    billc: &'static str,
}

impl<'a> JsonMeta<'a> {
    pub(crate) fn of(run: &'a RunOutput) -> JsonMeta<'a> {
        JsonMeta {
            contracts_digest: &run.contracts_digest,
            data_digest: &run.data_digest,
            billc: env!("CARGO_PKG_VERSION"),
        }
    }
}

#[derive(Serialize)]
struct JsonInvoice<'a> {
    number: &'a str,
    site: &'a str,
    contract: &'a str,
    customer: &'a str,
    group: u32,
    group_title: Option<&'a str>,
    date: String,
    due: Option<String>,
    terms: &'a str,
    status: &'static str,
    status_reasons: &'a [String],
    total: String,
    lines: Vec<JsonLine<'a>>,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    title: &'a str,
    description: &'a str,
    gl: &'a str,
    amount: String,
    tags: &'a [String],
}

fn render_invoices_json(run: &RunOutput, invoices: &[&Invoice]) -> io::Result<String> {
    let doc = JsonRun {
        period: run.period.to_string(),
        run: JsonMeta::of(run),
        invoices: invoices
            .iter()
            .map(|i| JsonInvoice {
                number: &i.number,
                site: &i.site,
                contract: &i.contract,
                customer: &i.customer,
                group: i.group,
                group_title: i.group_title.as_deref(),
                date: i.date.to_string(),
                due: i.due.map(|d| d.to_string()),
                terms: &i.terms,
                status: i.status.as_str(),
                status_reasons: &i.status_reasons,
                total: plain_amount(i.total),
                lines: i
                    .lines
                    .iter()
                    .map(|l| JsonLine {
                        title: &l.title,
                        description: &l.description,
                        gl: &l.gl,
                        amount: plain_amount(l.amount),
                        tags: &l.tags,
                    })
                    .collect(),
            })
            .collect(),
    };
    pretty_json(&doc)
}

// ---- invoices.csv -----------------------------------------------------------------------------

fn render_invoices_csv(invoices: &[&Invoice]) -> io::Result<String> {
    let mut w = csv_writer();
    w.write_record(["number", "site", "group", "date", "title", "gl", "amount"])?;
    for i in invoices {
        let group = i.group.to_string();
        let date = i.date.to_string();
        for l in &i.lines {
            w.write_record([
                i.number.as_str(),
                &i.site,
                &group,
                &date,
                &l.title,
                &l.gl,
                &plain_amount(l.amount),
            ])?;
        }
    }
    csv_finish(w)
}

// ---- invoices-summary.csv ---------------------------------------------------------------------

fn render_invoices_summary_csv(invoices: &[&Invoice]) -> io::Result<String> {
    let mut w = csv_writer();
    w.write_record([
        "number", "site", "customer", "group", "date", "due", "status", "reasons", "total",
    ])?;
    for i in invoices {
        w.write_record([
            i.number.as_str(),
            &i.site,
            &i.customer,
            &i.group.to_string(),
            &i.date.to_string(),
            &i.due.map(|d| d.to_string()).unwrap_or_default(),
            i.status.as_str(),
            &plain_text(&i.status_reasons.join("; ")),
            &plain_amount(i.total),
        ])?;
    }
    csv_finish(w)
}

// ---- trace.json -------------------------------------------------------------------------------

/// Writes `trace.json` to `path` (the same bytes as [`trace_json`]).
fn stream_trace_json(file: fs::File, period: YearMonth, invoices: &[&Invoice]) -> io::Result<()> {
    use std::io::Write as _;
    let mut w = io::BufWriter::with_capacity(1 << 20, file);
    write_trace_json(&mut w, period, invoices)?;
    w.flush()?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()
}

fn render_trace_json(period: YearMonth, invoices: &[&Invoice]) -> io::Result<String> {
    let mut out = Vec::new();
    write_trace_json(&mut out, period, invoices)?;
    String::from_utf8(out).map_err(io::Error::other)
}

/// Invoices serialized at once: enough to keep every core busy, few enough to keep memory flat.
const TRACE_BATCH: usize = 256;

/// `{"schema", "period", "billc", "invoices": [...]}` with one invoice per line, each in compact JSON: the
/// file is read by programs (`billc explain`, `jq`), and at hundreds of megabytes for a large run,
/// indentation would be most of it. The invoices are serialized in parallel, a batch at a time, and
/// written in order, so the bytes do not depend on the number of threads.
fn write_trace_json(w: &mut impl io::Write, period: YearMonth, invoices: &[&Invoice]) -> io::Result<()> {
    use rayon::prelude::*;
    let text = |v: &str| serde_json::to_string(v).map_err(io::Error::other);
    write!(
        w,
        "{{\"schema\":{TRACE_SCHEMA},\"period\":{},\"billc\":{},\"invoices\":[",
        text(&period.to_string())?,
        text(env!("CARGO_PKG_VERSION"))?
    )?;
    for (b, batch) in invoices.chunks(TRACE_BATCH).enumerate() {
        let parts = batch
            .par_iter()
            .map(|inv| serde_json::to_vec(inv).map_err(io::Error::other))
            .collect::<io::Result<Vec<Vec<u8>>>>()?;
        for (i, part) in parts.iter().enumerate() {
            w.write_all(if b == 0 && i == 0 { b"\n" } else { b",\n" })?;
            w.write_all(part)?;
        }
    }
    w.write_all(b"\n]}\n")
}

// ---- helpers ----------------------------------------------------------------------------------

/// Pretty-printed JSON (two-space indentation) ending with a newline.
pub(crate) fn pretty_json<T: Serialize>(value: &T) -> io::Result<String> {
    let mut text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    text.push('\n');
    Ok(text)
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new())
}

fn csv_finish(w: csv::Writer<Vec<u8>>) -> io::Result<String> {
    let bytes = w.into_inner().map_err(|e| io::Error::other(e.to_string()))?;
    String::from_utf8(bytes).map_err(io::Error::other)
}
