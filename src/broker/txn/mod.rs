//! The transaction coordinator (TV0/TV1: no epoch bump per transaction, no KIP-890
//! verification) and the partition leader's side of WriteTxnMarkers.
//!
//! A transactional id lives on the leader of its `__transaction_state` partition, whose leader
//! epoch is the coordinator epoch written into markers. Every transition of an id is written
//! there as a `TxnState` record with acks=all and takes effect once the high watermark passes
//! it; while it is pending, other requests for the id get CONCURRENT_TRANSACTIONS. A broker
//! that becomes leader of the partition rebuilds its ids from the log and finishes the
//! transactions it finds in PrepareCommit / PrepareAbort by sending their markers again.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::coord::{MarkerReq, MarkerRound, Reply, TxnMeta, TxnWait};
use super::node::{Broker, BrokerOut, BrokerTimer, InternalWait};
use super::{BatchTemplate, Msg};
use crate::error::KafkaError;
use crate::record::{MetaRecord, ReqId, TxnRecord, TxnState};
use crate::sim::NodeId;

/// Timeout of a coordinator's write to `__transaction_state` (the broker's
/// `request.timeout.ms`, which Kafka's TransactionStateManager uses for its appends).
const TXN_WRITE_TIMEOUT_MS: u64 = 30_000;
/// How long the coordinator waits for a WriteTxnMarkers answer (`request.timeout.ms`), and
/// how long a leader gives a marker to replicate.
const MARKER_REQUEST_TIMEOUT_MS: u64 = 30_000;
/// Backoff before the coordinator sends failed markers again (`retry.backoff.ms` of the
/// marker channel).
const MARKER_RETRY_BACKOFF_MS: u64 = 100;

/// Kafka maps a failed transaction-log append to the error the client sees.
fn txn_log_error(e: KafkaError) -> KafkaError {
    match e {
        KafkaError::NotLeaderOrFollower | KafkaError::NotCoordinator => KafkaError::NotCoordinator,
        KafkaError::NotEnoughReplicas | KafkaError::NotEnoughReplicasAfterAppend | KafkaError::RequestTimedOut => {
            KafkaError::CoordinatorNotAvailable
        }
        e => e,
    }
}

fn is_prepare(s: TxnState) -> bool {
    matches!(s, TxnState::PrepareCommit | TxnState::PrepareAbort)
}

/// Kafka's `TransactionState.validPreviousStates` (invariant 19): whether a coordinator may
/// move a transactional id from `from` to `to`. Transactions V2 (`v2`) also abort from Empty,
/// CompleteCommit and CompleteAbort: an EndTxn(ABORT) of a transaction that reached no partition.
fn valid_transition(from: TxnState, to: TxnState, v2: bool) -> bool {
    use TxnState::*;
    match to {
        Empty => matches!(from, Empty | CompleteCommit | CompleteAbort),
        Ongoing => matches!(from, Ongoing | Empty | CompleteCommit | CompleteAbort),
        PrepareCommit => from == Ongoing,
        PrepareAbort => {
            matches!(from, Ongoing | PrepareEpochFence)
                || (v2 && matches!(from, Empty | CompleteCommit | CompleteAbort))
        }
        CompleteCommit => from == PrepareCommit,
        CompleteAbort => from == PrepareAbort,
        PrepareEpochFence => from == Ongoing,
        // `TransactionState.isExpirationAllowed`.
        Dead => matches!(from, Empty | CompleteCommit | CompleteAbort),
    }
}

impl Broker {
    /// Whether a transaction this broker coordinates is between EndTxn and its last marker
    /// (its outcome is decided but some partition's LSO still waits for the marker).
    pub fn txn_markers_pending(&self) -> bool {
        self.txns.iter().flatten().any(|m| matches!(m.state, TxnState::PrepareCommit | TxnState::PrepareAbort))
    }

    /// Whether a transaction this broker coordinates is still open (Ongoing, or being fenced):
    /// its partitions' LSO waits until its producer ends it, a new instance of its
    /// transactional id fences it, or `transaction.timeout.ms` aborts it
    /// (`TransactionCoordinator.abortTimedOutTransactions`).
    pub fn txn_open(&self) -> bool {
        self.txns.iter().flatten().any(|m| matches!(m.state, TxnState::Ongoing | TxnState::PrepareEpochFence))
    }

