//! The bracket structure of a file, read in one linear pass before pest sees it.
//!
//! pest backtracks: in a file whose brackets do not balance, every alternative that opens a bracket
//! reads to the end of the file and fails, and the alternatives after it do the same, so that a few
//! dozen unclosed blocks could take minutes and deep nesting could take the whole stack. This pass
//! reads only comments, texts and brackets, the way the grammar does, and answers first:
//! - a `(`, `[` or `{` that is never closed, a closing bracket that closes nothing or the wrong
//!   kind, and a text without its closing `"`, each as one [`Code::Syntax`] error at the bracket
//!   that is wrong (found by indentation: a `}` indented like an outer block closes that block, so
//!   the block opened before it is the one missing its `}`). Where pest reads the problem quickly
//!   and says it better (a stray `)` in one line, which it skips as a bad statement and goes on; a
//!   `(` or two left open) [`Unbalanced::parser_says_better`] says so and the parser goes ahead;
//! - brackets nested deeper than [`MAX_NESTING`], as [`Code::TooDeep`].
//!
//! It never rejects a file the grammar accepts (`tests/fast_parser.rs` parses every `.bill` file of
//! the repository through it); the parser of record reads what it lets through.

use crate::diag::{Code, Diagnostic};
use crate::span::{FileId, Span};

/// The deepest nesting of brackets (`(`, `[`, `{` and text interpolations together) a file may have.
pub const MAX_NESTING: usize = 100;

/// One open bracket: where, which, and the indentation of the line it is on.
#[derive(Clone, Copy)]
struct Open {
    at: usize,
    byte: u8,
    indent: usize,
    /// A `{` inside a text: its `}` goes back to the text.
    interpolation: bool,
}

/// A closing bracket on a line of its own whose indentation does not match its opener's line.
#[derive(Clone, Copy)]
struct Misfit {
    open: Open,
    close: usize,
}

/// What is wrong with a file's brackets: the error to report, and whether the parser would say it
/// as well.
#[derive(Debug)]
pub struct Unbalanced {
    pub error: Box<Diagnostic>,
    /// Only a `(` or `[` or two are left open at the end: pest, trying a handful of alternatives,
    /// reads that quickly and says what it expected where the bracket should close, which is more
    /// precise than "never closed" (a missing `}` is better found by indentation, here).
    pub parser_says_better: bool,
}

