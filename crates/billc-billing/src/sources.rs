//! Finding source files on disk (contracts, configurations), and the one spelling of a path that
//! goes into outputs and messages.

use std::path::{Path, PathBuf};

/// Adds `path` (a file) or every file with extension `ext` below it (a folder, recursively, in
/// sorted order) to `out`. A path that does not exist is an error naming it.
pub fn collect(path: &Path, ext: &str, out: &mut Vec<PathBuf>) -> Result<(), String> {
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
            collect(&entry, ext, out)?;
        } else if entry.extension().is_some_and(|e| e == ext) {
            out.push(entry);
        }
    }
    Ok(())
}

/// A path as written into outputs and messages: forward slashes on every platform.
pub fn display(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}
