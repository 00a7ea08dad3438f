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
use crate::record::{MetaRecord, TxnRecord, TxnState};
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
/// move a transactional id from `from` to `to`.
fn valid_transition(from: TxnState, to: TxnState) -> bool {
    use TxnState::*;
    match to {
        Empty => matches!(from, Empty | CompleteCommit | CompleteAbort),
        Ongoing => matches!(from, Ongoing | Empty | CompleteCommit | CompleteAbort),
        PrepareCommit => from == Ongoing,
        PrepareAbort => matches!(from, Ongoing | PrepareEpochFence),
        CompleteCommit => from == PrepareCommit,
        CompleteAbort => from == PrepareAbort,
        PrepareEpochFence => from == Ongoing,
    }
}

impl Broker {
    /// Whether a transaction this broker coordinates is between EndTxn and its last marker
    /// (its outcome is decided but some partition's LSO still waits for the marker).
    pub fn txn_markers_pending(&self) -> bool {
        self.txns.iter().flatten().any(|m| matches!(m.state, TxnState::PrepareCommit | TxnState::PrepareAbort))
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
        let mut last: BTreeMap<u32, Arc<TxnRecord>> = BTreeMap::new();
        for b in log.batches() {
            if let Some(MetaRecord::TxnState(r)) = b.meta.as_deref() {
                if (r.transactional_id as usize) < self.txns.len() && self.topo.txn_partition(r.transactional_id) == p {
                    last.insert(r.transactional_id, r.clone());
                }
            }
        }
        for (t, r) in last {
            self.txns[t as usize] = Some(TxnMeta {
                partition: p,
                producer_id: r.producer_id,
                epoch: r.producer_epoch,
                last_epoch: -1,
                state: r.state,
                partitions: r.partitions.iter().copied().collect(),
                timeout_ms: r.timeout_ms,
                started_at: r.started_at,
                pending: None,
                markers: None,
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
        reply: Option<(NodeId, u64, Reply)>,
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

    fn txn_reply(out: &mut BrokerOut, (to, req, kind): (NodeId, u64, Reply), result: Result<(i64, i16), KafkaError>) {
        let unit = result.map(|_| ());
        let msg = match kind {
            Reply::Init => Msg::InitProducerIdResponse { req, result },
            Reply::Fenced => Msg::InitProducerIdResponse {
                req,
                result: Err(result.err().unwrap_or(KafkaError::ConcurrentTransactions)),
            },
            Reply::AddPartitions => Msg::AddPartitionsToTxnResponse { req, result: unit },
            Reply::AddOffsets => Msg::AddOffsetsToTxnResponse { req, result: unit },
            Reply::EndTxn => Msg::EndTxnResponse { req, result: unit },
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
                let m = self.txns[t as usize].as_mut().expect("coordinated id");
                let r = &w.record;
                crate::invariant!(
                    19,
                    valid_transition(m.state, r.state),
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
                m.pending = None;
                if r.producer_epoch != m.epoch || r.producer_id != m.producer_id {
                    m.last_epoch = if r.producer_id == m.producer_id { m.epoch } else { -1 };
                }
                m.producer_id = r.producer_id;
                m.epoch = r.producer_epoch;
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
                    Self::txn_reply(out, reply, Ok(ids));
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
                    Self::txn_reply(out, reply, Err(e));
                }
            }
        }
    }

    pub(super) fn on_init_producer_id(
        &mut self,
        now: u64,
        from: NodeId,
        req: u64,
        t: u32,
        timeout_ms: u64,
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
            let producer_id = ((self.id as u64) << 48 | self.next_id()) as i64;
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
            });
        }
        let m = self.txns[t as usize].as_ref().expect("id");
        if m.pending.is_some() {
            return reply(out, KafkaError::ConcurrentTransactions);
        }
        match m.state {
            TxnState::PrepareCommit | TxnState::PrepareAbort | TxnState::PrepareEpochFence => {
                reply(out, KafkaError::ConcurrentTransactions)
            }
            TxnState::Empty | TxnState::CompleteCommit | TxnState::CompleteAbort => {
                let (producer_id, epoch) = if m.epoch >= i16::MAX - 1 {
                    // The epoch is exhausted: rotate to a new producer id.
                    (((self.id as u64) << 48 | self.next_id()) as i64, 0)
                } else {
                    (m.producer_id, m.epoch + 1)
                };
                let record = TxnRecord {
                    transactional_id: t,
                    producer_id,
                    producer_epoch: epoch,
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

    /// AddPartitionsToTxn, or AddOffsetsToTxn (`offsets`, with the group's offsets partition).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_add_to_txn(
        &mut self,
        now: u64,
        from: NodeId,
        req: u64,
        t: u32,
        (producer_id, epoch): (i64, i16),
        partitions: Vec<u32>,
        offsets: bool,
        out: &mut BrokerOut,
    ) {
        let kind = if offsets { Reply::AddOffsets } else { Reply::AddPartitions };
        let reply = |out: &mut BrokerOut, result| Self::txn_reply(out, (from, req, kind), result);
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

    /// EndTxn (section 3.7, TV0/TV1).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_end_txn(
        &mut self,
        now: u64,
        from: NodeId,
        req: u64,
        t: u32,
        (producer_id, epoch): (i64, i16),
        commit: bool,
        out: &mut BrokerOut,
    ) {
        let reply = |out: &mut BrokerOut, result| out.send(from, Msg::EndTxnResponse { req, result });
        let m = match self.txn_for(t, producer_id, epoch) {
            Ok(m) => m,
            Err(e) => return reply(out, Err(e)),
        };
        if m.pending.is_some() {
            return reply(out, Err(KafkaError::ConcurrentTransactions));
        }
        match (m.state, commit) {
            (TxnState::Ongoing, _) => {
                let state = if commit { TxnState::PrepareCommit } else { TxnState::PrepareAbort };
                let record = TxnRecord { state, ..m.record(t) };
                self.txn_write(now, t, record, Some((from, req, Reply::EndTxn)), out);
            }
            (TxnState::CompleteCommit, true) | (TxnState::CompleteAbort, false) => reply(out, Ok(())),
            (TxnState::PrepareCommit, true) | (TxnState::PrepareAbort, false) => {
                reply(out, Err(KafkaError::ConcurrentTransactions))
            }
            _ => reply(out, Err(KafkaError::InvalidTxnState)),
        }
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
            let req = self.next_id();
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

    pub(super) fn on_txn_marker_timeout(&mut self, _now: u64, t: u32, req: u64, out: &mut BrokerOut) {
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
        req: u64,
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
        req: u64,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{Controller, Topology};
    use crate::scenario::{Acks, ConsumerSpec, ProducerSpec, Scenario, TopicSpec};
    use crate::sim::{Node, Out};

    const P: NodeId = NodeId::Producer(0);
    const ME: NodeId = NodeId::Broker(1);

    /// One broker (RF 1, so writes commit at once) leading `orders` (partition 0), group `g1`'s
    /// offsets partition and transactional id `t1`'s `__transaction_state` partition.
    fn cluster() -> (Broker, Controller) {
        let mut s = Scenario::default();
        s.cluster.brokers = 1;
        s.topics.push(TopicSpec::new("orders", 1, 1));
        s.consumers.push(ConsumerSpec::new("c1", "g1", "orders"));
        let mut p = ProducerSpec::new("p1", "orders", 10);
        p.config.transactional_id = Some("t1".into());
        s.producers.push(p);
        let topo = Topology::new(&s);
        let mut c = Controller::new(topo.clone());
        c.start(&mut Out::default());
        let b = Broker::new(1, topo, c.broker_epoch(1), &c.image(), 0, &mut Out::default());
        (b, c)
    }

    fn coordinator() -> Broker {
        cluster().0
    }

    fn send(b: &mut Broker, now: u64, msg: Msg) -> BrokerOut {
        let mut out = Out::default();
        b.on_message(now, P, msg, &mut out);
        out
    }

    /// Deliver every message `out` holds for this broker (markers and their answers) until
    /// none is left; the messages for anyone else, in order.
    fn pump(b: &mut Broker, now: u64, out: BrokerOut) -> Vec<Msg> {
        let mut rest = Vec::new();
        let mut queue: Vec<(NodeId, Msg)> = out.sends;
        while !queue.is_empty() {
            let mut next = Out::default();
            for (to, m) in queue {
                if to == ME {
                    b.on_message(now, ME, m, &mut next);
                } else {
                    rest.push(m);
                }
            }
            queue = next.sends;
        }
        rest
    }

    fn init(b: &mut Broker, now: u64) -> Result<(i64, i16), KafkaError> {
        let out = send(b, now, Msg::InitProducerId { req: 1, txn: 0, timeout_ms: 60_000 });
        match pump(b, now, out).as_slice() {
            [Msg::InitProducerIdResponse { result, .. }] => *result,
            other => panic!("{other:?}"),
        }
    }

    fn add(b: &mut Broker, now: u64, (pid, epoch): (i64, i16), partitions: Vec<u32>) -> Result<(), KafkaError> {
        let msg = Msg::AddPartitionsToTxn { req: 2, txn: 0, producer_id: pid, producer_epoch: epoch, partitions };
        match send(b, now, msg).sends.as_slice() {
            [(_, Msg::AddPartitionsToTxnResponse { result, .. })] => *result,
            other => panic!("{other:?}"),
        }
    }

    fn end(b: &mut Broker, now: u64, (pid, epoch): (i64, i16), commit: bool) -> (Result<(), KafkaError>, BrokerOut) {
        let mut out = send(b, now, Msg::EndTxn { req: 3, txn: 0, producer_id: pid, producer_epoch: epoch, commit });
        let i = out.sends.iter().position(|(_, m)| matches!(m, Msg::EndTxnResponse { .. })).expect("answered");
        let Msg::EndTxnResponse { result, .. } = out.sends.remove(i).1 else { unreachable!() };
        (result, out)
    }

    fn produce(b: &mut Broker, now: u64, (pid, epoch): (i64, i16), seq: i32) -> Result<u64, KafkaError> {
        let batch = BatchTemplate {
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence: seq,
            producer: 0,
            instance: 0,
            records: Arc::from(vec![1, 2]),
            meta: None,
            transactional: true,
        };
        let msg = Msg::Produce { req: 4, partition: 0, acks: Acks::All, timeout_ms: 30_000, batch: Arc::new(batch) };
        match send(b, now, msg).sends.as_slice() {
            [(_, Msg::ProduceResponse { result, .. })] => *result,
            other => panic!("{other:?}"),
        }
    }

    fn txn_partition(b: &Broker) -> u32 {
        b.topo.txn_partition(0)
    }

    /// The transaction states written for `t1`, in log order.
    fn states(b: &Broker) -> Vec<(TxnState, i16)> {
        let (log, _, _) = b.leader_view(txn_partition(b)).expect("leader");
        log.batches()
            .iter()
            .filter_map(|x| match x.meta.as_deref() {
                Some(MetaRecord::TxnState(r)) => Some((r.state, r.producer_epoch)),
                _ => None,
            })
            .collect()
    }

    fn markers(out: &BrokerOut) -> Vec<(i16, bool, Vec<u32>)> {
        out.sends
            .iter()
            .filter_map(|(to, m)| match m {
                Msg::WriteTxnMarkers { producer_epoch, commit, partitions, .. } if *to == ME => {
                    Some((*producer_epoch, *commit, partitions.clone()))
                }
                _ => None,
            })
            .collect()
    }

    fn last_marker(b: &Broker, p: u32) -> Option<(bool, i16)> {
        let (log, _, _) = b.leader_view(p).expect("leader");
        log.batches().last().and_then(|x| x.marker().map(|c| (c, x.producer_epoch)))
    }

    #[test]
    fn init_gives_epoch_0_then_a_second_init_bumps_it() {
        let mut b = coordinator();
        let (pid, epoch) = init(&mut b, 10).expect("init");
        assert_eq!(epoch, 0);
        assert!(pid >= 1 << 48, "producer ids of the coordinator do not collide with the world's");
        assert_eq!(init(&mut b, 20), Ok((pid, 1)));
        assert_eq!(states(&b), vec![(TxnState::Empty, 0), (TxnState::Empty, 1)]);
    }

    #[test]
    fn end_txn_commit_is_answered_before_the_markers_and_the_markers_then_go_out() {
        let mut b = coordinator();
        let ids = init(&mut b, 10).expect("init");
        assert_eq!(add(&mut b, 20, ids, vec![0]), Ok(()));
        let mut out =
            send(&mut b, 30, Msg::EndTxn { req: 3, txn: 0, producer_id: ids.0, producer_epoch: 0, commit: true });
        let answer = out.sends.iter().position(|(_, m)| matches!(m, Msg::EndTxnResponse { result: Ok(()), .. }));
        let marker = out.sends.iter().position(|(_, m)| matches!(m, Msg::WriteTxnMarkers { .. }));
        assert!(answer.expect("answered") < marker.expect("markers sent"), "{:?}", out.sends);
        assert_eq!(markers(&out), vec![(0, true, vec![0])]);
        out.sends.retain(|(to, _)| *to == ME);
        assert_eq!(states(&b).last(), Some(&(TxnState::PrepareCommit, 0)), "Complete waits for the markers");
    }

    #[test]
    fn the_partition_ends_with_a_commit_marker_and_complete_commit_is_written() {
        let mut b = coordinator();
        let ids = init(&mut b, 10).expect("init");
        assert_eq!(add(&mut b, 20, ids, vec![0]), Ok(()));
        assert_eq!(produce(&mut b, 25, ids, 0), Ok(0));
        let (log, hw, _) = b.leader_view(0).expect("leader");
        assert_eq!(log.lso(hw), 0, "the open transaction holds the last stable offset");
        let (result, out) = end(&mut b, 30, ids, true);
        assert_eq!(result, Ok(()));
        assert!(pump(&mut b, 30, out).is_empty());
        assert_eq!(last_marker(&b, 0), Some((true, 0)));
        let (log, hw, _) = b.leader_view(0).expect("leader");
        assert_eq!((log.lso(hw), hw), (3, 3), "records and marker are stable");
        assert_eq!(states(&b).last(), Some(&(TxnState::CompleteCommit, 0)));
        assert_eq!(end(&mut b, 40, ids, true).0, Ok(()), "a retried commit succeeds");
        assert_eq!(end(&mut b, 40, ids, false).0, Err(KafkaError::InvalidTxnState));
    }

    #[test]
    fn a_second_init_while_ongoing_fences_the_first_producer() {
        let mut b = coordinator();
        let old = init(&mut b, 10).expect("init");
        assert_eq!(add(&mut b, 20, old, vec![0]), Ok(()));
        assert_eq!(produce(&mut b, 25, old, 0), Ok(0));
        let out = send(&mut b, 30, Msg::InitProducerId { req: 1, txn: 0, timeout_ms: 60_000 });
        assert_eq!(markers(&out), vec![(1, false, vec![0])], "abort markers carry the bumped epoch");
        let rest = pump(&mut b, 30, out);
        assert!(
            matches!(
                rest.as_slice(),
                [Msg::InitProducerIdResponse { result: Err(KafkaError::ConcurrentTransactions), .. }]
            ),
            "{rest:?}"
        );
        assert_eq!(last_marker(&b, 0), Some((false, 1)));
        assert_eq!(states(&b).last(), Some(&(TxnState::CompleteAbort, 1)));
        assert_eq!(produce(&mut b, 40, old, 1), Err(KafkaError::InvalidProducerEpoch));
        assert_eq!(end(&mut b, 40, old, true).0, Err(KafkaError::ProducerFenced));
        assert_eq!(add(&mut b, 40, old, vec![0]), Err(KafkaError::ProducerFenced));
        assert_eq!(init(&mut b, 50), Ok((old.0, 2)), "the retry bumps again");
    }

    #[test]
    fn a_timed_out_transaction_is_aborted_with_an_epoch_bump() {
        let mut b = coordinator();
        let out = send(&mut b, 0, Msg::InitProducerId { req: 1, txn: 0, timeout_ms: 1_000 });
        let ids = match pump(&mut b, 0, out).as_slice() {
            [Msg::InitProducerIdResponse { result: Ok(ids), .. }] => *ids,
            other => panic!("{other:?}"),
        };
        assert_eq!(add(&mut b, 100, ids, vec![0]), Ok(()), "the timeout starts here");
        let mut out = Out::default();
        b.on_timer(1_000, BrokerTimer::TxnTimeoutScan, &mut out);
        assert!(markers(&out).is_empty(), "not timed out yet");
        let mut out = Out::default();
        b.on_timer(1_101, BrokerTimer::TxnTimeoutScan, &mut out);
        assert_eq!(markers(&out), vec![(1, false, vec![0])]);
        assert!(pump(&mut b, 1_101, out).is_empty(), "nobody is answered");
        assert_eq!(states(&b).last(), Some(&(TxnState::CompleteAbort, 1)));
        assert_eq!(end(&mut b, 1_200, ids, false).0, Err(KafkaError::ProducerFenced));
    }

    #[test]
    fn end_txn_in_empty_is_invalid_txn_state() {
        let mut b = coordinator();
        let ids = init(&mut b, 10).expect("init");
        assert_eq!(end(&mut b, 20, ids, true).0, Err(KafkaError::InvalidTxnState));
        assert_eq!(end(&mut b, 20, (ids.0 + 1, 0), true).0, Err(KafkaError::InvalidProducerIdMapping));
    }

    #[test]
    fn requests_during_a_pending_transition_get_concurrent_transactions() {
        let mut b = coordinator();
        let ids = init(&mut b, 10).expect("init");
        // A PrepareCommit whose markers are not acknowledged: the id is busy.
        assert_eq!(add(&mut b, 20, ids, vec![0]), Ok(()));
        let (result, _markers_lost) = end(&mut b, 30, ids, true);
        assert_eq!(result, Ok(()));
        assert_eq!(add(&mut b, 40, ids, vec![0]), Err(KafkaError::ConcurrentTransactions));
        assert_eq!(end(&mut b, 40, ids, true).0, Err(KafkaError::ConcurrentTransactions));
        assert_eq!(init(&mut b, 40), Err(KafkaError::ConcurrentTransactions));
        // The lost markers are sent again after their request times out.
        let round = b.txns[0].as_ref().and_then(|m| m.markers.as_ref()).map(|r| r.inflight[0].0).expect("inflight");
        let mut out = Out::default();
        b.on_timer(30_040, BrokerTimer::TxnMarkerTimeout { txn: 0, req: round }, &mut out);
        let retry = out.timers.iter().find_map(|(_, t)| matches!(t, BrokerTimer::TxnMarkerRetry { .. }).then_some(*t));
        let mut out = Out::default();
        b.on_timer(30_140, retry.expect("retry armed"), &mut out);
        assert_eq!(markers(&out), vec![(0, true, vec![0])]);
        pump(&mut b, 30_140, out);
        assert_eq!(states(&b).last(), Some(&(TxnState::CompleteCommit, 0)));
    }

    #[test]
    fn a_broker_that_becomes_leader_of_the_txn_partition_with_a_prepare_commit_in_its_log_sends_the_markers() {
        let (mut old, c) = cluster();
        let tp = txn_partition(&old);
        let record = TxnRecord {
            transactional_id: 0,
            producer_id: 77,
            producer_epoch: 3,
            state: TxnState::PrepareCommit,
            partitions: vec![0],
            timeout_ms: 60_000,
            started_at: 5,
        };
        let r = old.replicas[tp as usize].as_mut().expect("replica");
        r.log.append_as_leader(&BatchTemplate::internal(MetaRecord::TxnState(Arc::new(record))), 0);
        let mut b = Broker::restarted(&old, false, &mut Out::default());
        let mut out = Out::default();
        b.on_message(100, NodeId::Controller, Msg::Registered { broker_epoch: 9, image: c.image() }, &mut out);
        let sent: Vec<_> = out
            .sends
            .iter()
            .filter_map(|(_, m)| match m {
                Msg::WriteTxnMarkers { producer_id, producer_epoch, commit, partitions, .. } => {
                    Some((*producer_id, *producer_epoch, *commit, partitions.clone()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(sent, vec![(77, 3, true, vec![0])]);
        pump(&mut b, 100, out);
        assert_eq!(last_marker(&b, 0), Some((true, 3)));
        assert_eq!(states(&b).last(), Some(&(TxnState::CompleteCommit, 3)));
    }

    fn add_offsets(b: &mut Broker, now: u64, (pid, epoch): (i64, i16)) -> Result<(), KafkaError> {
        let msg = Msg::AddOffsetsToTxn { req: 5, txn: 0, producer_id: pid, producer_epoch: epoch, group: 0 };
        match send(b, now, msg).sends.as_slice() {
            [(_, Msg::AddOffsetsToTxnResponse { result, .. })] => *result,
            other => panic!("{other:?}"),
        }
    }

    fn txn_commit(
        b: &mut Broker,
        now: u64,
        (pid, epoch): (i64, i16),
        member: (u64, i32),
        o: u64,
    ) -> Result<(), KafkaError> {
        let msg = Msg::TxnOffsetCommit {
            req: 6,
            group: 0,
            producer_id: pid,
            producer_epoch: epoch,
            member_id: match member.0 {
                0 => crate::record::MemberId::UNKNOWN,
                n => crate::record::MemberId { coordinator: 1, n },
            },
            generation: member.1,
            offsets: Arc::from(vec![(0, o)]),
        };
        match send(b, now, msg).sends.as_slice() {
            [(_, Msg::TxnOffsetCommitResponse { result, .. })] => *result,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn txn_offset_commit_is_pending_until_the_commit_marker_and_discarded_on_abort() {
        let mut b = coordinator();
        let ids = init(&mut b, 10).expect("init");
        assert_eq!(add_offsets(&mut b, 20, ids), Ok(()));
        assert_eq!(txn_commit(&mut b, 30, ids, (0, -1), 5), Ok(()), "generation -1 without a member is unfenced");
        assert_eq!(b.on_offset_fetch(0, &[0]), Err(KafkaError::UnstableOffsetCommit));
        let (result, out) = end(&mut b, 40, ids, true);
        assert_eq!(result, Ok(()));
        pump(&mut b, 40, out);
        assert_eq!(b.on_offset_fetch(0, &[0]), Ok(vec![(0, Some(5))]));

        assert_eq!(add_offsets(&mut b, 50, ids), Ok(()));
        assert_eq!(txn_commit(&mut b, 60, ids, (0, -1), 9), Ok(()));
        assert_eq!(b.on_offset_fetch(0, &[0]), Err(KafkaError::UnstableOffsetCommit));
        let (result, out) = end(&mut b, 70, ids, false);
        assert_eq!(result, Ok(()));
        pump(&mut b, 70, out);
        assert_eq!(b.on_offset_fetch(0, &[0]), Ok(vec![(0, Some(5))]), "the aborted offsets are discarded");
    }

    #[test]
    fn txn_offset_commit_of_an_unknown_member_or_a_stale_producer_epoch_is_rejected() {
        let mut b = coordinator();
        let ids = init(&mut b, 10).expect("init");
        assert_eq!(add_offsets(&mut b, 20, ids), Ok(()));
        assert_eq!(txn_commit(&mut b, 30, ids, (42, 1), 5), Err(KafkaError::UnknownMemberId));
        assert_eq!(txn_commit(&mut b, 30, ids, (0, -1), 5), Ok(()));
        // A second instance fences the first: the abort marker reaches the offsets partition.
        let out = send(&mut b, 40, Msg::InitProducerId { req: 1, txn: 0, timeout_ms: 60_000 });
        pump(&mut b, 40, out);
        assert_eq!(b.on_offset_fetch(0, &[0]), Ok(vec![(0, None)]));
        assert_eq!(txn_commit(&mut b, 50, ids, (0, -1), 6), Err(KafkaError::InvalidProducerEpoch));
    }

    #[test]
    fn a_new_group_coordinator_rebuilds_pending_and_committed_transactional_offsets_from_the_log() {
        let mut b = coordinator();
        let ids = init(&mut b, 10).expect("init");
        assert_eq!(add_offsets(&mut b, 20, ids), Ok(()));
        assert_eq!(txn_commit(&mut b, 30, ids, (0, -1), 5), Ok(()));
        let (_, out) = end(&mut b, 40, ids, true);
        pump(&mut b, 40, out);
        assert_eq!(add_offsets(&mut b, 50, ids), Ok(()));
        assert_eq!(txn_commit(&mut b, 60, ids, (0, -1), 9), Ok(()));
        let p = b.topo.group_partition(0);
        let mut out = Out::default();
        b.unload_groups(p, &mut out);
        b.load_groups(70, p, &mut out);
        assert_eq!(b.on_offset_fetch(0, &[0]), Err(KafkaError::UnstableOffsetCommit), "still pending");
        let (_, out) = end(&mut b, 80, ids, true);
        pump(&mut b, 80, out);
        assert_eq!(b.on_offset_fetch(0, &[0]), Ok(vec![(0, Some(9))]));
        let mut out = Out::default();
        b.unload_groups(p, &mut out);
        b.load_groups(90, p, &mut out);
        assert_eq!(b.on_offset_fetch(0, &[0]), Ok(vec![(0, Some(9))]));
    }

    #[test]
    fn a_leader_answers_markers_per_partition_and_refuses_a_stale_coordinator_epoch() {
        let mut b = coordinator();
        let write = |b: &mut Broker, coordinator_epoch: i32, partitions: Vec<u32>| {
            let msg = Msg::WriteTxnMarkers {
                req: 8,
                producer_id: 9,
                producer_epoch: 0,
                commit: true,
                coordinator_epoch,
                partitions,
            };
            match send(b, 10, msg).sends.as_slice() {
                [(_, Msg::WriteTxnMarkersResponse { results, .. })] => results.clone(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(write(&mut b, 5, vec![0]), vec![(0, Ok(()))]);
        assert_eq!(last_marker(&b, 0), Some((true, 0)));
        assert_eq!(
            write(&mut b, 4, vec![0, 9_999]),
            vec![(0, Err(KafkaError::TransactionCoordinatorFenced)), (9_999, Err(KafkaError::NotLeaderOrFollower))]
        );
    }
}
