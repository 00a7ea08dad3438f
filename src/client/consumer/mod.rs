//! The consumer client and the application around it: one member of a consumer group, shaped
//! after Java's `KafkaConsumer` with the classic group protocol, driven by an application loop
//! of poll → process → commit as the scenario's `commit` says.
//!
//! - **Group membership**: FindCoordinator, JoinGroup (with the MEMBER_ID_REQUIRED round trip),
//!   SyncGroup (the leader computes the range assignment, as Java's client does), heartbeats
//!   from a background "thread" that also leaves the group when `max.poll.interval.ms` passes
//!   without a `poll()`. The protocol is eager (every partition is revoked before a rejoin)
//!   unless `partition.assignment.strategy` is `cooperative-sticky` (KIP-429, `cooperative.rs`).
//!   With `group.protocol = "consumer"` (KIP-848, 4.0+) the member heartbeats and reconciles
//!   its assignment on its own instead (`kip848.rs`).
//! - **Positions**: the position moves when `poll()` hands records to the application, before
//!   they are processed; a newly assigned partition starts at the committed offset (OffsetFetch)
//!   or where `auto.offset.reset` says.
//! - **Commits**: `commitSync()` retries retriable errors until `default.api.timeout.ms`;
//!   `commitAsync()` is sent once and never retried; auto-commit sends an asynchronous commit of
//!   the positions reached by earlier polls at the start of a later `poll()`, every
//!   `auto.commit.interval.ms`, and a synchronous one before a rejoin (`onJoinPrepare`).

mod fetch;

mod commit;

mod group;

mod validate;

mod cooperative;
mod diagnose;

mod app_calls;
mod kip848;
mod librdkafka;
// Taking back stale guard timers.
mod retry;
mod stale;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use crate::broker::{FetchPartition, FetchedPartition, JoinResult, Msg, PartitionState, Subscription, Topology};
use crate::error::KafkaError;
use crate::record::{Deliveries, DeliveriesBuilder, Delivery, EventKind, LogBatch, MemberId, RecordId, ReqId};
use crate::scenario::{CommitMode, ConsumerSpec, IsolationLevel, OffsetReset};
use crate::sim::{Node, NodeId, Out};

use super::backoff::{ExponentialBackoff, MetadataBackoff, RECONNECT};

mod processor;
mod user_app;
pub(crate) use processor::Proc;

/// How long a metadata or coordinator lookup may go unanswered before asking another broker.
const LOOKUP_TIMEOUT_MS: u64 = 10_000;
/// `close()` waits at most this long for its commit (Java's default close timeout).
const CLOSE_TIMEOUT_MS: u64 = 30_000;
/// Java sends JoinGroup with a timeout of the rebalance timeout plus this much.
const JOIN_GROUP_TIMEOUT_EXTRA_MS: u64 = 5_000;

/// Consumer timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsumerTimer {
    /// `poll(timeout)` number `poll` returns empty-handed (cancelled once that poll is over, by
    /// a member that does not count on its stale firing: `Consumer::cancels_stale_timers`).
    PollTimeout {
        /// Number of the `poll()` call; stale once another poll began.
        poll: u64,
    },
    /// The application finished processing the current record.
    Process {
        /// Number of the polled batch being processed; stale once another batch began.
        batch: u64,
    },
    /// The heartbeat thread wakes up.
    Heartbeat,
    /// A request got no answer in time (cancelled once it is answered or failed, by a member
    /// that does not count on its stale firing: `Consumer::cancels_stale_timers`).
    RequestTimeout {
        /// The request's id; ignored if it was answered meanwhile.
        req: ReqId,
    },
    /// A backoff ended: try again what waits.
    Retry,
    /// A timer of a processor member's producer (by its instance number).
    Producer(u32, crate::client::ProducerTimer),
    /// A user application's sleep number `sleep` ends.
    AppWake {
        /// Number of the application's sleep call.
        sleep: u64,
    },
    /// librdkafka's auto-commit timer (`auto.commit.interval.ms`) fires.
    AutoCommit,
}

/// What a consumer reports besides messages.
#[derive(Debug, Clone)]
pub enum ConsumerObs {
    /// A history line.
    History(EventKind),
    /// One record's processing finished (for triggers; the history gets whole runs).
    ProcessedOne(RecordId),
    /// Every record of a poll was processed in one step, in order: `ProcessedOne` for each.
    ProcessedAll(Deliveries),
    /// The client closed its connection to `broker` after a request timeout.
    CloseConnection {
        /// Broker id (from 1).
        broker: u32,
    },
    /// A processor's `sendOffsetsToTransaction()` finished (for triggers).
    OffsetsSent,
}

