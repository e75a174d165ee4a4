//! Writing a period folder so that nobody ever sees half of it, and one run at a time.
//!
//! `<out>/<period>` is a symbolic link to a hidden sibling folder that holds one whole run,
//! `<out>/.<period>.run-<n>`. A run writes every file into a fresh folder ([`Staging`]: created, never
//! reused, files created with `create_new` so a planted symbolic link is never followed), syncs them
//! to disk, then makes `<out>/<period>` point at it with one `rename(2)` of a new link over the old
//! one, which POSIX makes atomic. A reader (or a kill at any moment) therefore sees either the whole
//! previous run or the whole new one; leftovers of an interrupted run (a staging folder, a link not
//! yet renamed) are hidden names that the next run removes.
//!
//! A period folder written by an older billc (a real folder, not a link) is moved aside once, into
//! a hidden run folder, and then replaced like any other: only during that first migration is there
//! an instant when `<out>/<period>` does not exist.
//!
//! [`lock`] takes an exclusive advisory lock on `<out>/.billc.lock` for the whole run: a second run
//! into the same `--out` stops at once with a message naming the lock. The operating system releases
//! the lock when the process ends, however it ends, so a killed run never leaves a stale lock.
//!
//! The steps of [`Staging::publish_with`] and [`Staging::write_with`] call a hook first: the tests
//! make it fail at each step in turn and check what a reader finds, which is what a kill there leaves
//! (nothing after a failed step runs, and nothing is cleaned up until the next run).

use billc_lang::time::YearMonth;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The lock file inside `--out`.
pub const LOCK_FILE: &str = ".billc.lock";

/// Why a run may not write into `--out`.
#[derive(Debug)]
pub enum LockError {
    /// Another process holds the lock.
    Busy(PathBuf),
    /// The folder or the lock file cannot be created or locked.
    Io(PathBuf, io::Error),
}

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::Busy(path) => write!(
                f,
                "another billc run is writing into this output folder (it holds {}); wait for it to finish",
                path.display()
            ),
            LockError::Io(path, e) => write!(f, "cannot lock {}: {e}", path.display()),
        }
    }
}

impl std::error::Error for LockError {}

/// An output folder locked for one run (unlocked when dropped, or when the process ends).
#[derive(Debug)]
pub struct OutLock {
    out: PathBuf,
    _file: File,
}

/// Creates `out` if needed and locks it for this process.
pub fn lock(out: &Path) -> Result<OutLock, LockError> {
    fs::create_dir_all(out).map_err(|e| LockError::Io(out.to_path_buf(), e))?;
    let path = out.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| LockError::Io(path.clone(), e))?;
    match file.try_lock() {
        Ok(()) => Ok(OutLock {
            out: out.to_path_buf(),
            _file: file,
        }),
        Err(fs::TryLockError::WouldBlock) => Err(LockError::Busy(path)),
        Err(fs::TryLockError::Error(e)) => Err(LockError::Io(path, e)),
    }
}

impl OutLock {
    /// The locked folder.
    pub fn out(&self) -> &Path {
        &self.out
    }

    /// A fresh, empty folder for the run of `period`, after removing what interrupted runs of that
    /// period left (hidden folders the period's link does not point at).
    pub fn stage(&self, period: YearMonth) -> io::Result<Staging> {
        let name = period.to_string();
        let current = fs::read_link(self.out.join(&name)).ok();
        let prefix = format!(".{name}.run-");
        let mut highest = 0u64;
        for entry in fs::read_dir(&self.out)? {
            let entry = entry?;
            let file_name = entry.file_name().to_string_lossy().to_string();
            if file_name == format!(".{name}.link") {
                fs::remove_file(entry.path())?;
            } else if let Some(n) = file_name.strip_prefix(&prefix) {
                let n: u64 = n.parse().unwrap_or(0);
                highest = highest.max(n);
                if current.as_deref() != Some(Path::new(&file_name)) {
                    fs::remove_dir_all(entry.path())?;
                }
            }
        }
        let run = format!("{prefix}{}", highest + 1);
        let dir = self.out.join(&run);
        fs::create_dir(&dir)?;
        Ok(Staging {
            out: self.out.clone(),
            period: name,
            run,
            dir,
        })
    }
}

/// A run's folder being written, not yet visible as `<out>/<period>`.
#[derive(Debug)]
pub struct Staging {
    out: PathBuf,
    period: String,
    run: String,
    dir: PathBuf,
}

impl Staging {
    /// Where the files go now (a hidden folder).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where they will be seen once published: `<out>/<period>`.
    pub fn published_dir(&self) -> PathBuf {
        self.out.join(&self.period)
    }

    /// Creates a new file in the folder (never an existing one, never through a link).
    pub fn create(&self, name: &str) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.dir.join(name))
    }

    /// Writes a whole file and syncs it to disk.
    pub fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        self.write_with(name, bytes, &mut |_| Ok(()))
    }

    /// [`Staging::write`], calling `hook` with the file name first.
    pub fn write_with(&self, name: &str, bytes: &[u8], hook: &mut dyn FnMut(&str) -> io::Result<()>) -> io::Result<()> {
        hook(name)?;
        let mut file = self.create(name)?;
        file.write_all(bytes)?;
        file.sync_all()
    }

    /// Makes the folder `<out>/<period>` in one step; the previous run's folder is then removed.
    pub fn publish(self) -> io::Result<PathBuf> {
        self.publish_with(&mut |_| Ok(()))
    }

    /// [`Staging::publish`], calling `hook` with the name of each step before it.
    pub fn publish_with(self, hook: &mut dyn FnMut(&str) -> io::Result<()>) -> io::Result<PathBuf> {
        hook("sync")?;
        File::open(&self.dir)?.sync_all()?;
        let target = self.published_dir();
        let link = self.out.join(format!(".{}.link", self.period));
        hook("link")?;
        std::os::unix::fs::symlink(&self.run, &link)?;
        let previous = match fs::symlink_metadata(&target) {
            // Only a link to one of our own run folders is ever removed afterwards.
            Ok(meta) if meta.file_type().is_symlink() => fs::read_link(&target)
                .ok()
                .filter(|p| {
                    p.components().count() == 1 && p.to_string_lossy().starts_with(&format!(".{}.run-", self.period))
                })
                .map(|p| self.out.join(p)),
            Ok(meta) if meta.is_dir() => {
                // A folder from before runs were published as links: moved aside once.
                hook("migrate")?;
                let aside = self.out.join(format!(".{}.run-0", self.period));
                fs::rename(&target, &aside)?;
                Some(aside)
            }
            Ok(_) => {
                hook("replace-file")?;
                fs::remove_file(&target)?;
                None
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        hook("rename")?;
        fs::rename(&link, &target)?;
        File::open(&self.out)?.sync_all()?;
        hook("cleanup")?;
        if let Some(old) = previous
            && old != self.dir
        {
            // Best effort: a folder left here is removed by the next run's `stage`.
            let _ = fs::remove_dir_all(old);
        }
        Ok(target)
    }
}
