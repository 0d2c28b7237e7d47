//! A process-wide signal that the organisation tree changed (a move, a
//! merge, a new organisation): services that keep a short-lived copy of
//! what a scope covers (study) drop it when the generation moves. Across
//! processes the copy's own lifetime bounds how stale it can be.

use std::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Records that the organisation tree changed; called after the change
/// commits.
pub fn changed() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// The number of tree changes this process has seen.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_change_moves_the_generation() {
        let before = super::generation();
        super::changed();
        assert!(super::generation() > before);
    }
}