/// Consumer output buffer.
pub type ConsumerOut = Out<Msg, ConsumerTimer, ConsumerObs>;

/// Where the group membership stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Unjoined,
    Joining,
    Syncing,
    Stable,
}

/// What the application thread is doing.
#[derive(Debug, Clone, PartialEq)]
enum App {
    /// Inside `poll()`.
    Polling,
    /// Processing record `next` of the batch.
    Processing { next: usize },
    /// Blocked in `commitSync()`; then process the batch (`before`) or poll again.
    Committing { then_process: bool },
    /// Stopped on an exception.
    Failed,
    /// In `close()`: committing (with auto-commit) before leaving the group.
    Closing,
    /// Closed: left the group.
    Closed,
    /// A processor commits its task (flush and commitSync, or the transaction).
    ProcCommit,
    /// A user application processes this record.
    UserProcessing(Delivery),
    /// A user application is blocked in `commitSync()`.
    UserCommitting,
    /// A user application sleeps (until its sleep number `sleep` ends).
    UserSleeping { sleep: u64 },
    /// A service has no call for this member now (until the world pokes it).
    UserIdle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReqKind {
    Metadata,
    FindCoordinator,
    Join,
    Sync,
    Heartbeat,
    Commit,
    OffsetFetch,
    ListOffsets(u32),
    Fetch,
    Validate(u32),
}

#[derive(Debug, Clone)]
struct SyncCommit {
    offsets: Arc<[(u32, u64)]>,
    deadline: u64,
    req: Option<ReqId>,
    retry_at: u64,
}

/// One consumer group member (a `KafkaConsumer` inside a running application).
#[derive(Debug)]
pub struct Consumer {
    /// Index of the `[[consumer]]` table.
    pub idx: u32,
    /// Instance K of `consumer:NAME/K`.
    pub instance: u32,
    spec: Arc<ConsumerSpec>,
    topo: Arc<Topology>,
    group: u32,
    topics: Arc<[u32]>,
    leaders: Vec<Option<(u32, u32)>>,
    metadata_wanted: bool,
    metadata_rr: u32,
    coordinator: Option<u32>,
    member_id: MemberId,
    generation: i32,
    phase: Phase,
    rejoin_needed: bool,
    join_prepared: bool,
    /// A cooperative SyncGroup's assignment and whether its revocation commit is done, until
    /// `poll()` applies it.
    pending_sync: Option<(Vec<u32>, bool)>,
    assignment: Vec<u32>,
    position: Vec<Option<u64>>,
    resetting: Vec<bool>,
    offsets_req: Option<ReqId>,
    fetches: BTreeMap<u32, ReqId>,
    /// Fetched batches per partition, in offset order; `true` marks one the application never
    /// sees (a transaction marker, or read_committed data of an aborted transaction) that the
    /// position still moves past.
    buffer: VecDeque<(u32, Arc<LogBatch>, bool)>,
    /// The stretches of buffered batches a poll hands out, gathered before they become the
    /// poll's `Deliveries`; kept so its capacity is reused.
    gather: Vec<fetch::Stretch>,
    requests: BTreeMap<ReqId, (u32, ReqKind)>,
    next_req: ReqId,
    app: App,
    poll_no: u64,
    /// The poll whose `PollTimeout` is queued and not cancelled yet.
    poll_timer: Option<u64>,
    batch_no: u64,
    batch: Deliveries,
    processed_run: DeliveriesBuilder,
    /// The whole of `batch` was processed in one step and is not in the history yet: the
    /// `Processed` event shares the poll's list instead of copying it into `processed_run`.
    processed_all: bool,
    last_poll: u64,
    next_auto_commit: u64,
    sync_commit: Option<SyncCommit>,
    async_commits: BTreeMap<ReqId, Arc<[(u32, u64)]>>,
    /// The application's `commitAsync()`s waiting for a coordinator lookup, in order.
    pending_async: Vec<Arc<[(u32, u64)]>>,
    heartbeat_in_flight: bool,
    /// KIP-320 position validation (2.3+).
    validation: validate::Validation,
    /// Per broker: no fetch before this time (after a failed fetch, until metadata catches up).
    fetch_backoff: Vec<u64>,
    /// No lookup, group request or commit retry before this time.
    retry_at: u64,
    /// Failures in a row of the coordinator paths whose backoff grows (the `attempts` of
    /// `AbstractCoordinator.ensureCoordinatorReady`, `ConsumerCoordinator.commitOffsetsSync` and
    /// `fetchCommittedOffsets`, and of the KIP-848 heartbeat's `RequestState`).
    retry_attempts: u32,
    /// When the next metadata request may go (Java's `Metadata.timeToAllowUpdate`).
    metadata_backoff: MetadataBackoff,
    /// Per broker (index = id): no lookup or fetch before this time after a reset or refusal,
    /// and the failures in a row (the reconnect backoff of Java's `ClusterConnectionStates`).
    reconnect: Vec<(u64, u32)>,
    /// A wake-up wanted at this time that does not delay lookups (a fetch backoff's end).
    wake_until: u64,
    retry_armed: Option<u64>,
    /// A processor member's task and producer.
    proc: Option<Box<Proc>>,
    /// KIP-848 reconciliation (`group.protocol = "consumer"`).
    kip848: kip848::Kip848,
    /// A user application's code, which decides the member's calls.
    driver: Option<Box<dyn crate::client::driver::Driver>>,
    /// Sleeps the user application began.
    sleeps: u64,
    /// The user application returned (and closed its consumer).
    app_returned: bool,
    /// librdkafka's offset store (`librdkafka.rs`); a Java member keeps only its committed offsets.
    rdk: librdkafka::OffsetStore,
    /// What a service's code set beyond positions: paused partitions (`app_calls.rs`).
    calls: app_calls::AppCalls,
}

impl Consumer {
    /// A new member at `now`: it looks up metadata and its coordinator and starts polling.
    /// `incarnation` numbers the member's processes, so a late answer to a dead process's
    /// request is never taken for an answer to this one's.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        idx: u32,
        instance: u32,
        incarnation: u32,
        spec: Arc<ConsumerSpec>,
        topo: Arc<Topology>,
        now: u64,
        out: &mut ConsumerOut,
    ) -> Self {
        let mut c = Consumer::new_member(idx, instance, incarnation, spec, topo, now, out);
        c.enter_poll(now, out);
        c
    }

