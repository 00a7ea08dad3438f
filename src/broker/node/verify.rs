//! KIP-890 on the writing side: before a producer's first transactional write to a partition
//! where it has no open transaction, the partition leader (for a produce, 3.6+) or the group
//! coordinator (for a TxnOffsetCommit, 3.7+) asks the transaction coordinator whether the
//! partition is in the producer's ongoing transaction (`verifyOnly`), or, under transactions V2
//! (4.0+), has the coordinator add it. Kafka's `ReplicaManager.handleProduceAppend`,
//! `AddPartitionsToTxnManager` and `UnifiedLog.analyzeAndValidateProducerState`: a verification
//! guard is created in the partition's producer state first; the write is appended only if the
//! coordinator agreed and the guard is still there (no marker of the producer was appended in
//! between), else it is refused. Without this (before 3.6) a write delayed past its
//! transaction's abort marker opens a transaction no coordinator knows of, and the partition's
//! last stable offset stays behind it for ever (a hanging transaction).

use super::*;
use crate::broker::BatchTemplate;

/// How long a broker waits for the transaction coordinator's answer (the broker's
/// `request.timeout.ms`, which `AddPartitionsToTxnManager` uses), then treats it as a
/// NETWORK_EXCEPTION.
const VERIFY_REQUEST_TIMEOUT_MS: u64 = 30_000;
/// Transactions V2 (KAFKA-18654, 4.0): a leader whose add of a partition meets
/// CONCURRENT_TRANSACTIONS (the last transaction's markers are still being written) asks again
/// after `add.partitions.to.txn.retry.backoff.ms` (20)...
const ADD_RETRY_BACKOFF_MS: u64 = 20;
/// ...for at most `add.partitions.to.txn.retry.backoff.max.ms` (100) before it answers the error.
const ADD_RETRY_MAX_MS: u64 = 100;

/// A client's transactional write that waits for a verification.
#[derive(Debug, Clone)]
pub(in crate::broker) enum Parked {
    /// A produce request.
    Produce { from: NodeId, req: ReqId, acks: Acks, timeout_ms: u64, batch: Arc<BatchTemplate> },
    /// A TxnOffsetCommit.
    TxnOffsetCommit {
        from: NodeId,
        req: ReqId,
        group: u32,
        ids: (i64, i16),
        member: (MemberId, i32),
        offsets: Arc<[(u32, u64)]>,
    },
}

/// One verification under way: the writes of one producer to one partition wait for it, in
/// the order they arrived.
#[derive(Debug, Clone)]
pub(in crate::broker) struct Verifying {
    req: ReqId,
    coordinator: u32,
    partition: u32,
    producer_id: i64,
    txn: u32,
    epoch: i16,
    guard: u64,
    /// When the first request went out (the add's server-side retries are bounded from it).
    started: u64,
    parked: Vec<Parked>,
}

#[cfg(test)]
impl Verifying {
    /// The request id of the verification under way.
    pub(in crate::broker) fn req(&self) -> ReqId {
        self.req
    }
}

impl Broker {
    /// Whether writes wait for a verification (the run is not over while one may append).
    pub fn txn_verifications_pending(&self) -> bool {
        !self.verifying.is_empty()
    }

    /// Whether a transactional write of (`producer_id`, `epoch`) to partition `p` must be
    /// verified first: the release verifies such writes and the producer has no open transaction
    /// there (under transactions V2, none at that epoch: a transaction whose marker has not
    /// arrived yet does not count for the next one).
    pub(in crate::broker) fn needs_verification(
        &self,
        p: u32,
        (producer_id, epoch): (i64, i16),
        offsets: bool,
    ) -> bool {
        let v = self.topo.version;
        let on = if offsets { v.txn_offset_commit_verification() } else { v.txn_verification() };
        on && producer_id >= 0
            && self.replicas[p as usize].as_ref().is_some_and(|r| !self.ongoing(&r.log, producer_id, epoch))
    }

    /// Whether the log holds an ongoing transaction of the producer for a write of `epoch`.
    pub(in crate::broker) fn ongoing(&self, log: &ReplicaLog, producer_id: i64, epoch: i16) -> bool {
        if self.topo.version.txn_v2() {
            log.in_transaction_at(producer_id, epoch)
        } else {
            log.in_transaction(producer_id)
        }
    }

