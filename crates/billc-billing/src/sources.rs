//! Finding source files on disk (contracts, configurations), and the one spelling of a path that
//! goes into outputs and messages.

use std::path::{Path, PathBuf};

/// Adds `path` (a file) or every file with extension `ext` (in any case: `x.BILL`, `x.Bill`)
/// below it (a folder, recursively, in sorted order) to `out`. A path that does not exist is an
/// error naming it, and so is a folder holding no such file (`no .bill files in <dir>`): checking
/// nothing must not read as "no errors". Paths are spelled by [`normalize`].
pub fn collect(path: &Path, ext: &str, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let path = normalize(path);
    let before = out.len();
    collect_in(&path, ext, out)?;
    if out.len() == before {
        return Err(format!("no .{ext} files in {}", display(&path)));
    }
    Ok(())
}

fn collect_in(path: &Path, ext: &str, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    // The entry's type comes with the folder listing on most file systems: no `stat` per file
    // (10,000 contracts are 10,000 entries). Symbolic links are followed, as `Path::is_dir` does.
    let mut entries: Vec<(PathBuf, bool)> = std::fs::read_dir(path)
        .map_err(|e| format!("cannot read folder `{}`: {e}", path.display()))?
        .filter_map(|e| {
            let e = e.ok()?;
            let path = e.path();
            let is_dir = match e.file_type() {
                Ok(t) if !t.is_symlink() => t.is_dir(),
                _ => path.is_dir(),
            };
            Some((path, is_dir))
        })
        .collect();
    entries.sort();
    for (entry, is_dir) in entries {
        if is_dir {
            collect_in(&entry, ext, out)?;
        } else if entry.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext)) {
            out.push(entry);
        }
    }
    Ok(())
}

/// A path as written into outputs and messages: forward slashes on every platform.
pub fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The one spelling of a path: made absolute against the current directory, `.` and `..` removed
/// lexically (without following links), then shown relative to the current directory when under
/// it. `contracts`, `./contracts/`, `contracts/../contracts` and `/abs/contracts` are one path, so
/// outputs and digests do not depend on how a path was typed.
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let cwd = std::env::current_dir().ok();
    let absolute = match &cwd {
        Some(cwd) if path.is_relative() => cwd.join(path),
        _ => path.to_path_buf(),
    };
    let mut clean = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                if !clean.pop() {
                    clean.push(part);
                }
            }
            other => clean.push(other),
        }
    }
    match cwd.as_deref().and_then(|cwd| clean.strip_prefix(cwd).ok()) {
        Some(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Some(rel) => rel.to_path_buf(),
        None => clean,
    }
}