    /// A member up to its application's first call: it has reported its start and armed its
    /// heartbeat.
    fn new_member(
        idx: u32,
        instance: u32,
        incarnation: u32,
        spec: Arc<ConsumerSpec>,
        topo: Arc<Topology>,
        now: u64,
        out: &mut ConsumerOut,
    ) -> Self {
        let group = topo.group(&spec.group).expect("declared group");
        let topics: Arc<[u32]> =
            spec.topics.iter().filter_map(|t| topo.topics.iter().position(|x| &x.0 == t).map(|i| i as u32)).collect();
        let n = topo.partitions.len();
        let c = Consumer {
            idx,
            instance,
            group,
            topics,
            leaders: vec![None; n],
            metadata_wanted: true,
            metadata_rr: (idx + instance) % topo.brokers,
            coordinator: None,
            member_id: MemberId::UNKNOWN,
            generation: -1,
            phase: Phase::Unjoined,
            rejoin_needed: true,
            join_prepared: false,
            pending_sync: None,
            assignment: Vec::new(),
            position: vec![None; n],
            resetting: vec![false; n],
            offsets_req: None,
            fetches: BTreeMap::new(),
            buffer: VecDeque::new(),
            gather: Vec::new(),
            requests: BTreeMap::new(),
            // Ids of this process: a restarted member's never match its predecessor's.
            next_req: ReqId { process: incarnation, n: 0 },
            app: App::Polling,
            poll_no: 0,
            poll_timer: None,
            batch_no: 0,
            batch: Deliveries::default(),
            processed_run: DeliveriesBuilder::default(),
            processed_all: false,
            last_poll: now,
            next_auto_commit: now + spec.config.auto_commit_interval_ms,
            sync_commit: None,
            async_commits: BTreeMap::new(),
            pending_async: Vec::new(),
            heartbeat_in_flight: false,
            validation: validate::Validation::new(n),
            fetch_backoff: vec![0; topo.brokers as usize + 1],
            retry_at: 0,
            retry_attempts: 0,
            metadata_backoff: MetadataBackoff::default(),
            reconnect: vec![(0, 0); topo.brokers as usize + 1],
            wake_until: 0,
            retry_armed: None,
            proc: None,
            kip848: kip848::Kip848::default(),
            driver: None,
            sleeps: 0,
            app_returned: false,
            rdk: librdkafka::OffsetStore::default(),
            calls: app_calls::AppCalls::default(),
            spec,
            topo,
        };
        out.observe(ConsumerObs::History(EventKind::ConsumerStarted { consumer: idx, instance }));
        out.timer(c.heartbeat_interval_ms(), ConsumerTimer::Heartbeat);
        c.rdk_start(out);
        c
    }

