//! The consume-transform-produce side of a member: a Kafka Streams task of one map step.
//! A processor member is a [`Consumer`] that owns a [`Producer`] (one process: a crash kills
//! both). For each input record it processes, it sends one output record whose index is the
//! input's global number, to the output partition `input partition % output partitions`.
//! Every `commit.interval.ms` (checked after each batch and each empty poll), before a rejoin
//! and in `close()`, it commits its task:
//!
//! - `at_least_once`: `flush()` the producer until every output is acknowledged, then
//!   `commitSync()` the positions. A crash between the two repeats the outputs.
//! - `exactly_once_v2`: `sendOffsetsToTransaction(positions, groupMetadata)` then
//!   `commitTransaction()`. An abort (a failed send, or a fenced TxnOffsetCommit) makes the
//!   task re-read its input from the committed offsets, as Streams revives a corrupted task; a
//!   fenced producer is replaced by a new one and the member rejoins (TaskMigrated).
//! - `exactly_once` (v1, KIP-129; Streams' `StreamTask` with a producer per task before
//!   KIP-447): no member producer; each assigned input partition is a task with its own
//!   transactional producer, `transactional.id` `<application.id>-0_<partition>`, created when
//!   the task is assigned (its InitProducerId fences the task's previous owner and aborts its
//!   open transaction) and closed when the task is not reassigned. A commit runs one
//!   `sendOffsetsToTransaction(task offsets, groupId)` + `commitTransaction()` per task with an
//!   open transaction; the offsets carry no member id or generation (TxnOffsetCommit v0-v2), so
//!   only the producer epoch fences a zombie. A task whose producer is fenced is closed, its
//!   partition re-read by whoever owns it after the rejoin. The member fetches its committed
//!   offsets only once every task producer is initialised.
//!
//! A failed send under `at_least_once` likewise re-reads from the committed offsets (Streams
//! would replace the stream thread).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{App, Consumer, ConsumerObs, ConsumerOut, ConsumerTimer, Phase};
use crate::broker::Msg;
use crate::client::producer::{Producer, ProducerObs, ProducerOut};
use crate::client::transactional::TxnOffsets;
use crate::client::ProducerTimer;
use crate::error::KafkaError;
use crate::record::{Delivery, EventKind, MemberId};
use crate::scenario::{ProcessingGuarantee, ProcessorSpec, ProducerSpec};
use crate::sim::{Node, NodeId};

/// Key of the member's one producer (`at_least_once`, `exactly_once_v2`) in
/// `Proc::producers`; under `exactly_once` the keys are the tasks' input partitions.
const MEMBER: u32 = u32::MAX;

/// How a transaction ended, if one did: (commit asked for, what `commitTransaction()` /
/// `abortTransaction()` returned).
type TxnOutcome = Option<(bool, Result<(), KafkaError>)>;

/// What the task does once its commit finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    /// Poll again (an interval commit, or one before a rejoin).
    Poll,
    /// Leave the group (`close()`).
    Close,
}

/// How a task commit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Commit {
    /// No commit in progress.
    Idle,
    /// `at_least_once`: waiting for every output to be acknowledged before `commitSync()`.
    Flushing,
    /// Exactly-once: waiting for `commitTransaction()` / `abortTransaction()` (of every task
    /// under `exactly_once`).
    Transaction,
}

/// A processor member's task state and producer.
#[derive(Debug)]
pub(crate) struct Proc {
    guarantee: ProcessingGuarantee,
    commit_interval_ms: u64,
    /// Index of the processor's outputs in the history's producers.
    pseudo: u32,
    /// The producer's spec (topic = output; transactional id per instance under EOS v2).
    pspec: Arc<ProducerSpec>,
    /// `exactly_once`: each task's producer spec (its transactional id), by input partition
    /// number; empty otherwise.
    task_specs: Vec<Arc<ProducerSpec>>,
    /// First global number of each scenario producer's records.
    record_base: Arc<[u32]>,
    /// First partition index of the input topic and the output partition count.
    input_first: u32,
    output_n: u32,
    /// The member's producer ([`MEMBER`]), or under `exactly_once` one per assigned task, by
    /// its input partition's global index.
    producers: BTreeMap<u32, Producer>,
    /// `exactly_once`: task transactions of the current commit still ending.
    ending: usize,
    /// A task of the current commit aborted or was fenced (its input is read again).
    reset: bool,
    /// Producers this member created (the next one's number).
    made: u32,
    /// Producer id for a non-transactional (idempotent) producer of this member.
    pid_base: i64,
    next_commit: u64,
    /// Outputs were sent since the last task commit began.
    dirty: bool,
    commit: Commit,
    after: After,
    /// A send failed since the last commit (at_least_once: the task must re-read).
    send_failed: bool,
}

