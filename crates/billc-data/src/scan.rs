//! What is in a data directory, before anything is read: the files and month folders DATA.md names,
//! and a [`Finding`] for every other entry, so that nothing billc does not read goes unmentioned.
//!
//! Entries are looked at with `symlink_metadata` (never opened unless they are regular files, so a
//! FIFO cannot block a run). A symbolic link is followed once: to a regular file it is read like one;
//! dangling, or to anything else, it is a finding. A regular file with a recognised name is opened
//! once to prove it can be read (the reader opens it again; a file that vanishes in between is a
//! [`crate::LoadError`]).
//!
//! Each finding says what the entry was probably meant to be ([`Meant`]): `Revenue.csv`,
//! `revenue (1).csv` and `revenu.csv` mean `revenue.csv`; `2025-3/` and `2025/03/` mean `2025-03/`.
//! Whether a finding stops the run is the billing layer's decision: it knows which tables the
//! contracts read.

use billc_lang::time::YearMonth;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The file names DATA.md gives (without `.csv`), in the order they are listed there.
pub const DATA_FILES: [&str; 9] = [
    "customers",
    "sites",
    "revenue",
    "statistics",
    "gl",
    "timesheets",
    "forecast",
    "indexes",
    "adhoc",
];

/// An entry of the data directory that billc does not read as it stands.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// The path relative to the data directory, with a `/` after folders (`2025-3/`, `Revenue.csv`).
    pub path: String,
    pub kind: FindingKind,
    /// What the entry looks like it was meant to be, when that can be told.
    pub meant: Option<Meant>,
}

/// Why an entry is not read.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingKind {
    /// A name DATA.md does not give.
    Unrecognised,
    /// A folder whose name is not a month `YYYY-MM` (or a month that does not exist).
    NotAMonth,
    /// A recognised name that is not a regular file (or, for a month, not a folder): what it is.
    NotRegular(&'static str),
    /// A symbolic link whose target does not exist.
    DanglingLink(String),
    /// A recognised file or folder that cannot be opened: the error.
    Unreadable(String),
}

/// The data file (or month folder) an entry stands for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Meant {
    /// The data file's name without `.csv` (one of [`DATA_FILES`]); `None` for a whole month folder.
    pub file: Option<&'static str>,
    /// The month folder it is in or stands for; `None` at the top of the directory.
    pub month: Option<YearMonth>,
}

impl Meant {
    /// The path it stands for: `2025-03/revenue.csv`, `revenue.csv`, `2025-03/`.
    pub fn path(&self) -> String {
        match (self.month, self.file) {
            (Some(m), Some(f)) => format!("{m}/{f}.csv"),
            (None, Some(f)) => format!("{f}.csv"),
            (Some(m), None) => format!("{m}/"),
            (None, None) => String::new(),
        }
    }
}

impl Finding {
    /// One sentence for `exceptions.csv` and the terminal.
    pub fn message(&self) -> String {
        let path = &self.path;
        let what = match &self.kind {
            FindingKind::Unrecognised => format!("{path} is not a file billc reads"),
            FindingKind::NotAMonth => format!("{path} is not a month folder (they are named YYYY-MM)"),
            FindingKind::NotRegular(kind) => format!("{path} is {kind}, not a regular file"),
            FindingKind::DanglingLink(target) => {
                format!("{path} is a symbolic link to {target}, which does not exist")
            }
            FindingKind::Unreadable(e) => format!("{path} cannot be read: {e}"),
        };
        match &self.meant {
            Some(m) if m.path().trim_end_matches('/') != path.trim_end_matches('/') => {
                format!("{what}; did you mean {}?", m.path())
            }
            _ => what,
        }
    }
}

impl Finding {
    /// An entry that cannot be read, standing for `meant`.
    fn unreadable(path: String, error: &std::io::Error, meant: Option<Meant>) -> Finding {
        Finding {
            path,
            kind: FindingKind::Unreadable(error.to_string()),
            meant,
        }
    }
}

/// What a data directory holds.
#[derive(Debug, Default)]
pub struct Layout {
    /// The readable regular files at the top, by name without `.csv`.
    pub top: BTreeSet<&'static str>,
    /// The month folders within the months read, sorted, with their readable files.
    pub folders: Vec<MonthFolder>,
    /// Month folders outside the months read (not opened).
    pub skipped_folders: Vec<String>,
    /// Everything else, sorted by path.
    pub findings: Vec<Finding>,
}

