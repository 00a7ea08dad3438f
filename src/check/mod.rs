//! The checker: judges a run from its [`History`] (client observations, fault log, final logs)
//! and never from the model's internals. One file per anomaly family.

pub mod history;

pub use history::*;

/// One anomalous record (or partition) with the story of how it came to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Anomaly name (a key of `Anomalies`).
    pub anomaly: &'static str,
    /// The record or partition it is about, e.g. `p1#17` or `orders/0`.
    pub subject: String,
    /// Its fate, record by record, in one sentence or a few.
    pub explanation: String,
}
