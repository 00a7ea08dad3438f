//! The transactional side of the producer (Java's `TransactionManager`) and the application
//! loop around it: `initTransactions()`, then transactions of `transaction_records` records —
//! `beginTransaction()`, sends, `commitTransaction()` (or `abortTransaction()` every
//! `abort_every`-th time, and whenever a send of the transaction failed).
//!
//! - The coordinator is found with FindTxnCoordinator; InitProducerId gives the producer id and
//!   epoch (fencing any older instance of the same `transactional.id`).
//! - Transactions V0/V1 (before Kafka 4.0): a partition joins the transaction by
//!   AddPartitionsToTxn before any batch is sent to it, and `sendOffsetsToTransaction` starts
//!   with AddOffsetsToTxn. Transactions V2 (KIP-890 part 2, 4.0+): neither is sent; the partition
//!   leader (or group coordinator) adds the partition when it verifies the first write, and EndTxn
//!   answers the bumped epoch the next transaction uses.
//! - Committing first flushes: every batch of the transaction is sent (linger ignored) and
//!   resolved; then EndTxn, whose answer means the outcome is durable at the coordinator.
//! - A failed send makes the transaction abortable. From 2.5 (KIP-360) under transactions V0/V1
//!   the abort is followed by InitProducerId with the current producer id and epoch, which
//!   bumps the epoch (`epochBumpRequired`) before `abortTransaction()` returns; before 2.5 a
//!   partition whose retried batch expired makes the producer fatal.
//! - PRODUCER_FENCED, INVALID_PRODUCER_EPOCH from the coordinator and INVALID_TXN_STATE are
//!   fatal: the application stops with the producer.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::producer::{Producer, ProducerObs, ProducerOut, ProducerTimer};
use crate::broker::Msg;
use crate::error::KafkaError;
use crate::record::{EventKind, RecordList, ReqId};
use crate::sim::NodeId;

mod driven;

/// Where the transaction manager stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting for a producer id (FindTxnCoordinator, InitProducerId).
    Initializing,
    /// Between transactions.
    Ready,
    /// In a transaction, sending its records.
    InTxn,
    /// The application called commit (`true`) or abort; flushing, then EndTxn.
    Ending(bool),
    /// The abort is written; InitProducerId with the current producer id and epoch bumps the
    /// epoch (KIP-360) before `abortTransaction()` returns.
    Bumping,
    /// Stopped on a fatal error.
    Fatal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TxnReq {
    Find,
    /// FindCoordinator for the group of `sendOffsetsToTransaction` (a service's producer).
    FindGroup,
    Init,
    Add,
    AddOffsets,
    OffsetCommit,
    End,
}

/// `sendOffsetsToTransaction(offsets, groupMetadata)`: a consumer's positions committed inside
/// the transaction, fenced by its group generation (KIP-447).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TxnOffsets {
    /// Group index.
    pub(crate) group: u32,
    /// The consumer's member id.
    pub(crate) member_id: crate::record::MemberId,
    /// The consumer's generation.
    pub(crate) generation: i32,
    /// Next offset to read per partition.
    pub(crate) offsets: Arc<[(u32, u64)]>,
}

/// How far `sendOffsetsToTransaction` has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OffsetsStage {
    /// AddOffsetsToTxn to the transaction coordinator next.
    Add,
    /// TxnOffsetCommit to the group coordinator next.
    Commit,
    /// Written (or fenced: the transaction can then only abort).
    Done,
}