impl Proc {
    /// The task state of instance K = `k` of a processor: `pspec` is its producer's spec;
    /// `pid_base` and `first` make its producer ids and producer instance numbers unique.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        ps: &ProcessorSpec,
        pseudo: u32,
        pspec: Arc<ProducerSpec>,
        record_base: Arc<[u32]>,
        input_first: u32,
        (pid_base, first): (i64, u32),
        topo: &Arc<crate::broker::Topology>,
        now: u64,
        k: u32,
        out: &mut ConsumerOut,
    ) -> Self {
        let (_, output_n) = topo.topic(&pspec.topic).expect("validated output topic");
        let (guarantee, commit_interval_ms) = (ps.config.processing_guarantee, ps.config.commit_interval_ms);
        let task_specs = if ps.eos_v1() {
            let (_, n_in) = topo.topic(&ps.input).expect("validated input topic");
            let spec = |t| {
                let mut s = (*pspec).clone();
                s.config.transactional_id = Some(ps.task_transactional_id(t));
                Arc::new(s)
            };
            (0..n_in).map(spec).collect()
        } else {
            Vec::new()
        };
        let mut p = Proc {
            guarantee,
            commit_interval_ms,
            pseudo,
            pspec,
            task_specs,
            record_base,
            input_first,
            output_n: output_n.max(1),
            producers: BTreeMap::new(),
            ending: 0,
            reset: false,
            made: first,
            pid_base,
            next_commit: now + commit_interval_ms,
            dirty: false,
            commit: Commit::Idle,
            after: After::Poll,
            send_failed: false,
        };
        if p.task_specs.is_empty() {
            p.add_producer(MEMBER, topo, k, out);
        }
        p
    }

    /// Make a producer under `key`: the member's, or task `key`'s under `exactly_once`.
    fn add_producer(&mut self, key: u32, topo: &Arc<crate::broker::Topology>, k: u32, out: &mut ConsumerOut) {
        let spec = match key {
            MEMBER => self.pspec.clone(),
            p => self.task_specs[(p - self.input_first) as usize].clone(),
        };
        let mut pout = ProducerOut::default();
        let instance = (k << 16) | (self.made & 0xffff);
        // The member's first producer takes the block's first id (as before tasks had their own).
        let pid = match key == MEMBER && self.producers.is_empty() {
            true => self.pid_base,
            false => self.pid_base + i64::from(self.made & 0xffff),
        };
        self.made += 1;
        let producer = driven_producer(self.pseudo, instance, &spec, topo, pid, &mut pout);
        self.producers.insert(key, producer);
        self.merge(instance, pout, out);
    }

    /// The member's producer (`at_least_once`, `exactly_once_v2`).
    fn member(&self) -> Option<&Producer> {
        self.producers.get(&MEMBER)
    }

    /// Which producers a message from a broker is for: the member's producer gets every one
    /// (it shares the member's connections); under `exactly_once` a response goes to the task
    /// producer that sent its request, and a connection event to all of them.
    fn addressees(&self, msg: &Msg) -> Vec<u32> {
        if self.producers.contains_key(&MEMBER) {
            return vec![MEMBER];
        }
        let req = match msg {
            Msg::ProduceResponse { req, .. }
            | Msg::InitProducerIdResponse { req, .. }
            | Msg::AddPartitionsToTxnResponse { req, .. }
            | Msg::AddOffsetsToTxnResponse { req, .. }
            | Msg::TxnOffsetCommitResponse { req, .. }
            | Msg::EndTxnResponse { req, .. }
            | Msg::ApiVersionsResponse { req }
            | Msg::Refused { req: Some(req) } => Some(req.process),
            _ => None,
        };
        let txn = match msg {
            Msg::FindTxnCoordinatorResponse { txn, .. } => Some(*txn),
            _ => None,
        };
        self.producers
            .iter()
            .filter(|(_, p)| req.is_none_or(|r| p.instance == r) && txn.is_none_or(|t| p.txn_index() == Some(t)))
            .map(|(&key, _)| key)
            .collect()
    }

    /// Copy a producer step's output into the member's, noting failed sends; returns the
    /// transaction outcome if one ended, and the brokers whose connection the producer closed.
    fn merge(&mut self, instance: u32, pout: ProducerOut, out: &mut ConsumerOut) -> (TxnOutcome, Vec<u32>) {
        let mut ended = None;
        let mut closed = Vec::new();
        for o in pout.obs {
            match o {
                ProducerObs::History(k) => {
                    match &k {
                        EventKind::TxnEnded { commit, result, .. } => ended = Some((*commit, *result)),
                        EventKind::Failed { .. } => self.send_failed = true,
                        _ => {}
                    }
                    out.observe(ConsumerObs::History(k));
                }
                ProducerObs::CloseConnection { broker } => {
                    closed.push(broker);
                    out.observe(ConsumerObs::CloseConnection { broker });
                }
                ProducerObs::OffsetsSent => out.observe(ConsumerObs::OffsetsSent),
                ProducerObs::AppSent { .. } => {}
            }
        }
        for (to, m) in pout.sends {
            out.send(to, m);
        }
        for (d, t) in pout.timers {
            out.timer(d, ConsumerTimer::Producer(instance, t));
        }
        // A processor's producer's stale timers are not taken back (`pout.cancels` is dropped):
        // each pumps the member when it fires, which a processor counts on (see
        // `Consumer::cancels_stale_timers`).
        (ended, closed)
    }

    /// After producer `key` was fenced: the member's is replaced by a new one (Streams closes
    /// it and creates another); a task's is closed with its task (`exactly_once`: the task is
    /// migrated; a new producer comes with the next assignment of the task).
    fn replace_producer(&mut self, key: u32, topo: &Arc<crate::broker::Topology>, k: u32, out: &mut ConsumerOut) {
        if key == MEMBER {
            self.add_producer(MEMBER, topo, k, out);
        } else {
            self.producers.remove(&key);
        }
    }
}