    /// A processor member: a consumer that owns the task state and producer `proc`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start_processor(
        idx: u32,
        instance: u32,
        incarnation: u32,
        spec: Arc<ConsumerSpec>,
        topo: Arc<Topology>,
        now: u64,
        proc: impl FnOnce(&mut ConsumerOut) -> Proc,
        out: &mut ConsumerOut,
    ) -> Self {
        let mut c = Consumer::start(idx, instance, incarnation, spec, topo, now, out);
        c.proc = Some(Box::new(proc(out)));
        c
    }

    fn req_id(&mut self) -> ReqId {
        self.next_req = self.next_req.next();
        self.next_req
    }

    fn request(&mut self, broker: u32, kind: ReqKind, timeout: u64, msg: Msg, out: &mut ConsumerOut) -> ReqId {
        let req = msg.consumer_req().unwrap_or_else(|| self.req_id());
        self.requests.insert(req, (broker, kind));
        out.send(NodeId::Broker(broker), msg);
        out.timer(timeout, ConsumerTimer::RequestTimeout { req });
        req
    }

    fn in_flight(&self, kind: ReqKind) -> bool {
        self.requests.values().any(|&(_, k)| k == kind)
    }

    // ---- handlers -------------------------------------------------------------------------

    fn on_expected(&mut self, now: u64, broker: u32, msg: Msg, out: &mut ConsumerOut) {
        match msg {
            Msg::Disconnected => self.fail_broker(now, broker, KafkaError::NetworkException, out),
            Msg::Refused { .. } => self.fail_broker(now, broker, KafkaError::ConnectionRefused, out),
            Msg::MetadataResponse { leaders } => self.on_metadata(now, &leaders, out),
            // Finding the coordinator does not end the growing backoff: in Java's
            // `ensureCoordinatorReady` a found coordinator whose connection fails is marked unknown
            // and the loop backs off again with `attempts` still counting (KAFKA-9047's tight
            // loop of lookup and refusal); a request the coordinator answers ends it.
            Msg::FindCoordinatorResponse { result: Ok(b), .. } => self.coordinator = Some(b),
            Msg::FindCoordinatorResponse { result: Err(e), .. } => {
                self.fail_pending_async(e, out);
                self.retry_later_growing(now, out)
            }
            Msg::JoinGroupResponse { result, .. } => self.on_join_response(now, result, out),
            Msg::ConsumerGroupHeartbeatResponse { result, .. } => self.on_kip848_heartbeat(now, result, out),
            Msg::SyncGroupResponse { result, .. } => self.on_sync_response(now, result, out),
            Msg::GroupHeartbeatResponse { result, .. } => {
                self.heartbeat_in_flight = false;
                match result {
                    Err(e) => self.on_group_error(now, e, out),
                    Ok(_) => self.retry_succeeded(),
                }
            }
            Msg::OffsetCommitResponse { req, result } => self.on_commit_response(now, req, result, out),
            Msg::OffsetFetchResponse { req, result } => self.on_offset_fetch(now, req, result, out),
            Msg::ListOffsetsResponse { partition, result, .. } => {
                self.resetting[partition as usize] = false;
                match result {
                    Ok(hw) if self.assignment.contains(&partition) => self.position[partition as usize] = Some(hw),
                    Ok(_) => {}
                    Err(_) => {
                        self.metadata_wanted = true;
                        self.retry_later(now, self.spec.config.retry_backoff_ms, out);
                    }
                }
            }
            Msg::ConsumerEpochEndResponse { req, partition, result } => {
                self.on_epoch_end(now, req, partition, result, out)
            }
            Msg::ConsumerFetchResponse { partitions, .. } => {
                self.fetches.remove(&broker);
                if partitions.iter().any(|p| matches!(p.result, Err(e) if e != KafkaError::OffsetOutOfRange)) {
                    // Java's fetcher waits for fresh metadata before asking that leader again.
                    self.fetch_backoff[broker as usize] = now + self.spec.config.retry_backoff_ms;
                    self.wake_at(now, now + self.spec.config.retry_backoff_ms, out);
                }
                self.on_fetch_response(now, partitions, out);
            }
            _ => {}
        }
    }

    fn fail(&mut self, _now: u64, error: KafkaError, out: &mut ConsumerOut) {
        self.app = App::Failed;
        out.observe(ConsumerObs::History(EventKind::ConsumerFailed {
            consumer: self.idx,
            instance: self.instance,
            error,
        }));
    }

    // ---- the application loop ---------------------------------------------------------------

    /// The application calls `poll(poll_timeout_ms)`.
    fn enter_poll(&mut self, now: u64, out: &mut ConsumerOut) {
        self.app = App::Polling;
        self.last_poll = now;
        self.poll_no += 1;
        self.cancel_stale_poll_timer(out);
        self.poll_timer = Some(self.poll_no);
        out.timer(self.spec.poll_timeout_ms, ConsumerTimer::PollTimeout { poll: self.poll_no });
        // Auto-commit runs at the start of poll(), before new records are fetched or returned.
        if self.spec.config.enable_auto_commit && now >= self.next_auto_commit && !self.librdkafka() {
            self.next_auto_commit = now + self.spec.config.auto_commit_interval_ms;
            self.commit_async(now, out);
        }
    }

    /// Everything that can move now: lookups, a waiting commit, and the poll in progress.
    fn pump(&mut self, now: u64, out: &mut ConsumerOut) {
        if matches!(self.app, App::Failed | App::Closed) {
            return;
        }
        if self.proc.is_some() {
            self.proc_progress(now, out);
        }
        if self.metadata_wanted && !self.in_flight(ReqKind::Metadata) && now >= self.retry_at {
            let metadata_at = self.metadata_allowed_at();
            if now < metadata_at {
                self.wake_at(now, metadata_at, out);
            } else {
                self.metadata_wanted = false;
                let b = self.lookup_broker(now);
                self.request(b, ReqKind::Metadata, LOOKUP_TIMEOUT_MS, Msg::MetadataRequest, out);
            }
        }
        if self.coordinator.is_none() {
            if !self.in_flight(ReqKind::FindCoordinator) && now >= self.retry_at {
                let b = self.lookup_broker(now);
                let msg = Msg::FindCoordinator { group: self.group };
                self.request(b, ReqKind::FindCoordinator, LOOKUP_TIMEOUT_MS, msg, out);
            }
            if self.sync_commit.as_ref().is_some_and(|c| now >= c.deadline) {
                self.finish_sync_commit(now, Err(KafkaError::ApiTimeout), out);
            }
        }
        self.send_pending_async(out);
        if self.sync_commit.as_ref().is_some_and(|c| c.req.is_none()) {
            self.send_sync_commit(now, out);
        }
        if self.kip848() {
            self.kip848_heartbeat(now, false, out);
        }
        if self.app == App::Polling {
            self.poll_step(now, out);
        }
        if self.app == App::Polling && self.driver.is_some() {
            self.user_rebalanced(now, out);
        }
    }

    fn poll_step(&mut self, now: u64, out: &mut ConsumerOut) {
        // Without a coordinator the group logic waits, but records of the current assignment
        // are still fetched and returned (Java's poll ignores a failed coordinator lookup).
        let coordinator = self.coordinator;
        if self.kip848() {
            if self.kip848_step(now, out) {
                return;
            }
        } else if let Some(parts) = self.pending_sync.take() {
            // onJoinComplete of a cooperative rebalance runs in poll() (KIP-429).
            if self.complete_cooperative(now, parts, out) {
                return;
            }
        }
        if let (Some(coord), true, false) =
            (coordinator, self.rejoin_needed || self.phase == Phase::Unjoined, self.kip848())
        {
            if self.join_step(now, coord, out) {
                return;
            }
        }
        // A cooperative member goes on with the partitions it keeps through a rebalance.
        if self.phase != Phase::Stable && !self.keeps_partitions() {
            return;
        }
        // Positions for newly assigned partitions: the committed offset, else the reset policy.
        let missing: Vec<u32> = self
            .assignment
            .iter()
            .copied()
            .filter(|&p| self.position[p as usize].is_none() && !self.resetting[p as usize])
            .collect();
        if !missing.is_empty() {
            let Some(coord) = coordinator else { return };
            if self.offsets_req.is_none() && now >= self.retry_at && self.proc_tasks_ready() {
                let req = self.req_id();
                let msg = Msg::OffsetFetch { req, group: self.group, partitions: missing };
                self.request(coord, ReqKind::OffsetFetch, self.spec.config.request_timeout_ms, msg, out);
                self.offsets_req = Some(req);
            }
            return;
        }
        for p in self.assignment.clone() {
            if self.resetting[p as usize] && !self.in_flight(ReqKind::ListOffsets(p)) {
                self.send_list_offsets(p, out);
            }
        }
        if self.return_records(now, out) {
            return;
        }
        self.send_fetches(now, out);
    }

    fn revoke(&mut self) {
        for &p in &self.assignment {
            self.position[p as usize] = None;
            self.resetting[p as usize] = false;
        }
        self.assignment.clear();
        self.buffer.clear();
        self.offsets_req = None;
        self.unpause_all();
    }

    fn start_processing(&mut self, now: u64, out: &mut ConsumerOut) {
        self.app = App::Processing { next: 0 };
        if self.spec.processing_ms == 0 {
            // Nothing per record to do but note it (no output to send, no offset to store), and
            // nothing processed yet in this batch: the batch is one observation and one list.
            if self.proc.is_none() && !self.rdk_stores_each() && self.processed_run.is_empty() && !self.batch.is_empty()
            {
                self.processed_all = true;
                out.observe(ConsumerObs::ProcessedAll(self.batch.clone()));
            } else {
                // The list is shared, not copied: its runs are read in order, not looked up.
                let batch = self.batch.clone();
                for d in batch.iter() {
                    self.process_record(now, d, out);
                }
            }
            self.after_process(now, self.batch.len(), out);
        } else if self.batch.is_empty() {
            self.after_process(now, 0, out);
        } else {
            out.timer(self.spec.processing_ms, ConsumerTimer::Process { batch: self.batch_no });
        }
    }

    fn process_one(&mut self, now: u64, i: usize, out: &mut ConsumerOut) {
        if let Some(d) = self.batch.get(i) {
            self.process_record(now, d, out);
        }
    }

    fn process_record(&mut self, now: u64, d: Delivery, out: &mut ConsumerOut) {
        self.proc_output(now, d, out);
        self.processed_run.push(d);
        self.rdk_processed(d);
        out.observe(ConsumerObs::ProcessedOne(d.record));
    }

    fn after_process(&mut self, now: u64, next: usize, out: &mut ConsumerOut) {
        if next < self.batch.len() {
            self.app = App::Processing { next };
            out.timer(self.spec.processing_ms, ConsumerTimer::Process { batch: self.batch_no });
            return;
        }
        self.flush_processed(out);
        if self.proc.is_some() {
            if !self.proc_maybe_commit(now, out) {
                self.enter_poll(now, out);
            }
            return;
        }
        if !self.commit_after_processing(now, out) {
            self.enter_poll(now, out);
        }
    }

    /// Write what was processed since the last flush into the history (at the end of a batch,
    /// and when a fault hits the member or the run ends).
    pub fn flush_processed(&mut self, out: &mut ConsumerOut) {
        let records: Deliveries = if std::mem::take(&mut self.processed_all) {
            self.batch.clone()
        } else if self.processed_run.is_empty() {
            return;
        } else {
            self.processed_run.take()
        };
        out.observe(ConsumerObs::History(EventKind::Processed {
            consumer: self.idx,
            instance: self.instance,
            records,
        }));
    }

    // ---- commits ----------------------------------------------------------------------------

    // ---- the heartbeat thread ---------------------------------------------------------------

    // ---- the world's view -------------------------------------------------------------------

    /// The application shuts down with `close()`: with auto-commit (or, in the async loop, the
    /// application's own `commitSync()` first), a synchronous commit of the positions reached
    /// (including records polled but not processed), then LeaveGroup.
    pub fn close(&mut self, now: u64, out: &mut ConsumerOut) {
        if self.app != App::Polling {
            return;
        }
        if self.proc.is_some() {
            // Streams' close(): commit the task, then leave.
            if !self.start_task_commit(now, true, out) {
                self.leave(out);
            }
            return;
        }
        if self.close_commit_deadline(now).is_some_and(|deadline| self.start_sync_commit(now, deadline, out)) {
            self.app = App::Closing;
            return;
        }
        self.leave(out);
    }
}

