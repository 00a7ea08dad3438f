//! Produce responses: acknowledgements, retries, failures and the idempotent producer's epoch bump (KIP-360).

use super::*;

impl Producer {
    /// Whether this producer takes back its stale `RequestTimeout`s and `TxnRequestTimeout`s.
    /// A stale one does nothing itself, but its step still ends with the application's waiting
    /// call, if any: a service's producer, whose calls may come from a poke (`Driver::pokes`),
    /// keeps them, as a service's consumer does (`Consumer::cancels_stale_timers`; a
    /// processor's producer's cancels are dropped there too).
    pub(crate) fn cancels_stale_timers(&self) -> bool {
        self.user.as_ref().is_none_or(|u| !u.pokes)
    }

    pub(super) fn on_response(
        &mut self,
        now: u64,
        req: ReqId,
        result: Result<u64, KafkaError>,
        leader_epoch: u32,
        out: &mut ProducerOut,
    ) {
        let Some(f) = self.in_flight.remove(&req) else { return };
        // Answered (or failed with its connection): its timeout would find nothing in flight.
        if self.cancels_stale_timers() {
            out.cancel(ProducerTimer::RequestTimeout { req });
        }
        let spec = self.spec.clone();
        let q = &mut self.parts[f.partition as usize];
        if f.expired {
            // The batch expired while this request was out: its acknowledgement still tells
            // which sequences the broker holds (`handleCompletedBatch` updates the last acked
            // sequence of the producer id and epoch it was sent with).
            if result.is_ok() && self.idempotent && f.ids == (self.producer_id, self.producer_epoch) {
                q.last_acked_seq = q.last_acked_seq.max(f.last_seq);
            }
            self.drain_last(now, out);
            return;
        }
        let Some(pos) = q.batches.iter().position(|b| b.in_flight == Some(req)) else { return };
        let pre360 = match result {
            Err(e) => {
                let q = &self.parts[f.partition as usize];
                sequence::Pre360::of(self, &f, &q.batches[pos], e, q.last_acked_seq, q.unresolved)
            }
            Ok(_) => sequence::Pre360::Usual,
        };
        let q = &mut self.parts[f.partition as usize];
        let global = self.first_partition + f.partition;
        match result {
            Ok(base) => {
                let b = q.batches.remove(pos).expect("batch");
                if self.idempotent {
                    q.last_acked_seq = q.last_acked_seq.max(b.base_seq as i64 + b.records.len() as i64 - 1);
                }
                out.observe(ProducerObs::History(EventKind::Acked {
                    producer: self.idx,
                    instance: self.instance,
                    partition: global,
                    records: b.records,
                    offset: base as i64,
                    broker: f.broker,
                    leader_epoch,
                    attempts: b.attempts,
                }));
            }
            Err(e) => {
                let c = &spec.config;
                let last_acked = q.last_acked_seq;
                let b = &mut q.batches[pos];
                // Java's isNextSequence: the batch right after the last acknowledged one.
                let is_next = b.base_seq as i64 == last_acked + 1;
                b.in_flight = None;
                b.last_error = Some(e);
                // Only these errors prove the attempt was not appended (the last three are a
                // failed KIP-890 verification, answered before the append).
                let rejected_before_append = matches!(
                    e,
                    KafkaError::NotEnoughReplicas
                        | KafkaError::OutOfOrderSequenceNumber
                        | KafkaError::InvalidProducerEpoch
                        | KafkaError::ConnectionRefused
                        | KafkaError::InvalidTxnState
                        | KafkaError::TransactionAbortable
                        | KafkaError::InvalidProducerIdMapping
                        | KafkaError::UnknownProducerId
                );
                let in_retry = b.last_error.is_some();
                if !rejected_before_append {
                    b.maybe_written = true;
                }
                let expired = now >= b.created + c.delivery_timeout_ms;
                let fatal = matches!(e, KafkaError::InvalidProducerEpoch);
                // KIP-360 (`canRetry`): a gap right after the last acknowledged batch means the
                // broker lost batches: an idempotent producer bumps the epoch and restarts
                // sequences, a transactional one fails the batch (its transaction aborts and the
                // epoch moves at the coordinator); a batch that is not the next one is retried
                // (until the delivery timeout) while the sequence resolves.
                let gap = e == KafkaError::OutOfOrderSequenceNumber && self.idempotent;
                let txn_gap = gap && is_next && self.txn.is_some() && !q.unresolved;
                if pre360 == sequence::Pre360::Dropped {
                    // Java 2.4's `canRetry`: the producer has dropped the id the batch was sent
                    // with, so the batch fails with what the broker said.
                    let b = q.batches.remove(pos).expect("batch");
                    self.fail(global, b, e, out);
                } else if let (sequence::Pre360::Retry { restart }, false, true) =
                    (pre360, expired, b.attempts <= c.retries)
                {
                    b.retry_at = now + Self::backoff(c, b.attempts);
                    if restart {
                        self.start_sequences_at_beginning(f.partition as usize);
                    }
                } else if pre360 == sequence::Pre360::ResetProducerId {
                    let b = q.batches.remove(pos).expect("batch");
                    self.fail(global, b, e, out);
                    self.reset_producer_id_now(f.partition as usize, e, out);
                } else if gap && !txn_gap && !expired {
                    if is_next && !q.unresolved {
                        self.bump_pending = true;
                    }
                    b.retry_at = now + Self::backoff(c, 1);
                } else if txn_gap || fatal || expired || b.attempts > c.retries || !e.is_retriable() {
                    let error = if expired { KafkaError::DeliveryTimeout } else { e };
                    let b = q.batches.remove(pos).expect("batch");
                    self.fail(global, b, error, out);
                    if error == KafkaError::InvalidProducerIdMapping {
                        // KIP-890 verification found the coordinator has forgotten the id.
                        self.txn_id_lost();
                    }
                    self.batch_failed(now, f.partition as usize, sequence::Failure::Answered, in_retry, out);
                } else {
                    b.retry_at = now + Self::backoff(c, b.attempts);
                    if !self.idempotent {
                        // Java's RecordAccumulator.reenqueue: without idempotence a failed batch
                        // goes to the front of its partition's queue, so batches that fail
                        // together are retried in reverse order (idempotence keeps sequence order).
                        let b = q.batches.remove(pos).expect("batch");
                        q.batches.push_front(b);
                    }
                }
                if matches!(
                    e,
                    KafkaError::NotLeaderOrFollower
                        | KafkaError::FencedLeaderEpoch
                        | KafkaError::UnknownLeaderEpoch
                        | KafkaError::NetworkException
                        | KafkaError::ConnectionRefused
                ) {
                    self.request_metadata(now, out);
                }
            }
        }
        self.drain_last(now, out);
    }