/// A producer for a processor member, driven by its task rather than by a workload.
fn driven_producer(
    pseudo: u32,
    instance: u32,
    pspec: &Arc<ProducerSpec>,
    topo: &Arc<crate::broker::Topology>,
    pid: i64,
    out: &mut ProducerOut,
) -> Producer {
    let mut p = Producer::start(pseudo, instance, pspec.clone(), topo.clone(), pid, Vec::new(), 0, false, out);
    if let Some(t) = p.txn.as_mut() {
        t.driven = true;
    }
    p
}

impl Consumer {
    /// Run one step of the processor's producer `key` and react to what it reports.
    fn with_producer(
        &mut self,
        now: u64,
        key: u32,
        out: &mut ConsumerOut,
        f: impl FnOnce(&mut Producer, &mut ProducerOut),
    ) {
        let Some(proc) = self.proc.as_mut() else { return };
        let Some(p) = proc.producers.get_mut(&key) else { return };
        let mut pout = ProducerOut::default();
        f(p, &mut pout);
        let instance = p.instance;
        let (ended, closed) = proc.merge(instance, pout, out);
        self.after_producer_step(now, key, ended, closed, out);
        self.proc_progress(now, out);
    }

    /// A message from a broker for the processor's producers.
    pub(super) fn proc_message(&mut self, now: u64, from: NodeId, msg: Msg, out: &mut ConsumerOut) {
        let Some(proc) = self.proc.as_ref() else { return };
        for key in proc.addressees(&msg) {
            let m = msg.clone();
            self.with_producer(now, key, out, |p, o| p.on_message(now, from, m, o));
        }
    }

