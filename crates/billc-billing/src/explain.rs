//! `billc explain`: an invoice's calculation trace, for people ([`explain_text`], [`explain_focused`])
//! and tools ([`explain_json`]), the lookup of invoices by number or site ([`find`]), and what a
//! period folder says when it holds no such invoice ([`read_folder`], [`PeriodFolder::lookup`]).
//!
//! The text form is a header (number, site, customer, contract, group, period, dates, terms, status and
//! its reasons, total) followed by each line with its amount and its trace as a tree:
//!
//! ```text
//! 1. Towne Park Fees for Services · gl 4790 · $53,866.92
//!    line "Towne Park Fees for Services" = $53,866.92  [contracts/0238.bill:20]
//!    │  rule: line "Towne Park Fees for Services" { amount: fees }
//!    ├─ let fees = $53,866.92  [contracts/0238.bill:18]  #1.1
//!    │     band 1: $100,750.00 at 40.00% = $40,300.00
//!    └─ …
//!
//! 2. Mid-month advance · gl 4790 · -$26,933.46
//!    line "Mid-month advance" = -$26,933.46  [contracts/0238.bill:24]
//!    └─ let fees = $53,866.92  [contracts/0238.bill:18]  (see #1.1)
//! ```
//!
//! Under each node come its rule text and its facts (tier bands, filters, months of a window), aligned
//! with its children and joined to them by `│` when it has any; then its inputs, drawn with `├─`, `└─`
//! and `│`. The rendering only reads the trace (it prints each node's `label`, `value`, `source`,
//! `facts` and `inputs`); it never recomputes a value.
//!
//! **Shared subtrees are printed once per invoice.** A node with inputs that appears again in the
//! same invoice's explanation (a `let` read by three lines, a payroll line that the PTEB and support
//! lines both use) is printed in full at its first appearance, which ends with a reference `#L.K`:
//! the K-th such subtree first printed under invoice line L (1-based, as the lines are numbered).
//! Each later use prints only its head line, ending with `(see #L.K)`; search for `#L.K` to find the
//! full print, which is always above. Only subtrees that are used again get a reference. Sameness
//! is structural — label, value, source, facts and inputs equal, and any other field of the node
//! (compared as `trace.json` writes it, so a field the trace gains is compared without this module
//! naming it) — because `billc explain` reads the trace back from `trace.json`, where the sharing
//! of the evaluator's `Arc`s is lost. Every distinct
//! subtree is hashed once, bottom up (already-seen `Arc`s are recognised by address, so a trace
//! shared as a graph in memory is walked once per node, not once per path), and each later use is
//! one lookup; the walks grow their stack on the heap through [`billc_lang::stack::deeper`]. A leaf
//! (no inputs) is always printed where it is used.
//!
//! **Focus** ([`Focus`], `--line N --depth N`): only one line of the invoice, and each trace only to
//! a depth (the line's own node is level 1). A node whose inputs are cut by the depth says how many
//! nodes are hidden below it: `… 12 more below (--depth)`. A later use refers to an earlier print
//! only if that print shows at least as many levels of the subtree as this use would.
//!
//! The JSON form is one array of whole invoices (the shape `trace.json` stores each in), whatever
//! the number of invoices found. When nothing matches, [`NoInvoice`] says why from the period
//! folder's `exceptions.csv`: the site's rows (`no_invoice`, `contract_failed`, `site_skipped`, …),
//! or the `run_refused` row of a refused run (which writes no `trace.json`). [`read_folder`] is the
//! only function here that touches the file system; it also recognises an output folder given in
//! place of one of its period folders.

use crate::invoice::{Invoice, InvoiceLine, TraceNode};
use crate::numbering::InvoiceNumber;
use crate::output::{self, ReadTraceError, Trace, sorted_invoices};
use billc_lang::time::YearMonth;
use billc_lang::value::format::format_cents;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

// ------------------------------------------------------------------------------------------ text

/// Which part of an invoice's explanation to print (`billc explain --line N --depth N`); the
/// default prints all of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Focus {
    /// Only this line of the invoice, 1-based as printed.
    pub line: Option<usize>,
    /// Only this many levels of each line's trace; the line's own node is level 1.
    pub depth: Option<usize>,
}

/// The readable explanation of one invoice, every line in full (see the module documentation for
/// the layout and the references of shared subtrees).
pub fn explain_text(invoice: &Invoice) -> String {
    explain_focused(invoice, Focus::default())
}