/// A month folder that is read.
#[derive(Debug)]
pub struct MonthFolder {
    pub month: YearMonth,
    pub path: PathBuf,
    pub files: BTreeSet<&'static str>,
}

/// Lists `dir`: the data files at its top, the month folders among `months` and their files, the
/// names of the other month folders, and a finding for every other entry. Only the directory itself
/// failing to list is an error.
pub fn scan(dir: &Path, months: &BTreeSet<YearMonth>) -> std::io::Result<Layout> {
    let mut layout = Layout::default();
    for entry in list(dir)? {
        let (name, path) = match entry {
            Ok(x) => x,
            Err(e) => {
                layout.findings.push(Finding::unreadable("./".into(), &e, None));
                continue;
            }
        };
        let node = Node::of(&path);
        if let Some(month) = YearMonth::parse(&name) {
            match node {
                Node::Dir if months.contains(&month) => {
                    let files = scan_folder(&path, &name, month, &mut layout.findings);
                    layout.folders.push(MonthFolder { month, path, files });
                }
                Node::Dir => layout.skipped_folders.push(name),
                other => layout
                    .findings
                    .push(other.finding(format!("{name}/"), None, Some(month), "a folder")),
            }
            continue;
        }
        if matches!(node, Node::Dir) {
            scan_odd_folder(&path, &name, &mut layout.findings);
            continue;
        }
        if let Some(file) = recognised(&name) {
            match node {
                Node::File => match fs::File::open(&path) {
                    Ok(_) => {
                        layout.top.insert(file);
                    }
                    Err(e) => layout.findings.push(Finding::unreadable(
                        name,
                        &e,
                        Some(Meant {
                            file: Some(file),
                            month: None,
                        }),
                    )),
                },
                other => layout
                    .findings
                    .push(other.finding(name, Some(file), None, "a regular file")),
            }
            continue;
        }
        let meant = meant_file(&name).map(|file| Meant {
            file: Some(file),
            month: None,
        });
        layout.findings.push(node.finding_or(name, meant));
    }
    layout.folders.sort_by_key(|f| f.month);
    layout.skipped_folders.sort();
    layout.findings.sort();
    Ok(layout)
}

/// The entries of a directory as (name, path), sorted by name; an entry that cannot be read is an error.
type Entry = std::io::Result<(String, PathBuf)>;

fn list(dir: &Path) -> std::io::Result<Vec<Entry>> {
    let mut out: Vec<Entry> = fs::read_dir(dir)?
        .map(|e| e.map(|e| (e.file_name().to_string_lossy().into_owned(), e.path())))
        .collect();
    out.sort_by(|a, b| match (a, b) {
        (Ok(a), Ok(b)) => a.0.cmp(&b.0),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => std::cmp::Ordering::Equal,
    });
    Ok(out)
}

/// The readable data files of a month folder; every other entry is a finding.
fn scan_folder(dir: &Path, folder: &str, month: YearMonth, findings: &mut Vec<Finding>) -> BTreeSet<&'static str> {
    let mut files = BTreeSet::new();
    let entries = match list(dir) {
        Ok(entries) => entries,
        Err(e) => {
            findings.push(Finding::unreadable(
                format!("{folder}/"),
                &e,
                Some(Meant {
                    file: None,
                    month: Some(month),
                }),
            ));
            return files;
        }
    };
    for entry in entries {
        let (name, path) = match entry {
            Ok(x) => x,
            Err(e) => {
                findings.push(Finding::unreadable(
                    format!("{folder}/"),
                    &e,
                    Some(Meant {
                        file: None,
                        month: Some(month),
                    }),
                ));
                continue;
            }
        };
        let node = Node::of(&path);
        let rel = format!("{folder}/{name}");
        match (recognised(&name), node) {
            (Some(file), Node::File) => match fs::File::open(&path) {
                Ok(_) => {
                    files.insert(file);
                }
                Err(e) => findings.push(Finding::unreadable(
                    rel,
                    &e,
                    Some(Meant {
                        file: Some(file),
                        month: Some(month),
                    }),
                )),
            },
            (Some(file), other) => findings.push(other.finding(rel, Some(file), Some(month), "a regular file")),
            (None, Node::Dir) => findings.push(Finding {
                path: format!("{rel}/"),
                kind: FindingKind::Unrecognised,
                meant: None,
            }),
            (None, other) => {
                let meant = meant_file(&name).map(|file| Meant {
                    file: Some(file),
                    month: Some(month),
                });
                findings.push(other.finding_or(rel, meant));
            }
        }
    }
    files
}