    /// A timer of producer `instance`: the member's producer takes every one (as before it was
    /// ever replaced); a closed task producer's timers are dropped.
    pub(super) fn proc_timer(&mut self, now: u64, instance: u32, t: ProducerTimer, out: &mut ConsumerOut) {
        let Some(proc) = self.proc.as_ref() else { return };
        let key = match proc.member() {
            Some(_) => Some(MEMBER),
            None => proc.producers.iter().find(|(_, p)| p.instance == instance).map(|(&key, _)| key),
        };
        if let Some(key) = key {
            self.with_producer(now, key, out, |p, o| p.on_timer(now, t, o));
        }
    }

    /// React to a producer step: a connection it closed is the member's too (the consumer's
    /// requests on it fail), and a transaction that ended moves the task on.
    fn after_producer_step(&mut self, now: u64, key: u32, ended: TxnOutcome, closed: Vec<u32>, out: &mut ConsumerOut) {
        for b in closed {
            self.fail_broker(now, b, KafkaError::NetworkException, out);
        }
        if let Some(ended) = ended {
            self.on_task_txn_ended(now, key, ended, out);
        }
    }

    /// Whether the processor may take records from `poll()`: its producers are initialised.
    pub(super) fn proc_ready(&self) -> bool {
        self.proc.as_ref().is_none_or(|p| p.commit == Commit::Idle && p.producers.values().all(Producer::driven_ready))
    }

    /// Whether the member may fetch its committed offsets: under `exactly_once`, once every
    /// assigned task's producer is initialised (its InitProducerId fenced the task's previous
    /// owner and completed its open transaction, so the offsets are final).
    pub(super) fn proc_tasks_ready(&self) -> bool {
        match self.proc.as_ref() {
            Some(p) if !p.task_specs.is_empty() => {
                self.assignment.iter().all(|a| p.producers.get(a).is_some_and(Producer::driven_ready))
            }
            _ => true,
        }
    }

    /// A new assignment (`exactly_once`): tasks no longer assigned are closed with their
    /// producers, newly assigned ones get a producer with the task's transactional id.
    pub(super) fn proc_assigned(&mut self, _now: u64, out: &mut ConsumerOut) {
        let (topo, k) = (self.topo.clone(), self.instance);
        let Some(proc) = self.proc.as_mut().filter(|p| !p.task_specs.is_empty()) else { return };
        let assigned = &self.assignment;
        proc.producers.retain(|key, _| assigned.contains(key));
        for &a in assigned {
            if !proc.producers.contains_key(&a) {
                proc.add_producer(a, &topo, k, out);
            }
        }
    }

    /// Transform input record `d` of the batch: send its output.
    pub(super) fn proc_output(&mut self, now: u64, d: Delivery, out: &mut ConsumerOut) {
        let Some(proc) = self.proc.as_ref() else { return };
        let global = proc.record_base[d.record.producer as usize] + d.record.index;
        let p = (d.partition - proc.input_first) % proc.output_n;
        let key = if proc.task_specs.is_empty() { MEMBER } else { d.partition };
        if let Some(proc) = self.proc.as_mut() {
            proc.dirty = true;
        }
        self.with_producer(now, key, out, |prod, o| prod.driven_send(now, global, p, o));
    }

    /// After a batch or an empty poll: commit the task if `commit.interval.ms` has passed.
    /// True when a commit started (the application waits for it).
    pub(super) fn proc_maybe_commit(&mut self, now: u64, out: &mut ConsumerOut) -> bool {
        let Some(proc) = self.proc.as_ref() else { return false };
        if now < proc.next_commit {
            return false;
        }
        self.start_task_commit(now, false, out)
    }