    pub(super) fn fail(&self, partition: u32, b: Batch, error: KafkaError, out: &mut ProducerOut) {
        out.observe(ProducerObs::History(EventKind::Failed {
            producer: self.idx,
            instance: self.instance,
            partition,
            records: b.records,
            error,
            maybe_written: b.maybe_written,
        }));
    }
}

impl Producer {
    /// Fail what partition `p` holds that was never sent: its batches not in flight and the
    /// records not batched yet.
    pub(crate) fn abort_undrained(&mut self, p: usize, e: KafkaError, out: &mut ProducerOut) {
        let global = self.first_partition + p as u32;
        let q = &mut self.parts[p];
        let (sent, unsent): (VecDeque<_>, VecDeque<_>) =
            std::mem::take(&mut q.batches).into_iter().partition(|b| b.in_flight.is_some());
        q.batches = sent;
        let pending = q.pending.take_all();
        for b in unsent {
            self.fail(global, b, e, out);
        }
        if !pending.is_empty() {
            let (producer, instance) = (self.idx, self.instance);
            out.observe(ProducerObs::History(EventKind::Sent {
                producer,
                instance,
                partition: global,
                records: pending.clone(),
            }));
            out.observe(ProducerObs::History(EventKind::Failed {
                producer,
                instance,
                partition: global,
                records: pending,
                error: e,
                maybe_written: false,
            }));
        }
    }

    /// The instance dies: everything it had not resolved fails with an unknown outcome for
    /// batches it had sent, and a definite one for records it never sent.
    pub fn crash(&mut self, error: KafkaError, out: &mut ProducerOut) {
        for p in 0..self.parts.len() {
            let global = self.first_partition + p as u32;
            let mut q = std::mem::take(&mut self.parts[p]);
            for mut b in q.batches {
                // A request still in flight may or may not have been appended.
                b.maybe_written |= b.in_flight.is_some();
                self.fail(global, b, error, out);
            }
            if !q.pending.is_empty() {
                let records = q.pending.take_all();
                out.observe(ProducerObs::History(EventKind::Sent {
                    producer: self.idx,
                    instance: self.instance,
                    partition: global,
                    records: records.clone(),
                }));
                out.observe(ProducerObs::History(EventKind::Failed {
                    producer: self.idx,
                    instance: self.instance,
                    partition: global,
                    records,
                    error,
                    maybe_written: false,
                }));
            }
        }
        if self.cancels_stale_timers() {
            for &req in self.in_flight.keys() {
                out.cancel(ProducerTimer::RequestTimeout { req });
            }
        }
        self.in_flight.clear();
    }
}