impl Node<Msg> for Consumer {
    type Timer = ConsumerTimer;
    type Obs = ConsumerObs;

    /// Handle a message.
    fn on_message(&mut self, now: u64, from: NodeId, msg: Msg, out: &mut ConsumerOut) {
        let NodeId::Broker(broker) = from else { return };
        if self.proc.is_some() {
            // A processor member's producer shares its process and connections.
            match &msg {
                Msg::ProduceResponse { .. }
                | Msg::FindTxnCoordinatorResponse { .. }
                | Msg::InitProducerIdResponse { .. }
                | Msg::AddPartitionsToTxnResponse { .. }
                | Msg::AddOffsetsToTxnResponse { .. }
                | Msg::TxnOffsetCommitResponse { .. }
                | Msg::EndTxnResponse { .. }
                | Msg::ApiVersionsResponse { .. }
                | Msg::Refused { req: Some(_) } => {
                    self.proc_message(now, from, msg, out);
                    self.pump(now, out);
                    self.cancel_stale_poll_timer(out);
                    return;
                }
                Msg::MetadataResponse { .. } | Msg::Disconnected | Msg::Refused { req: None } => {
                    self.proc_message(now, from, msg.clone(), out);
                }
                _ => {}
            }
        }
        match msg {
            Msg::Disconnected | Msg::Refused { .. } => self.connection_failed(now, broker, out),
            _ => self.reconnect[broker as usize].1 = 0,
        }
        // A response counts only while its request is still outstanding.
        let expected = match &msg {
            Msg::MetadataResponse { .. } => self.take_req_of(broker, ReqKind::Metadata, out),
            Msg::FindCoordinatorResponse { .. } => self.take_req_of(broker, ReqKind::FindCoordinator, out),
            m => m.consumer_req().is_none_or(|req| self.forget_req(req, out).is_some()),
        };
        if expected {
            self.on_expected(now, broker, msg, out);
        }
        self.pump(now, out);
        self.cancel_stale_poll_timer(out);
    }