    /// The transaction coordinator's answer to a client: NOT_COORDINATOR unless this broker
    /// leads the id's partition.
    /// The metadata of id `t` for a request from (`producer_id`, `epoch`), checked as the
    /// coordinator checks AddPartitionsToTxn, AddOffsetsToTxn and EndTxn: NOT_COORDINATOR,
    /// INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED.
    fn txn_for(&self, t: u32, producer_id: i64, epoch: i16) -> Result<&TxnMeta, KafkaError> {
        if !self.txn_coordinates(t) {
            return Err(KafkaError::NotCoordinator);
        }
        let m = self.txns[t as usize].as_ref().ok_or(KafkaError::InvalidProducerIdMapping)?;
        if m.producer_id != producer_id {
            return Err(KafkaError::InvalidProducerIdMapping);
        }
        if m.epoch != epoch {
            return Err(KafkaError::ProducerFenced);
        }
        Ok(m)
    }

    fn txn_coordinates(&self, t: u32) -> bool {
        self.leader_epoch_of(self.topo.txn_partition(t)).is_some()
    }

    /// Became leader of `__transaction_state` partition `p`: rebuild its ids from the log (the
    /// last record of each wins) and finish their Prepare* transactions.
    pub(super) fn load_txns(&mut self, now: u64, p: u32, out: &mut BrokerOut) {
        let Some((log, _, _)) = self.leader_view(p) else { return };
        let mut last: BTreeMap<u32, (Arc<TxnRecord>, u64)> = BTreeMap::new();
        for b in log.batches() {
            if let Some(MetaRecord::TxnState(r)) = b.meta.as_deref() {
                if (r.transactional_id as usize) < self.txns.len() && self.topo.txn_partition(r.transactional_id) == p {
                    last.insert(r.transactional_id, (r.clone(), b.timestamp));
                }
            }
        }
        // An expired id's tombstone leaves nothing to load.
        for (t, (r, last_update)) in last.into_iter().filter(|(_, (r, _))| r.state != TxnState::Dead) {
            self.txns[t as usize] = Some(TxnMeta {
                partition: p,
                producer_id: r.producer_id,
                epoch: r.producer_epoch,
                last_epoch: r.last_epoch,
                state: r.state,
                partitions: r.partitions.iter().copied().collect(),
                timeout_ms: r.timeout_ms,
                started_at: r.started_at,
                pending: None,
                markers: None,
                last_update,
            });
            if is_prepare(r.state) {
                self.send_markers(now, t, out);
            }
        }
    }

    /// Lost leadership of `__transaction_state` partition `p`: its ids move with it (pending
    /// writes are answered NOT_COORDINATOR as the purgatory fails them).
    pub(super) fn unload_txns(&mut self, p: u32) {
        for slot in self.txns.iter_mut() {
            if slot.as_ref().is_some_and(|m| m.partition == p) {
                *slot = None;
            }
        }
    }

    /// Write `record` as the pending transition of `t`; it takes effect in
    /// [`Broker::txn_write_done`].
    fn txn_write(
        &mut self,
        now: u64,
        t: u32,
        record: TxnRecord,
        reply: Option<(NodeId, ReqId, Reply)>,
        out: &mut BrokerOut,
    ) {
        let token = self.next_id();
        let p = self.topo.txn_partition(t);
        if let Some(m) = self.txns[t as usize].as_mut() {
            m.pending = Some(token);
        }
        let record = Arc::new(record);
        let wait = TxnWait { txn: t, token, record: record.clone(), reply };
        let batch = BatchTemplate::internal(MetaRecord::TxnState(record));
        let w = InternalWait::Txn(wait.clone());
        if let Err(e) = self.internal_append(now, p, &batch, w, TXN_WRITE_TIMEOUT_MS, out) {
            self.txn_write_done(now, wait, Err(e), out);
        }
    }

