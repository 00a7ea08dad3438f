//! What an idempotent producer does when it loses track of a partition's sequences, release by
//! release (Java's `TransactionManager` and `Sender`):
//!
//! - A batch whose `delivery.timeout.ms` passes fails, in the accumulator or, from 2.1 (KIP-91,
//!   `Sender.getExpiredInflightBatches`), while its request is still out: the request stays on
//!   its connection, and its answer only tells whether the broker took the sequences.
//! - A batch that had been retried before it expired leaves its partition unresolved
//!   (`markSequenceUnresolved`): no new batch goes there until nothing of it is out. Then, if the
//!   last acknowledged sequence is the one before the next to assign, all is well; otherwise
//!   (`maybeResolveSequences`), from 2.5 (KIP-360) the producer bumps its epoch itself and
//!   starts every partition's sequences again at 0; before 2.5 it drops its producer id and asks
//!   a broker for a new one (`resetProducerId`, InitProducerId without a transactional id).
//! - A batch that fails after it was sent (a non-retriable answer, retries used up, the delivery
//!   timeout at an answer) asks for the same bump from 2.5 (`failBatch` with
//!   `adjustSequenceNumbers`: `requestEpochBumpForPartition`) and for a new producer id before.
//! - A transactional producer never bumps by itself: its transaction becomes abortable and the
//!   epoch moves at the coordinator (`transactional.rs`).

use super::*;

/// Where an idempotent producer's producer id reset stands (before KIP-360).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PidReset {
    /// No reset.
    Idle,
    /// The id is dropped; InitProducerId goes out once nothing is in flight.
    Wanted,
    /// InitProducerId is out to this broker.
    Asked(ReqId, u32),
}

/// How a batch failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Failure {
    /// Its delivery timeout passed in the accumulator or while its request was out
    /// (`failBatch(..., adjustSequenceNumbers = false)`).
    Expired,
    /// An answer failed it for good (`failBatch(..., adjustSequenceNumbers = true)`).
    Answered,
}

/// What a producer before 2.5 (KIP-360) does with an error answer that concerns its producer
/// id (Java 2.4's `TransactionManager.canRetry` and `handleFailedBatch`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pre360 {
    /// Not such an answer, or a release from 2.5: the usual rules apply.
    Usual,
    /// The batch was sent under a producer id the producer has dropped: it fails.
    Dropped,
    /// UNKNOWN_PRODUCER_ID for a batch whose sequence was renumbered since it was sent, or on a
    /// partition where nothing of this producer id was acknowledged yet (the last acknowledged
    /// offset is below the log start offset, 0 here): retry, after renumbering the partition's
    /// batches from 0 if `restart` (`startSequencesAtBeginning`).
    Retry {
        /// Renumber the partition first.
        restart: bool,
    },
    /// UNKNOWN_PRODUCER_ID after acknowledged batches, or OUT_OF_ORDER_SEQUENCE_NUMBER for the
    /// batch right after the last acknowledged one, of an idempotent producer without a
    /// transactional id: the batch fails and the producer drops its id
    /// (`UnknownProducerIdException` is an `OutOfOrderSequenceException`, which
    /// `handleFailedBatch` answers with `resetProducerId`).
    ResetProducerId,
}

impl Pre360 {
    /// Classify the error answer `e` to the request `f` of batch `b`.
    pub(super) fn of(p: &Producer, f: &InFlight, b: &Batch, e: KafkaError, last_acked: i64, unresolved: bool) -> Self {
        if !p.idempotent || p.topo.version.kip360() {
            return Pre360::Usual;
        }
        if p.pid_reset != PidReset::Idle || f.ids != (p.producer_id, p.producer_epoch) {
            return Pre360::Dropped;
        }
        // `sequenceHasBeenReset`: the batch was renumbered while this request was out.
        let reset = f.last_seq != b.base_seq as i64 + b.records.len() as i64 - 1;
        let is_next = b.base_seq as i64 == last_acked + 1;
        match e {
            KafkaError::UnknownProducerId if reset || last_acked < 0 => Pre360::Retry { restart: !reset },
            KafkaError::UnknownProducerId if p.txn.is_none() => Pre360::ResetProducerId,
            KafkaError::OutOfOrderSequenceNumber if p.txn.is_none() && is_next && !reset && !unresolved => {
                Pre360::ResetProducerId
            }
            _ => Pre360::Usual,
        }
    }
}

impl Producer {
    /// Before 2.5, `startSequencesAtBeginning(tp)`: renumber partition `p`'s unacknowledged
    /// batches from sequence 0 under the same producer id.
    pub(super) fn start_sequences_at_beginning(&mut self, p: usize) {
        let q = &mut self.parts[p];
        let mut seq = 0i32;
        for b in &mut q.batches {
            b.base_seq = seq;
            seq = seq.wrapping_add(b.records.len() as i32);
        }
        q.next_seq = seq;
        q.last_acked_seq = -1;
    }