/// The transaction manager's state.
#[derive(Debug, Clone)]
pub(crate) struct Txn {
    /// Index of the transactional id in the topology.
    id: u32,
    coordinator: Option<u32>,
    pub(crate) phase: Phase,
    /// The instance's transactions so far (the next one's number).
    number: u32,
    /// Records the application sent in the current transaction.
    records: Vec<u32>,
    /// Partitions (indices within the topic) added to the current transaction.
    added: BTreeSet<u32>,
    /// The coordinator request in flight: (request id, broker, kind, partitions it adds).
    request: Option<(ReqId, u32, TxnReq, Vec<u32>)>,
    /// The request whose `TxnRequestTimeout` is queued and not cancelled yet.
    timer: Option<ReqId>,
    /// A send of the current transaction failed: it can only be aborted.
    abortable: bool,
    retry_at: u64,
    lookup_rr: u32,
    /// Driven by a processor, not by the scenario's producer loop: no records of its own, and
    /// nothing requeued after an abort (the processor re-reads its input instead).
    pub(crate) driven: bool,
    /// Offsets sent to the current transaction, and how far that has gone.
    offsets: Option<(TxnOffsets, OffsetsStage)>,
    /// The group coordinator TxnOffsetCommit goes to (the processor's consumer knows it).
    pub(crate) group_coordinator: Option<u32>,
    /// The producer looks the group coordinator up itself (FindCoordinator with the group's
    /// key, as Java's `TxnOffsetCommitHandler` does): a service's producer, whose consumer is
    /// another client.
    pub(crate) own_group_lookup: bool,
    /// A group coordinator that answered NOT_COORDINATOR (or failed): the consumer must look
    /// the coordinator up again.
    lost_group_coordinator: Option<u32>,
    /// AddOffsetsToTxn succeeded: the transaction exists at the coordinator even with no data.
    offsets_added: bool,
    /// KIP-360 (2.5+, transactions V0/V1): the abort must be followed by an epoch bump
    /// (`TransactionManager.epochBumpRequired`).
    bump_required: bool,
    /// The transaction ended at the coordinator and waits for the epoch bump: whether it
    /// committed, for the `TxnEnded` reported once the bump is done.
    ended: Option<bool>,
    /// From 2.5 (KIP-360): the coordinator no longer knows the producer id
    /// (INVALID_PRODUCER_ID_MAPPING, the transactional id expired), so the abort skips EndTxn and
    /// goes straight to InitProducerId (`beginCompletingTransaction`: `lastError instanceof
    /// InvalidPidMappingException`).
    id_lost: bool,
}

impl Txn {
    /// A transaction manager for transactional id `id`, not yet initialised.
    pub(crate) fn new(id: u32, lookup_rr: u32) -> Self {
        Txn {
            id,
            coordinator: None,
            phase: Phase::Initializing,
            number: 0,
            records: Vec::new(),
            added: BTreeSet::new(),
            request: None,
            timer: None,
            abortable: false,
            retry_at: 0,
            lookup_rr,
            driven: false,
            offsets: None,
            group_coordinator: None,
            own_group_lookup: false,
            lost_group_coordinator: None,
            offsets_added: false,
            bump_required: false,
            ended: None,
            id_lost: false,
        }
    }
}

impl Txn {
    /// Index of the transactional id in the topology.
    pub(crate) fn id(&self) -> u32 {
        self.id
    }
}

impl Producer {
    fn txn_mut(&mut self) -> &mut Txn {
        self.txn.as_mut().expect("transactional producer")
    }

    /// Whether a batch of partition `p` may be sent: it must have joined the transaction (under
    /// transactions V2 the leader adds it when it verifies the batch).
    pub(crate) fn txn_may_send(&self, p: u32) -> bool {
        let v2 = self.topo.version.txn_v2();
        self.txn
            .as_ref()
            .is_none_or(|t| matches!(t.phase, Phase::InTxn | Phase::Ending(_)) && (v2 || t.added.contains(&p)))
    }

    /// Whether the pump would do nothing after records joined batches of partitions already in
    /// the open transaction: it knows its coordinator and every partition with data has joined
    /// (under transactions V2 at once, else when its AddPartitionsToTxn was answered), so no
    /// AddPartitionsToTxn, lookup or end is due.
    pub(crate) fn txn_pump_is_idle(&self) -> bool {
        let Some(t) = self.txn.as_ref() else { return true };
        t.phase == Phase::InTxn
            && t.coordinator.is_some()
            && self
                .parts
                .iter()
                .enumerate()
                .all(|(p, q)| (q.pending.is_empty() && q.batches.is_empty()) || t.added.contains(&(p as u32)))
    }

