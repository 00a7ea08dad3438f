//! Faults as the history records them: what was done, and to whom.

/// What a fault does to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultAction {
    /// The process dies; a broker keeps what reached the page cache.
    Crash,
    /// A broker dies and loses everything not flushed.
    PowerLoss,
    /// The target reaches no other node for `duration_ms`.
    Isolate,
    /// The target stops for `duration_ms`, then carries on.
    Pause,
}

impl FaultAction {
    /// The spelling used in scenario files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            FaultAction::Crash => "crash",
            FaultAction::PowerLoss => "power-loss",
            FaultAction::Isolate => "isolate",
            FaultAction::Pause => "pause",
        }
    }
}