    /// Before 2.5, `resetProducerId` after a batch of partition `p` failed with `e`: the id is
    /// dropped at once and a new one asked for once nothing is in flight. The partition's batches
    /// being retried would go again under the dropped id (Java keeps a batch's producer id once
    /// it has a sequence) and be refused the same way, so they fail with `e` too.
    pub(super) fn reset_producer_id_now(&mut self, p: usize, e: KafkaError, out: &mut ProducerOut) {
        if self.pid_reset == PidReset::Idle {
            self.pid_reset = PidReset::Wanted;
        }
        let global = self.first_partition + p as u32;
        let q = std::mem::take(&mut self.parts[p].batches);
        let (retried, kept): (VecDeque<Batch>, VecDeque<Batch>) =
            q.into_iter().partition(|b| b.attempts > 0 && b.in_flight.is_none());
        self.parts[p].batches = kept;
        for b in retried {
            self.fail(global, b, e, out);
        }
    }

    /// Take the producer id and epoch the coordinator (or a broker) handed out: every partition
    /// starts its sequences again at 0.
    pub(crate) fn set_producer_ids(&mut self, producer_id: i64, epoch: i16) {
        crate::invariant!(
            33,
            producer_id != self.producer_id || epoch >= self.producer_epoch,
            "producer#{}: producer id {producer_id} went back from epoch {} to {epoch}",
            self.idx,
            self.producer_epoch
        );
        self.producer_id = producer_id;
        self.producer_epoch = epoch;
        self.restart_sequences();
    }

    /// Renumber every unacknowledged batch of every partition from sequence 0.
    fn restart_sequences(&mut self) {
        for p in 0..self.parts.len() {
            self.start_sequences_at_beginning(p);
            self.parts[p].unresolved = false;
        }
    }

    /// Fail the batches of partition `p` whose delivery timeout has passed: those waiting to be
    /// (re)sent, and from 2.1 those whose request is still out.
    pub(super) fn expire(&mut self, now: u64, p: usize, out: &mut ProducerOut) {
        let deadline = self.spec.config.delivery_timeout_ms;
        let in_flight_expires = self.topo.version.delivery_timeout();
        let global = self.first_partition + p as u32;
        let q = &mut self.parts[p];
        let mut expired = Vec::new();
        let mut i = 0;
        while i < q.batches.len() {
            let b = &q.batches[i];
            if (b.in_flight.is_none() || in_flight_expires) && now >= b.created + deadline {
                expired.extend(q.batches.remove(i));
            } else {
                i += 1;
            }
        }
        // Records still lingering in the open batch expire too (Java's accumulator expires the
        // batches it has not drained); their batch never went out.
        let q = &mut self.parts[p];
        if !q.pending.is_empty() && now >= q.pending_since + deadline {
            let take = q.pending.len().min(self.max_records);
            let records = q.pending.take_front(take);
            let created = q.pending_since;
            q.pending_since = now;
            out.observe(ProducerObs::History(EventKind::Sent {
                producer: self.idx,
                instance: self.instance,
                partition: global,
                records: records.clone(),
            }));
            let b = Batch {
                records,
                created,
                base_seq: -1,
                attempts: 0,
                in_flight: None,
                retry_at: 0,
                maybe_written: false,
                last_error: None,
            };
            expired.push(b);
        }
        if expired.is_empty() {
            return;
        }
        for mut b in expired {
            if b.attempts == 0 && b.base_seq >= 0 && self.idempotent && self.txn.is_none() {
                self.forget_unsent_sequence(p, b.base_seq, b.records.len() as i32);
            }
            if let Some(req) = b.in_flight.take() {
                // The request stays out; the batch is over for the application.
                b.maybe_written = true;
                if let Some(f) = self.in_flight.get_mut(&req) {
                    f.expired = true;
                }
            }
            // Java's `inRetry()`: an earlier attempt failed and the batch went back to the queue.
            let in_retry = b.last_error.is_some();
            self.fail(global, b, KafkaError::DeliveryTimeout, out);
            self.batch_failed(now, p, Failure::Expired, in_retry, out);
        }
    }

    /// An idempotent batch of partition `p` that never went out expired. Java gives a batch its
    /// sequence only when it is drained, so such a batch never had one: the model, which numbers
    /// batches as they close, takes its `len` sequences back from the unsent batches after it. A
    /// batch after it that was sent already keeps its number, and the gap is left unresolved.
    fn forget_unsent_sequence(&mut self, p: usize, base: i32, len: i32) {
        let q = &mut self.parts[p];
        if q.batches.iter().any(|b| b.base_seq > base && b.attempts > 0) {
            q.unresolved = true;
            return;
        }
        for b in q.batches.iter_mut().filter(|b| b.base_seq > base) {
            b.base_seq -= len;
        }
        q.next_seq -= len;
    }

