//! The bodies of the fuzz targets, shared by the fuzz crate (`fuzz/fuzz_targets/*.rs`, nightly,
//! libFuzzer) and the stable replay test (`tests/fuzz_corpus.rs`), which includes this file with
//! `#[path]` and runs every file of `fuzz/corpus/` and `fuzz/regressions/` through the same
//! function. Each function takes the raw input bytes and panics only on a finding.
//!
//! - [`parse`]: the bytes as a `.bill` file, through `syntax::parse` (fast parser or pest);
//! - [`check`]: the bytes drive [`grammar::contract`], a grammar-shaped generator, and the text goes
//!   through a `Session` like `billc check` (stdlib loaded), diagnostics rendered;
//! - [`eval`]: the same generator; what checks cleanly is compiled and billed for March 2025 over
//!   the bundled `examples/data` (loaded once), every line amount a whole number of cents;
//! - [`csv`]: the first byte picks one file of the bundled data directory, the rest replaces its
//!   contents; the directory is loaded as `billc run` loads it and every row read back.
//!
//! Nothing here may touch the network or spawn a process; inputs are small (`-max_len=4096`).

use arbitrary::Unstructured;
use billc_lang::schema::{TableName, column_position};
use billc_lang::session::Session;
use billc_lang::span::FileId;
use billc_lang::time::YearMonth;
use std::path::Path;