/// The readable explanation of one invoice, limited to `focus`. An invoice without the line asked
/// for prints its header and says how many lines it has.
pub fn explain_focused(invoice: &Invoice, focus: Focus) -> String {
    let mut out = header(invoice);
    let lines: Vec<(usize, &InvoiceLine)> = invoice
        .lines
        .iter()
        .enumerate()
        .map(|(n, line)| (n + 1, line))
        .filter(|(n, _)| focus.line.is_none_or(|wanted| wanted == *n))
        .collect();
    if let Some(wanted) = focus.line
        && lines.is_empty()
    {
        out.push('\n');
        let count = invoice.lines.len();
        let s = if count == 1 { "" } else { "s" };
        push(&mut out, &format!("no line {wanted}: the invoice has {count} line{s}"));
        return out;
    }
    let mut tree = Tree::new(focus.depth);
    for (n, line) in lines {
        tree.line = n;
        tree.text(String::new());
        tree.text(format!(
            "{n}. {} · gl {} · {}",
            line.title,
            line.gl,
            format_cents(line.amount)
        ));
        let indent = " ".repeat(format!("{n}. ").chars().count());
        if !line.description.is_empty() {
            tree.text(format!("{indent}{}", line.description));
        }
        if !line.tags.is_empty() {
            tree.text(format!("{indent}tags: {}", line.tags.join(", ")));
        }
        tree.node(&line.trace, &indent, &indent, 1);
    }
    tree.finish(&mut out);
    out
}

/// Whether the invoice has a line `n` (1-based, as printed).
pub fn has_line(invoice: &Invoice, n: usize) -> bool {
    n >= 1 && n <= invoice.lines.len()
}

/// The invoice's header: number, then one aligned row per field and the total.
fn header(i: &Invoice) -> String {
    let mut out = String::new();
    push(&mut out, &format!("Invoice {}", i.number));
    let group = match &i.group_title {
        Some(title) => format!("{} ({title})", i.group),
        None => i.group.to_string(),
    };
    let due = match i.due {
        Some(d) => d.to_string(),
        None => "unknown (payment terms not understood)".to_owned(),
    };
    let rows: [(&str, String); 9] = [
        ("site", i.site.clone()),
        ("customer", i.customer.clone()),
        ("contract", i.contract.clone()),
        ("group", group),
        ("period", i.period.clone()),
        ("date", i.date.to_string()),
        ("due", due),
        ("terms", i.terms.clone()),
        ("status", i.status.as_str().replace('_', " ")),
    ];
    for (name, value) in rows {
        push(&mut out, &format!("  {name:<9} {value}"));
    }
    for reason in &i.status_reasons {
        push(&mut out, &format!("  {:<9} - {reason}", ""));
    }
    push(&mut out, &format!("  {:<9} {}", "total", format_cents(i.total)));
    out
}

/// A node's formula: in the rule's words, with the values substituted, then each named value with
/// where it was written (`pteb = 32%  [contracts/1820….bill:19]`).
fn formula_lines(formula: &billc_lang::trace::Term, node: &TraceNode) -> Vec<String> {
    let (words, values) = formula.render(&node.inputs);
    let mut lines = vec![if words == values {
        format!("formula: {values} = {}", node.value)
    } else {
        format!("formula: {words} = {values} = {}", node.value)
    }];
    for (name, value, at) in formula.named_values() {
        let at = at.map(|l| format!("  [{}:{}]", l.file, l.line)).unwrap_or_default();
        lines.push(format!("  {name} = {value}{at}"));
    }
    lines
}

/// A node's months, tier bands and input rows, one line each.
fn data_lines(node: &TraceNode) -> Vec<String> {
    let mut lines: Vec<String> = node
        .months
        .iter()
        .map(|m| format!("{}: {}", m.month, m.value))
        .collect();
    lines.extend(node.sites.iter().map(|s| format!("site {}: {}", s.site, s.value)));
    for (i, band) in node.bands.iter().enumerate() {
        lines.push(format!("band {}: {}", i + 1, band.text));
    }
    for g in &node.rows {
        let dims: Vec<String> = g.dims.iter().map(|d| format!("{} {}", d.column, d.value)).collect();
        let value = g.value.as_ref().map(|v| format!(" = {v}")).unwrap_or_default();
        let rows = if g.rows == 1 {
            "1 row".to_owned()
        } else {
            format!("{} rows", g.rows)
        };
        let minutes = g
            .minutes
            .map(|m| format!(", from {} minutes rounded to 0.01 h row by row", m.normalize()))
            .unwrap_or_default();
        lines.push(format!(
            "input: {}{value} ({rows} from {}{minutes})",
            dims.join(", "),
            g.origin()
        ));
    }
    lines
}

