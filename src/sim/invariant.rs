//! Numbered invariants: [`invariant!`](crate::invariant) asserts one at the place where it can
//! break, and a failure panics with `invariant N: <message>`.
//!
//! Debug builds check every invariant always. Release builds check them only once a run asked
//! for it (`RunOptions::check_invariants`, the CLI's
//! `--check-invariants`), which turns on a process-wide switch: with it off, an assert costs a
//! relaxed load and a branch. The switch only decides whether to check; every invariant must
//! hold either way. The numbered list is in `docs/architecture.md`, section "Invariants".

use std::sync::atomic::{AtomicBool, Ordering};

/// The release-build switch (debug builds check regardless).
static CHECK: AtomicBool = AtomicBool::new(false);

/// Turn checking on for every run in this process from now on. A World built with
/// `RunOptions::check_invariants` calls it; it is
/// never turned off again, since an invariant that holds needs no switch to be off.
pub fn enable() {
    CHECK.store(true, Ordering::Relaxed);
}

/// Whether invariants are checked: always in debug builds, in release builds once a run asked.
#[inline(always)]
pub fn enabled() -> bool {
    cfg!(debug_assertions) || CHECK.load(Ordering::Relaxed)
}

/// Whether the release-build switch is on (debug builds check whatever it says).
pub fn switch_on() -> bool {
    CHECK.load(Ordering::Relaxed)
}

/// Report a violated invariant: panic with its number and message.
#[cold]
#[inline(never)]
#[track_caller]
pub fn violated(n: u32, message: std::fmt::Arguments<'_>) -> ! {
    panic!("invariant {n}: {message}")
}

/// `invariant!(N, condition, "message {}", args)`: assert invariant `N` (see the module docs).
/// The condition and the message are evaluated only when invariants are checked.
#[doc(hidden)]
#[macro_export]
macro_rules! invariant {
    ($n:literal, $cond:expr, $($arg:tt)+) => {
        if $crate::sim::invariant::enabled() && !$cond {
            $crate::sim::invariant::violated($n, ::std::format_args!($($arg)+))
        }
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_failed_invariant_panics_naming_its_number_when_the_switch_is_on() {
        super::enable();
        assert!(super::enabled());
        let got = std::panic::catch_unwind(|| {
            let (hw, leo) = (7u64, 5u64);
            crate::invariant!(1, hw <= leo, "hw {hw} > leo {leo}");
        });
        let err = got.expect_err("the invariant fails");
        let msg = err.downcast_ref::<String>().expect("a formatted panic message");
        assert_eq!(msg, "invariant 1: hw 7 > leo 5");
    }

    #[test]
    fn a_holding_invariant_does_nothing() {
        super::enable();
        let mut evaluated = false;
        crate::invariant!(
            1,
            {
                evaluated = true;
                true
            },
            "never printed"
        );
        assert!(evaluated, "checked when the switch is on");
    }
}
