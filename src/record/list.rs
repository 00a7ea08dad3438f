//! A batch's records as a range: a producer sends its workload in order, so nearly every batch,
//! log entry and history event holds consecutive records, kept as `first..first + len` in 16
//! bytes whatever the batch's size. Only the rest (a resent mix, a key's records) keep a list.

use std::sync::Arc;

/// The records of one batch (or one history event), as indices into one producer's workload
/// (`p1#17` is index 17), in order: a run of consecutive indices, or a shared list of others.
#[derive(Clone)]
pub struct RecordList(Repr);

/// Canonical: a list is never empty or consecutive (the constructors make those runs), so two
/// lists of the same records have the same form.
#[derive(Clone)]
enum Repr {
    Run { first: u32, len: u32 },
    List(Arc<[u32]>),
}

impl RecordList {
    /// No records.
    pub const EMPTY: RecordList = RecordList(Repr::Run { first: 0, len: 0 });

    /// The `len` records from `first` on (a run is kept below `u32::MAX`, as every workload
    /// index is: one reaching it is cut short there).
    pub fn run(first: u32, len: u32) -> Self {
        match len.min(u32::MAX - first) {
            0 => Self::EMPTY,
            len => RecordList(Repr::Run { first, len }),
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Run { len, .. } => *len as usize,
            Repr::List(l) => l.len(),
        }
    }

    /// Whether there is no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first record, when the records are consecutive and there is at least one (a caller
    /// can then treat them as a range).
    pub fn first_of_run(&self) -> Option<u32> {
        match self.0 {
            Repr::Run { first, len } if len > 0 => Some(first),
            _ => None,
        }
    }

    /// The list, when the records are not a run (`None` for a run or no records).
    pub fn list(&self) -> Option<&[u32]> {
        match &self.0 {
            Repr::Run { .. } => None,
            Repr::List(l) => Some(l),
        }
    }

    /// How many records from position `pos` on run on consecutively (0 past the end).
    pub fn stretch_at(&self, pos: usize) -> usize {
        match &self.0 {
            Repr::Run { len, .. } => (*len as usize).saturating_sub(pos),
            Repr::List(l) => l.get(pos..).map_or(0, super::ids::stretch),
        }
    }

    /// Record `i`, if there are more than `i`.
    pub fn get(&self, i: usize) -> Option<u32> {
        match &self.0 {
            Repr::Run { first, len } => (i < *len as usize).then(|| first + i as u32),
            Repr::List(l) => l.get(i).copied(),
        }
    }

    /// The first record.
    pub fn first(&self) -> Option<u32> {
        self.get(0)
    }

    /// The last record.
    pub fn last(&self) -> Option<u32> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// Where `index` is in the list (its first place).
    pub fn position(&self, index: u32) -> Option<usize> {
        match &self.0 {
            Repr::Run { first, len } => index.checked_sub(*first).filter(|&k| k < *len).map(|k| k as usize),
            Repr::List(l) => l.iter().position(|&r| r == index),
        }
    }

    /// Whether `index` is in the list.
    pub fn contains(&self, index: u32) -> bool {
        self.position(index).is_some()
    }

    /// The records, in order.
    pub fn iter(&self) -> RecordIter<'_> {
        match &self.0 {
            Repr::Run { first, len } => RecordIter::Run(*first..*first + *len),
            Repr::List(l) => RecordIter::List(l.iter()),
        }
    }

    /// The records, one by one.
    pub fn to_vec(&self) -> Vec<u32> {
        self.iter().collect()
    }

    /// The records from position `start` to `end` (exclusive), clamped to the list.
    pub fn slice(&self, start: usize, end: usize) -> RecordList {
        let end = end.min(self.len());
        let start = start.min(end);
        match &self.0 {
            Repr::Run { first, .. } => Self::run(first + start as u32, (end - start) as u32),
            Repr::List(l) => Self::from(&l[start..end]),
        }
    }
}

impl Default for RecordList {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl PartialEq for RecordList {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Run { first: a, len: n }, Repr::Run { first: b, len: m }) => n == m && (*n == 0 || a == b),
            (Repr::List(a), Repr::List(b)) => a == b,
            // Canonical forms: a run never equals a list.
            _ => false,
        }
    }
}

impl Eq for RecordList {}

