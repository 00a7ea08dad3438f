//! Typed ids: records, partitions, and the records a consumer was handed.

/// The first record of `records` if they are consecutive record numbers in increasing order (a
/// batch nearly always is), so a caller can treat them as a range; `None` for an empty list.
pub fn consecutive(records: &[u32]) -> Option<u32> {
    let (&first, rest) = records.split_first()?;
    first.checked_add(rest.len() as u32)?;
    // An or of differences vectorizes where an early-exit test does not.
    let off = records.iter().zip(0u32..).fold(0, |d, (&r, i)| d | (r ^ first.wrapping_add(i)));
    (off == 0).then_some(first)
}

/// How many records of `records` run on consecutively from its first (0 for none): all of them,
/// in the usual batch, found by `consecutive`'s vectorized test.
#[inline]
pub fn stretch(records: &[u32]) -> usize {
    let Some(&first) = records.first() else { return 0 };
    if consecutive(records).is_some() {
        return records.len();
    }
    1 + records[1..].iter().zip(1u32..).take_while(|&(&r, k)| first.checked_add(k) == Some(r)).count()
}

/// A record's identity: producer (index into the scenario's producers) and workload index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId {
    /// Index of the producer in `Scenario::producers`.
    pub producer: u32,
    /// Workload index `I` of `NAME#I`.
    pub index: u32,
}

/// A partition as an index into `History::partitions`.
pub type PartitionIdx = u32;

/// One record handed to a consumer by `poll()`: where it stood and which record it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Delivery {
    /// Partition it was read from.
    pub partition: PartitionIdx,
    /// Its offset there.
    pub offset: u64,
    /// The record.
    pub record: RecordId,
}

/// A consumer group member's id, as its group coordinator gave it. Kafka's member ids are unique
/// strings (`client.id` and a UUID); here they are the coordinator's broker and a number it
/// counts, unique across coordinator failovers and ordered (by broker, then number) as the range
/// assignor and the coordinator order members. [`MemberId::UNKNOWN`] is Kafka's empty id: a
/// member that has none yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MemberId {
    /// The broker whose group coordinator gave the id (0: none).
    pub coordinator: u32,
    /// The coordinator's count (32 bits keep every message, and so every queued event, small).
    pub n: u32,
}

impl MemberId {
    /// No id yet (a first JoinGroup; answered with MEMBER_ID_REQUIRED and a fresh id).
    pub const UNKNOWN: MemberId = MemberId { coordinator: 0, n: 0 };

    /// Whether this is a real id (not [`MemberId::UNKNOWN`]).
    pub fn is_known(self) -> bool {
        self != MemberId::UNKNOWN
    }
}

impl std::fmt::Display for MemberId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_known() {
            write!(f, "{}-{}", self.coordinator, self.n)
        } else {
            f.write_str("none")
        }
    }
}

/// A client's request id (Kafka's correlation id), echoed in the answer: which process of the
/// client sent it and its count there. A broker may answer from purgatory after the client
/// restarted, so a new process's ids must not match its dead predecessor's: `process` is the
/// member's incarnation, the producer's instance, or the broker's id for its own requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ReqId {
    /// The sending process.
    pub process: u32,
    /// Its count of requests, from 1.
    pub n: u32,
}

impl ReqId {
    /// The next id of the same process.
    pub fn next(self) -> ReqId {
        ReqId { n: self.n + 1, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::{consecutive, stretch};

    #[test]
    fn a_stretch_is_the_consecutive_records_a_list_starts_with() {
        assert_eq!(stretch(&[5, 6, 7, 20, 21]), 3);
        assert_eq!(stretch(&[5, 6, 7]), 3);
        assert_eq!(stretch(&[5, 5]), 1);
        assert_eq!(stretch(&[u32::MAX, 0]), 1);
        assert_eq!(stretch(&[]), 0);
    }

    #[test]
    fn consecutive_finds_runs_of_record_numbers_and_nothing_else() {
        assert_eq!(consecutive(&[7]), Some(7));
        assert_eq!(consecutive(&[3, 4, 5, 6]), Some(3));
        assert_eq!(consecutive(&[]), None);
        assert_eq!(consecutive(&[3, 5]), None, "a gap");
        assert_eq!(consecutive(&[4, 3]), None, "out of order");
        assert_eq!(consecutive(&[0, 0, 2]), None, "a repeat whose ends look like a run");
        assert_eq!(consecutive(&[0, 0, 2, 2]), None, "two misfits whose differences would cancel in an xor");
        assert_eq!(consecutive(&[u32::MAX - 1, u32::MAX]), Some(u32::MAX - 1));
        assert_eq!(consecutive(&[u32::MAX, 0]), None, "no wrapping past u32::MAX");
    }
}
