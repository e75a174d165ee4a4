//! Every byte `billc` prints goes through a [`Console`]: standard output and standard error, written
//! without ever panicking (the `print!` family panics when a write fails).
//!
//! Two kinds of failure, two answers:
//! - **A closed pipe** (`billc explain … | head -1`): the reader has all it wanted; that is not an
//!   error of billc. The stream is marked closed, later writes to it are dropped quietly, and the
//!   command goes on to the end: a run still publishes its folder, and the exit status is the one the
//!   command has anyway (0, 1 or 2 as `--help` documents). A closed pipe never changes it, so a
//!   script that pipes into `head` still learns whether the month billed cleanly.
//! - **Any other write error** (a full disk behind `> file`, an I/O error): a [`Failed`], which the
//!   command returns with `?`; `main` prints one line on standard error (if it still can) and exits
//!   with 1.
//!
//! Writes are flushed at once, so an error surfaces at the write that caused it.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Standard output and standard error, each closed for good once its reader has gone.
#[derive(Debug, Default)]
pub struct Console {
    out_closed: AtomicBool,
    err_closed: AtomicBool,
}

/// A write failed for another reason than a closed pipe.
#[derive(Debug)]
pub struct Failed {
    stream: &'static str,
    error: io::Error,
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write to {}: {}", self.stream, self.error)
    }
}

impl Console {
    /// Writes `text` to standard output.
    pub fn out(&self, text: &str) -> Result<(), Failed> {
        write_to(&mut io::stdout().lock(), text, &self.out_closed, "standard output")
    }

    /// Writes `text` to standard error.
    pub fn err(&self, text: &str) -> Result<(), Failed> {
        write_to(&mut io::stderr().lock(), text, &self.err_closed, "standard error")
    }

    /// Whether the reader of standard output has gone (nothing more is worth formatting for it).
    pub fn out_closed(&self) -> bool {
        self.out_closed.load(Ordering::Relaxed)
    }
}

fn write_to(w: &mut dyn Write, text: &str, closed: &AtomicBool, stream: &'static str) -> Result<(), Failed> {
    if closed.load(Ordering::Relaxed) {
        return Ok(());
    }
    match w.write_all(text.as_bytes()).and_then(|()| w.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            closed.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(error) => Err(Failed { stream, error }),
    }
}

/// `outln!(console, "…", args)`: one line to standard output; `Err(Failed)` on a write error.
macro_rules! outln {
    ($console:expr, $($arg:tt)*) => {
        $console.out(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// `errln!(console, "…", args)`: one line to standard error; `Err(Failed)` on a write error.
macro_rules! errln {
    ($console:expr, $($arg:tt)*) => {
        $console.err(&format!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {errln, outln};

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that fails every write with `kind`.
    struct Failing(io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(self.0))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_closes_the_stream_quietly() {
        let closed = AtomicBool::new(false);
        let mut w = Failing(io::ErrorKind::BrokenPipe);
        assert!(write_to(&mut w, "x", &closed, "standard output").is_ok());
        assert!(closed.load(Ordering::Relaxed));
        // Later writes are dropped without touching the writer.
        let mut never = Failing(io::ErrorKind::Other);
        assert!(write_to(&mut never, "y", &closed, "standard output").is_ok());
    }

    #[test]
    fn another_error_is_a_failure_naming_the_stream() {
        let closed = AtomicBool::new(false);
        let mut w = Failing(io::ErrorKind::StorageFull);
        let e = write_to(&mut w, "x", &closed, "standard output").unwrap_err();
        assert!(e.to_string().starts_with("cannot write to standard output: "), "{e}");
        assert!(!closed.load(Ordering::Relaxed));
    }
}