fn push(out: &mut String, line: &str) {
    out.push_str(line.trim_end());
    out.push('\n');
}

/// What the renderer knows of a distinct subtree.
#[derive(Clone, Copy, Debug, Default)]
struct Shape {
    /// Levels in the subtree: 1 for a leaf.
    height: usize,
    /// Nodes below the root of the subtree, counted as the tree is (every use of a shared node).
    below: u64,
}

/// A subtree's structural identity: the node without its inputs, as `trace.json` writes it (every
/// field, so that a field the trace gains takes part without being named here), and the ids of
/// its inputs.
#[derive(PartialEq, Eq, Hash)]
struct Key {
    own: String,
    inputs: Vec<usize>,
}

/// The distinct subtrees of the traces rendered, each with an id (hash-consing, bottom up).
#[derive(Default)]
struct Shapes<'t> {
    ids: HashMap<Key, usize>,
    /// Nodes already interned, by address: a shared `Arc` is looked at once.
    by_address: HashMap<*const TraceNode, usize>,
    /// By id.
    shapes: Vec<Shape>,
    /// The nodes are borrowed while their addresses are kept: no address is reused for another.
    nodes: std::marker::PhantomData<&'t TraceNode>,
}

impl<'t> Shapes<'t> {
    /// The id of `node`'s subtree: equal ids, equal subtrees.
    fn intern(&mut self, node: &'t TraceNode) -> usize {
        let address: *const TraceNode = node;
        if let Some(&id) = self.by_address.get(&address) {
            return id;
        }
        billc_lang::stack::deeper(|| self.intern_here(node, address))
    }

    fn intern_here(&mut self, node: &'t TraceNode, address: *const TraceNode) -> usize {
        let inputs: Vec<usize> = node.inputs.iter().map(|input| self.intern(input)).collect();
        let mut shape = Shape { height: 1, below: 0 };
        for &input in &inputs {
            let s = self.shape(input);
            shape.height = shape.height.max(s.height.saturating_add(1));
            shape.below = shape.below.saturating_add(s.below.saturating_add(1));
        }
        let next = self.shapes.len();
        let alone = TraceNode {
            inputs: Vec::new(),
            ..node.clone()
        };
        // INVARIANT: a trace node holds only strings, numbers and lists of them, which always
        // serialize; were one not to, it would be a subtree of its own, never taken for another.
        let own = serde_json::to_string(&alone).unwrap_or_else(|_| format!("\0unserializable {next}"));
        let key = Key { own, inputs };
        let id = *self.ids.entry(key).or_insert(next);
        if id == next {
            self.shapes.push(shape);
        }
        self.by_address.insert(address, id);
        id
    }

    fn shape(&self, id: usize) -> Shape {
        self.shapes.get(id).copied().unwrap_or_default()
    }
}

/// What ends a printed row: nothing, the reference of a full print (written only if some later
/// use points to it), or a pointer to an earlier print.
enum Tail {
    None,
    Print(usize),
    See(usize),
}

/// One full print of a subtree with inputs.
struct Print {
    /// The invoice line it is printed under.
    line: usize,
    /// Whether a later use refers to it.
    referenced: bool,
}

/// The rows of one invoice's lines, built in one walk; references are numbered when it is over,
/// so that only the subtrees used again get one, numbered in the order they are printed.
struct Tree<'t> {
    shapes: Shapes<'t>,
    depth: Option<usize>,
    /// The invoice line being printed.
    line: usize,
    rows: Vec<(String, Tail)>,
    prints: Vec<Print>,
    /// The best print of each subtree so far: the levels below it that it shows, and the print.
    printed: HashMap<usize, (usize, usize)>,
}

impl<'t> Tree<'t> {
    fn new(depth: Option<usize>) -> Self {
        Tree {
            shapes: Shapes::default(),
            depth,
            line: 0,
            rows: Vec::new(),
            prints: Vec::new(),
            printed: HashMap::new(),
        }
    }