    /// Commit the task (`close` says what follows). False when there was nothing to do.
    pub(super) fn start_task_commit(&mut self, now: u64, close: bool, out: &mut ConsumerOut) -> bool {
        let offsets = self.consumed();
        let member = self.phase == Phase::Stable && self.generation >= 0;
        let Some(proc) = self.proc.as_mut() else { return false };
        if !proc.producers.values().all(Producer::driven_ready) {
            // initTransactions() has not finished: nothing was processed yet.
            return false;
        }
        proc.next_commit = now + proc.commit_interval_ms;
        proc.after = if close { After::Close } else { After::Poll };
        let dirty = std::mem::take(&mut proc.dirty);
        match proc.guarantee {
            ProcessingGuarantee::AtLeastOnce => {
                if !dirty && proc.member().is_none_or(Producer::driven_flushed) {
                    return false;
                }
                proc.commit = Commit::Flushing;
                self.app = App::ProcCommit;
                self.with_producer(now, MEMBER, out, |p, o| p.driven_flush(now, o));
                true
            }
            ProcessingGuarantee::ExactlyOnce => {
                // Each task with an open transaction commits its own (StreamTask.commit): its
                // partition's offsets with the group id only, no member id or generation.
                let tasks: Vec<u32> =
                    proc.producers.iter().filter(|(_, p)| p.driven_in_txn()).map(|(&t, _)| t).collect();
                if tasks.is_empty() {
                    return false;
                }
                // Streams closes its tasks dirty (aborts) when it knows it lost its membership
                // (onPartitionsLost); a zombie that does not know yet commits, and only the
                // producer epoch fences it.
                let commit = member;
                proc.commit = Commit::Transaction;
                proc.ending = tasks.len();
                proc.reset = false;
                self.app = App::ProcCommit;
                self.hand_group_coordinator(now, out);
                for t in tasks {
                    let offsets = offsets.iter().filter(|&&(p, _)| p == t).copied().collect();
                    let o = TxnOffsets { group: self.group, member_id: MemberId::UNKNOWN, generation: -1, offsets };
                    self.with_producer(now, t, out, |p, po| p.driven_end(now, commit, Some(o), po));
                }
                true
            }
            ProcessingGuarantee::ExactlyOnceV2 => {
                if proc.member().is_none_or(|p| !p.driven_in_txn()) && !dirty {
                    return false;
                }
                // Without a current generation the offsets cannot be fenced: abort instead
                // (Streams closes its tasks dirty when it lost its partitions).
                let commit = member;
                proc.commit = Commit::Transaction;
                self.app = App::ProcCommit;
                let o =
                    TxnOffsets { group: self.group, member_id: self.member_id, generation: self.generation, offsets };
                self.hand_group_coordinator(now, out);
                self.with_producer(now, MEMBER, out, |p, po| p.driven_end(now, commit, Some(o), po));
                true
            }
        }
    }

    /// The transaction of producer `key` ended.
    fn on_task_txn_ended(
        &mut self,
        now: u64,
        key: u32,
        (commit, result): (bool, Result<(), KafkaError>),
        out: &mut ConsumerOut,
    ) {
        let Some(proc) = self.proc.as_mut() else { return };
        let in_commit = proc.commit == Commit::Transaction;
        let mut waiting = in_commit;
        if in_commit && key != MEMBER {
            // exactly_once: the commit is over when every task's transaction ended.
            proc.ending = proc.ending.saturating_sub(1);
            waiting = proc.ending == 0;
        }
        if waiting {
            proc.commit = Commit::Idle;
        }
        let mut reset = false;
        match result {
            Ok(()) if commit => {}
            // Aborted (on purpose, or forced by a failed send or a fenced offset commit): the
            // inputs behind the aborted outputs are read again from the committed offsets.
            Ok(()) => reset = true,
            Err(_) => {
                // Fenced (TaskMigrated): a new producer, and the member rejoins.
                reset = true;
                let (topo, k) = (self.topo.clone(), self.instance);
                proc.replace_producer(key, &topo, k, out);
                self.rejoin_needed = true;
            }
        }
        if reset {
            self.reread_input(key);
        }
        let mut any_reset = reset;
        if let Some(proc) = self.proc.as_mut().filter(|_| in_commit && key != MEMBER) {
            proc.reset |= reset;
            any_reset = proc.reset;
        }
        if waiting {
            self.finish_task_commit(now, any_reset, out);
        }
    }

