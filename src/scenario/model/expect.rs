//! `[expect]`: the conditions checked on every seed's report.

use std::fmt;

use crate::record::Anomaly;

/// A comparison in `[expect]`: integer = exactly, or "0", ">0", ">=N", "<=N".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// `== n`.
    Eq(u64),
    /// `> n`.
    Gt(u64),
    /// `>= n`.
    Ge(u64),
    /// `<= n`.
    Le(u64),
    /// `< n`.
    Lt(u64),
}

impl Bound {
    /// Whether `value` satisfies the bound.
    pub fn holds(self, value: u64) -> bool {
        match self {
            Bound::Eq(n) => value == n,
            Bound::Gt(n) => value > n,
            Bound::Ge(n) => value >= n,
            Bound::Le(n) => value <= n,
            Bound::Lt(n) => value < n,
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Eq(n) => write!(f, "{n}"),
            Bound::Gt(n) => write!(f, ">{n}"),
            Bound::Ge(n) => write!(f, ">={n}"),
            Bound::Le(n) => write!(f, "<={n}"),
            Bound::Lt(n) => write!(f, "<{n}"),
        }
    }
}

/// One `[expect]` line: an anomaly counter (a key of the report's `anomalies`) and its bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// The anomaly whose count is bounded.
    pub anomaly: Anomaly,
    /// The condition its count must meet.
    pub bound: Bound,
}