    fn text(&mut self, text: String) {
        self.rows.push((text, Tail::None));
    }

    /// Writes `node`, at `level` of its line's tree, on one row starting with `first` (the branch
    /// drawn so far), its details and inputs below it with `rest` as their prefix.
    /// Enters the node through [`billc_lang::stack::deeper`]: a trace is as deep as the calls it records.
    fn node(&mut self, node: &'t TraceNode, first: &str, rest: &str, level: usize) {
        billc_lang::stack::deeper(|| self.node_here(node, first, rest, level));
    }

    fn node_here(&mut self, node: &'t TraceNode, first: &str, rest: &str, level: usize) {
        let mut head = format!("{first}{} = {}", node.label, node.value);
        if let Some(src) = &node.source {
            let _ = write!(head, "  [{}:{}]", src.file, src.line);
        }
        if node.inputs.is_empty() {
            self.text(head);
            self.details(node, rest, false);
            return;
        }
        let id = self.shapes.intern(node);
        let shape = self.shapes.shape(id);
        // The levels printed below this node: all of them, or what the depth leaves.
        let room = self.depth.map_or(usize::MAX, |d| d.saturating_sub(level));
        let shown = room.min(shape.height.saturating_sub(1));
        if let Some(&(best, print)) = self.printed.get(&id)
            && best >= shown
        {
            if let Some(p) = self.prints.get_mut(print) {
                p.referenced = true;
            }
            self.rows.push((head, Tail::See(print)));
            return;
        }
        let print = self.prints.len();
        self.prints.push(Print {
            line: self.line,
            referenced: false,
        });
        self.printed.insert(id, (shown, print));
        self.rows.push((head, Tail::Print(print)));
        if room == 0 {
            self.details(node, rest, false);
            self.text(format!("{rest}   … {} more below (--depth)", shape.below));
            return;
        }
        self.details(node, rest, true);
        let count = node.inputs.len();
        for (k, input) in node.inputs.iter().enumerate() {
            let last = k + 1 == count;
            let branch = format!("{rest}{}", if last { "└─ " } else { "├─ " });
            let below = format!("{rest}{}", if last { "   " } else { "│  " });
            self.node(input, &branch, &below, level + 1);
        }
    }

    /// The rule text and facts under a node, joined by `│` to the inputs drawn below them.
    fn details(&mut self, node: &TraceNode, rest: &str, joined: bool) {
        let prefix = if joined {
            format!("{rest}│  ")
        } else {
            format!("{rest}   ")
        };
        // A rule's text is its first line when long (`…`); a formula says the whole rule, in its
        // words and with its values, so a cut rule text is left out beside one.
        if let Some(src) = &node.source
            && !src.text.is_empty()
            && !(node.formula.is_some() && src.text.ends_with('…'))
        {
            self.text(format!("{prefix}rule: {}", src.text));
        }
        if let Some(formula) = &node.formula {
            for line in formula_lines(formula, node) {
                self.text(format!("{prefix}{line}"));
            }
        }
        for fact in &node.facts {
            self.text(format!("{prefix}{}: {}", fact.name, fact.value));
        }
        for line in data_lines(node) {
            self.text(format!("{prefix}{line}"));
        }
    }

    /// Numbers the referenced prints (`#line.k`, in print order) and writes every row.
    fn finish(self, out: &mut String) {
        let mut next: HashMap<usize, usize> = HashMap::new();
        let names: Vec<Option<String>> = self
            .prints
            .iter()
            .map(|p| {
                p.referenced.then(|| {
                    let k = next.entry(p.line).or_insert(0);
                    *k += 1;
                    format!("#{}.{k}", p.line)
                })
            })
            .collect();
        let name = |print: usize| names.get(print).cloned().flatten();
        for (text, tail) in self.rows {
            let text = text.trim_end();
            match tail {
                Tail::None => push(out, text),
                Tail::Print(p) => match name(p) {
                    Some(n) => push(out, &format!("{text}  {n}")),
                    None => push(out, text),
                },
                Tail::See(p) => match name(p) {
                    Some(n) => push(out, &format!("{text}  (see {n})")),
                    // INVARIANT: a `See` marks its print referenced; kept total all the same.
                    None => push(out, text),
                },
            }
        }
    }
}

// ------------------------------------------------------------------------------------------ json

