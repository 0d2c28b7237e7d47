//! How far a long generation has got: the phase it is in, the units done
//! and the phase's total. The generator counts; whoever shows progress
//! (the `probity demo` commands, on a terminal) reads it when it likes.

use std::sync::{
    Mutex,
    atomic::{AtomicUsize, Ordering},
};

/// A running count, shared between a generator and a display.
#[derive(Debug, Default)]
pub struct Tally {
    phase: Mutex<&'static str>,
    done: AtomicUsize,
    total: AtomicUsize,
}

impl Tally {
    /// Begins `phase`, of `total` units, at zero.
    pub fn start(&self, phase: &'static str, total: usize) {
        *self.phase.lock().expect("tally lock") = phase;
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    /// Counts `n` more units done.
    pub fn add(&self, n: usize) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    /// The phase, the units done and its total.
    pub fn read(&self) -> (&'static str, usize, usize) {
        (
            *self.phase.lock().expect("tally lock"),
            self.done.load(Ordering::Relaxed),
            self.total.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_phase_starts_from_zero() {
        let t = Tally::default();
        t.start("members", 10);
        t.add(4);
        assert_eq!(t.read(), ("members", 4, 10));
        t.start("reviews", 3);
        assert_eq!(t.read(), ("reviews", 0, 3));
    }
}