    /// Answer the request a transition's write completes. EndTxn answers the producer id and
    /// epoch only from v5, the version transactions V2 use (the next transaction's epoch).
    fn txn_reply(
        &self,
        out: &mut BrokerOut,
        (to, req, kind): (NodeId, ReqId, Reply),
        result: Result<(i64, i16), KafkaError>,
    ) {
        let unit = result.map(|_| ());
        let v2 = self.topo.version.txn_v2();
        let msg = match kind {
            Reply::Init => Msg::InitProducerIdResponse { req, result },
            Reply::Fenced => Msg::InitProducerIdResponse {
                req,
                result: Err(result.err().unwrap_or(KafkaError::ConcurrentTransactions)),
            },
            Reply::AddPartitions => Msg::AddPartitionsToTxnResponse { req, result: unit },
            Reply::AddOffsets => Msg::AddOffsetsToTxnResponse { req, result: unit },
            Reply::EndTxn => Msg::EndTxnResponse { req, result: result.map(|ids| if v2 { ids } else { (-1, -1) }) },
            Reply::Verify => Msg::TxnVerifyResponse { req, result: unit },
        };
        out.send(to, msg);
    }

    /// A transition's write finished: on success it takes effect (and a Prepare* state starts
    /// its markers); on failure the id keeps its state.
    pub(super) fn txn_write_done(&mut self, now: u64, w: TxnWait, result: Result<(), KafkaError>, out: &mut BrokerOut) {
        let t = w.txn;
        let current = self.txns[t as usize].as_ref().is_some_and(|m| m.pending == Some(w.token));
        let result = match result {
            Ok(()) if !current => Err(KafkaError::NotCoordinator),
            r => r.map_err(txn_log_error),
        };
        match result {
            Ok(()) => {
                let v2 = self.topo.version.txn_v2();
                let m = self.txns[t as usize].as_mut().expect("coordinated id");
                let r = &w.record;
                crate::invariant!(
                    19,
                    valid_transition(m.state, r.state, v2),
                    "transactional id {t}: {:?} -> {:?} is not one of Kafka's transitions",
                    m.state,
                    r.state
                );
                crate::invariant!(
                    29,
                    r.producer_id != m.producer_id || r.producer_epoch >= m.epoch,
                    "transactional id {t}: producer {} went back from epoch {} to {}",
                    m.producer_id,
                    m.epoch,
                    r.producer_epoch
                );
                crate::invariant!(
                    41,
                    !v2 || !is_prepare(r.state) || r.producer_epoch == m.epoch.saturating_add(1),
                    "transactional id {t}: {:?} at epoch {} after epoch {} under transactions V2",
                    r.state,
                    r.producer_epoch,
                    m.epoch
                );
                m.pending = None;
                m.last_epoch = r.last_epoch;
                m.producer_id = r.producer_id;
                m.epoch = r.producer_epoch;
                if r.state == TxnState::Dead {
                    // `writeTombstonesForExpiredTransactionalIds`: the id is forgotten.
                    self.txns[t as usize] = None;
                    return;
                }
                m.last_update = now;
                m.state = r.state;
                m.partitions = r.partitions.iter().copied().collect();
                m.timeout_ms = r.timeout_ms;
                m.started_at = r.started_at;
                if !is_prepare(r.state) {
                    m.markers = None;
                }
                let ids = (m.producer_id, m.epoch);
                // EndTxn is answered once the decision is durable, before any marker.
                if let Some(reply) = w.reply {
                    self.txn_reply(out, reply, Ok(ids));
                }
                if is_prepare(r.state) {
                    self.send_markers(now, t, out);
                }
            }
            Err(e) => {
                if current {
                    let m = self.txns[t as usize].as_mut().expect("coordinated id");
                    m.pending = None;
                    let complete = matches!(w.record.state, TxnState::CompleteCommit | TxnState::CompleteAbort);
                    if complete && e != KafkaError::NotCoordinator {
                        // The markers are written: try the Complete state again.
                        if let Some(round) = m.markers.as_ref().map(|r| r.round) {
                            out.timer(MARKER_RETRY_BACKOFF_MS, BrokerTimer::TxnCompleteRetry { txn: t, round });
                        }
                    }
                }
                if let Some(reply) = w.reply {
                    self.txn_reply(out, reply, Err(e));
                }
            }
        }
    }

