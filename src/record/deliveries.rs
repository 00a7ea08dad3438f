//! The records of one poll as runs: a poll hands out stretches of batches, so the history keeps
//! one 24-byte run per stretch instead of one 24-byte [`Delivery`] per record.

use std::sync::Arc;

use super::ids::{Delivery, PartitionIdx, RecordId};
use super::RecordList;

/// `count` records handed out one after another: consecutive offsets of one partition, holding
/// consecutive workload records of one producer (a stretch of a batch, nearly always).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliveryRun {
    /// Offset of the first record.
    pub offset: u64,
    /// Partition they were read from.
    pub partition: PartitionIdx,
    /// Their producer (index into the scenario's producers).
    pub producer: u32,
    /// Workload index of the first record.
    pub index: u32,
    /// Records in the run (at least one).
    pub count: u32,
}

impl DeliveryRun {
    /// Record `k` of the run (`k < count`).
    pub fn get(&self, k: u32) -> Delivery {
        debug_assert!(k < self.count, "record {k} of a run of {}", self.count);
        Delivery {
            partition: self.partition,
            offset: self.offset + u64::from(k),
            record: RecordId { producer: self.producer, index: self.index + k },
        }
    }

    /// Whether `next` starts right after this run's last record, and the two fit in one run.
    fn continued_by(&self, next: &DeliveryRun) -> bool {
        next.partition == self.partition
            && next.producer == self.producer
            && next.offset == self.offset + u64::from(self.count)
            && self.index.checked_add(self.count) == Some(next.index)
            && self.count.checked_add(next.count).is_some()
    }
}

/// Records of one poll (or of one run of processing), in the order the application got them,
/// kept as maximal runs: two lists of the same records compare equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Deliveries(Arc<[DeliveryRun]>);

impl Deliveries {
    /// The runs, in order.
    pub fn runs(&self) -> &[DeliveryRun] {
        &self.0
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.0.iter().map(|r| r.count as usize).sum()
    }

    /// Whether there is no record.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The records, in order.
    pub fn iter(&self) -> DeliveriesIter<'_> {
        DeliveriesIter { runs: &self.0, k: 0 }
    }

    /// Record `i`, if there are more than `i`.
    pub fn get(&self, mut i: usize) -> Option<Delivery> {
        for r in self.0.iter() {
            if i < r.count as usize {
                return Some(r.get(i as u32));
            }
            i -= r.count as usize;
        }
        None
    }

    /// The first record.
    pub fn first(&self) -> Option<Delivery> {
        self.0.first().map(|r| r.get(0))
    }

    /// The last record.
    pub fn last(&self) -> Option<Delivery> {
        self.0.last().map(|r| r.get(r.count - 1))
    }

    /// The records, one by one.
    pub fn to_vec(&self) -> Vec<Delivery> {
        self.iter().collect()
    }
}

/// Builds [`Deliveries`] record by record or stretch by stretch, merging what continues a run.
#[derive(Debug, Default)]
pub struct DeliveriesBuilder(Vec<DeliveryRun>);

impl DeliveriesBuilder {
    /// Append one record.
    pub fn push(&mut self, d: Delivery) {
        self.push_run(DeliveryRun {
            offset: d.offset,
            partition: d.partition,
            producer: d.record.producer,
            index: d.record.index,
            count: 1,
        });
    }

    /// Append a run, merged into the last one when it continues it.
    fn push_run(&mut self, run: DeliveryRun) {
        match self.0.last_mut() {
            Some(r) if r.continued_by(&run) => r.count += run.count,
            _ => self.0.push(run),
        }
    }

    /// Append the records `indices` of `producer`, read from `partition` at consecutive offsets
    /// from `offset`: one run for a run of records, else one per stretch of consecutive ones.
    pub fn push_stretch(&mut self, partition: PartitionIdx, offset: u64, producer: u32, indices: &RecordList) {
        if let Some(index) = indices.first_of_run() {
            self.push_run(DeliveryRun { offset, partition, producer, index, count: indices.len() as u32 });
            return;
        }
        for (k, index) in indices.iter().enumerate() {
            self.push(Delivery { partition, offset: offset + k as u64, record: RecordId { producer, index } });
        }
    }

