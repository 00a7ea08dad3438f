//! A leader's appends: the produce path, internal (coordinator) writes and what waits for the high watermark.

use super::verify::Parked;
use super::*;

impl Broker {
    /// A produce request for partition `p` of a producer with transactional id `txn`; `guard` is
    /// the verification's guard when the transaction coordinator has just verified it (KIP-890).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_produce(
        &mut self,
        now: u64,
        from: NodeId,
        req: ReqId,
        (p, acks, timeout_ms): (u32, Acks, u64),
        batch: &Arc<crate::broker::BatchTemplate>,
        (txn, guard): (Option<u32>, Option<u64>),
        out: &mut BrokerOut,
    ) {
        let min_isr = self.topo.partitions[p as usize].min_isr;
        let flush_interval = self.topo.partitions[p as usize].flush_interval;
        let respond = |out: &mut BrokerOut, result: Result<u64, KafkaError>, leader_epoch: u32| {
            if acks == Acks::Zero {
                // acks=0 gets no response; on an error the broker closes the connection.
                if result.is_err() {
                    out.send(from, Msg::Disconnected);
                }
            } else {
                out.send(from, Msg::ProduceResponse { req, partition: p, result, leader_epoch });
            }
        };
        let Some(r) = self.replicas[p as usize].as_mut().filter(|r| r.is_leader()) else {
            respond(out, Err(KafkaError::NotLeaderOrFollower), 0);
            return;
        };
        let epoch = r.leader_epoch;
        // KIP-890 part 1 (3.6+): the first transactional batch of a producer with no open
        // transaction here is appended only once the coordinator has verified it.
        let ids = (batch.producer_id, batch.producer_epoch);
        let verify = batch.transactional && self.needs_verification(p, ids, false);
        if let (true, Some(t)) = (verify, txn) {
            if guard.is_none() {
                let write = Parked::Produce { from, req, acks, timeout_ms, batch: batch.clone() };
                return self.verify_then(now, p, t, ids, write, out);
            }
            if !self.guard_holds(p, batch.producer_id, guard) {
                // A marker of the producer was appended while the coordinator answered.
                return respond(out, Err(KafkaError::InvalidTxnState), epoch);
            }
        }
        let ongoing = self.replicas[p as usize].as_ref().is_some_and(|r| self.ongoing(&r.log, ids.0, ids.1));
        let verified_or_ongoing = !batch.transactional
            || !self.topo.version.txn_verification()
            || ongoing
            || self.guard_holds(p, ids.0, guard);
        let r = self.replicas[p as usize].as_mut().expect("leader replica");
        if acks == Acks::All && r.isr.len() < min_isr {
            respond(out, Err(KafkaError::NotEnoughReplicas), epoch);
            return;
        }
        let base = match r.log.check_producer(batch, self.topo.version.kip360()) {
            Err(e) => {
                respond(out, Err(e), epoch);
                return;
            }
            Ok(SeqCheck::Duplicate(base)) => base,
            Ok(SeqCheck::Append) => {
                crate::invariant!(
                    39,
                    verified_or_ongoing,
                    "broker:{} appends a transactional batch of producer {} to partition {p} outside an ongoing \
                     transaction, unverified",
                    self.id,
                    batch.producer_id
                );
                let b = r.log.append_as_leader_at(batch, epoch, now);
                if r.log.unflushed() >= flush_interval {
                    r.log.flush();
                }
                out.observe(BrokerObs::Appended { batch: b.clone() });
                b.base_offset
            }
        };
        let required = base + batch.len();
        match acks {
            Acks::Zero | Acks::One => respond(out, Ok(base), epoch),
            Acks::All => {
                let id = self.next_id();
                let r = self.replicas[p as usize].as_mut().expect("replica");
                let Role::Leader(ls) = &mut r.role else { unreachable!() };
                ls.purgatory.push(PendingProduce { id, producer: from, req, base, required, internal: None });
                out.timer(timeout_ms, BrokerTimer::ProduceTimeout { partition: p, id });
            }
        }
        self.wake_parked_fetches(p, out);
        self.maybe_advance_hw(now, p, out);
    }

    /// A coordinator's own write of `batch` to partition `p`, which this broker must lead, with
    /// acks=all: completed through [`Broker::internal_write_done`] once the high watermark
    /// passes it, or failed (NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT after
    /// `timeout_ms`, NOT_LEADER_OR_FOLLOWER on resignation). Returns the batch's offset, or
    /// NOT_LEADER_OR_FOLLOWER / NOT_ENOUGH_REPLICAS without appending.
    pub(in crate::broker) fn internal_append(
        &mut self,
        now: u64,
        p: u32,
        batch: &crate::broker::BatchTemplate,
        wait: InternalWait,
        timeout_ms: u64,
        out: &mut BrokerOut,
    ) -> Result<u64, KafkaError> {
        let info = &self.topo.partitions[p as usize];
        let (min_isr, flush_interval) = (info.min_isr, info.flush_interval);
        let Some(r) = self.replicas[p as usize].as_mut().filter(|r| r.is_leader()) else {
            return Err(KafkaError::NotLeaderOrFollower);
        };
        if r.isr.len() < min_isr {
            return Err(KafkaError::NotEnoughReplicas);
        }
        let epoch = r.leader_epoch;
        let b = r.log.append_as_leader_at(batch, epoch, now);
        if r.log.unflushed() >= flush_interval {
            r.log.flush();
        }
        let (base, required) = (b.base_offset, b.next_offset());
        let id = self.next_id();
        let r = self.replicas[p as usize].as_mut().expect("replica");
        let Role::Leader(ls) = &mut r.role else { unreachable!() };
        ls.purgatory.push(PendingProduce {
            id,
            producer: NodeId::Controller,
            req: ReqId::default(),
            base,
            required,
            internal: Some(wait),
        });
        out.timer(timeout_ms, BrokerTimer::ProduceTimeout { partition: p, id });
        self.wake_parked_fetches(p, out);
        self.maybe_advance_hw(now, p, out);
        Ok(base)
    }

    /// An internal write finished: replicated (with its offset), or failed.
    pub(in crate::broker) fn internal_write_done(
        &mut self,
        now: u64,
        wait: InternalWait,
        result: Result<u64, KafkaError>,
        out: &mut BrokerOut,
    ) {
        match wait {
            InternalWait::Group(w) => self.group_write_done(now, w, result, out),
            InternalWait::Txn(w) => self.txn_write_done(now, w, result.map(|_| ()), out),
            InternalWait::Marker { id, partition, producer_id, commit } => {
                self.marker_write_done(now, id, partition, producer_id, commit, result.map(|_| ()), out)
            }
        }
    }
}
