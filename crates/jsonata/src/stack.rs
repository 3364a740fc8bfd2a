//! Native stack budget. The parser and the evaluator are recursive, and their input is user
//! data, so nesting or recursion deep enough to overflow the thread's stack must become an
//! error (U1001), never a process abort. Depth is measured in stack bytes rather than calls
//! because frame sizes differ tenfold between debug and release builds; 1 MiB leaves room
//! below the 2 MiB of a tokio worker or test thread.

use crate::error::Error;

const BUDGET: usize = 1 << 20;

/// Remembers where on the stack a parse or an evaluation started.
pub(crate) struct StackGuard {
    base: usize,
}

impl StackGuard {
    pub fn new() -> Self {
        StackGuard { base: position() }
    }

    /// Fails once the stack has grown more than the budget since `new`.
    pub fn check(&self, at: usize) -> Result<(), Error> {
        if position().abs_diff(self.base) > BUDGET {
            return Err(overflow(at));
        }
        Ok(())
    }
}

/// U1001, jsonata-js's error for runaway recursion.
pub(crate) fn overflow(at: usize) -> Error {
    Error::dynamic(
        "U1001",
        at,
        "Stack overflow error: check for non-terminating recursive function or too deeply nested expression",
    )
}

/// An address on the current stack.
fn position() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}
