//! The accumulator's intake: the application's `send()`, the partitioner's choice, and the
//! per-partition queue of records waiting to be batched.

use std::collections::VecDeque;

use super::*;

impl Producer {
    /// The application calls `send(record)`: partitioned, then queued in the accumulator. The
    /// partition it went to (an index within the topic).
    pub(crate) fn app_send(&mut self, now: u64, record: u32, out: &mut ProducerOut) -> u32 {
        let p = self.partition_for(record, out);
        self.enqueue(now, record, p, out);
        p
    }

    /// The application calls `send(record)`: the partition (an index within the topic) the
    /// partitioner chooses for it.
    pub(crate) fn partition_for(&mut self, record: u32, out: &mut ProducerOut) -> u32 {
        if self.watch_sends {
            out.observe(ProducerObs::AppSent { producer: self.idx, index: record });
        }
        let n = self.parts.len() as u32;
        match self.spec.keys {
            Some(k) => key_partition(record % k.max(1), n),
            None => {
                // Sticky partitioning: stay on one partition for a batch's worth of bytes.
                if self.sticky_bytes >= self.spec.config.batch_size {
                    self.sticky = (self.sticky + 1) % n;
                    self.sticky_bytes = 0;
                }
                self.sticky_bytes += self.spec.record_bytes;
                self.sticky
            }
        }
    }

    /// `send()` of every fresh record at once, unkeyed and unwatched: the sticky partitioner's
    /// choices (`partition_for`'s, exactly) made a run of records at a time instead of one by one.
    pub(super) fn send_fresh_runs(&mut self, now: u64, out: &mut ProducerOut) {
        let n = self.parts.len() as u32;
        let (size, bytes) = (self.spec.config.batch_size, self.spec.record_bytes);
        while self.next_fresh < self.spec.records {
            if self.sticky_bytes >= size {
                self.sticky = (self.sticky + 1) % n;
                self.sticky_bytes = 0;
            }
            // The records that go to this partition before the next switch: each while the bytes
            // before it are under a batch.
            let left = u64::from(self.spec.records - self.next_fresh);
            let k = if bytes == 0 { left } else { (size - self.sticky_bytes).div_ceil(bytes).clamp(1, left) };
            let first = self.next_fresh;
            self.next_fresh += k as u32;
            self.sticky_bytes += k * bytes;
            self.enqueue_run(now, first..self.next_fresh, self.sticky, out);
        }
    }

    /// Put `record` in the accumulator of partition `p` (an index within the topic).
    pub(crate) fn enqueue(&mut self, now: u64, record: u32, p: u32, out: &mut ProducerOut) {
        self.enqueue_run(now, record..record + 1, p, out);
    }

    /// Put the records `run` in the accumulator of partition `p`, in order.
    fn enqueue_run(&mut self, now: u64, run: std::ops::Range<u32>, p: u32, out: &mut ProducerOut) {
        let q = &mut self.parts[p as usize];
        let first = q.pending.is_empty();
        if first {
            q.pending_since = now;
        }
        q.pending.extend(run);
        if first {
            self.wake_at(now, now + self.spec.config.linger_ms, out);
        }
    }

    /// After the application's `send()`s, Kafka's `Sender` is woken: the transaction manager's
    /// pump (a transactional producer) and the drain. `KafkaProducer.doSend` wakes it only when a
    /// record starts a batch or fills one (`batchIsFull || newBatchCreated`). When the one record
    /// sent, to partition `joined`, left its batch lingering (it joined one without filling it,
    /// or started one whose linger `enqueue_run` armed), a woken `Sender` finds nothing ready
    /// (`RecordAccumulator.ready`) and only sleeps again, so both are left undone if they would
    /// do nothing:
    /// - only sends and ticks reached the producer since a step that ended with a pump and drain
    ///   (a send that woke the sender, a `Drain` timer, a produce response: `drain_last`), so its
    ///   state is what that left plus the records; every deadline that drain saw (linger, retry
    ///   backoff, delivery timeout, reconnect) is no earlier than `next_drain`, where a `Drain`
    ///   is queued, and that is still ahead; and no wait that a drain retries without a timer
    ///   (metadata wanted, an epoch bump or producer id reset, sequences to resolve) is pending
    ///   (`nothing_due`);
    /// - the pump has nothing to do: no transaction, or one open before this record
    ///   (`was_in_txn`) whose partitions with data have all joined it (`txn_pump_is_idle`).
    ///
    /// A user service's producer always pumps and drains. Invariant 45 replays what was left
    /// undone when invariants are checked.
    pub(crate) fn wake_sender(&mut self, now: u64, joined: Option<u32>, was_in_txn: bool, out: &mut ProducerOut) {
        if let Some(p) = joined {
            // The batch lingers on: not full (a linger of 0 ms is due at once, and `nothing_due`
            // sees it).
            let lingering = self.parts[p as usize].pending.len();
            if lingering < self.max_records
                && self.user.is_none()
                && (self.txn.is_none() || (was_in_txn && self.txn_pump_is_idle()))
                && self.nothing_due(now)
            {
                // Replaying costs two dumps of the producer: only when a run asks for
                // invariants (`check_invariants`), not in every debug-build run.
                if crate::sim::invariant::switch_on() {
                    self.check_idle_drain(now, out);
                }
                return;
            }
        }
        if self.txn.is_some() {
            self.txn_pump(now, out);
        }
        self.drain_last(now, out);
    }