impl std::fmt::Debug for RecordList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl From<&[u32]> for RecordList {
    fn from(records: &[u32]) -> Self {
        // A run when they are consecutive and the run stays below u32::MAX, else a list.
        match super::ids::consecutive(records) {
            Some(first) if first.checked_add(records.len() as u32).is_some() => {
                RecordList(Repr::Run { first, len: records.len() as u32 })
            }
            _ if records.is_empty() => Self::EMPTY,
            _ => RecordList(Repr::List(Arc::from(records))),
        }
    }
}

impl From<Vec<u32>> for RecordList {
    fn from(records: Vec<u32>) -> Self {
        Self::from(records.as_slice())
    }
}

impl From<std::ops::Range<u32>> for RecordList {
    fn from(r: std::ops::Range<u32>) -> Self {
        Self::run(r.start, r.end.saturating_sub(r.start))
    }
}

impl FromIterator<u32> for RecordList {
    fn from_iter<I: IntoIterator<Item = u32>>(iter: I) -> Self {
        let v: Vec<u32> = iter.into_iter().collect();
        v.into()
    }
}

impl<'a> IntoIterator for &'a RecordList {
    type Item = u32;
    type IntoIter = RecordIter<'a>;

    fn into_iter(self) -> RecordIter<'a> {
        self.iter()
    }
}

/// The records of a [`RecordList`], in order.
#[derive(Debug, Clone)]
pub enum RecordIter<'a> {
    /// A run's.
    Run(std::ops::Range<u32>),
    /// A list's.
    List(std::slice::Iter<'a, u32>),
}

impl Iterator for RecordIter<'_> {
    type Item = u32;

    #[inline]
    fn next(&mut self) -> Option<u32> {
        match self {
            RecordIter::Run(r) => r.next(),
            RecordIter::List(l) => l.next().copied(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            RecordIter::Run(r) => r.size_hint(),
            RecordIter::List(l) => l.size_hint(),
        }
    }
}

impl DoubleEndedIterator for RecordIter<'_> {
    fn next_back(&mut self) -> Option<u32> {
        match self {
            RecordIter::Run(r) => r.next_back(),
            RecordIter::List(l) => l.next_back().copied(),
        }
    }
}

impl ExactSizeIterator for RecordIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_records_are_a_run_of_sixteen_bytes_whatever_their_number() {
        assert_eq!(std::mem::size_of::<RecordList>(), 16);
        let l = RecordList::from((5..1_000_005).collect::<Vec<u32>>());
        assert_eq!(l.first_of_run(), Some(5));
        assert_eq!((l.len(), l.first(), l.last(), l.get(3)), (1_000_000, Some(5), Some(1_000_004), Some(8)));
        assert_eq!((l.position(7), l.position(4), l.position(1_000_005)), (Some(2), None, None));
        assert_eq!(l, RecordList::run(5, 1_000_000));
        assert_eq!(l.slice(2, 4).to_vec(), vec![7, 8]);
    }

    #[test]
    fn other_records_keep_a_list_that_reads_back_the_same() {
        let v = vec![3u32, 9, 4, 4];
        let l = RecordList::from(v.as_slice());
        assert_eq!(l.first_of_run(), None);
        assert_eq!(l.to_vec(), v);
        assert_eq!((l.position(4), l.contains(9), l.contains(5)), (Some(2), true, false));
        assert_eq!(l.slice(1, 3).to_vec(), vec![9, 4]);
        assert_eq!(l.slice(2, 9).to_vec(), vec![4, 4]);
        assert_eq!(format!("{l:?}"), "[3, 9, 4, 4]");
        assert_ne!(l, RecordList::from(vec![3u32, 9, 4]));
    }

    #[test]
    fn two_lists_of_the_same_records_are_equal_whichever_way_they_were_built() {
        let a: RecordList = (10..13).collect();
        let b = RecordList::from(vec![10u32, 11, 12]);
        let c = RecordList::from(10..13);
        assert!(a == b && b == c);
        assert_eq!(RecordList::from(Vec::new()), RecordList::EMPTY);
        assert_eq!(RecordList::run(7, 0), RecordList::default());
        assert!(RecordList::EMPTY.is_empty() && RecordList::EMPTY.iter().next().is_none());
        assert_eq!(RecordList::from(vec![1u32, 2, 4]).slice(0, 2), RecordList::run(1, 2), "a slice is canonical too");
        let top = [u32::MAX - 1, u32::MAX];
        assert_eq!(RecordList::from(&top[..]).to_vec(), top, "a run that would pass u32::MAX stays a list");
    }
}