/// A folder whose name is not a month: a misspelt month (`2025-3`), a year holding month folders
/// (`2025/03/`), or something else.
fn scan_odd_folder(dir: &Path, name: &str, findings: &mut Vec<Finding>) {
    if let Some(month) = meant_month(name) {
        findings.push(Finding {
            path: format!("{name}/"),
            kind: FindingKind::NotAMonth,
            meant: Some(Meant {
                file: None,
                month: Some(month),
            }),
        });
        return;
    }
    let year = name.len() == 4 && name.bytes().all(|b| b.is_ascii_digit());
    if year && let Ok(entries) = list(dir) {
        let months: Vec<(String, Option<YearMonth>)> = entries
            .into_iter()
            .flatten()
            .filter(|(_, p)| p.is_dir())
            .map(|(sub, _)| {
                let m = meant_month(&format!("{name}-{sub}"));
                (sub, m)
            })
            .filter(|(_, m)| m.is_some())
            .collect();
        if !months.is_empty() {
            for (sub, month) in months {
                findings.push(Finding {
                    path: format!("{name}/{sub}/"),
                    kind: FindingKind::NotAMonth,
                    meant: month.map(|month| Meant {
                        file: None,
                        month: Some(month),
                    }),
                });
            }
            return;
        }
    }
    let looks_dated = name.bytes().next().is_some_and(|b| b.is_ascii_digit());
    findings.push(Finding {
        path: format!("{name}/"),
        kind: if looks_dated {
            FindingKind::NotAMonth
        } else {
            FindingKind::Unrecognised
        },
        meant: None,
    });
}

/// What an entry is, seen without opening it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    File,
    Dir,
    /// Anything else: a FIFO, a socket, a device.
    Other(&'static str),
    /// A symbolic link to nothing, with the link's text.
    Dangling(String),
    /// Its metadata cannot be read.
    Unknown,
}

impl Node {
    fn of(path: &Path) -> Node {
        let Ok(meta) = fs::symlink_metadata(path) else {
            return Node::Unknown;
        };
        let meta = if meta.file_type().is_symlink() {
            match fs::metadata(path) {
                Ok(target) => target,
                Err(_) => {
                    let target = fs::read_link(path).map_or_else(|e| e.to_string(), |t| t.display().to_string());
                    return Node::Dangling(target);
                }
            }
        } else {
            meta
        };
        let ty = meta.file_type();
        if ty.is_file() {
            Node::File
        } else if ty.is_dir() {
            Node::Dir
        } else {
            Node::Other(special_kind(&ty))
        }
    }

    /// The finding for a recognised name (a data file or a month folder) that is the wrong kind of
    /// entry: `expected` is what it should have been.
    fn finding(
        self,
        path: String,
        file: Option<&'static str>,
        month: Option<YearMonth>,
        expected: &'static str,
    ) -> Finding {
        let kind = match self {
            Node::Dir => FindingKind::NotRegular("a folder"),
            Node::File if expected == "a folder" => FindingKind::NotRegular("a file"),
            Node::Other(kind) => FindingKind::NotRegular(kind),
            Node::Dangling(target) => FindingKind::DanglingLink(target),
            Node::File | Node::Unknown => FindingKind::Unreadable("its metadata cannot be read".into()),
        };
        Finding {
            path,
            kind,
            meant: Some(Meant { file, month }),
        }
    }

    /// The finding for an unrecognised name (perhaps meant as a data file).
    fn finding_or(self, path: String, meant: Option<Meant>) -> Finding {
        let kind = match self {
            Node::Dangling(target) => FindingKind::DanglingLink(target),
            _ => FindingKind::Unrecognised,
        };
        Finding { path, kind, meant }
    }
}

#[cfg(unix)]
fn special_kind(ty: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ty.is_fifo() {
        "a FIFO (named pipe)"
    } else if ty.is_socket() {
        "a socket"
    } else if ty.is_block_device() || ty.is_char_device() {
        "a device"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn special_kind(_ty: &fs::FileType) -> &'static str {
    "not a file"
}

/// The data file a name is, exactly: `revenue.csv` → `revenue`.
fn recognised(name: &str) -> Option<&'static str> {
    let stem = name.strip_suffix(".csv")?;
    DATA_FILES.into_iter().find(|f| *f == stem)
}

