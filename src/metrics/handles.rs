//! Series handles kept once registered, so a hot path updates its counter without
//! asking the recorder's registry for it on every call.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use super::global;

/// Series handles already registered, found again by their label values.
///
/// `counter!` and friends look the series up in the recorder's registry on every call
/// (hashing the name and labels under a lock), which on the per-message paths cost more
/// than the update itself. Label sets are small and fixed, so a short table scanned
/// without a lock finds the handle for less: slots are filled once, in order, and never
/// change, so a reader needs only the count of filled slots. Label values are nearly
/// always the same `&'static str` (the same address) as when the handle was made, so the
/// scan compares addresses first and text only if that finds nothing. Handles are kept
/// only once the recorder is installed: one made before would point at no recorder
/// forever.
pub(super) struct Handles<T> {
    slots: [OnceLock<(&'static str, &'static str, T)>; HANDLE_SLOTS],
    filled: AtomicUsize,
    adding: Mutex<()>,
    /// Keep handles made before the recorder is installed too (series rendered here).
    always: bool,
}

/// Label sets kept per metric; past this many, further ones are looked up per call.
const HANDLE_SLOTS: usize = 128;

/// The same `&'static str`: same address and length.
fn same(x: &'static str, y: &'static str) -> bool {
    std::ptr::eq(x.as_ptr(), y.as_ptr()) && x.len() == y.len()
}

impl<T: Clone> Handles<T> {
    pub(super) const fn new() -> Self {
        Self::keeping(false)
    }

    /// A table for series this module renders itself: nothing depends on the recorder.
    pub(super) const fn own() -> Self {
        Self::keeping(true)
    }

    const fn keeping(always: bool) -> Self {
        Handles {
            slots: [const { OnceLock::new() }; HANDLE_SLOTS],
            filled: AtomicUsize::new(0),
            adding: Mutex::new(()),
            always,
        }
    }

    pub(super) fn kept(&self) -> impl Iterator<Item = &(&'static str, &'static str, T)> + Clone {
        let n = self.filled.load(Ordering::Acquire);
        self.slots[..n].iter().filter_map(OnceLock::get)
    }

    /// Run `f` on the handle for labels `a`, `b`, registering it first if needed.
    pub(super) fn with<R>(
        &self,
        a: &'static str,
        b: &'static str,
        register: impl FnOnce() -> T,
        f: impl FnOnce(&T) -> R,
    ) -> R {
        let kept = self.kept();
        let found = kept
            .clone()
            .find(|(x, y, _)| same(x, a) && same(y, b))
            .or_else(|| kept.clone().find(|(x, y, _)| *x == a && *y == b));
        if let Some((_, _, handle)) = found {
            return f(handle);
        }
        let handle = register();
        if self.always || global::installed() {
            let _adding = self.adding.lock().unwrap_or_else(|e| e.into_inner());
            let n = self.filled.load(Ordering::Acquire);
            let known = self.kept().any(|(x, y, _)| *x == a && *y == b);
            if !known && n < HANDLE_SLOTS && self.slots[n].set((a, b, handle.clone())).is_ok() {
                self.filled.store(n + 1, Ordering::Release);
            }
        }
        f(&handle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_set_is_registered_once_and_found_again_by_its_text() {
        let table: Handles<usize> = Handles::own();
        let mut registered = 0;
        let mut register = |n| {
            registered += 1;
            n
        };
        assert_eq!(table.with("in", "state", || register(1), |h| *h), 1);
        assert_eq!(table.with("in", "state", || register(2), |h| *h), 1);
        // Equal text at another address finds the same handle.
        let leaked: &'static str = String::from("state").leak();
        assert_eq!(table.with("in", leaked, || register(3), |h| *h), 1);
        assert_eq!(table.with("out", "state", || register(4), |h| *h), 4);
        assert_eq!(registered, 2);
        assert_eq!(table.kept().count(), 2);
    }
}
