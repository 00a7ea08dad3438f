//! The anomalies the checker counts. [`Anomaly::name`] is the only place each name is spelled:
//! the report's keys, `[expect]` keys, findings and explore tables all go through it.

use std::fmt;
use std::ops::{Index, IndexMut};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One anomaly family the checker counts, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Anomaly {
    /// Acknowledged records missing from the final log.
    LostAcked,
    /// Records at two or more offsets of the final log.
    Duplicated,
    /// Records of one producer instance on one partition standing in the opposite order to their sends.
    Reordered,
    /// Offsets below the HW where two in-sync replicas disagree.
    Divergence,
    /// Records given to a consumer at an offset the final log no longer holds.
    PhantomRead,
    /// Aborted records given to a read_committed consumer.
    AbortedRead,
    /// Committed transactions only partly in the final log.
    TornTransaction,
    /// Records in the final log their group never processed.
    LostProcessing,
    /// Records a group processed twice or more.
    DuplicateProcessing,
    /// Partitions whose LSO stays below the HW.
    StuckLso,
    /// Acknowledged records on a partition with no leader at the end.
    Unavailable,
}

impl Anomaly {
    /// How many anomalies there are.
    pub const COUNT: usize = 11;

    /// Every anomaly, in report order (the JSON report's key order).
    pub const ALL: [Anomaly; Anomaly::COUNT] = [
        Anomaly::LostAcked,
        Anomaly::Duplicated,
        Anomaly::Reordered,
        Anomaly::Divergence,
        Anomaly::PhantomRead,
        Anomaly::AbortedRead,
        Anomaly::TornTransaction,
        Anomaly::LostProcessing,
        Anomaly::DuplicateProcessing,
        Anomaly::StuckLso,
        Anomaly::Unavailable,
    ];

    /// Every anomaly's name, in report order: the keys `[expect]` accepts.
    pub const NAMES: [&'static str; Anomaly::COUNT] = {
        let mut names = [""; Anomaly::COUNT];
        let mut i = 0;
        while i < Anomaly::COUNT {
            names[i] = Anomaly::ALL[i].name();
            i += 1;
        }
        names
    };

    /// The snake_case name reports, `[expect]` and findings use (`lost_acked`).
    pub const fn name(self) -> &'static str {
        match self {
            Anomaly::LostAcked => "lost_acked",
            Anomaly::Duplicated => "duplicated",
            Anomaly::Reordered => "reordered",
            Anomaly::Divergence => "divergence",
            Anomaly::PhantomRead => "phantom_read",
            Anomaly::AbortedRead => "aborted_read",
            Anomaly::TornTransaction => "torn_transaction",
            Anomaly::LostProcessing => "lost_processing",
            Anomaly::DuplicateProcessing => "duplicate_processing",
            Anomaly::StuckLso => "stuck_lso",
            Anomaly::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no anomaly's (the error of `Anomaly::from_str`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAnomaly(pub String);

impl fmt::Display for UnknownAnomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no such anomaly: `{}`", self.0)
    }
}

impl std::error::Error for UnknownAnomaly {}

impl FromStr for Anomaly {
    type Err = UnknownAnomaly;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Anomaly::ALL.into_iter().find(|a| a.name() == s).ok_or_else(|| UnknownAnomaly(s.to_string()))
    }
}

impl Serialize for Anomaly {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Anomaly {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Anomaly counts, indexed by [`Anomaly`]. Counts are distinct records (transactions for
/// `torn_transaction`, partitions for `stuck_lso`, offsets for `divergence`). Serialises as a map
/// from name to count in report order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Anomalies([u64; Anomaly::COUNT]);

impl Anomalies {
    /// Every anomaly with its count, in report order.
    pub fn iter(&self) -> impl Iterator<Item = (Anomaly, u64)> + '_ {
        Anomaly::ALL.into_iter().map(|a| (a, self[a]))
    }

    /// The anomalies with a non-zero count, in report order.
    pub fn nonzero(&self) -> impl Iterator<Item = (Anomaly, u64)> + '_ {
        self.iter().filter(|&(_, c)| c > 0)
    }
}

impl Index<Anomaly> for Anomalies {
    type Output = u64;

    fn index(&self, a: Anomaly) -> &u64 {
        &self.0[a as usize]
    }
}

impl IndexMut<Anomaly> for Anomalies {
    fn index_mut(&mut self, a: Anomaly) -> &mut u64 {
        &mut self.0[a as usize]
    }
}

impl Serialize for Anomalies {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter().map(|(a, c)| (a.name(), c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_anomaly_parses_back_from_its_name_in_report_order() {
        for (i, a) in Anomaly::ALL.into_iter().enumerate() {
            assert_eq!(a as usize, i, "ALL is in declaration order");
            assert_eq!(a.name().parse::<Anomaly>(), Ok(a));
            assert_eq!(Anomaly::NAMES[i], a.name());
        }
        assert!("lost_acks".parse::<Anomaly>().is_err());
    }
}