/// The invoices as one pretty JSON array (two-space indentation, keys in the order of the `Invoice`
/// fields, amounts as exact decimal strings, a final newline), even for one invoice: each element
/// has the shape `trace.json` stores an invoice in.
pub fn explain_json(invoices: &[&Invoice]) -> String {
    match serde_json::to_string_pretty(invoices) {
        Ok(mut text) => {
            text.push('\n');
            text
        }
        // INVARIANT: an `Invoice` holds only strings, numbers, dates and decimals, which always
        // serialize; this arm exists only because the signature of `to_string_pretty` allows failure.
        Err(e) => format!("{{\"error\": {:?}}}\n", e.to_string()),
    }
}

// ---------------------------------------------------------------------------------------- lookup

/// The invoices `key` names: the one with that number (with or without dashes, as in a Great Plains
/// document number), or else every invoice of that site. Results are ordered by number.
pub fn find<'a>(invoices: &'a [Invoice], key: &str) -> Vec<&'a Invoice> {
    let key = key.trim();
    let sorted = sorted_invoices(invoices);
    let by_number: Vec<&Invoice> = if InvoiceNumber::parse(key).is_ok() {
        sorted.iter().copied().filter(|i| i.number == key).collect()
    } else {
        sorted
            .iter()
            .copied()
            .filter(|i| !key.is_empty() && i.number.replace('-', "") == key)
            .collect()
    };
    if !by_number.is_empty() {
        return by_number;
    }
    sorted.into_iter().filter(|i| i.site == key).collect()
}

/// A row of `exceptions.csv` as `billc explain` reads it back (`site,kind,location,message`, the
/// message in plain text; see [`output::exceptions_csv`]).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ExceptionRow {
    pub site: String,
    pub kind: String,
    pub location: String,
    pub message: String,
}

/// Reads the text of an `exceptions.csv`.
pub fn parse_exceptions(text: &str) -> Result<Vec<ExceptionRow>, csv::Error> {
    csv::Reader::from_reader(text.as_bytes()).deserialize().collect()
}

/// What `billc explain` reads of a run's period folder.
#[derive(Debug)]
pub struct PeriodFolder {
    /// The folder as given.
    pub dir: PathBuf,
    /// `trace.json`; `None` for a refused run, which writes none.
    pub trace: Option<Trace>,
    /// The rows of `exceptions.csv` (none if the folder has no such file).
    pub exceptions: Vec<ExceptionRow>,
}

/// The most rows of `exceptions.csv` a [`NoInvoice`] quotes.
pub const MAX_REASONS: usize = 10;

/// Why a period folder has no invoice for a key, from its `exceptions.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoInvoice {
    /// The run was refused (its `run_refused` row, then the site's own rows): no invoice at all.
    Refused {
        key: String,
        /// The service month, when the folder's name is one.
        period: Option<String>,
        reasons: Reasons,
    },
    /// The site has no invoice, and `exceptions.csv` has rows about it.
    Site {
        site: String,
        period: String,
        reasons: Reasons,
    },
    /// The number names no invoice, but its site has others.
    OtherNumbers {
        key: String,
        dir: PathBuf,
        site: String,
        numbers: Vec<String>,
    },
    /// Nothing is known of the key.
    Unknown { key: String, dir: PathBuf },
}

/// The rows of `exceptions.csv` a [`NoInvoice`] quotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reasons {
    /// The first [`MAX_REASONS`] rows.
    pub rows: Vec<ExceptionRow>,
    /// How many more rows there are.
    pub more: usize,
    /// The file they come from.
    pub file: PathBuf,
}