    /// The application's loop, one step: begin a transaction, send its next record(s), or end it.
    pub(crate) fn txn_tick(&mut self, now: u64, out: &mut ProducerOut) {
        if self.txn_mut().driven {
            return;
        }
        let per_txn = self.spec.transaction_records.max(1) as usize;
        if self.txn_mut().phase == Phase::Ready && self.has_work() {
            let t = self.txn_mut();
            t.phase = Phase::InTxn;
            t.records.clear();
            t.added.clear();
            t.abortable = false;
        }
        if self.txn_mut().phase != Phase::InTxn {
            return;
        }
        while self.txn_mut().records.len() < per_txn {
            let Some(r) = self.next_record() else { break };
            self.txn_mut().records.push(r);
            self.app_send(now, r, out);
            if self.spec.interval_ms > 0 && self.txn_mut().records.len() < per_txn && self.has_work() {
                out.timer(self.spec.interval_ms, ProducerTimer::Tick);
                self.drain(now, out);
                return;
            }
        }
        // The transaction is full (or the workload is): commit it, or abort it on purpose.
        let number = self.txn_mut().number;
        let abort = self.spec.abort_every.is_some_and(|k| k > 0 && (number + 1).is_multiple_of(k));
        self.txn_mut().phase = Phase::Ending(!abort);
        // commitTransaction() flushes: what lingers goes out now.
        self.flush_now(now);
        self.drain(now, out);
        self.txn_pump(now, out);
    }