    /// InitProducerId (section 3.5 of the Kafka model). `expected` is the producer id and epoch
    /// the caller holds (KIP-360, 2.5+: a producer bumping its epoch after an abortable error), or
    /// (-1, -1) from a first `initTransactions()`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_init_producer_id(
        &mut self,
        now: u64,
        from: NodeId,
        req: ReqId,
        t: u32,
        timeout_ms: u64,
        expected: (i64, i16),
        out: &mut BrokerOut,
    ) {
        let reply = |out: &mut BrokerOut, e| out.send(from, Msg::InitProducerIdResponse { req, result: Err(e) });
        let p = self.topo.txn_partition(t);
        if !self.txn_coordinates(t) {
            return reply(out, KafkaError::NotCoordinator);
        }
        if self.txns[t as usize].is_none() {
            // A new id: a fresh producer id (unique across brokers and restarts), epoch -1,
            // bumped to 0 by the Empty transition below.
            let producer_id = self.producer_ids + self.next_id() as i64;
            self.txns[t as usize] = Some(TxnMeta {
                partition: p,
                producer_id,
                epoch: -1,
                last_epoch: -1,
                state: TxnState::Empty,
                partitions: BTreeSet::new(),
                timeout_ms,
                started_at: now,
                pending: None,
                markers: None,
                last_update: now,
            });
        }
        let m = self.txns[t as usize].as_ref().expect("id");
        if m.pending.is_some() {
            return reply(out, KafkaError::ConcurrentTransactions);
        }
        // KIP-360 (`prepareInitProducerIdTransit`, `isValidProducerId`): a caller that names a
        // producer id must hold the current one (or the metadata was just created).
        let expected = (expected.0 >= 0).then_some(expected);
        if expected.is_some_and(|(pid, _)| m.epoch >= 0 && pid != m.producer_id) {
            return reply(out, KafkaError::ProducerFenced);
        }
        match m.state {
            // Dead is never held in memory (the tombstone's write removes the id).
            TxnState::PrepareCommit | TxnState::PrepareAbort | TxnState::PrepareEpochFence | TxnState::Dead => {
                reply(out, KafkaError::ConcurrentTransactions)
            }
            TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort => {
                // `prepareIncrementProducerEpoch(expectedProducerEpoch)`: the caller's epoch must be
                // the current one; the epoch before the last bump is a retry of that bump, answered
                // with the current ids without bumping again; anything else is fenced.
                if let Some((_, e)) = expected {
                    if m.epoch >= 0 && e != m.epoch {
                        if e == m.last_epoch {
                            return out
                                .send(from, Msg::InitProducerIdResponse { req, result: Ok((m.producer_id, m.epoch)) });
                        }
                        return reply(out, KafkaError::ProducerFenced);
                    }
                }
                // `lastProducerEpoch`: the caller's epoch after a KIP-360 bump, none otherwise (a
                // new instance's call means no earlier epoch may retry).
                let (current_id, current_epoch) = (m.producer_id, m.epoch);
                let (producer_id, epoch) = if current_epoch >= i16::MAX - 1 {
                    // The epoch is exhausted: rotate to a new producer id.
                    (self.producer_ids + self.next_id() as i64, 0)
                } else {
                    (current_id, current_epoch + 1)
                };
                let last_epoch = if expected.is_some() && producer_id == current_id { current_epoch } else { -1 };
                let record = TxnRecord {
                    transactional_id: t,
                    producer_id,
                    producer_epoch: epoch,
                    last_epoch,
                    state: TxnState::Empty,
                    partitions: Vec::new(),
                    timeout_ms,
                    started_at: now,
                };
                self.txn_write(now, t, record, Some((from, req, Reply::Init)), out);
            }
            TxnState::Ongoing => {
                // Fence the current producer: abort its transaction with the epoch bumped; the
                // caller is told to retry (and bumps again once the abort completes).
                let record = m.fence_record(t);
                self.txn_write(now, t, record, Some((from, req, Reply::Fenced)), out);
            }
        }
    }

    /// AddPartitionsToTxn from a client, AddOffsetsToTxn (`kind` AddOffsets, with the group's
    /// offsets partition), or a broker's AddPartitionsToTxn under transactions V2 (`kind` Verify).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_add_to_txn(
        &mut self,
        now: u64,
        from: NodeId,
        req: ReqId,
        t: u32,
        (producer_id, epoch): (i64, i16),
        partitions: Vec<u32>,
        kind: Reply,
        out: &mut BrokerOut,
    ) {
        let reply = |out: &mut BrokerOut, result: Result<(i64, i16), KafkaError>| {
            let result = result.map(|_| ());
            out.send(
                from,
                match kind {
                    Reply::AddOffsets => Msg::AddOffsetsToTxnResponse { req, result },
                    Reply::Verify => Msg::TxnVerifyResponse { req, result },
                    _ => Msg::AddPartitionsToTxnResponse { req, result },
                },
            )
        };
        let m = match self.txn_for(t, producer_id, epoch) {
            Ok(m) => m,
            Err(e) => return reply(out, Err(e)),
        };
        if m.pending.is_some() || is_prepare(m.state) || m.state == TxnState::PrepareEpochFence {
            return reply(out, Err(KafkaError::ConcurrentTransactions));
        }
        let ids = (m.producer_id, m.epoch);
        if m.state == TxnState::Ongoing && partitions.iter().all(|p| m.partitions.contains(p)) {
            return reply(out, Ok(ids));
        }
        let mut record = m.record(t);
        if m.state == TxnState::Ongoing {
            record.partitions =
                m.partitions.iter().chain(&partitions).copied().collect::<BTreeSet<_>>().into_iter().collect();
        } else {
            // The transaction starts with its first partition: so does its timeout.
            record.partitions = partitions.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
            record.started_at = now;
        }
        record.state = TxnState::Ongoing;
        self.txn_write(now, t, record, Some((from, req, kind)), out);
    }

    /// Abort every Ongoing transaction open longer than its timeout, with an epoch bump (the
    /// producer is fenced).
    pub(super) fn abort_timed_out_txns(&mut self, now: u64, out: &mut BrokerOut) {
        for t in 0..self.txns.len() as u32 {
            let Some(m) = self.txns[t as usize].as_ref() else { continue };
            if m.state == TxnState::Ongoing && m.pending.is_none() && m.started_at + m.timeout_ms < now {
                let record = m.fence_record(t);
                self.txn_write(now, t, record, None, out);
            }
        }
    }

    /// A Prepare* state is durable: start writing its markers.
    fn send_markers(&mut self, now: u64, t: u32, out: &mut BrokerOut) {
        let round = self.next_id();
        let Some(m) = self.txns[t as usize].as_ref() else { return };
        let Some(coordinator_epoch) = self.leader_epoch_of(m.partition) else { return };
        let outstanding = m.partitions.clone();
        let m = self.txns[t as usize].as_mut().expect("id");
        m.markers = Some(MarkerRound {
            round,
            coordinator_epoch: coordinator_epoch as i32,
            outstanding,
            inflight: Vec::new(),
            retry_armed: false,
        });
        self.flush_markers(now, t, out);
    }

    /// Send WriteTxnMarkers for every outstanding partition not in flight, one request per
    /// leader (from the metadata cache); when every marker is acknowledged, write the
    /// Complete state.
    fn flush_markers(&mut self, now: u64, t: u32, out: &mut BrokerOut) {
        let Some(m) = self.txns[t as usize].as_ref() else { return };
        let Some(r) = m.markers.as_ref() else { return };
        if r.outstanding.is_empty() && r.inflight.is_empty() {
            return self.write_complete(now, t, out);
        }
        let inflight: BTreeSet<u32> = r.inflight.iter().flat_map(|x| x.2.iter().copied()).collect();
        let mut by_leader: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        let mut leaderless = false;
        for &p in r.outstanding.iter().filter(|p| !inflight.contains(p)) {
            match self.cache.get(p as usize).and_then(|s| s.leader) {
                Some(l) => by_leader.entry(l).or_default().push(p),
                None => leaderless = true,
            }
        }
        let (producer_id, producer_epoch) = (m.producer_id, m.epoch);
        let (commit, coordinator_epoch) = (m.state == TxnState::PrepareCommit, r.coordinator_epoch);
        let mut sent = Vec::new();
        for (l, partitions) in by_leader {
            // The coordinator's own request: its broker id and a number it counts.
            let n = u32::try_from(self.next_id()).expect("a broker hands out fewer than 2^32 ids in a run");
            let req = ReqId { process: self.id, n };
            out.send(
                NodeId::Broker(l),
                Msg::WriteTxnMarkers {
                    req,
                    producer_id,
                    producer_epoch,
                    commit,
                    coordinator_epoch,
                    partitions: partitions.clone(),
                },
            );
            out.timer(MARKER_REQUEST_TIMEOUT_MS, BrokerTimer::TxnMarkerTimeout { txn: t, req });
            sent.push((req, l, partitions));
        }
        let r = self.txns[t as usize].as_mut().and_then(|m| m.markers.as_mut()).expect("round");
        r.inflight.extend(sent);
        if leaderless {
            arm_marker_retry(t, r, out);
        }
    }

    fn write_complete(&mut self, now: u64, t: u32, out: &mut BrokerOut) {
        let Some(m) = self.txns[t as usize].as_ref() else { return };
        if m.pending.is_some() || !is_prepare(m.state) {
            return;
        }
        let state = if m.state == TxnState::PrepareCommit { TxnState::CompleteCommit } else { TxnState::CompleteAbort };
        let record = TxnRecord { state, partitions: Vec::new(), ..m.record(t) };
        self.txn_write(now, t, record, None, out);
    }

    pub(super) fn on_txn_marker_retry(&mut self, now: u64, t: u32, round: u64, out: &mut BrokerOut) {
        let Some(r) = self.txns.get_mut(t as usize).and_then(|m| m.as_mut()).and_then(|m| m.markers.as_mut()) else {
            return;
        };
        if r.round == round {
            r.retry_armed = false;
            self.flush_markers(now, t, out);
        }
    }

    pub(super) fn on_txn_complete_retry(&mut self, now: u64, t: u32, round: u64, out: &mut BrokerOut) {
        let Some(m) = self.txns.get(t as usize).and_then(|m| m.as_ref()) else { return };
        if m.markers.as_ref().is_some_and(|r| r.round == round && r.outstanding.is_empty() && r.inflight.is_empty()) {
            self.write_complete(now, t, out);
        }
    }

    pub(super) fn on_txn_marker_timeout(&mut self, _now: u64, t: u32, req: ReqId, out: &mut BrokerOut) {
        let Some(r) = self.txns.get_mut(t as usize).and_then(|m| m.as_mut()).and_then(|m| m.markers.as_mut()) else {
            return;
        };
        if let Some(i) = r.inflight.iter().position(|x| x.0 == req) {
            r.inflight.swap_remove(i);
            arm_marker_retry(t, r, out);
        }
    }

    /// Broker `dead` closed its connections: marker requests in flight to it are lost.
    pub(super) fn on_txn_peer_down(&mut self, dead: u32, out: &mut BrokerOut) {
        for (t, m) in self.txns.iter_mut().enumerate() {
            let Some(r) = m.as_mut().and_then(|m| m.markers.as_mut()) else { continue };
            let before = r.inflight.len();
            r.inflight.retain(|x| x.1 != dead);
            if r.inflight.len() != before {
                arm_marker_retry(t as u32, r, out);
            }
        }
    }

    /// A leader answered WriteTxnMarkers: acknowledged partitions are done; retriable failures
    /// are sent again; a fenced producer or coordinator epoch stops this coordinator's round
    /// (a newer coordinator or producer owns the transaction).
    pub(super) fn on_write_txn_markers_response(
        &mut self,
        now: u64,
        _from: NodeId,
        req: ReqId,
        results: Vec<(u32, Result<(), KafkaError>)>,
        out: &mut BrokerOut,
    ) {
        let found = self.txns.iter().position(|m| {
            m.as_ref().and_then(|m| m.markers.as_ref()).is_some_and(|r| r.inflight.iter().any(|x| x.0 == req))
        });
        let Some(t) = found else { return };
        let m = self.txns[t].as_mut().expect("id");
        let r = m.markers.as_mut().expect("round");
        r.inflight.retain(|x| x.0 != req);
        let mut retry = false;
        for (p, result) in results {
            match result {
                Ok(()) => {
                    r.outstanding.remove(&p);
                }
                Err(KafkaError::InvalidProducerEpoch | KafkaError::TransactionCoordinatorFenced) => {
                    m.markers = None;
                    return;
                }
                Err(_) => retry = true,
            }
        }
        if retry {
            arm_marker_retry(t as u32, r, out);
        } else if r.outstanding.is_empty() && r.inflight.is_empty() {
            self.write_complete(now, t as u32, out);
        }
    }

    /// Partition leader: append a marker to each partition (validated as
    /// `appendEndTxnMarker` does, acks=all) and answer once every one is replicated or failed.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_write_txn_markers(
        &mut self,
        now: u64,
        from: NodeId,
        req: ReqId,
        (producer_id, producer_epoch): (i64, i16),
        commit: bool,
        coordinator_epoch: i32,
        partitions: Vec<u32>,
        out: &mut BrokerOut,
    ) {
        let id = self.next_id();
        let results = partitions.iter().map(|&p| (p, None)).collect();
        self.marker_reqs.push(MarkerReq { id, to: from, req, results });
        for p in partitions {
            let checked = if (p as usize) < self.replicas.len() {
                self.writable(p).and_then(|()| {
                    let (log, _, _) = self.leader_view(p).expect("leader");
                    log.check_marker(producer_id, producer_epoch, coordinator_epoch)
                })
            } else {
                Err(KafkaError::NotLeaderOrFollower)
            };
            let result = checked.and_then(|()| {
                let batch = BatchTemplate::marker(producer_id, producer_epoch, commit, coordinator_epoch);
                let wait = InternalWait::Marker { id, partition: p, producer_id, commit };
                self.internal_append(now, p, &batch, wait, MARKER_REQUEST_TIMEOUT_MS, out).map(|_| ())
            });
            if let Err(e) = result {
                self.marker_result(id, p, Err(e), out);
            }
        }
    }

    /// A marker this leader appended is replicated (or failed): a COMMIT / ABORT on an
    /// offsets partition ends the producer's pending transactional offsets there.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn marker_write_done(
        &mut self,
        _now: u64,
        id: u64,
        p: u32,
        producer_id: i64,
        commit: bool,
        result: Result<(), KafkaError>,
        out: &mut BrokerOut,
    ) {
        if result.is_ok() && self.topo.is_offsets_partition(p) {
            self.group_txn_completed(p, producer_id, commit);
        }
        self.marker_result(id, p, result, out);
    }

    fn marker_result(&mut self, id: u64, p: u32, result: Result<(), KafkaError>, out: &mut BrokerOut) {
        let Some(i) = self.marker_reqs.iter().position(|m| m.id == id) else { return };
        let m = &mut self.marker_reqs[i];
        if let Some(slot) = m.results.iter_mut().find(|x| x.0 == p && x.1.is_none()) {
            slot.1 = Some(result);
        }
        if m.results.iter().all(|x| x.1.is_some()) {
            let m = self.marker_reqs.swap_remove(i);
            let results = m.results.into_iter().map(|(p, r)| (p, r.expect("filled"))).collect();
            out.send(m.to, Msg::WriteTxnMarkersResponse { req: m.req, results });
        }
    }
}

fn arm_marker_retry(t: u32, r: &mut MarkerRound, out: &mut BrokerOut) {
    if !std::mem::replace(&mut r.retry_armed, true) {
        out.timer(MARKER_RETRY_BACKOFF_MS, BrokerTimer::TxnMarkerRetry { txn: t, round: r.round });
    }
}

mod end;
mod expiry;
mod verify;

#[cfg(test)]
mod tests;