    /// A batch of partition `p` failed for good: what it means for the producer's sequences.
    pub(super) fn batch_failed(&mut self, now: u64, p: usize, how: Failure, in_retry: bool, out: &mut ProducerOut) {
        if self.txn.is_some() {
            self.txn_send_failed();
            if how == Failure::Expired && in_retry {
                self.txn_sequence_unresolved(now, out);
            }
            return;
        }
        if !self.idempotent {
            return;
        }
        match how {
            Failure::Expired if in_retry => self.parts[p].unresolved = true,
            Failure::Expired => {}
            Failure::Answered if self.topo.version.kip360() => self.bump_pending = true,
            // Before KIP-360 a batch the broker may or may not have leaves the producer no safe
            // sequence: it resets its producer id.
            Failure::Answered => self.parts[p].unresolved = true,
        }
    }

    /// `maybeResolveSequences`: an unresolved partition with nothing of it left out either
    /// turned out fine (everything sent was acknowledged) or needs new sequences.
    pub(super) fn maybe_resolve_sequences(&mut self, _now: u64, _out: &mut ProducerOut) {
        let kip360 = self.topo.version.kip360();
        for p in 0..self.parts.len() {
            let q = &mut self.parts[p];
            if !q.unresolved {
                continue;
            }
            // Java's `maybeResolveSequences` waits only for the partition's batches in flight
            // (`hasInflightBatches`), not for its queue: batches waiting to be (re)sent would
            // otherwise keep a gap unresolved, and keep being refused as out of order, until they
            // expire too.
            let out_there = self.in_flight.values().any(|f| f.partition == p as u32 && !f.expired)
                || q.batches.iter().any(|b| b.in_flight.is_some());
            if out_there {
                continue;
            }
            q.unresolved = false;
            // `isNextSequence`: the first sequence still to be sent follows the last acknowledged
            // one (a batch expired, but the ones after it went through).
            let next = q.batches.front().map_or(q.next_seq, |b| b.base_seq);
            if q.last_acked_seq + 1 == next as i64 {
                continue;
            }
            if kip360 {
                self.bump_pending = true;
            } else if self.pid_reset == PidReset::Idle {
                self.pid_reset = PidReset::Wanted;
            }
        }
    }

    /// KIP-360 epoch bump for an idempotent producer: once nothing is in flight (but requests of
    /// expired batches), take the next epoch and renumber every unacknowledged batch from
    /// sequence 0.
    pub(super) fn maybe_bump_epoch(&mut self) {
        if !self.bump_pending || self.in_flight.values().any(|f| !f.expired) {
            return;
        }
        self.bump_pending = false;
        if self.producer_epoch == i16::MAX {
            // `bumpIdempotentProducerEpoch`: an exhausted epoch needs a new producer id.
            self.pid_reset = PidReset::Wanted;
            return;
        }
        self.producer_epoch += 1;
        self.restart_sequences();
    }

    /// Before KIP-360: drop the producer id and ask a broker for a new one once nothing is in
    /// flight (`resetProducerId`, then `maybeWaitForProducerId`).
    pub(super) fn maybe_reset_producer_id(&mut self, now: u64, out: &mut ProducerOut) {
        if self.pid_reset != PidReset::Wanted || self.in_flight.values().any(|f| !f.expired) {
            return;
        }
        if now < self.pid_retry_at {
            self.wake_at(now, self.pid_retry_at, out);
            return;
        }
        // Any broker hands out producer ids: the next whose connection is up (see `Conns::pick`).
        let broker = self.conns.pick(self.metadata_rr, now);
        if !self.connected(now, broker, out) {
            return;
        }
        self.producer_id = -1;
        self.producer_epoch = -1;
        self.next_req = self.next_req.next();
        let req = self.next_req;
        self.pid_reset = PidReset::Asked(req, broker);
        let msg =
            Msg::InitProducerId { req, txn: None, timeout_ms: i32::MAX as u64, producer_id: -1, producer_epoch: -1 };
        self.send_request(broker, msg, out);
        out.timer(self.spec.config.request_timeout_ms, ProducerTimer::InitPidTimeout { req });
    }

    /// A broker answered the producer id reset.
    pub(super) fn on_init_pid(
        &mut self,
        now: u64,
        req: ReqId,
        result: Result<(i64, i16), KafkaError>,
        out: &mut ProducerOut,
    ) {
        if !matches!(self.pid_reset, PidReset::Asked(r, _) if r == req) {
            return;
        }
        match result {
            Ok((producer_id, epoch)) => {
                self.pid_reset = PidReset::Idle;
                self.set_producer_ids(producer_id, epoch);
            }
            Err(_) => {
                // A refused InitProducerId is asked again after `retry.backoff.ms`, static as
                // the `TransactionManager`'s `InitProducerIdHandler` retries are.
                self.pid_reset = PidReset::Wanted;
                self.pid_retry_at = now + self.spec.config.retry_backoff_ms.max(1);
            }
        }
        self.drain(now, out);
    }

    /// The producer id reset got no answer: close that connection and ask again.
    pub(super) fn init_pid_timed_out(&mut self, now: u64, req: ReqId, out: &mut ProducerOut) {
        if let PidReset::Asked(r, broker) = self.pid_reset {
            if r == req {
                out.observe(ProducerObs::CloseConnection { broker });
                self.pid_reset = PidReset::Wanted;
                self.drain(now, out);
            }
        }
    }
}