impl Reasons {
    fn quote<'a>(rows: impl Iterator<Item = &'a ExceptionRow>, file: PathBuf) -> Reasons {
        let all: Vec<&ExceptionRow> = rows.collect();
        Reasons {
            more: all.len().saturating_sub(MAX_REASONS),
            rows: all.into_iter().take(MAX_REASONS).cloned().collect(),
            file,
        }
    }

    /// `head: kind — message (location)` for one reason; `head:` and one indented row per reason
    /// for several, then how many more the file holds.
    fn write(&self, f: &mut fmt::Formatter<'_>, head: &str) -> fmt::Result {
        let reason = |r: &ExceptionRow| {
            // The messages of these two kinds start by saying what the head already says.
            let message = ["no invoices were made: ", "no invoice for "]
                .iter()
                .find_map(|prefix| r.message.strip_prefix(prefix))
                .map_or(r.message.as_str(), |rest| match rest.split_once(": ") {
                    Some((month, why)) if YearMonth::parse(month).is_some() => why,
                    _ => rest,
                });
            if r.location.is_empty() {
                format!("{} — {message}", r.kind)
            } else {
                format!("{} — {message} ({})", r.kind, r.location)
            }
        };
        match self.rows.as_slice() {
            [] => write!(f, "{head} ({} has no row about it)", self.file.display()),
            [one] if self.more == 0 => write!(f, "{head}: {}", reason(one)),
            rows => {
                write!(f, "{head}:")?;
                for r in rows {
                    write!(f, "\n  {}", reason(r))?;
                }
                if self.more > 0 {
                    write!(f, "\n  … and {} more in {}", self.more, self.file.display())?;
                }
                Ok(())
            }
        }
    }
}

impl PeriodFolder {
    /// The invoices `key` names ([`find`]), or why there are none.
    pub fn lookup(&self, key: &str) -> Result<Vec<&Invoice>, NoInvoice> {
        let key = key.trim();
        // The site a number names (its first part), or the key itself.
        let site = InvoiceNumber::parse(key).map_or_else(|_| key.to_owned(), |n| n.site);
        let exceptions = self.dir.join(output::EXCEPTIONS_CSV);
        let Some(trace) = &self.trace else {
            let refused = self.exceptions.iter().filter(|e| e.kind == "run_refused");
            let own = self
                .exceptions
                .iter()
                .filter(|e| !site.is_empty() && e.site == site && e.kind != "run_refused");
            let reasons = Reasons::quote(refused.chain(own), exceptions);
            return Err(NoInvoice::Refused {
                key: key.to_owned(),
                period: self
                    .dir
                    .file_name()
                    .and_then(|n| n.to_str())
                    .filter(|n| YearMonth::parse(n).is_some())
                    .map(str::to_owned),
                reasons,
            });
        };
        let found = find(&trace.invoices, key);
        if !found.is_empty() {
            return Ok(found);
        }
        let numbers: Vec<String> = find(&trace.invoices, &site).iter().map(|i| i.number.clone()).collect();
        if !numbers.is_empty() {
            return Err(NoInvoice::OtherNumbers {
                key: key.to_owned(),
                dir: self.dir.clone(),
                site,
                numbers,
            });
        }
        let reasons = Reasons::quote(
            self.exceptions.iter().filter(|e| !site.is_empty() && e.site == site),
            exceptions,
        );
        if reasons.rows.is_empty() {
            return Err(NoInvoice::Unknown {
                key: key.to_owned(),
                dir: self.dir.clone(),
            });
        }
        Err(NoInvoice::Site {
            site,
            period: trace.period.clone(),
            reasons,
        })
    }
}

impl fmt::Display for NoInvoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoInvoice::Refused { key, period, reasons } => {
                let run = match period {
                    Some(p) => format!("the run for {p}"),
                    None => "the run".to_owned(),
                };
                reasons.write(f, &format!("{run} was refused, so there is no invoice `{key}`"))
            }
            NoInvoice::Site { site, period, reasons } => {
                reasons.write(f, &format!("site {site} has no invoice for {period}"))
            }
            NoInvoice::OtherNumbers {
                key,
                dir,
                site,
                numbers,
            } => write!(
                f,
                "no invoice `{key}` in {}; site {site} has {}",
                dir.display(),
                numbers.join(", ")
            ),
            NoInvoice::Unknown { key, dir } => write!(
                f,
                "no invoice `{key}` in {}, and its exceptions.csv says nothing of site `{key}` \
                 (give an invoice number like 0238-202506-01-01, or a site)",
                dir.display()
            ),
        }
    }
}

impl std::error::Error for NoInvoice {}

// ---------------------------------------------------------------------------------------- folder

/// Why a folder cannot be explained from.
#[derive(Debug)]
pub enum FolderError {
    /// An output folder (`--out`) given instead of one of its period folders.
    OutputFolder { dir: PathBuf, periods: Vec<PathBuf> },
    /// Neither `trace.json` nor `exceptions.csv`, and no period folders inside.
    NotAPeriodFolder { dir: PathBuf },
    /// `exceptions.csv` without `trace.json`, and no `run_refused` row to say why.
    NoTrace { dir: PathBuf },
    /// `trace.json` cannot be read.
    Trace(ReadTraceError),
    /// `exceptions.csv` (or the folder) cannot be read.
    Io { path: PathBuf, error: std::io::Error },
    /// `exceptions.csv` is not one billc wrote.
    Exceptions { path: PathBuf, error: csv::Error },
}