    /// Handle a timer.
    fn on_timer(&mut self, now: u64, t: ConsumerTimer, out: &mut ConsumerOut) {
        match t {
            ConsumerTimer::PollTimeout { poll } => {
                if self.poll_timer == Some(poll) {
                    self.poll_timer = None;
                }
                if poll == self.poll_no && self.app == App::Polling && !self.proc_maybe_commit(now, out) {
                    // poll() returned nothing; the application calls it again.
                    self.enter_poll(now, out);
                }
            }
            ConsumerTimer::Producer(i, t) => self.proc_timer(now, i, t, out),
            ConsumerTimer::Process { batch } => {
                if batch == self.batch_no {
                    if let App::Processing { next } = self.app {
                        self.process_one(now, next, out);
                        self.after_process(now, next + 1, out);
                    }
                }
                if let App::UserProcessing(d) = self.app {
                    self.user_processed(now, d, out);
                }
            }
            ConsumerTimer::AppWake { sleep } => {
                if self.app == (App::UserSleeping { sleep }) {
                    self.user_next(now, crate::client::driver::Answer::Done, out);
                }
            }
            ConsumerTimer::AutoCommit => self.rdk_auto_commit_timer(now, out),
            ConsumerTimer::Heartbeat => {
                self.heartbeat(now, out);
                out.timer(self.heartbeat_interval_ms(), ConsumerTimer::Heartbeat);
            }
            ConsumerTimer::RequestTimeout { req } => {
                if let Some(&(broker, _)) = self.requests.get(&req) {
                    // Java closes the connection of a timed-out request: everything in flight on it fails.
                    out.observe(ConsumerObs::CloseConnection { broker });
                    self.fail_broker(now, broker, KafkaError::NetworkException, out);
                    // A processor's producer shares the member's connections (a simplification).
                    let from = NodeId::Broker(broker);
                    self.proc_message(now, from, Msg::Disconnected, out);
                }
            }
            ConsumerTimer::Retry => {
                if self.retry_armed == Some(now) {
                    self.retry_armed = None;
                }
                let until = self.retry_at.max(self.wake_until);
                if now < until {
                    self.wake_at(now, until, out);
                }
            }
        }
        self.pump(now, out);
        self.cancel_stale_poll_timer(out);
    }
}