    /// Coordinator lookups and requests that can go out now.
    pub(crate) fn txn_pump(&mut self, now: u64, out: &mut ProducerOut) {
        let timeout = self.spec.config.transaction_timeout_ms;
        let t = self.txn.as_mut().expect("transactional producer");
        if t.request.is_some() || now < t.retry_at || t.phase == Phase::Fatal {
            return;
        }
        let Some(coord) = t.coordinator else {
            // The next broker whose connection is up (Java's leastLoadedNode).
            let b = self.conns.pick(t.lookup_rr, now);
            if !self.connected(now, b, out) {
                return;
            }
            let t = self.txn_mut();
            t.lookup_rr = b;
            let msg = Msg::FindTxnCoordinator { txn: t.id };
            self.txn_send(b, TxnReq::Find, Vec::new(), msg, out);
            return;
        };
        // Each request below waits until the connection to its coordinator is up.
        let (pid, epoch) = (self.producer_id, self.producer_epoch);
        let v2 = self.topo.version.txn_v2();
        match t.phase {
            Phase::Initializing | Phase::Bumping => {
                if !self.connected(now, coord, out) {
                    return;
                }
                let req = self.next_txn_req();
                let t = self.txn_mut();
                // The first initTransactions() names no producer id; a KIP-360 bump names the
                // current one (`initializeTransactions(producerIdAndEpoch)`).
                let (producer_id, producer_epoch) = if t.phase == Phase::Bumping { (pid, epoch) } else { (-1, -1) };
                let msg =
                    Msg::InitProducerId { req, txn: Some(t.id), timeout_ms: timeout, producer_id, producer_epoch };
                self.txn_send(coord, TxnReq::Init, Vec::new(), msg, out);
            }
            Phase::InTxn | Phase::Ending(_) => {
                // Partitions with data that have not joined the transaction yet.
                let missing: Vec<u32> = (0..self.parts.len() as u32)
                    .filter(|&p| {
                        let q = &self.parts[p as usize];
                        let has_data = !q.pending.is_empty() || !q.batches.is_empty();
                        has_data && !t.added.contains(&p)
                    })
                    .collect();
                if self.txn_mut().id_lost {
                    // The coordinator forgot the id: nothing more can join the transaction, and
                    // what waits for it fails (`Sender`: `abortUndrainedBatches(lastError)`).
                    for p in missing {
                        self.abort_undrained(p as usize, KafkaError::InvalidProducerIdMapping, out);
                    }
                } else if v2 {
                    // `maybeAddPartition` under transactions V2: the partition is in the
                    // transaction locally at once; the leader adds it at the coordinator.
                    self.txn_mut().added.extend(missing);
                } else if !missing.is_empty() {
                    if !self.connected(now, coord, out) {
                        return;
                    }
                    let req = self.next_txn_req();
                    let id = self.txn_mut().id;
                    let partitions = missing.iter().map(|&p| self.first_partition + p).collect();
                    let msg =
                        Msg::AddPartitionsToTxn { req, txn: id, producer_id: pid, producer_epoch: epoch, partitions };
                    self.txn_send(coord, TxnReq::Add, missing, msg, out);
                    return;
                }
                if let Phase::Ending(commit) = self.txn_mut().phase {
                    // sendOffsetsToTransaction: AddOffsetsToTxn, then TxnOffsetCommit, before EndTxn.
                    let t = self.txn_mut();
                    if v2 && t.offsets.as_ref().is_some_and(|o| o.1 == OffsetsStage::Add) {
                        // Transactions V2: TxnOffsetCommit without AddOffsetsToTxn; the group
                        // coordinator adds its partition when it verifies the write.
                        t.offsets_added = true;
                        if let Some((_, stage)) = t.offsets.as_mut() {
                            *stage = OffsetsStage::Commit;
                        }
                    }
                    if let (true, false, Some((o, stage))) = (commit, t.abortable, t.offsets.clone()) {
                        let id = t.id;
                        match stage {
                            OffsetsStage::Add => {
                                if !self.connected(now, coord, out) {
                                    return;
                                }
                                let req = self.next_txn_req();
                                let msg = Msg::AddOffsetsToTxn {
                                    req,
                                    txn: id,
                                    producer_id: pid,
                                    producer_epoch: epoch,
                                    group: o.group,
                                };
                                self.txn_send(coord, TxnReq::AddOffsets, Vec::new(), msg, out);
                                return;
                            }
                            OffsetsStage::Commit => {
                                let Some(gc) = t.group_coordinator else {
                                    if t.own_group_lookup {
                                        let rr = t.lookup_rr;
                                        let b = self.conns.pick(rr, now);
                                        if !self.connected(now, b, out) {
                                            return;
                                        }
                                        self.txn_mut().lookup_rr = b;
                                        let msg = Msg::FindCoordinator { group: o.group };
                                        self.txn_send(b, TxnReq::FindGroup, Vec::new(), msg, out);
                                    }
                                    return;
                                };
                                if !self.connected(now, gc, out) {
                                    return;
                                }
                                let req = self.next_txn_req();
                                let msg = Msg::TxnOffsetCommit {
                                    req,
                                    txn: id,
                                    group: o.group,
                                    producer_id: pid,
                                    producer_epoch: epoch,
                                    member_id: o.member_id,
                                    generation: o.generation,
                                    offsets: o.offsets.clone(),
                                };
                                self.txn_send(gc, TxnReq::OffsetCommit, Vec::new(), msg, out);
                                return;
                            }
                            OffsetsStage::Done => {}
                        }
                    }
                    let flushed = self.parts.iter().all(|q| q.pending.is_empty() && q.batches.is_empty());
                    if !flushed {
                        return;
                    }
                    let t = self.txn_mut();
                    if t.added.is_empty() && !t.offsets_added {
                        // Nothing was sent: the transaction never reached the coordinator.
                        let commit = commit && !t.abortable;
                        self.txn_ended(now, commit, out);
                        return;
                    }
                    let commit = commit && !t.abortable;
                    if t.id_lost {
                        // KIP-360: no EndTxn for an id the coordinator forgot; InitProducerId with
                        // the current producer id and epoch gets a new producer id.
                        t.bump_required = true;
                        self.txn_ended(now, false, out);
                        // Now Bumping: InitProducerId goes out at once.
                        return self.txn_pump(now, out);
                    }
                    if !self.connected(now, coord, out) {
                        return;
                    }
                    let req = self.next_txn_req();
                    let id = self.txn_mut().id;
                    let msg = Msg::EndTxn { req, txn: id, producer_id: pid, producer_epoch: epoch, commit };
                    self.txn_send(coord, TxnReq::End, Vec::new(), msg, out);
                }
            }
            Phase::Ready | Phase::Fatal => {}
        }
    }