    /// Whether nothing was appended.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The list; the builder is empty again, its allocation kept.
    pub fn take(&mut self) -> Deliveries {
        let d = Deliveries(Arc::from(self.0.as_slice()));
        self.0.clear();
        d
    }
}

impl FromIterator<Delivery> for Deliveries {
    fn from_iter<I: IntoIterator<Item = Delivery>>(iter: I) -> Self {
        let mut b = DeliveriesBuilder::default();
        for d in iter {
            b.push(d);
        }
        b.take()
    }
}

impl From<Vec<Delivery>> for Deliveries {
    fn from(v: Vec<Delivery>) -> Self {
        v.into_iter().collect()
    }
}

impl From<&[Delivery]> for Deliveries {
    fn from(v: &[Delivery]) -> Self {
        v.iter().copied().collect()
    }
}

impl<'a> IntoIterator for &'a Deliveries {
    type Item = Delivery;
    type IntoIter = DeliveriesIter<'a>;

    fn into_iter(self) -> DeliveriesIter<'a> {
        self.iter()
    }
}

/// The records of [`Deliveries`], in order.
#[derive(Debug, Clone)]
pub struct DeliveriesIter<'a> {
    runs: &'a [DeliveryRun],
    /// The next record's position in `runs[0]`.
    k: u32,
}

impl Iterator for DeliveriesIter<'_> {
    type Item = Delivery;

    #[inline]
    fn next(&mut self) -> Option<Delivery> {
        let r = self.runs.first()?;
        let d = r.get(self.k);
        self.k += 1;
        if self.k == r.count {
            self.runs = &self.runs[1..];
            self.k = 0;
        }
        Some(d)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.runs.iter().map(|r| r.count as usize).sum::<usize>() - self.k as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for DeliveriesIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(partition: u32, offset: u64, producer: u32, index: u32) -> Delivery {
        Delivery { partition, offset, record: RecordId { producer, index } }
    }

    #[test]
    fn a_poll_of_consecutive_records_is_one_run_and_reads_back_record_by_record() {
        let v: Vec<Delivery> = (0..500).map(|i| d(2, 100 + i as u64, 1, 7 + i)).collect();
        let l = Deliveries::from(v.clone());
        assert_eq!(l.runs().len(), 1);
        assert_eq!(l.len(), 500);
        assert_eq!(l.to_vec(), v);
        assert_eq!(l.get(499), Some(v[499]));
        assert_eq!(l.get(500), None);
        assert_eq!((l.first(), l.last()), (Some(v[0]), Some(v[499])));
        assert_eq!(l.iter().len(), 500);
    }

    #[test]
    fn a_gap_in_offsets_indices_partition_or_producer_starts_a_new_run() {
        let v = vec![
            d(0, 10, 0, 1),
            d(0, 11, 0, 2),
            d(0, 13, 0, 3), // offset gap (a marker)
            d(0, 14, 0, 5), // index gap
            d(1, 15, 0, 6), // another partition
            d(1, 16, 1, 7), // another producer
            d(1, 17, 1, 7), // the same record again (a duplicate in the log)
        ];
        let l: Deliveries = v.iter().copied().collect();
        assert_eq!(l.runs().len(), 6);
        assert_eq!(l.to_vec(), v);
        assert_eq!(l.len(), 7);
    }

    #[test]
    fn a_stretch_pushed_whole_equals_its_records_pushed_one_by_one() {
        let mut a = DeliveriesBuilder::default();
        let mut b = DeliveriesBuilder::default();
        for (p, off, idx) in
            [(0u32, 0u64, vec![0u32, 1, 2]), (0, 3, vec![3, 4]), (0, 5, vec![9, 8, 10]), (1, 0, vec![])]
        {
            a.push_stretch(p, off, 0, &RecordList::from(idx.as_slice()));
            for (k, &i) in idx.iter().enumerate() {
                b.push(d(p, off + k as u64, 0, i));
            }
        }
        let (a, b) = (a.take(), b.take());
        assert_eq!(a, b);
        assert_eq!(a.to_vec().iter().map(|d| d.record.index).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4, 9, 8, 10]);
        assert!(Deliveries::default().is_empty() && Deliveries::default().iter().next().is_none());
    }
}
