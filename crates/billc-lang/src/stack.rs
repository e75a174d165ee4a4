//! Room on the stack for the passes that recurse: the checker, demand analysis, the evaluator and
//! the trace's renderers.
//!
//! A tree is at most [`MAX_DEPTH`](crate::syntax::depth::MAX_DEPTH) levels deep, but definitions
//! call one another: checking or evaluating `f0`, which calls `f1`, which calls `f2`…, recurses
//! through every body in turn, and a debug build's checker takes about 8 KB of stack a level. So
//! each recursive pass enters its nodes through [`deeper`]: when less than [`RED_ZONE`] of the
//! thread's stack is left, the rest of the walk continues on a fresh [`SEGMENT`] on the heap
//! (`stacker`), and no input can overflow the stack of the thread it runs on, a 2 MiB rayon worker
//! included. The check costs a comparison with the stack pointer; a new segment is made only that
//! deep.

/// The stack that must be left before a node is entered: more than any chain of frames between
/// two calls of [`deeper`] takes (the largest, the checker's `expr` and `binary`, take about 8 KB
/// together in a debug build).
pub const RED_ZONE: usize = 128 * 1024;

/// The size of each segment added when the red zone is reached.
pub const SEGMENT: usize = 4 * 1024 * 1024;

/// Runs `f`, first moving to a new stack segment if less than [`RED_ZONE`] is left.
#[inline]
pub fn deeper<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}