    /// Re-read from their committed offsets the assigned partitions (a revived task), or only
    /// task `key`'s partition under `exactly_once` (the other tasks' transactions are their
    /// own).
    fn reread_input(&mut self, key: u32) {
        for &p in &self.assignment {
            if key == MEMBER || key == p {
                self.position[p as usize] = None;
                self.resetting[p as usize] = false;
            }
        }
        if key == MEMBER {
            self.buffer.clear();
        } else {
            self.buffer.retain(|(p, _, _)| *p != key);
        }
        self.offsets_req = None;
        if let Some(proc) = self.proc.as_mut() {
            proc.send_failed = false;
            proc.dirty = false;
        }
    }

    /// The task commit is over: poll again, or leave when closing (unless the task must re-read
    /// its input first: the world closes it again once it has drained).
    fn finish_task_commit(&mut self, now: u64, reset: bool, out: &mut ConsumerOut) {
        let after = self.proc.as_ref().map_or(After::Poll, |p| p.after);
        if after == After::Close && !reset {
            self.leave(out);
        } else {
            self.enter_poll(now, out);
        }
    }

    /// Hand the producer the group coordinator its own member's consumer knows, when the
    /// producer waits for one (TxnOffsetCommit goes there).
    fn hand_group_coordinator(&mut self, now: u64, out: &mut ConsumerOut) {
        let Some(c) = self.coordinator else { return };
        let Some(proc) = self.proc.as_ref() else { return };
        let keys: Vec<u32> =
            proc.producers.iter().filter(|(_, p)| p.driven_wants_group_coordinator()).map(|(&key, _)| key).collect();
        for key in keys {
            let Some(proc) = self.proc.as_mut() else { return };
            let Some(p) = proc.producers.get_mut(&key) else { continue };
            let mut pout = ProducerOut::default();
            p.driven_set_group_coordinator(now, c, &mut pout);
            let instance = p.instance;
            let (ended, closed) = proc.merge(instance, pout, out);
            self.after_producer_step(now, key, ended, closed, out);
        }
    }

    /// Move a waiting commit on: a flush that completed, a fenced producer, a group
    /// coordinator the producer waits for.
    pub(super) fn proc_progress(&mut self, now: u64, out: &mut ConsumerOut) {
        // Called after every step of a producer (a processor's each `send()`), and nearly always
        // with nothing to move: then every branch below would pass it by.
        let Some(proc) = self.proc.as_ref() else { return };
        let coordinator = self.coordinator.is_some();
        let due = proc.commit == Commit::Flushing
            || proc.producers.values().any(|p| {
                p.driven_fatal()
                    || p.driven_lost_group_coordinator()
                    || (coordinator && p.driven_wants_group_coordinator())
            });
        if !due {
            return;
        }
        let Some(proc) = self.proc.as_mut() else { return };
        for p in proc.producers.values_mut() {
            if let Some(lost) = p.driven_take_lost_group_coordinator() {
                if self.coordinator == Some(lost) {
                    // TxnOffsetCommit found it is no longer the coordinator: look it up again.
                    self.coordinator = None;
                }
            }
        }
        self.hand_group_coordinator(now, out);
        let Some(proc) = self.proc.as_mut() else { return };
        let fenced = proc.producers.iter().find(|(_, p)| p.driven_fatal()).map(|(&key, _)| key);
        if let (Some(key), Commit::Idle) = (fenced, proc.commit) {
            // Fenced outside a commit: replace the producer (or close the task) and re-read.
            let (topo, k) = (self.topo.clone(), self.instance);
            proc.replace_producer(key, &topo, k, out);
            self.rejoin_needed = true;
            self.reread_input(key);
            return;
        }
        if proc.commit != Commit::Flushing || !proc.member().is_none_or(Producer::driven_flushed) {
            return;
        }
        proc.commit = Commit::Idle;
        if proc.send_failed {
            self.reread_input(MEMBER);
            self.finish_task_commit(now, true, out);
            return;
        }
        let close = proc.after == After::Close;
        let deadline = now + self.spec.config.default_api_timeout_ms;
        if self.start_sync_commit(now, deadline, out) {
            self.app = if close { App::Closing } else { App::Committing { then_process: false } };
        } else {
            self.finish_task_commit(now, false, out);
        }
    }
}