    /// The transaction ended at the coordinator (or locally, having reached nothing): under
    /// KIP-360 an abort that must bump the epoch goes on with InitProducerId first.
    fn txn_ended(&mut self, now: u64, commit: bool, out: &mut ProducerOut) {
        let t = self.txn_mut();
        if !commit && std::mem::take(&mut t.bump_required) {
            t.ended = Some(commit);
            t.phase = Phase::Bumping;
            return;
        }
        self.end_txn(now, commit, Ok(()), out);
    }

    fn next_txn_req(&mut self) -> ReqId {
        self.next_req = self.next_req.next();
        self.next_req
    }

    fn txn_send(&mut self, broker: u32, kind: TxnReq, adding: Vec<u32>, msg: Msg, out: &mut ProducerOut) {
        let req = match &msg {
            Msg::InitProducerId { req, .. }
            | Msg::AddPartitionsToTxn { req, .. }
            | Msg::AddOffsetsToTxn { req, .. }
            | Msg::TxnOffsetCommit { req, .. }
            | Msg::EndTxn { req, .. } => *req,
            _ => self.next_txn_req(),
        };
        let t = self.txn_mut();
        t.request = Some((req, broker, kind, adding));
        let replaced = t.timer.replace(req);
        if let Some(old) = replaced.filter(|&old| old != req && self.cancels_stale_timers()) {
            out.cancel(ProducerTimer::TxnRequestTimeout { req: old });
        }
        self.send_request(broker, msg, out);
        // Every request of the transaction manager, the coordinator lookup included, waits
        // `request.timeout.ms` (Java's `TransactionManager` requests go through the same
        // `NetworkClient` as produce requests, whose timeout is the producer's
        // `request.timeout.ms`), then the connection is closed and the coordinator looked up again.
        out.timer(self.spec.config.request_timeout_ms, ProducerTimer::TxnRequestTimeout { req });
    }

    /// After each step: a queued `TxnRequestTimeout` of a request no longer in flight (answered,
    /// failed, or given up on) would find it gone and time nothing out; each request has a
    /// fresh id, so it never comes back: the timer is taken back.
    pub(crate) fn cancel_stale_txn_timer(&mut self, out: &mut ProducerOut) {
        let Some(t) = self.txn.as_mut() else { return };
        let Some(req) = t.timer else { return };
        if t.request.as_ref().is_none_or(|r| r.0 != req) {
            t.timer = None;
            if self.cancels_stale_timers() {
                out.cancel(ProducerTimer::TxnRequestTimeout { req });
            }
        }
    }

    /// A coordinator request failed or timed out: find the coordinator again, after a backoff.
    /// The backoff is `retry.backoff.ms`, not growing: Java's `TransactionManager` re-enqueues a
    /// failed `TxnRequestHandler` and the `Sender` sleeps its `retryBackoffMs()`, the producer's
    /// static `retry.backoff.ms` (KIP-580 made only the metadata, coordinator-lookup, commit and
    /// batch backoffs exponential). What keeps a transactional producer from spinning on a dead
    /// coordinator is the reconnect backoff (`conn.rs`) and the metadata refresh backoff.
    pub(crate) fn txn_retry(&mut self, now: u64, lost_coordinator: bool, out: &mut ProducerOut) {
        let backoff = self.spec.config.retry_backoff_ms;
        let t = self.txn_mut();
        let kind = t.request.take().map(|r| r.2);
        if lost_coordinator {
            if kind == Some(TxnReq::OffsetCommit) {
                t.lost_group_coordinator = t.group_coordinator.take();
            } else if kind != Some(TxnReq::FindGroup) {
                t.coordinator = None;
            }
        }
        t.retry_at = now + backoff;
        out.timer(backoff, ProducerTimer::TxnRetry);
    }

    /// The connection to `broker` broke: a coordinator request on it failed.
    pub(crate) fn txn_disconnected(&mut self, now: u64, broker: u32, out: &mut ProducerOut) {
        if self.txn.as_ref().is_some_and(|t| t.request.as_ref().is_some_and(|r| r.1 == broker)) {
            self.txn_retry(now, true, out);
        }
    }

