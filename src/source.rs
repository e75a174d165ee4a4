//! Finding source files on disk: the only place besides `main.rs` that touches the file system.

use std::path::{Path, PathBuf};

/// Adds `path` (a file) or every file with extension `ext` below it (a folder, recursively, in
/// sorted order) to `out`. A path that does not exist is an error naming it.
pub fn collect(path: &Path, ext: &str, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| format!("cannot read folder `{}`: {e}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect(&entry, ext, out)?;
        } else if entry.extension().is_some_and(|e| e == ext) {
            out.push(entry);
        }
    }
    Ok(())
}