/// Checks the brackets and texts of `whole[start..end]` (the text of `file`, or one item of it):
/// `Ok` if they balance within [`MAX_NESTING`], else the one error that says which bracket is wrong.
pub fn check(file: FileId, whole: &str, start: usize, end: usize) -> Result<(), Unbalanced> {
    let mut parser_says_better = false;
    let text = whole.get(start..end).unwrap_or("");
    let first_line = 1 + whole.as_bytes()[..start.min(whole.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    scan(file, text, start, first_line, &mut parser_says_better).map_err(|error| Unbalanced {
        error: Box::new(error),
        parser_says_better,
    })
}

/// The most `(` and `[` left open for which the parser's error is preferred: each one left open
/// can double the alternatives pest tries.
const FEW: usize = 4;

fn scan(
    file: FileId,
    text: &str,
    base: usize,
    first_line: usize,
    parser_says_better: &mut bool,
) -> Result<(), Diagnostic> {
    Scan {
        file,
        base,
        first_line,
        bytes: text.as_bytes(),
        stack: Vec::new(),
        shallower: None,
        deeper: None,
        line_start: 0,
        line_indent: leading_blanks(text.as_bytes()),
        soft: None,
        dropped: 0,
    }
    .run(parser_says_better)
}

struct Scan<'t> {
    file: FileId,
    base: usize,
    /// The line number of the first byte of `bytes` in the file.
    first_line: usize,
    bytes: &'t [u8],
    stack: Vec<Open>,
    /// The first `}` (first on its line) indented less than the line of the `{` it closes.
    shallower: Option<Misfit>,
    /// The first `}` (first on its line) indented more than the line of the `{` it closes.
    deeper: Option<Misfit>,
    /// Where the current line starts, and its indentation (kept as the scan goes, so that the pass
    /// stays linear however long the lines).
    line_start: usize,
    line_indent: usize,
    /// The first `)` or `]` that closes nothing or the wrong kind of bracket: the scan goes on past
    /// it (pest, which reads such a line as a bad statement and goes on, reports it better), and it
    /// is the answer only if nothing worse turns up.
    soft: Option<Diagnostic>,
    /// How many `(` and `[` a `}` closed over.
    dropped: usize,
}

fn leading_blanks(bytes: &[u8]) -> usize {
    bytes.iter().take_while(|&&b| b == b' ' || b == b'\t').count()
}

impl Scan<'_> {
    fn span(&self, at: usize, len: usize) -> Span {
        Span::new(self.file, self.base + at, self.base + at + len)
    }

    fn line_of(&self, at: usize) -> usize {
        self.first_line + self.bytes[..at].iter().filter(|&&b| b == b'\n').count()
    }

    /// The indentation of the line holding `at`, and whether only white space precedes `at` on it.
    fn indent(&self, at: usize) -> (usize, bool) {
        (self.line_indent, self.line_start + self.line_indent == at)
    }

    fn run(mut self, parser_says_better: &mut bool) -> Result<(), Diagnostic> {
        let mut pos = 0;
        let mut previous_word: &[u8] = b"";
        while pos < self.bytes.len() {
            let b = self.bytes[pos];
            match b {
                b'/' if self.bytes.get(pos + 1) == Some(&b'/') => {
                    pos = self.line_end(pos);
                    continue;
                }
                b'"' => {
                    // `contract "…"` and `test "…"` take a plain string (no escapes, no `{…}`).
                    let plain = previous_word == b"contract" || previous_word == b"test";
                    pos = if plain {
                        self.plain_string(pos)?
                    } else {
                        self.text(pos + 1, pos)?
                    };
                    previous_word = b"";
                    continue;
                }
                b'(' | b'[' | b'{' => self.open(pos, b, false)?,
                b')' | b']' | b'}' => {
                    if let Some(back_to_text) = self.close(pos, b)? {
                        pos = self.text(pos + 1, back_to_text)?;
                        previous_word = b"";
                        continue;
                    }
                }
                _ => {}
            }
            if b.is_ascii_alphanumeric() || b == b'_' {
                let start = pos;
                while pos < self.bytes.len() && (self.bytes[pos].is_ascii_alphanumeric() || self.bytes[pos] == b'_') {
                    pos += 1;
                }
                previous_word = &self.bytes[start..pos];
                continue;
            }
            if b == b'\n' {
                self.line_start = pos + 1;
                self.line_indent = leading_blanks(&self.bytes[pos + 1..]);
            } else if !b.is_ascii_whitespace() {
                previous_word = b"";
            }
            pos += 1;
        }
        let few = self.dropped + self.stack.len() <= FEW;
        match (self.stack.last().copied(), self.soft.take()) {
            (None, None) => Ok(()),
            (Some(innermost), _) => {
                *parser_says_better = few && self.stack.iter().all(|o| o.byte != b'{');
                Err(self.unclosed(innermost, None))
            }
            (None, Some(soft)) => {
                *parser_says_better = few;
                Err(soft)
            }
        }
    }

    fn line_end(&self, from: usize) -> usize {
        self.bytes[from..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.bytes.len(), |i| from + i)
    }

    fn open(&mut self, at: usize, byte: u8, interpolation: bool) -> Result<(), Diagnostic> {
        if self.stack.len() >= MAX_NESTING {
            return Err(Diagnostic::error(
                Code::TooDeep,
                self.span(at, 1),
                format!("brackets nested more than {MAX_NESTING} deep"),
                format!("level {} opens here", MAX_NESTING + 1),
            )
            .with_help("name the inner parts with `let` or a `fn`; billc reads no deeper nesting"));
        }
        let (indent, _) = self.indent(at);
        self.stack.push(Open {
            at,
            byte,
            indent,
            interpolation,
        });
        Ok(())
    }

    /// Closes the innermost bracket; `Some(start)` when it was a text's interpolation (the text,
    /// which began at `start`, goes on).
    fn close(&mut self, at: usize, byte: u8) -> Result<Option<usize>, Diagnostic> {
        if byte == b'}' {
            // A `(` or `[` still open inside the block is one pest reports (and skips) itself.
            while let Some(open) = self.stack.last().copied().filter(|o| o.byte != b'{') {
                self.stack.pop();
                self.dropped += 1;
                let unclosed = self.unclosed(open, Some(at));
                self.soft.get_or_insert(unclosed);
            }
        }
        let innermost = self.stack.last().copied();
        let Some(open) = innermost.filter(|o| byte != b'}' || o.byte == b'{') else {
            return Err(self.stray(at, byte));
        };
        if open.byte == b'{' && byte != b'}' {
            // A `)` or `]` inside a block that closes nothing: a bad line for pest.
            let stray = self.stray(at, byte);
            self.soft.get_or_insert(stray);
            return Ok(None);
        }
        self.stack.pop();
        if matching(open.byte) != byte {
            let line = self.line_of(open.at);
            let mismatch = Diagnostic::error(
                Code::Syntax,
                self.span(at, 1),
                format!(
                    "`{}` where the `{}` of line {line} is to be closed",
                    byte as char, open.byte as char
                ),
                format!("expected `{}`", matching(open.byte) as char),
            )
            .with_label(
                self.span(open.at, 1),
                format!("this `{}` is still open", open.byte as char),
            )
            .with_help(format!(
                "close the `{}` with `{}` first, or remove this `{}`",
                open.byte as char,
                matching(open.byte) as char,
                byte as char
            ));
            self.soft.get_or_insert(mismatch);
            return Ok(None);
        }
        let (indent, alone) = self.indent(at);
        if byte == b'}' && alone && !open.interpolation {
            let misfit = Some(Misfit { open, close: at });
            if indent < open.indent && self.shallower.is_none() {
                self.shallower = misfit;
            } else if indent > open.indent && self.deeper.is_none() {
                self.deeper = misfit;
            }
        }
        Ok(open.interpolation.then_some(open.at))
    }

    /// The error for a `{` (or other bracket) still open at the end: the block that indentation
    /// says is missing its `}`, or else the innermost one.
    /// `closed_by`: the `}` that closed the block around a `(` or `[`, for one left open in it.
    fn unclosed(&self, innermost: Open, closed_by: Option<usize>) -> Diagnostic {
        let end = self
            .bytes
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
        let shallower = self.shallower.filter(|_| innermost.byte == b'{');
        if let Some(close) = closed_by {
            let c = innermost.byte as char;
            return Diagnostic::error(
                Code::Syntax,
                self.span(innermost.at, 1),
                format!("`{c}` is never closed"),
                format!("this `{c}` has no `{}`", matching(innermost.byte) as char),
            )
            .with_label(self.span(close, 1), "the block ends here")
            .with_help(format!("add the missing `{}`", matching(innermost.byte) as char));
        }
        match shallower {
            Some(Misfit { open, close }) => {
                let line = self.line_of(open.at);
                Diagnostic::error(
                    Code::Syntax,
                    self.span(open.at, 1),
                    format!("the `{{` of line {line} is never closed"),
                    "this block has no `}`",
                )
                .with_label(
                    self.span(close, 1),
                    "this `}`, indented like an outer block, closes it instead",
                )
                .with_help(format!("add a `}}` where the block of line {line} ends"))
            }
            None => {
                let c = innermost.byte as char;
                Diagnostic::error(
                    Code::Syntax,
                    self.span(innermost.at, 1),
                    format!("`{c}` is never closed"),
                    format!("this `{c}` has no `{}`", matching(innermost.byte) as char),
                )
                .with_label(self.span(end, 0), "the file ends here")
                .with_help(format!("add the missing `{}`", matching(innermost.byte) as char))
            }
        }
    }

    /// The error for a closing bracket with nothing open: the `}` that indentation says is one too
    /// many, or else this one.
    fn stray(&self, at: usize, byte: u8) -> Diagnostic {
        match self.deeper {
            Some(Misfit { open, close }) if byte == b'}' => {
                let line = self.line_of(open.at);
                Diagnostic::error(
                    Code::Syntax,
                    self.span(close, 1),
                    "this `}` is one too many",
                    format!("indented deeper than the line of the `{{` it closes (line {line})"),
                )
                .with_label(self.span(at, 1), "so this `}` closes nothing")
                .with_help("remove the extra `}`")
            }
            _ => Diagnostic::error(
                Code::Syntax,
                self.span(at, 1),
                format!("`{}` closes nothing", byte as char),
                "no bracket is open here",
            )
            .with_help(format!(
                "remove it, or add the `{}` it was meant to close",
                opening(byte) as char
            )),
        }
    }

    /// Reads a text from just after its opening `"` (at `start`) to just after its closing one,
    /// stopping at a `{` that opens an interpolation (the scan then reads the expression in it).
    fn text(&mut self, mut pos: usize, start: usize) -> Result<usize, Diagnostic> {
        while let Some(&b) = self.bytes.get(pos) {
            match b {
                b'"' => return Ok(pos + 1),
                b'\\' => pos += 2,
                b'{' if self.bytes.get(pos + 1) == Some(&b'{') => pos += 2,
                b'}' if self.bytes.get(pos + 1) == Some(&b'}') => pos += 2,
                b'{' => {
                    self.open(pos, b'{', true)?;
                    return Ok(pos + 1);
                }
                b'}' => {
                    return Err(Diagnostic::error(
                        Code::Syntax,
                        self.span(pos, 1),
                        "a `}` in a text",
                        "write `}}` for a brace in a text",
                    )
                    .with_help("`{` and `}` in a text enclose a value, as in \"Parking {month}\"; a brace itself is `{{` or `}}`"));
                }
                b'\n' => break,
                _ => pos += 1,
            }
        }
        Err(self.unterminated(start))
    }

    /// `"…"` after `contract` or `test`: to the next `"` on the same line.
    fn plain_string(&self, start: usize) -> Result<usize, Diagnostic> {
        let mut pos = start + 1;
        while let Some(&b) = self.bytes.get(pos) {
            match b {
                b'"' => return Ok(pos + 1),
                b'\n' => break,
                _ => pos += 1,
            }
        }
        Err(self.unterminated(start))
    }

    fn unterminated(&self, start: usize) -> Diagnostic {
        let end = self.line_end(start);
        Diagnostic::error(
            Code::Syntax,
            self.span(start, end - start),
            "this text has no closing `\"`",
            "the text starts here and the line ends before its `\"`",
        )
        .with_help("end the text with `\"` on the same line (a text cannot span lines)")
    }
}