    /// A connection attempt to `broker` failed: if it is a coordinator, it is looked up again
    /// (the Sender's `maybeFindCoordinatorAndRetry` when the coordinator is not ready in time).
    pub(crate) fn txn_unreachable(&mut self, broker: u32) {
        let Some(t) = self.txn.as_mut() else { return };
        if t.request.is_some() {
            return;
        }
        if t.coordinator == Some(broker) {
            t.coordinator = None;
        }
        if t.group_coordinator == Some(broker) {
            t.lost_group_coordinator = t.group_coordinator.take();
        }
    }

    /// A coordinator request got no answer in time.
    pub(crate) fn txn_timed_out(&mut self, now: u64, req: ReqId, out: &mut ProducerOut) {
        let Some(t) = self.txn.as_mut() else { return };
        if t.timer == Some(req) {
            t.timer = None;
        }
        if let Some((r, broker, _, _)) = t.request.as_ref() {
            if *r == req {
                let broker = *broker;
                out.observe(ProducerObs::CloseConnection { broker });
                self.txn_retry(now, true, out);
                // The close fails everything else in flight on that connection too.
                self.disconnect(now, broker, out);
            }
        }
    }

    /// Handle a transaction-protocol response; false if the message is not one.
    pub(crate) fn txn_on_message(&mut self, now: u64, from: NodeId, msg: &Msg, out: &mut ProducerOut) -> bool {
        let NodeId::Broker(broker) = from else { return false };
        let Some(t) = self.txn.as_ref() else { return false };
        let Some((req, at, kind, _)) = t.request.clone() else {
            return matches!(
                msg,
                Msg::FindTxnCoordinatorResponse { .. }
                    | Msg::FindCoordinatorResponse { .. }
                    | Msg::InitProducerIdResponse { .. }
                    | Msg::AddPartitionsToTxnResponse { .. }
                    | Msg::AddOffsetsToTxnResponse { .. }
                    | Msg::TxnOffsetCommitResponse { .. }
                    | Msg::EndTxnResponse { .. }
            );
        };
        match (msg, kind) {
            (Msg::FindTxnCoordinatorResponse { result, .. }, TxnReq::Find) if at == broker => {
                let t = self.txn_mut();
                t.request = None;
                match result {
                    Ok(b) => t.coordinator = Some(*b),
                    Err(_) => self.txn_retry(now, true, out),
                }
            }
            (Msg::FindCoordinatorResponse { result, .. }, TxnReq::FindGroup) if at == broker => {
                let t = self.txn_mut();
                t.request = None;
                match result {
                    Ok(b) => {
                        t.group_coordinator = Some(*b);
                        self.txn_pump(now, out);
                    }
                    Err(_) => self.txn_retry(now, false, out),
                }
            }
            (Msg::InitProducerIdResponse { req: r, result }, TxnReq::Init) if *r == req => match result {
                Ok((pid, epoch)) => {
                    self.set_producer_ids(*pid, *epoch);
                    let t = self.txn_mut();
                    t.request = None;
                    if let Some(commit) = t.ended.take() {
                        // The KIP-360 bump after an abort: abortTransaction() returns now.
                        self.end_txn(now, commit, Ok(()), out);
                    } else {
                        t.phase = Phase::Ready;
                        out.timer(0, ProducerTimer::Tick);
                    }
                }
                Err(e) => self.txn_error(now, *e, out),
            },
            (Msg::AddPartitionsToTxnResponse { req: r, result }, TxnReq::Add) if *r == req => match result {
                Ok(()) => {
                    let t = self.txn_mut();
                    if let Some((_, _, _, adding)) = t.request.take() {
                        t.added.extend(adding);
                    }
                    self.drain(now, out);
                }
                Err(KafkaError::InvalidProducerIdMapping) if self.topo.version.kip360() => self.txn_id_lost(),
                Err(e) => self.txn_error(now, *e, out),
            },
            (Msg::AddOffsetsToTxnResponse { req: r, result }, TxnReq::AddOffsets) if *r == req => match result {
                Ok(()) => {
                    let t = self.txn_mut();
                    t.request = None;
                    t.offsets_added = true;
                    if let Some((_, stage)) = t.offsets.as_mut() {
                        *stage = OffsetsStage::Commit;
                    }
                }
                Err(KafkaError::InvalidProducerIdMapping) if self.topo.version.kip360() => self.txn_id_lost(),
                Err(e) => self.txn_error(now, *e, out),
            },
            (Msg::TxnOffsetCommitResponse { req: r, result }, TxnReq::OffsetCommit) if *r == req => match result {
                Ok(()) => {
                    let t = self.txn_mut();
                    t.request = None;
                    if let Some((_, stage)) = t.offsets.as_mut() {
                        *stage = OffsetsStage::Done;
                    }
                    out.observe(ProducerObs::OffsetsSent);
                }
                Err(e) => self.txn_offset_commit_error(now, *e, out),
            },
            (Msg::EndTxnResponse { req: r, result }, TxnReq::End) if *r == req => match result {
                Ok((pid, epoch)) => {
                    let Phase::Ending(commit) = self.txn_mut().phase else { return true };
                    let commit = commit && !self.txn_mut().abortable;
                    self.txn_mut().request = None;
                    if self.topo.version.txn_v2() {
                        // EndTxn v5: the next transaction uses the bumped epoch, its sequences
                        // from 0 (`EndTxnHandler`: setProducerIdAndEpoch, resetSequenceNumbers).
                        crate::invariant!(
                            40,
                            *pid != self.producer_id || *epoch > self.producer_epoch,
                            "producer#{}: transactions V2 ended a transaction of epoch {} without a bump ({pid}, {epoch})",
                            self.idx,
                            self.producer_epoch
                        );
                        self.set_producer_ids(*pid, *epoch);
                    }
                    self.txn_ended(now, commit, out);
                }
                Err(e) => self.txn_error(now, *e, out),
            },
            (
                Msg::FindTxnCoordinatorResponse { .. }
                | Msg::FindCoordinatorResponse { .. }
                | Msg::InitProducerIdResponse { .. }
                | Msg::AddPartitionsToTxnResponse { .. }
                | Msg::AddOffsetsToTxnResponse { .. }
                | Msg::TxnOffsetCommitResponse { .. }
                | Msg::EndTxnResponse { .. },
                _,
            ) => {}
            _ => return false,
        }
        true
    }