    /// The drain that ends the handling of an event (a send that woke the sender, a `Drain`
    /// timer, a produce response): the producer is then as a drain leaves it, so the records
    /// sent next may leave the sender unwoken (`wake_sender`, which never skips for a user
    /// service's producer; invariant 45 replays each one left so).
    pub(super) fn drain_last(&mut self, now: u64, out: &mut ProducerOut) {
        self.drain(now, out);
        self.quiet_since_drain = true;
    }

    /// `wake_sender`'s conditions on the producer's state: quiet since its last drain, no
    /// `Drain` overdue (`drain_overdue`), the next one still ahead, no wait a drain retries
    /// without a timer.
    fn nothing_due(&self, now: u64) -> bool {
        self.quiet_since_drain
            && !self.drain_overdue
            && self.next_drain.is_some_and(|t| t > now)
            && !self.metadata_wanted
            && !self.bump_pending
            && self.pid_reset == sequence::PidReset::Idle
            && self.parts.iter().all(|q| !q.unresolved)
    }

    /// Something other than a send or a tick reached the producer (a processor's flush, its
    /// transaction's end, a group coordinator): the next send pumps and drains (`on_message`
    /// and a timer other than a tick clear the same flag).
    pub(crate) fn stirred(&mut self) {
        self.quiet_since_drain = false;
    }

    /// Invariant 45, when invariants are checked: the pump and drain `wake_sender` left undone
    /// change nothing.
    #[cold]
    pub(super) fn check_idle_drain(&mut self, now: u64, out: &mut ProducerOut) {
        let before = format!("{self:?}");
        let lens = (out.sends.len(), out.timers.len(), out.cancels.len(), out.obs.len());
        if self.txn.is_some() {
            self.txn_pump(now, out);
        }
        self.drain(now, out);
        let after = (out.sends.len(), out.timers.len(), out.cancels.len(), out.obs.len());
        crate::invariant!(
            45,
            lens == after && before == format!("{self:?}"),
            "producer {} at {now}: the drain a tick skipped as idle did something ({lens:?} -> {after:?})",
            self.idx
        );
    }

    /// Schedule a `Drain` at `at` unless one is already due no later.
    pub(super) fn wake_at(&mut self, now: u64, at: u64, out: &mut ProducerOut) {
        if self.next_drain.is_some_and(|t| t <= at && t >= now) {
            return;
        }
        // A `Drain` held back past its time by a pause is still queued, and what it was for may
        // be due: `nothing_due` must not read the later time as "nothing before it".
        if self.next_drain.is_some_and(|t| t < now) {
            self.drain_overdue = true;
        }
        self.next_drain = Some(at);
        out.timer(at - now, ProducerTimer::Drain);
    }
}

/// The records a partition's accumulator holds, in order, as runs of consecutive records: a
/// producer sends its workload in order, so a million records sent at once are one run, and a
/// batch taken from the front is a run too.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pending {
    /// (first record, count), each count at least one.
    runs: VecDeque<(u32, u32)>,
    /// Records in all runs.
    len: usize,
}

impl Pending {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append the records `run`, in order.
    pub(crate) fn extend(&mut self, run: std::ops::Range<u32>) {
        let n = run.end.saturating_sub(run.start);
        if n == 0 {
            return;
        }
        self.len += n as usize;
        match self.runs.back_mut() {
            Some((first, count)) if first.checked_add(*count) == Some(run.start) => *count += n,
            _ => self.runs.push_back((run.start, n)),
        }
    }

    /// The first `n` records (no more than there are) as a batch's list.
    pub(crate) fn take_front(&mut self, n: usize) -> RecordList {
        let n = n.min(self.len);
        self.len -= n;
        match self.runs.front_mut() {
            Some((first, count)) if *count as usize >= n => {
                let list = RecordList::run(*first, n as u32);
                (*first, *count) = (*first + n as u32, *count - n as u32);
                if *count == 0 {
                    self.runs.pop_front();
                }
                list
            }
            _ => {
                // Across runs: records that do not run on, so a list.
                let mut v = Vec::with_capacity(n);
                while v.len() < n {
                    let Some((first, count)) = self.runs.front_mut() else { break };
                    let k = (*count as usize).min(n - v.len()) as u32;
                    v.extend(*first..*first + k);
                    (*first, *count) = (*first + k, *count - k);
                    if *count == 0 {
                        self.runs.pop_front();
                    }
                }
                RecordList::from(v)
            }
        }
    }

    /// All the records, as a list; none are left.
    pub(crate) fn take_all(&mut self) -> RecordList {
        self.take_front(self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::Pending;
    use crate::record::RecordList;

    #[test]
    fn records_sent_in_order_stay_one_run_and_leave_as_runs() {
        let mut q = Pending::default();
        q.extend(0..1_000_000);
        q.extend(1_000_000..1_000_001);
        assert_eq!((q.len(), q.runs.len()), (1_000_001, 1));
        assert_eq!(q.take_front(16_384), RecordList::run(0, 16_384));
        assert_eq!(q.take_all(), RecordList::run(16_384, 1_000_001 - 16_384));
        assert!(q.is_empty() && q.runs.is_empty());
    }

    #[test]
    fn a_batch_across_runs_is_the_list_of_its_records_in_order() {
        let mut q = Pending::default();
        q.extend(7..9);
        q.extend(3..4);
        q.extend(4..6);
        q.extend(2..2);
        assert_eq!((q.len(), q.runs.len()), (5, 2));
        assert_eq!(q.take_front(3).to_vec(), vec![7, 8, 3]);
        assert_eq!(q.take_front(9), RecordList::run(4, 2), "no more than there are");
        assert!(q.is_empty());
        assert_eq!(q.take_all(), RecordList::EMPTY);
    }
}