/// The bytes as text: invalid UTF-8 is replaced, so that every input reaches the parser.
fn text_of(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Parses the bytes as one file. Asserts: no panic (and, by the fuzzer's timeout, no hang).
pub fn parse(data: &[u8]) {
    let text = text_of(data);
    let (module, errors) = billc_lang::syntax::parse(FileId(0), &text);
    // Every error carries a span inside the text (the renderer slices the source with it).
    for e in &errors {
        for label in std::iter::once(&e.primary).chain(&e.secondary) {
            let range = label.span.range();
            assert!(
                range.start <= range.end && range.end <= text.len(),
                "{e:?} outside the text"
            );
        }
    }
    std::hint::black_box(module);
}

/// Checks a generated contract as `billc check` does. Asserts: no panic; diagnostics render.
pub fn check(data: &[u8]) {
    let text = grammar::contract(&mut Unstructured::new(data));
    let mut session = Session::default();
    let file = session.add_file("fuzz.bill", &text);
    let (diags, plans) = session.check(&[file]);
    let sources = session.sources();
    let list: Vec<(&str, &str)> = sources.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let rendered = billc_lang::diag::render::render_plain(&diags, &list);
    assert_eq!(diags.is_empty(), rendered.is_empty(), "{text}\n{rendered}");
    std::hint::black_box(plans);
}

/// The month the [`eval`] target bills, and the months of data before it.
const PERIOD: (i32, u32) = (2025, 3);
const HISTORY: u32 = 2;

/// Bills a generated contract that checks cleanly for each month of the bundled data. Asserts:
/// no panic; an evaluation error is a value; every line amount is whole cents. Returns the number
/// of lines billed (the replay test checks that the corpus reaches the evaluator).
#[expect(clippy::panic, reason = "a fuzz target panics on a finding")]
pub fn eval(data: &[u8]) -> usize {
    let text = grammar::contract(&mut Unstructured::new(data));
    let mut session = Session::default();
    let file = session.add_file("fuzz.bill", &text);
    let (diags, plans) = session.check(&[file]);
    if diags.iter().any(billc_lang::diag::Diagnostic::is_error) {
        return 0;
    }
    let Some(period) = period() else {
        return 0;
    };
    BUNDLED.with(|set| {
        let mut billed = 0;
        let Some(set) = set else {
            panic!("the bundled data does not load");
        };
        for plan in &plans {
            for month in set.first_month.through(period) {
                let Ok(run) = billc_lang::eval::run_contract_keeping_zero(plan, set, month) else {
                    continue;
                };
                for l in &run.lines {
                    let amount = l.line.amount;
                    assert_eq!(
                        amount,
                        amount.round_dp(2),
                        "line {:?} not in cents\n{text}",
                        l.line.title
                    );
                }
                billed += run.lines.len();
            }
        }
        billed
    })
}

/// The bundled data directory (`examples/data`), embedded: (path inside the directory, contents).
const DATA_FILES: [(&str, &str); 9] = [
    ("sites.csv", include_str!("../examples/data/sites.csv")),
    ("revenue.csv", include_str!("../examples/data/revenue.csv")),
    ("statistics.csv", include_str!("../examples/data/statistics.csv")),
    ("gl.csv", include_str!("../examples/data/gl.csv")),
    ("forecast.csv", include_str!("../examples/data/forecast.csv")),
    ("indexes.csv", include_str!("../examples/data/indexes.csv")),
    ("adhoc.csv", include_str!("../examples/data/adhoc.csv")),
    (
        "2025-03/revenue.csv",
        include_str!("../examples/data/2025-03/revenue.csv"),
    ),
    (
        "2025-03/timesheets.csv",
        include_str!("../examples/data/2025-03/timesheets.csv"),
    ),
];

/// Writes the bundled files into `dir`, `replace` (an index into [`DATA_FILES`] and contents)
/// instead of one of them.
fn write_data(dir: &Path, replace: Option<(usize, &[u8])>) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("2025-03"))?;
    for (i, (name, contents)) in DATA_FILES.iter().enumerate() {
        let bytes = match replace {
            Some((r, bytes)) if r == i => bytes,
            _ => contents.as_bytes(),
        };
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(())
}

/// The service month of [`eval`] and [`csv`].
fn period() -> Option<YearMonth> {
    YearMonth::new(PERIOD.0, PERIOD.1)
}

/// Loads a data directory as `billc run --period 2025-03` does (every table, two months before).
fn load(dir: &Path) -> Option<billc_data::DataSet> {
    let options = billc_data::LoadOptions {
        period: period()?,
        history: HISTORY,
        demand: None,
        groups: None,
    };
    billc_data::load(dir, options).ok()
}

/// A temporary directory for this thread, kept between inputs.
fn scratch() -> Option<tempfile::TempDir> {
    tempfile::Builder::new().prefix("billc-fuzz-").tempdir().ok()
}

thread_local! {
    /// The bundled data, loaded once per thread (`None`: it failed to load, a finding of [`eval`]).
    static BUNDLED: Option<billc_data::DataSet> = scratch().and_then(|dir| {
        write_data(dir.path(), None).ok()?;
        load(dir.path())
    });
    static CSV_DIR: Option<tempfile::TempDir> = scratch();
}

/// Loads the bundled data directory with one file replaced by the input. Asserts: no panic (a bad
/// file is a `LoadError`, a bad row a `BadRow`); every row loaded reads back.
#[expect(clippy::panic, reason = "a fuzz target panics on a finding")]
pub fn csv(data: &[u8]) {
    let Some((&pick, contents)) = data.split_first() else {
        return;
    };
    CSV_DIR.with(|dir| {
        let Some(dir) = dir else {
            panic!("no temporary directory");
        };
        let replace = usize::from(pick) % DATA_FILES.len();
        if write_data(dir.path(), Some((replace, contents))).is_err() {
            panic!("cannot write the data files");
        }
        let Some(set) = load(dir.path()) else {
            return;
        };
        for bad in &set.bad_rows {
            std::hint::black_box(format!("{bad:?}"));
        }
        let sites: std::collections::BTreeSet<String> = set.sites.keys().cloned().collect();
        let Some(period) = period() else {
            return;
        };
        use billc_lang::eval::DataView;
        for site in sites.iter().map(String::as_str).chain(["1138", "0451", "9301", ""]) {
            for month in set.first_month.through(period) {
                for table in TableName::ALL {
                    for row in set.rows(table, site, month) {
                        for (name, ty) in table.columns() {
                            if let Some((_, i)) = column_position(table, name) {
                                if ty.is_dimension() {
                                    std::hint::black_box(row.dim(i));
                                } else {
                                    std::hint::black_box(row.measure(i));
                                }
                            }
                        }
                    }
                }
                std::hint::black_box((set.adhoc(site, month), set.forecast(site, month)));
            }
        }
        std::hint::black_box(set.account(&sites));
    });
}

/// A grammar-shaped generator of `.bill` files: the input bytes choose, through
/// [`Unstructured`], which items, statements and expressions to write. Expressions are generated
/// for a kind (money, percent, …) so that most contracts check and reach the evaluator, but a
/// choice now and then takes any kind, so that the checker's errors are exercised too. When the
/// bytes run out every choice takes its first option, so generation always ends.
pub mod grammar {
    use arbitrary::Unstructured;
    use std::fmt::Write as _;

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Kind {
        Money,
        Percent,
        Number,
        Bool,
        Text,
        Hours,
        Rate,
        Date,
        Month,
    }

    const KINDS: [Kind; 9] = [
        Kind::Money,
        Kind::Percent,
        Kind::Number,
        Kind::Bool,
        Kind::Text,
        Kind::Hours,
        Kind::Rate,
        Kind::Date,
        Kind::Month,
    ];

    fn type_name(k: Kind) -> &'static str {
        match k {
            Kind::Money => "Money",
            Kind::Percent => "Percent",
            Kind::Number => "Number",
            Kind::Bool => "Bool",
            Kind::Text => "Text",
            Kind::Hours => "Hours",
            Kind::Rate => "Money/Hour",
            Kind::Date => "Date",
            Kind::Month => "Month",
        }
    }

    /// Sites of the bundled data with rows in different tables.
    const SITES: [&str; 6] = ["1138", "0451", "9301", "9123", "0170", "9999"];
    const REVENUE_CODES: [&str; 4] = ["PK", "SD1", "VD1", "XX"];
    const JOBS: [&str; 3] = ["VAL", "IPT", "SRACCTMGR"];
    const ACCOUNTS: [&str; 4] = ["4000", "6010", "6200", "7080"];

    struct Gen<'a, 'b> {
        u: &'a mut Unstructured<'b>,
        /// Names in scope with their kinds.
        scope: Vec<(String, Kind)>,
        /// One-parameter functions declared so far: (name, parameter kind, result kind).
        fns: Vec<(String, Kind, Kind)>,
        next: u32,
    }

    /// Writes a whole `.bill` file.
    pub fn contract(u: &mut Unstructured<'_>) -> String {
        let mut g = Gen {
            u,
            scope: Vec::new(),
            fns: Vec::new(),
            next: 0,
        };
        g.file()
    }

    impl Gen<'_, '_> {
        fn pick<T: Copy>(&mut self, options: &[T]) -> T {
            match self.u.choose(options) {
                Ok(&t) => t,
                // Unreachable: the lists are never empty; the first is as good as any.
                Err(_) => options[0],
            }
        }

        fn below(&mut self, n: u32) -> u32 {
            self.u.int_in_range(0..=n.saturating_sub(1)).unwrap_or(0)
        }

        fn flip(&mut self) -> bool {
            self.u.arbitrary().unwrap_or(false)
        }

        fn fresh(&mut self, prefix: &str) -> String {
            self.next += 1;
            format!("{prefix}{}", self.next)
        }

        fn file(&mut self) -> String {
            let mut out = String::new();
            // Most contracts use the stdlib's components and functions; some lack it (errors).
            if self.below(8) != 0 {
                out.push_str("use towne_park\n");
            }
            if self.flip() {
                out.push_str("use pricing\n");
            }
            for _ in 0..self.below(3) {
                if self.flip() {
                    let k = self.kind();
                    let name = self.fresh("C");
                    let e = self.expr(k, 2);
                    let _ = writeln!(out, "const {name}: {} = {e}", type_name(k));
                    self.scope.push((name, k));
                } else {
                    let (p, r) = (self.kind(), self.kind());
                    let name = self.fresh("f");
                    self.scope.push(("x".into(), p));
                    let e = self.expr(r, 2);
                    self.scope.pop();
                    let _ = writeln!(out, "fn {name}(x: {}) -> {} = {e}", type_name(p), type_name(r));
                    self.fns.push((name, p, r));
                }
            }
            let site = self.pick(&SITES);
            let _ = writeln!(out, "contract \"{site}\" {{\n    customer \"Fuzz {site}\"");
            if self.flip() {
                let terms = self.pick(&["Due in 30 Days", "Due by 20th", "due on receipt", "net 30"]);
                let _ = writeln!(out, "    terms \"{terms}\"");
            }
            let depth = self.scope.len();
            let mut lines = 0;
            for _ in 0..self.below(8) {
                out.push_str(&self.stmt(1, &mut lines));
            }
            if lines == 0 {
                out.push_str("    line \"Base\" = $1\n");
            }
            self.scope.truncate(depth);
            out.push_str("}\n");
            out
        }

        fn kind(&mut self) -> Kind {
            self.pick(&KINDS)
        }

        /// One statement of a contract body, indented by `level`.
        fn stmt(&mut self, level: usize, lines: &mut u32) -> String {
            let pad = "    ".repeat(level);
            match self.below(8) {
                0 | 1 => {
                    let k = self.kind();
                    let name = self.fresh("v");
                    let e = self.expr(k, 3);
                    self.scope.push((name.clone(), k));
                    if self.flip() {
                        format!("{pad}let {name}: {} = {e}\n", type_name(k))
                    } else {
                        format!("{pad}let {name} = {e}\n")
                    }
                }
                2 => {
                    let c = self.expr(Kind::Bool, 2);
                    // A block's names end with it.
                    let depth = self.scope.len();
                    let inner = self.stmt(level + 1, lines);
                    self.scope.truncate(depth);
                    let other = if self.flip() {
                        let s = self.stmt(level + 1, lines);
                        self.scope.truncate(depth);
                        format!(" else {{\n{s}{pad}}}")
                    } else {
                        String::new()
                    };
                    format!("{pad}if {c} {{\n{inner}{pad}}}{other}\n")
                }
                3 => {
                    let c = self.expr(Kind::Bool, 2);
                    let kind = self.pick(&["approval", "exception"]);
                    format!("{pad}check {c} else {kind} \"fuzz check\"\n")
                }
                4 => {
                    *lines += 1;
                    self.instance(&pad)
                }
                _ => {
                    *lines += 1;
                    let title = self.line_title();
                    let mut attrs = String::new();
                    if self.flip() {
                        let gl = self.pick(&["4790", "4791", "7000"]);
                        let _ = write!(attrs, " gl {gl}");
                    }
                    if self.flip() {
                        // Group 2 is declared nowhere: an error now and then.
                        let group = if self.below(8) == 0 { 2 } else { 1 };
                        let _ = write!(attrs, " group {group}");
                    }
                    if self.flip() {
                        let tag = self.pick(&["fee", "labor", "credit"]);
                        let _ = write!(attrs, " tags [{tag}]");
                    }
                    if self.flip() {
                        let d = self.text(2);
                        let _ = write!(attrs, " desc {d}");
                    }
                    let k = if self.below(24) == 0 { self.kind() } else { Kind::Money };
                    let e = self.expr(k, 4);
                    format!("{pad}line {title}{attrs} = {e}\n")
                }
            }
        }

        fn line_title(&mut self) -> String {
            if self.below(4) == 0 {
                self.text(1)
            } else {
                format!(
                    "\"{}\"",
                    self.pick(&["Management Fee", "Valet", "Parking", "Credit", "Labor"])
                )
            }
        }

        /// An instance of a stdlib component (with `use towne_park`; without, an error).
        fn instance(&mut self, pad: &str) -> String {
            match self.below(5) {
                0 => {
                    let codes = self.codes();
                    let tiers = self.tier_table();
                    let window = self.pick(&["monthly", "calendar_year", "anniversary"]);
                    format!("{pad}revenue_share {{ codes {codes} accumulate {window} tiers {tiers} }}\n")
                }
                1 => {
                    let amount = self.expr(Kind::Money, 2);
                    format!("{pad}fixed_fee {{ title \"Fixed\" amount {amount} }}\n")
                }
                2 => {
                    let job = self.pick(&JOBS);
                    let rate = self.rate_lit();
                    let ot = self.rate_lit();
                    format!("{pad}per_labor_hour {{ job \"{job}\" title \"Labor\" rate {rate} overtime {ot} }}\n")
                }
                3 => {
                    let rate = self.money_lit();
                    format!("{pad}occupied_rooms {{ rate {rate}/room }}\n")
                }
                _ => {
                    let amount = self.expr(Kind::Money, 1);
                    format!("{pad}mid_month_advance {{ amount {amount} }}\n")
                }
            }
        }

        fn codes(&mut self) -> String {
            let n = 1 + self.below(3);
            let codes: Vec<String> = (0..n).map(|_| format!("\"{}\"", self.pick(&REVENUE_CODES))).collect();
            format!("[{}]", codes.join(", "))
        }

        fn amount(&mut self, max_units: i64, scale: u32) -> String {
            let n = self.u.int_in_range(0..=max_units).unwrap_or(0);
            rust_decimal_free(n, scale)
        }

        /// `$1,250.00`, `$75,000`, `$0.5`: with or without grouping, with or without cents.
        fn money_lit(&mut self) -> String {
            let grouped = self.flip();
            let cents = self.flip();
            let n = self.u.int_in_range(0..=2_000_000u64).unwrap_or(0);
            let whole = if grouped { group_thousands(n) } else { n.to_string() };
            let tail = if cents {
                format!(".{:02}", self.below(100))
            } else {
                String::new()
            };
            let neg = if self.below(6) == 0 { "-" } else { "" };
            format!("{neg}${whole}{tail}")
        }

        fn percent_lit(&mut self) -> String {
            format!("{}%", self.amount(10_000, 2))
        }

        fn rate_lit(&mut self) -> String {
            let unit = self.pick(&["h", "hour", "hours"]);
            format!("${}/{unit}", self.amount(10_000, 2))
        }

        fn hours_lit(&mut self) -> String {
            let unit = self.pick(&["h", " hours", " hour"]);
            format!("{}{unit}", self.amount(2_000, 1))
        }

        fn date_lit(&mut self) -> String {
            let y = 2024 + self.below(3);
            let m = 1 + self.below(12);
            // Now and then a day the month lacks.
            let days = if self.below(16) == 0 { 31 } else { 28 };
            let d = 1 + self.below(days);
            format!("{y}-{m:02}-{d:02}")
        }

        fn month_lit(&mut self) -> String {
            let y = 2024 + self.below(3);
            let m = 1 + self.below(12);
            format!("{y}-{m:02}")
        }

        /// `"text"` with escapes and interpolations.
        fn text(&mut self, depth: u32) -> String {
            let mut out = String::from("\"");
            for _ in 0..self.below(4) {
                match self.below(5) {
                    0 if depth > 0 => {
                        let k = self.kind();
                        let e = self.expr(k, depth - 1);
                        let _ = write!(out, "{{{e}}}");
                    }
                    1 => out.push_str(self.pick(&["\\\"", "\\\\", "{{", "}}", "\\n"])),
                    _ => out.push_str(self.pick(&["Fee", " for ", "March", "é", "0238", " "])),
                }
            }
            out.push('"');
            out
        }

        /// A tier table of percentages over money; limits mostly increase (else E-errors).
        fn tier_table(&mut self) -> String {
            let n = 1 + self.below(4);
            let mut tiers = Vec::new();
            let mut limit = 0i64;
            for i in 0..n {
                let p = self.expr(Kind::Percent, 0);
                if i + 1 < n || self.below(4) == 0 {
                    let step = if self.below(16) == 0 { -10..=0 } else { 1..=200_000 };
                    limit += self.u.int_in_range(step).unwrap_or(1);
                    let sign = if limit < 0 { "-" } else { "" };
                    let l = format!("{sign}${}", group_thousands(limit.unsigned_abs()));
                    tiers.push(format!("{p} up to {l}"));
                } else {
                    tiers.push(p);
                }
            }
            let sep = self.pick(&[", ", " then ", " "]);
            format!("{{ {} }}", tiers.join(sep))
        }

        /// A name in scope of kind `k`, if any.
        fn var(&mut self, k: Kind) -> Option<String> {
            let names: Vec<String> = self
                .scope
                .iter()
                .filter(|(_, v)| *v == k)
                .map(|(n, _)| n.clone())
                .collect();
            if names.is_empty() {
                return None;
            }
            let i = self.below(u32::try_from(names.len()).unwrap_or(u32::MAX)) as usize;
            names.get(i).cloned()
        }

        fn literal(&mut self, k: Kind) -> String {
            match k {
                Kind::Money => self.money_lit(),
                Kind::Percent => self.percent_lit(),
                Kind::Number => {
                    let scale = self.below(3);
                    self.amount(100_000, scale)
                }
                Kind::Bool => self.pick(&["true", "false"]).to_string(),
                Kind::Text => self.text(0),
                Kind::Hours => self.hours_lit(),
                Kind::Rate => self.rate_lit(),
                Kind::Date => self.date_lit(),
                Kind::Month => self.month_lit(),
            }
        }

        /// An expression of kind `k` (now and then of another kind), at most `depth` deep; a
        /// compound one is mostly in brackets, so that it is an operand as generated.
        fn expr(&mut self, k: Kind, depth: u32) -> String {
            let e = self.bare(k, depth);
            if depth > 0 && self.below(6) != 0 && e.contains(' ') {
                format!("({e})")
            } else {
                e
            }
        }

        fn bare(&mut self, k: Kind, depth: u32) -> String {
            if depth == 0 || self.below(4) == 0 {
                if let Some(v) = self.var(k)
                    && self.flip()
                {
                    return v;
                }
                return self.literal(k);
            }
            if self.below(40) == 0 {
                let other = self.kind();
                return self.expr(other, depth - 1);
            }
            let d = depth - 1;
            if self.below(10) == 0 {
                let c = self.expr(Kind::Bool, d);
                let (a, b) = (self.expr(k, d), self.expr(k, d));
                return format!("if {c} then {a} else {b}");
            }
            if self.below(12) == 0 {
                let fns: Vec<(String, Kind)> = self
                    .fns
                    .iter()
                    .filter(|(_, _, r)| *r == k)
                    .map(|(n, p, _)| (n.clone(), *p))
                    .collect();
                if let Some((name, p)) = fns.first().cloned() {
                    let a = self.expr(p, d);
                    return format!("{name}({a})");
                }
            }
            if self.below(16) == 0 {
                // A record's field, or a list element through a comprehension and `first`.
                let e = self.expr(k, d);
                let other = self.expr(Kind::Number, 0);
                return match self.below(2) {
                    0 => format!("{{a: {other}, b: {e}}}.b"),
                    _ => format!("({e})"),
                };
            }
            match k {
                Kind::Money => self.money(d),
                Kind::Percent => {
                    let (a, b) = (self.expr(Kind::Percent, d), self.expr(Kind::Percent, d));
                    match self.below(4) {
                        0 => format!("{a} + {b}"),
                        1 => format!("{a} - {b}"),
                        2 => format!("max({a}, {b})"),
                        _ => format!("{a} * {}", self.expr(Kind::Number, d)),
                    }
                }
                Kind::Number => {
                    let (a, b) = (self.expr(Kind::Number, d), self.expr(Kind::Number, d));
                    match self.below(9) {
                        0 => format!("{a} + {b}"),
                        1 => format!("{a} - {b}"),
                        2 => format!("{a} * {b}"),
                        3 => format!("{a} / {b}"),
                        4 => format!("-{a}"),
                        5 => format!("len([{a}, {b}])"),
                        6 => format!("days_in_month({})", self.expr(Kind::Month, d)),
                        7 => format!("round({a}, {})", self.below(4)),
                        _ => format!("count(revenue where revenue_code == \"{}\")", self.pick(&REVENUE_CODES)),
                    }
                }
                Kind::Bool => {
                    let o = self.pick(&[Kind::Money, Kind::Number, Kind::Percent, Kind::Date, Kind::Text]);
                    let (a, b) = (self.expr(o, d), self.expr(o, d));
                    match self.below(8) {
                        0 => format!("{a} == {b}"),
                        1 => format!("{a} != {b}"),
                        2 => format!("{a} < {b}"),
                        3 => format!("{a} >= {b}"),
                        4 => format!("{a} in [{b}, {a}]"),
                        5 => format!("not {}", self.expr(Kind::Bool, d)),
                        6 => format!("{} and {}", self.expr(Kind::Bool, d), self.expr(Kind::Bool, d)),
                        _ => format!("{} or {}", self.expr(Kind::Bool, d), self.expr(Kind::Bool, d)),
                    }
                }
                Kind::Text => self.text(d),
                Kind::Hours => {
                    let job = self.pick(&JOBS);
                    match self.below(4) {
                        0 => format!("regular_hours(\"{job}\")"),
                        1 => format!("overtime_hours(\"{job}\")"),
                        2 => format!("sum(timesheets.regular_hours where job_code == \"{job}\")"),
                        _ => format!("{} + {}", self.expr(Kind::Hours, d), self.expr(Kind::Hours, d)),
                    }
                }
                Kind::Rate => {
                    let r = self.expr(Kind::Rate, d);
                    format!("{r} * {}", self.expr(Kind::Number, d))
                }
                Kind::Date => match self.below(3) {
                    0 => format!("first_day({})", self.expr(Kind::Month, d)),
                    1 => format!("last_day({})", self.expr(Kind::Month, d)),
                    _ => format!("add_months({}, {}, clamp)", self.expr(Kind::Date, d), self.below(30)),
                },
                Kind::Month => match self.below(2) {
                    0 => "service_month()".to_string(),
                    _ => format!("month_of({})", self.expr(Kind::Date, d)),
                },
            }
        }

        fn money(&mut self, d: u32) -> String {
            match self.below(14) {
                0 => format!("{} + {}", self.expr(Kind::Money, d), self.expr(Kind::Money, d)),
                1 => format!("{} - {}", self.expr(Kind::Money, d), self.expr(Kind::Money, d)),
                2 => format!("{} * {}", self.expr(Kind::Money, d), self.expr(Kind::Percent, d)),
                3 => format!("{} * {}", self.expr(Kind::Number, d), self.expr(Kind::Money, d)),
                4 => format!("{} / {}", self.expr(Kind::Money, d), self.expr(Kind::Number, d)),
                5 => format!("{} * {}", self.expr(Kind::Rate, d), self.expr(Kind::Hours, d)),
                6 => format!("-{}", self.expr(Kind::Money, d)),
                7 => {
                    let f = self.pick(&["min", "max", "cap", "floor"]);
                    format!("{f}({}, {})", self.expr(Kind::Money, d), self.expr(Kind::Money, d))
                }
                8 => {
                    let f = self.pick(&["abs", "ceil"]);
                    format!("{f}({})", self.expr(Kind::Money, d))
                }
                9 => {
                    let codes = self.codes();
                    let column = self.pick(&["net_external_revenue", "external_revenue", "billable_net_validation"]);
                    format!("sum(revenue.{column} where revenue_code in {codes})")
                }
                10 => {
                    let a = self.pick(&ACCOUNTS);
                    format!("sum(gl.balance where account == \"{a}\")")
                }
                11 => {
                    let f = self.pick(&["tiered", "volume"]);
                    let field = self.pick(&["due", "base", "prior", "banded"]);
                    let a = self.expr(Kind::Money, d);
                    let t = self.tier_table();
                    format!("{f}({a}, {t}).{field}")
                }
                12 => format!("round({}, {})", self.expr(Kind::Money, d), self.below(4)),
                _ => {
                    let f = self.pick(&["prior", "at"]);
                    let e = self.expr(Kind::Money, d);
                    if f == "at" {
                        format!("at({e}, {})", self.expr(Kind::Month, 0))
                    } else {
                        let window = self.pick(&["calendar_year", "anniversary", "monthly"]);
                        format!("prior({e}, {window})")
                    }
                }
            }
        }
    }

    /// `n` as `1,250,000`.
    fn group_thousands(n: u64) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    /// `n / 10^scale` written as a plain decimal (`12345`, scale 2 → `123.45`).
    fn rust_decimal_free(n: i64, scale: u32) -> String {
        let digits = format!("{:0>width$}", n, width = scale as usize + 1);
        let (whole, frac) = digits.split_at(digits.len() - scale as usize);
        if frac.is_empty() {
            whole.to_string()
        } else {
            format!("{whole}.{frac}")
        }
    }
}