    /// An error answer from the coordinator: retriable ones are retried, the rest are fatal.
    fn txn_error(&mut self, now: u64, e: KafkaError, out: &mut ProducerOut) {
        match e {
            KafkaError::NotCoordinator
            | KafkaError::CoordinatorNotAvailable
            | KafkaError::CoordinatorLoadInProgress => self.txn_retry(now, true, out),
            KafkaError::ConcurrentTransactions | KafkaError::RequestTimedOut | KafkaError::NetworkException => {
                self.txn_retry(now, false, out)
            }
            e => {
                // PRODUCER_FENCED, INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE...: the producer is
                // unusable; the application's commit or abort throws and it stops.
                let t = self.txn_mut();
                let commit = match t.phase {
                    Phase::Ending(commit) => commit,
                    _ => t.ended.take().unwrap_or(false),
                };
                t.request = None;
                if matches!(t.phase, Phase::InTxn | Phase::Ending(_) | Phase::Bumping) {
                    self.end_txn(now, commit, Err(e), out);
                }
                self.txn_mut().phase = Phase::Fatal;
                self.crash(e, out);
            }
        }
    }

    /// An error answer to TxnOffsetCommit (Java's `TxnOffsetCommitHandler`): a coordinator
    /// error looks the group coordinator up again; a fenced group member (KIP-447) or
    /// TRANSACTION_ABORTABLE makes the transaction abortable; a fenced producer and any other
    /// error (INVALID_TXN_STATE from a failed verification, say) are fatal.
    fn txn_offset_commit_error(&mut self, now: u64, e: KafkaError, out: &mut ProducerOut) {
        match e {
            KafkaError::NotCoordinator
            | KafkaError::CoordinatorNotAvailable
            | KafkaError::RequestTimedOut
            | KafkaError::NetworkException => self.txn_retry(now, true, out),
            // Retriable without a new lookup: the group coordinator is loading, or the
            // transaction coordinator it verified with (KIP-890) is between two states.
            KafkaError::CoordinatorLoadInProgress | KafkaError::ConcurrentTransactions => {
                self.txn_retry(now, false, out)
            }
            KafkaError::ProducerFenced
            | KafkaError::InvalidProducerEpoch
            | KafkaError::InvalidTxnState
            | KafkaError::InvalidProducerIdMapping => self.txn_error(now, e, out),
            _ => {
                // UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION...: CommitFailedException, abortable.
                let t = self.txn_mut();
                t.request = None;
                t.abortable = true;
                if let Some((_, stage)) = t.offsets.as_mut() {
                    *stage = OffsetsStage::Done;
                }
            }
        }
    }