impl fmt::Display for FolderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FolderError::OutputFolder { dir, periods } => {
                let list: Vec<String> = periods.iter().map(|p| p.display().to_string()).collect();
                write!(
                    f,
                    "`{}` is an output folder (`billc run --out`), not a period folder: give one of: {}",
                    dir.display(),
                    list.join(", ")
                )
            }
            FolderError::NotAPeriodFolder { dir } => write!(
                f,
                "`{}` holds neither trace.json nor exceptions.csv: give a run's period folder, \
                 `<out>/<YYYY-MM>` as `billc run --out <out>` writes it",
                dir.display()
            ),
            FolderError::NoTrace { dir } => write!(
                f,
                "`{}` has exceptions.csv but no trace.json, and no run_refused row says why \
                 (only a refused run writes no trace)",
                dir.display()
            ),
            FolderError::Trace(e) => e.fmt(f),
            FolderError::Io { path, error } => write!(f, "cannot read `{}`: {error}", path.display()),
            FolderError::Exceptions { path, error } => {
                write!(f, "`{}` is not a billc exceptions file: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for FolderError {}

/// Reads a run's period folder (`<out>/<YYYY-MM>`, or its `trace.json` itself): the trace if there
/// is one, and `exceptions.csv`. The folder must exist (a path that does not is the caller's usage
/// error).
pub fn read_folder(dir: &Path) -> Result<PeriodFolder, FolderError> {
    if !dir.is_dir() {
        // `trace.json` itself: the folder is the one it is in.
        let trace = output::read_trace(dir).map_err(FolderError::Trace)?;
        let folder = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let beside = folder.join(output::EXCEPTIONS_CSV);
        let exceptions = if beside.is_file() {
            read_exceptions(&beside)?
        } else {
            Vec::new()
        };
        return Ok(PeriodFolder {
            dir: folder,
            trace: Some(trace),
            exceptions,
        });
    }
    let has_trace = dir.join(output::TRACE_JSON).exists();
    let exceptions_path = dir.join(output::EXCEPTIONS_CSV);
    let has_exceptions = exceptions_path.exists();
    if !has_trace && !has_exceptions {
        let periods = period_folders(dir)?;
        if periods.is_empty() {
            return Err(FolderError::NotAPeriodFolder { dir: dir.to_path_buf() });
        }
        return Err(FolderError::OutputFolder {
            dir: dir.to_path_buf(),
            periods,
        });
    }
    let exceptions = if has_exceptions {
        read_exceptions(&exceptions_path)?
    } else {
        Vec::new()
    };
    let trace = if has_trace {
        Some(output::read_trace(dir).map_err(FolderError::Trace)?)
    } else if exceptions.iter().any(|e| e.kind == "run_refused") {
        None
    } else {
        return Err(FolderError::NoTrace { dir: dir.to_path_buf() });
    };
    Ok(PeriodFolder {
        dir: dir.to_path_buf(),
        trace,
        exceptions,
    })
}

fn read_exceptions(path: &Path) -> Result<Vec<ExceptionRow>, FolderError> {
    let text = std::fs::read_to_string(path).map_err(cannot_read(path))?;
    parse_exceptions(&text).map_err(|error| FolderError::Exceptions {
        path: path.to_path_buf(),
        error,
    })
}

/// [`FolderError::Io`] of `path`.
fn cannot_read(path: &Path) -> impl FnOnce(std::io::Error) -> FolderError + '_ {
    move |error| FolderError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// The folders of `dir` named like a month (`2025-03`), sorted, as paths under `dir`.
fn period_folders(dir: &Path) -> Result<Vec<PathBuf>, FolderError> {
    let entries = std::fs::read_dir(dir).map_err(cannot_read(dir))?;
    let mut periods: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().and_then(YearMonth::parse).is_some())
        .map(|e| dir.join(e.file_name()))
        .filter(|p| p.is_dir())
        .collect();
    periods.sort();
    Ok(periods)
}
