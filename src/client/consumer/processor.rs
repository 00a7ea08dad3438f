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
//!
//! A failed send under `at_least_once` likewise re-reads from the committed offsets (Streams
//! would replace the stream thread).

use std::sync::Arc;

use super::{App, Consumer, ConsumerObs, ConsumerOut, ConsumerTimer, Phase};
use crate::client::producer::{Producer, ProducerObs, ProducerOut};
use crate::client::transactional::TxnOffsets;
use crate::error::KafkaError;
use crate::record::EventKind;
use crate::scenario::{ProcessingGuarantee, ProducerSpec};

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
    /// `exactly_once_v2`: waiting for `commitTransaction()` / `abortTransaction()`.
    Transaction,
}

/// A processor member's task state and producer.
#[derive(Debug)]
pub(crate) struct Proc {
    guarantee: ProcessingGuarantee,
    commit_interval_ms: u64,
    /// Index of the processor's outputs in the history's producers.
    pseudo: u32,
    /// The producer's spec (topic = output; transactional id per instance under EOS).
    pspec: Arc<ProducerSpec>,
    /// First global number of each scenario producer's records.
    record_base: Arc<[u32]>,
    /// First partition index of the input topic and the output partition count.
    input_first: u32,
    output_n: u32,
    producer: Producer,
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
        guarantee: ProcessingGuarantee,
        commit_interval_ms: u64,
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
        let mut pout = ProducerOut::default();
        let producer = driven_producer(pseudo, (k << 16) | (first & 0xffff), &pspec, topo, pid_base, &mut pout);
        let mut p = Proc {
            guarantee,
            commit_interval_ms,
            pseudo,
            pspec,
            record_base,
            input_first,
            output_n: output_n.max(1),
            producer,
            made: first + 1,
            pid_base,
            next_commit: now + commit_interval_ms,
            dirty: false,
            commit: Commit::Idle,
            after: After::Poll,
            send_failed: false,
        };
        p.merge(pout, out);
        p
    }

    /// Copy a producer step's output into the member's, noting failed sends; returns the
    /// transaction outcome if one ended, and the brokers whose connection the producer closed.
    fn merge(&mut self, pout: ProducerOut, out: &mut ConsumerOut) -> (TxnOutcome, Vec<u32>) {
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
            out.timer(d, ConsumerTimer::Producer(t));
        }
        (ended, closed)
    }

    /// A new producer after the old one was fenced (Streams closes it and creates another).
    fn replace_producer(&mut self, topo: &Arc<crate::broker::Topology>, k: u32, out: &mut ConsumerOut) {
        let mut pout = ProducerOut::default();
        let instance = (k << 16) | (self.made & 0xffff);
        let pid = self.pid_base + i64::from(self.made & 0xffff);
        self.made += 1;
        self.producer = driven_producer(self.pseudo, instance, &self.pspec, topo, pid, &mut pout);
        self.merge(pout, out);
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
    /// Run one step of the processor's producer and react to what it reports.
    pub(super) fn with_producer(
        &mut self,
        now: u64,
        out: &mut ConsumerOut,
        f: impl FnOnce(&mut Producer, &mut ProducerOut),
    ) {
        let Some(proc) = self.proc.as_mut() else { return };
        let mut pout = ProducerOut::default();
        f(&mut proc.producer, &mut pout);
        let (ended, closed) = proc.merge(pout, out);
        self.after_producer_step(now, ended, closed, out);
        self.proc_progress(now, out);
    }

    /// React to a producer step: a connection it closed is the member's too (the consumer's
    /// requests on it fail), and a transaction that ended moves the task on.
    fn after_producer_step(&mut self, now: u64, ended: TxnOutcome, closed: Vec<u32>, out: &mut ConsumerOut) {
        for b in closed {
            self.fail_broker(now, b, KafkaError::NetworkException, out);
        }
        if let Some(ended) = ended {
            self.on_task_txn_ended(now, ended, out);
        }
    }

    /// Whether the processor may take records from `poll()`: its producer is initialised.
    pub(super) fn proc_ready(&self) -> bool {
        self.proc.as_ref().is_none_or(|p| p.producer.driven_ready() && p.commit == Commit::Idle)
    }

    /// Transform input record `i` of the batch: send its output.
    pub(super) fn proc_output(&mut self, now: u64, i: usize, out: &mut ConsumerOut) {
        let Some(proc) = self.proc.as_ref() else { return };
        let d = self.batch[i];
        let global = proc.record_base[d.record.producer as usize] + d.record.index;
        let p = (d.partition - proc.input_first) % proc.output_n;
        if let Some(proc) = self.proc.as_mut() {
            proc.dirty = true;
        }
        self.with_producer(now, out, |prod, o| prod.driven_send(now, global, p, o));
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
        if !proc.producer.driven_ready() {
            // initTransactions() has not finished: nothing was processed yet.
            return false;
        }
        proc.next_commit = now + proc.commit_interval_ms;
        proc.after = if close { After::Close } else { After::Poll };
        let dirty = std::mem::take(&mut proc.dirty);
        match proc.guarantee {
            ProcessingGuarantee::AtLeastOnce => {
                if !dirty && proc.producer.driven_flushed() {
                    return false;
                }
                proc.commit = Commit::Flushing;
                self.app = App::ProcCommit;
                self.with_producer(now, out, |p, o| p.driven_flush(now, o));
                true
            }
            ProcessingGuarantee::ExactlyOnceV2 => {
                if !proc.producer.driven_in_txn() && !dirty {
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
                self.with_producer(now, out, |p, po| p.driven_end(now, commit, Some(o), po));
                true
            }
        }
    }

    /// The task's transaction ended.
    fn on_task_txn_ended(&mut self, now: u64, (commit, result): (bool, Result<(), KafkaError>), out: &mut ConsumerOut) {
        let Some(proc) = self.proc.as_mut() else { return };
        let waiting = proc.commit == Commit::Transaction;
        proc.commit = Commit::Idle;
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
                proc.replace_producer(&topo, k, out);
                self.rejoin_needed = true;
            }
        }
        if reset {
            self.reread_input();
        }
        if waiting {
            self.finish_task_commit(now, reset, out);
        }
    }

    /// Re-read the assigned partitions from their committed offsets (a revived task).
    fn reread_input(&mut self) {
        for &p in &self.assignment {
            self.position[p as usize] = None;
            self.resetting[p as usize] = false;
        }
        self.buffer.clear();
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
        let Some(proc) = self.proc.as_mut().filter(|p| p.producer.driven_wants_group_coordinator()) else { return };
        let mut pout = ProducerOut::default();
        proc.producer.driven_set_group_coordinator(now, c, &mut pout);
        let (ended, closed) = proc.merge(pout, out);
        self.after_producer_step(now, ended, closed, out);
    }

    /// Move a waiting commit on: a flush that completed, a fenced producer, a group
    /// coordinator the producer waits for.
    pub(super) fn proc_progress(&mut self, now: u64, out: &mut ConsumerOut) {
        let Some(proc) = self.proc.as_mut() else { return };
        if let Some(lost) = proc.producer.driven_take_lost_group_coordinator() {
            if self.coordinator == Some(lost) {
                // TxnOffsetCommit found it is no longer the coordinator: look it up again.
                self.coordinator = None;
            }
        }
        self.hand_group_coordinator(now, out);
        let Some(proc) = self.proc.as_mut() else { return };
        if proc.producer.driven_fatal() && proc.commit == Commit::Idle {
            // Fenced outside a commit: replace the producer and re-read.
            let (topo, k) = (self.topo.clone(), self.instance);
            proc.replace_producer(&topo, k, out);
            self.rejoin_needed = true;
            self.reread_input();
            return;
        }
        if proc.commit != Commit::Flushing || !proc.producer.driven_flushed() {
            return;
        }
        proc.commit = Commit::Idle;
        if proc.send_failed {
            self.reread_input();
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