    /// `commitTransaction()` / `abortTransaction()` returned with `result`.
    fn end_txn(&mut self, now: u64, commit: bool, result: Result<(), KafkaError>, out: &mut ProducerOut) {
        let (idx, instance) = (self.idx, self.instance);
        let t = self.txn_mut();
        let records: RecordList = std::mem::take(&mut t.records).into();
        let txn = t.number;
        t.number += 1;
        t.added.clear();
        let unintended_abort = !commit && t.abortable && !t.driven;
        t.abortable = false;
        t.bump_required = false;
        t.id_lost = false;
        t.offsets = None;
        t.offsets_added = false;
        if result.is_ok() {
            t.phase = Phase::Ready;
        }
        if unintended_abort && result.is_ok() {
            // The application retries what a failed send forced it to abort, in a new transaction.
            for r in records.iter().rev() {
                self.plan.push_front(r);
            }
        }
        out.observe(ProducerObs::History(EventKind::TxnEnded {
            producer: idx,
            instance,
            txn,
            commit,
            records,
            result,
        }));
        if result.is_ok() {
            out.timer(0, ProducerTimer::Tick);
        }
        let _ = now;
    }

    /// A batch of the current transaction failed: the transaction can only be aborted. From 2.5
    /// (KIP-360) under transactions V0/V1 the abort then bumps the epoch, unless the failure came
    /// while the application was already committing or aborting (`maybeTransitionToErrorState`:
    /// `!isCompleting()`); under transactions V2 the EndTxn bumps it anyway.
    pub(crate) fn txn_send_failed(&mut self) {
        let bump = self.topo.version.kip360() && !self.topo.version.txn_v2();
        if let Some(t) = self.txn.as_mut() {
            t.abortable = true;
            t.bump_required |= bump && t.phase == Phase::InTxn;
        }
    }

    /// A retried batch of the transaction expired (`markSequenceUnresolved`): from 2.5 the abort
    /// must bump the epoch whatever the phase (`maybeResolveSequences`); before, the producer
    /// cannot continue safely and fails fatally ("The client hasn't received acknowledgment for
    /// some previously sent messages and can no longer retry them").
    pub(crate) fn txn_sequence_unresolved(&mut self, now: u64, out: &mut ProducerOut) {
        let v = self.topo.version;
        let Some(t) = self.txn.as_mut() else { return };
        if v.kip360() {
            t.abortable = true;
            t.bump_required |= !v.txn_v2();
        } else if t.phase != Phase::Fatal {
            self.txn_error(now, KafkaError::DeliveryTimeout, out);
        }
    }

    /// From 2.5, INVALID_PRODUCER_ID_MAPPING is abortable (`abortableErrorIfPossible`): the
    /// coordinator forgot the transactional id, so the transaction must be aborted and the
    /// producer initialised again, which gets it a new producer id. Before, it was fatal.
    pub(crate) fn txn_id_lost(&mut self) {
        let bump = self.topo.version.kip360();
        if let Some(t) = self.txn.as_mut().filter(|_| bump) {
            t.request = None;
            t.abortable = true;
            t.bump_required = true;
            t.id_lost = true;
        }
    }

    /// Whether the transactional application has nothing left to do.
    pub(crate) fn txn_done(&self) -> bool {
        self.txn.as_ref().is_none_or(|t| t.phase == Phase::Fatal || (t.phase == Phase::Ready && !self.has_work()))
    }
}