/// The data file a misnamed file was probably meant to be: the same name in another case or with
/// another extension case (`Revenue.csv`, `gl.CSV`), a copy (`revenue (1).csv`, `revenue - Copy.csv`,
/// `revenue_copy.csv`, `revenue.csv.bak`), or a near spelling (`timesheet.csv`, `revenu.csv`).
fn meant_file(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    let mut stem = lower.as_str();
    for ext in [".csv", ".txt", ".tsv"] {
        if let Some(i) = stem.find(ext) {
            stem = stem.get(..i).unwrap_or(stem);
            break;
        }
    }
    let stem = strip_copy_suffix(stem.trim());
    if let Some(f) = DATA_FILES.into_iter().find(|f| *f == stem) {
        return Some(f);
    }
    // The nearest name within two edits (and not closer to two names at once).
    let mut best: Option<(usize, &'static str)> = None;
    let mut tie = false;
    for f in DATA_FILES {
        let d = edit_distance(stem, f);
        // One edit for short names (`notes` is two from `sites`), two for longer ones.
        let limit = if f.len() <= 5 { 1 } else { 2 };
        if d > limit {
            continue;
        }
        match best {
            Some((b, _)) if d > b => {}
            Some((b, _)) if d == b => tie = true,
            _ => {
                best = Some((d, f));
                tie = false;
            }
        }
    }
    if tie { None } else { best.map(|(_, f)| f) }
}

/// `revenue (1)` → `revenue`; `revenue - copy`, `revenue_copy`, `revenue copy 2` → `revenue`.
fn strip_copy_suffix(stem: &str) -> &str {
    let mut s = stem.trim_end();
    if let Some(open) = s.rfind(" (")
        && s.ends_with(')')
        && s.get(open + 2..s.len() - 1)
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
    {
        s = s.get(..open).unwrap_or(s);
    }
    for marker in [" - copy", "_copy", " copy", "-copy"] {
        if let Some(i) = s.find(marker) {
            s = s.get(..i).unwrap_or(s);
        }
    }
    s.trim_end()
}

/// The month a misspelt month folder name stands for: `2025-3`, `2025_03`, `2025.03`, `202503`,
/// `2025-03 (1)`, `2025-03-01` → 2025-03. `2025-13` stands for no month.
fn meant_month(name: &str) -> Option<YearMonth> {
    let name = strip_copy_suffix(name.trim());
    let digits: Vec<&str> = name
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect();
    let (year, month) = match digits.as_slice() {
        [ym] if ym.len() == 6 => (ym.get(..4)?, ym.get(4..)?),
        [y, m] | [y, m, _] if y.len() == 4 && (1..=2).contains(&m.len()) => (*y, *m),
        _ => return None,
    };
    let rest_ok = name.chars().all(|c| c.is_ascii_digit() || "-_./ ".contains(c));
    if !rest_ok {
        return None;
    }
    YearMonth::new(year.parse().ok()?, month.parse().ok()?)
}

/// Levenshtein distance over bytes (the names compared are short ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(c) = cur.get_mut(j + 1) {
                *c = sub.min(del).min(ins);
            }
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misnamed_files_mean_the_data_file() {
        for (name, meant) in [
            ("Revenue.csv", Some("revenue")),
            ("REVENUE.CSV", Some("revenue")),
            ("revenue (1).csv", Some("revenue")),
            ("revenue - Copy.csv", Some("revenue")),
            ("revenue.csv.bak", Some("revenue")),
            ("timesheet.csv", Some("timesheets")),
            ("revenu.csv", Some("revenue")),
            ("gl.txt", Some("gl")),
            ("notes.txt", None),
            ("statistic.csv", Some("statistics")),
            ("g.csv", Some("gl")),
            ("README.md", None),
        ] {
            assert_eq!(meant_file(name), meant, "{name}");
        }
    }

    #[test]
    fn misspelt_months_mean_the_month() {
        let ym = |s| YearMonth::parse(s);
        for (name, meant) in [
            ("2025-3", ym("2025-03")),
            ("2025_03", ym("2025-03")),
            ("202503", ym("2025-03")),
            ("2025-03 (1)", ym("2025-03")),
            ("2025-03-01", ym("2025-03")),
            ("2025-13", None),
            ("march", None),
            ("2025-03-old", None),
        ] {
            assert_eq!(meant_month(name), meant, "{name}");
        }
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("timesheet", "timesheets"), 1);
        assert_eq!(edit_distance("revnue", "revenue"), 1);
        assert_eq!(edit_distance("", "gl"), 2);
        assert_eq!(edit_distance("sites", "sites"), 0);
    }
}