fn matching(open: u8) -> u8 {
    match open {
        b'(' => b')',
        b'[' => b']',
        _ => b'}',
    }
}

fn opening(close: u8) -> u8 {
    match close {
        b')' => b'(',
        b']' => b'[',
        _ => b'{',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> Option<(String, usize)> {
        check(FileId(0), text, 0, text.len())
            .err()
            .map(|u| (u.error.message.clone(), u.error.primary.span.start as usize))
    }

    #[test]
    fn balanced_files_pass_with_texts_comments_and_interpolations() {
        let text = "contract \"9999 {\" {\n  // a } in a comment\n  line \"A {x} {{b}} \\\" }}\" = $1\n  let l = [f(1), {a: 1}]\n}\n";
        assert_eq!(error(text), None);
    }

    #[test]
    fn an_unclosed_block_is_found_by_indentation() {
        let text = "contract \"1\" {\n  if a {\n    line \"x\" = $1\n  line \"y\" = $2\n}\n";
        assert_eq!(error(text), Some(("the `{` of line 2 is never closed".to_string(), 22)));
    }

    #[test]
    fn without_a_misfit_the_innermost_open_bracket_is_blamed() {
        assert_eq!(error("let x = [[1, 2]"), Some(("`[` is never closed".to_string(), 8)));
    }

    #[test]
    fn a_stray_brace_is_found_by_indentation() {
        let text = "contract \"1\" {\n  line \"x\" = $1\n  }\n}\n";
        assert_eq!(error(text), Some(("this `}` is one too many".to_string(), 33)));
        assert_eq!(error("x)"), Some(("`)` closes nothing".to_string(), 1)));
    }

    #[test]
    fn a_mismatched_bracket_names_the_open_one() {
        assert_eq!(
            error("let x = f(1]\n"),
            Some(("`]` where the `(` of line 1 is to be closed".to_string(), 11))
        );
    }

    #[test]
    fn an_unterminated_text_is_one_error_at_its_start() {
        assert_eq!(
            error("line \"Parking = $1\n"),
            Some(("this text has no closing `\"`".to_string(), 5))
        );
        assert_eq!(error("line \"a } b\" = $1"), Some(("a `}` in a text".to_string(), 8)));
    }

    #[test]
    fn nesting_stops_at_the_limit() {
        let ok = format!("{}{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert_eq!(error(&ok), None);
        let deep = format!("{}{}", "(".repeat(MAX_NESTING + 1), ")".repeat(MAX_NESTING + 1));
        assert_eq!(
            error(&deep),
            Some((format!("brackets nested more than {MAX_NESTING} deep"), MAX_NESTING))
        );
    }
}