    /// Whether `guard`, the answer of a verification, still stands for `producer_id` on `p`:
    /// no transactional batch of the producer (an abort marker, say) was appended since it began.
    pub(in crate::broker) fn guard_holds(&self, p: u32, producer_id: i64, guard: Option<u64>) -> bool {
        guard.is_some()
            && self.replicas[p as usize].as_ref().is_some_and(|r| r.log.verification_guard(producer_id) == guard)
    }

    /// Park `write` of (`producer_id`, `epoch`) to `p` behind a verification with the
    /// coordinator of transactional id `txn`, starting one unless one of the same producer on the
    /// same partition is under way with that coordinator (the writes then wait in order, as
    /// `AddPartitionsToTxnManager` holds a transaction's verification back while one is in flight
    /// to the node; a coordinator that moved meanwhile gets a verification of its own).
    #[allow(clippy::too_many_arguments)]
    pub(in crate::broker) fn verify_then(
        &mut self,
        now: u64,
        p: u32,
        txn: u32,
        (producer_id, epoch): (i64, i16),
        write: Parked,
        out: &mut BrokerOut,
    ) {
        let coordinator = self.cache.get(self.topo.txn_partition(txn) as usize).and_then(|s| s.leader);
        let Some(coordinator) = coordinator else {
            // `verifyTransaction` without a coordinator: COORDINATOR_NOT_AVAILABLE.
            return self.verify_failed(write, p, KafkaError::CoordinatorNotAvailable, out);
        };
        let same =
            |v: &&mut Verifying| v.partition == p && v.producer_id == producer_id && v.coordinator == coordinator;
        if let Some(v) = self.verifying.iter_mut().find(same) {
            v.parked.push(write);
            return;
        }
        let token = self.next_id();
        let r = self.replicas[p as usize].as_mut().expect("replica");
        let guard = r.log.start_verification(producer_id, token, epoch, self.topo.version.txn_v2());
        let req = self.send_verify(coordinator, txn, (producer_id, epoch), p, out);
        let v = Verifying {
            req,
            coordinator,
            partition: p,
            producer_id,
            txn,
            epoch,
            guard,
            started: now,
            parked: vec![write],
        };
        self.verifying.push(v);
    }

    /// Send a verification (or, under transactions V2, an add) to `coordinator`; its request id.
    fn send_verify(&mut self, coordinator: u32, txn: u32, ids: (i64, i16), p: u32, out: &mut BrokerOut) -> ReqId {
        let n = u32::try_from(self.next_id()).expect("a broker hands out fewer than 2^32 ids in a run");
        let req = ReqId { process: self.id, n };
        let verify_only = !self.topo.version.txn_v2();
        let (producer_id, producer_epoch) = ids;
        let msg = Msg::TxnVerify { req, txn, producer_id, producer_epoch, partition: p, verify_only };
        out.send(NodeId::Broker(coordinator), msg);
        out.timer(VERIFY_REQUEST_TIMEOUT_MS, BrokerTimer::TxnVerify { req, retry: false });
        req
    }

    /// A V2 add of a produce's partition met CONCURRENT_TRANSACTIONS: ask again.
    pub(super) fn on_txn_verify_retry(&mut self, req: ReqId, out: &mut BrokerOut) {
        let Some(i) = self.verifying.iter().position(|v| v.req == req) else { return };
        let v = &self.verifying[i];
        let (coordinator, txn, ids, p) = (v.coordinator, v.txn, (v.producer_id, v.epoch), v.partition);
        let req = self.send_verify(coordinator, txn, ids, p, out);
        self.verifying[i].req = req;
    }

