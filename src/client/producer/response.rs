//! Produce responses: acknowledgements, retries, failures and the idempotent producer's epoch bump (KIP-360).

use super::*;

impl Producer {
    pub(super) fn on_response(
        &mut self,
        now: u64,
        req: ReqId,
        result: Result<u64, KafkaError>,
        leader_epoch: u32,
        out: &mut ProducerOut,
    ) {
        let Some(f) = self.in_flight.remove(&req) else { return };
        let spec = self.spec.clone();
        let q = &mut self.parts[f.partition as usize];
        let Some(pos) = q.batches.iter().position(|b| b.in_flight == Some(req)) else { return };
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
                // Only these errors prove the attempt was not appended.
                let rejected_before_append = matches!(
                    e,
                    KafkaError::NotEnoughReplicas
                        | KafkaError::OutOfOrderSequenceNumber
                        | KafkaError::InvalidProducerEpoch
                        | KafkaError::ConnectionRefused
                );
                if !rejected_before_append {
                    b.maybe_written = true;
                }
                let expired = now >= b.created + c.delivery_timeout_ms;
                let fatal = matches!(e, KafkaError::InvalidProducerEpoch);
                if e == KafkaError::OutOfOrderSequenceNumber && self.idempotent {
                    // KIP-360: a gap right after the last acknowledged batch means the broker
                    // lost batches: bump the epoch and restart sequences; otherwise just retry
                    // (until the delivery timeout) and let the sequence resolve.
                    if is_next {
                        self.bump_pending = true;
                    }
                    b.retry_at = now + Self::backoff(c, 1);
                } else if fatal || expired || b.attempts > c.retries || !e.is_retriable() {
                    let error = if expired { KafkaError::DeliveryTimeout } else { e };
                    let b = q.batches.remove(pos).expect("batch");
                    self.fail(global, b, error, out);
                    self.txn_send_failed();
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
        self.drain(now, out);
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

    /// KIP-360 epoch bump for an idempotent producer: once nothing is in flight, take the next
    /// epoch and renumber every unacknowledged batch from sequence 0.
    pub(super) fn maybe_bump_epoch(&mut self) {
        if !self.bump_pending || !self.in_flight.is_empty() {
            return;
        }
        self.bump_pending = false;
        self.producer_epoch += 1;
        for q in &mut self.parts {
            let mut seq = 0i32;
            for b in &mut q.batches {
                b.base_seq = seq;
                seq = seq.wrapping_add(b.records.len() as i32);
            }
            q.next_seq = seq;
            q.last_acked_seq = -1;
        }
    }
}