    /// The coordinator answered verification `req`.
    pub(super) fn on_txn_verify_response(
        &mut self,
        now: u64,
        req: ReqId,
        result: Result<(), KafkaError>,
        out: &mut BrokerOut,
    ) {
        let Some(i) = self.verifying.iter().position(|v| v.req == req) else { return };
        let v = &self.verifying[i];
        let produce = matches!(v.parked.first(), Some(Parked::Produce { .. }));
        if result == Err(KafkaError::ConcurrentTransactions)
            && produce
            && self.topo.version.txn_v2()
            && now + ADD_RETRY_BACKOFF_MS <= v.started + ADD_RETRY_MAX_MS
        {
            // KAFKA-18654: the leader retries the add itself rather than fail the produce.
            out.timer(ADD_RETRY_BACKOFF_MS, BrokerTimer::TxnVerify { req, retry: true });
            return;
        }
        let v = self.verifying.remove(i);
        match result {
            Ok(()) => {
                for write in v.parked {
                    self.redo(now, write, v.partition, v.txn, Some(v.guard), out);
                }
            }
            Err(e) => {
                for write in v.parked {
                    self.verify_failed(write, v.partition, e, out);
                }
            }
        }
    }

    /// Verification `req` got no answer within the broker's request timeout.
    pub(super) fn on_txn_verify_timeout(&mut self, now: u64, req: ReqId, out: &mut BrokerOut) {
        self.on_txn_verify_response(now, req, Err(KafkaError::NetworkException), out);
    }

    /// Broker `dead` reset its connections: verifications it was answering failed.
    pub(super) fn on_verify_peer_down(&mut self, now: u64, dead: u32, out: &mut BrokerOut) {
        let lost: Vec<ReqId> = self.verifying.iter().filter(|v| v.coordinator == dead).map(|v| v.req).collect();
        for req in lost {
            self.on_txn_verify_response(now, req, Err(KafkaError::NetworkException), out);
        }
    }

    /// Handle a parked write again, now with the verification's guard.
    fn redo(&mut self, now: u64, write: Parked, p: u32, txn: u32, guard: Option<u64>, out: &mut BrokerOut) {
        match write {
            Parked::Produce { from, req, acks, timeout_ms, batch } => {
                self.on_produce(now, from, req, (p, acks, timeout_ms), &batch, (Some(txn), guard), out)
            }
            Parked::TxnOffsetCommit { from, req, group, ids, member, offsets } => {
                self.on_txn_offset_commit(now, from, req, (group, txn), ids, member, offsets, guard, out)
            }
        }
    }

    /// A verification failed with the coordinator's `error`: answer the write with the error its
    /// client expects.
    fn verify_failed(&mut self, write: Parked, p: u32, error: KafkaError, out: &mut BrokerOut) {
        // `AddPartitionsToTxnManager`: producers expect INVALID_PRODUCER_EPOCH for a fenced epoch.
        let error = if error == KafkaError::ProducerFenced { KafkaError::InvalidProducerEpoch } else { error };
        match write {
            Parked::Produce { from, req, acks, .. } => {
                // `ReplicaManager.handleProduceAppend`: a coordinator that cannot answer now becomes
                // NOT_ENOUGH_REPLICAS, which every client retries without a metadata refresh.
                let error = match error {
                    KafkaError::ConcurrentTransactions
                    | KafkaError::NetworkException
                    | KafkaError::CoordinatorLoadInProgress
                    | KafkaError::CoordinatorNotAvailable
                    | KafkaError::NotCoordinator => KafkaError::NotEnoughReplicas,
                    e => e,
                };
                let leader_epoch = self.leader_epoch_of(p).unwrap_or(0);
                if acks == Acks::Zero {
                    out.send(from, Msg::Disconnected);
                } else {
                    out.send(from, Msg::ProduceResponse { req, partition: p, result: Err(error), leader_epoch });
                }
            }
            Parked::TxnOffsetCommit { from, req, .. } => {
                // `GroupMetadataManager.maybeConvertOffsetCommitError`.
                let error = match error {
                    KafkaError::NetworkException => KafkaError::CoordinatorLoadInProgress,
                    KafkaError::NotEnoughReplicas | KafkaError::NotEnoughReplicasAfterAppend => {
                        KafkaError::CoordinatorNotAvailable
                    }
                    KafkaError::NotLeaderOrFollower => KafkaError::NotCoordinator,
                    e => e,
                };
                out.send(from, Msg::TxnOffsetCommitResponse { req, result: Err(error) });
            }
        }
    }
}
