//! A broker: its replicas of partitions, the leader's produce path and high-watermark rule,
//! the follower's fetch loop with truncation by leader epoch, and ISR maintenance.

mod append;
mod expiry;
mod fetch;

mod replication;

pub(super) mod verify;

use std::sync::Arc;

use super::coord::{ConsumerParked, Group, GroupWait, MarkerReq, TxnMeta, TxnWait};
use super::log::{ReplicaLog, SeqCheck};
use super::{
    BrokerObs, FetchRequest, FetchResult, IsrProposal, MetadataImage, Msg, PartitionState, ReplicaFetchPartition,
    Topology,
};
use crate::error::KafkaError;
use crate::record::{MemberId, ReqId};
use crate::scenario::Acks;
use crate::sim::{Node, NodeId, Out};

/// Most batches one fetch response carries.
const MAX_FETCH_BATCHES: usize = 64;
/// How long a follower waits for a fetch response before asking again (replica socket timeout).
const FETCH_REQUEST_TIMEOUT_MS: u64 = 30_000;
/// Kafka checkpoints the high watermark every `replica.high.watermark.checkpoint.interval.ms`.
const HW_CHECKPOINT_INTERVAL_MS: u64 = 5_000;

/// Broker timers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerTimer {
    /// Send a heartbeat to the controller.
    Heartbeat,
    /// Leader: look for followers that fell out of sync.
    IsrCheck,
    /// Write the high-watermark checkpoint.
    HwCheckpoint,
    /// Leader: a parked follower fetch has waited `replica.fetch.wait.max.ms` (cancelled when
    /// it is answered earlier).
    FetchWait {
        /// Id this broker gave the parked fetch.
        id: u64,
    },
    /// Leader: an acks=all produce request reached its timeout (cancelled when the request
    /// leaves the purgatory earlier: completed, or failed on resignation).
    ProduceTimeout {
        /// Partition index (into `Topology::partitions`).
        partition: u32,
        /// Id this broker gave the waiting request in its purgatory (gone if it was answered).
        id: u64,
    },
    /// Follower: the fetcher of `leader` may fetch again after a backoff.
    Refetch {
        /// The leader broker the fetcher fetches from.
        leader: u32,
        /// The fetcher's refetch token when armed; stale once it was armed again.
        id: u64,
    },
    /// Follower: fetch `id` to `leader` outlived its request timeout (cancelled when it is
    /// answered).
    FetchTimeout {
        /// The leader broker the fetcher fetches from.
        leader: u32,
        /// The fetch's id.
        id: u64,
    },
    /// Registration not answered yet: ask again.
    Register,
    /// Coordinator: a group's join phase may be over (`token` names the phase).
    GroupJoin {
        /// Group index (into `Topology::groups`).
        group: u32,
        /// The group's join-phase token when armed; stale once another phase began.
        token: u64,
    },
    /// Coordinator: a member's session may have expired (`deadline` names the arming).
    MemberExpiry {
        /// Group index (into `Topology::groups`).
        group: u32,
        /// Member id (of a joined member, or of one given an id by MEMBER_ID_REQUIRED).
        member: MemberId,
        /// A joined member's expiry deadline (virtual ms) when armed; stale if it moved since.
        deadline: u64,
    },
    /// Leader: a parked consumer fetch has waited `fetch.max.wait.ms` (cancelled when it is
    /// answered earlier).
    ConsumerFetchWait {
        /// Id this broker gave the parked fetch (gone if it was answered already).
        id: u64,
    },
    /// Transaction coordinator: look for timed-out transactions
    /// (`transaction.abort.timed.out.transaction.cleanup.interval.ms`).
    TxnTimeoutScan,
    /// Transaction coordinator: send the outstanding markers of `txn` again (`round` names
    /// the marker round).
    TxnMarkerRetry {
        /// Transactional id index (into `Topology::txn_ids`).
        txn: u32,
        /// The marker round when armed; stale once another round started.
        round: u64,
    },
    /// Transaction coordinator: a WriteTxnMarkers request `req` of `txn` got no answer in time.
    TxnMarkerTimeout {
        /// Transactional id index (into `Topology::txn_ids`).
        txn: u32,
        /// Id this coordinator gave the WriteTxnMarkers request.
        req: ReqId,
    },
    /// A transaction verification `req` (KIP-890) got no answer in time, or (`retry`) met
    /// CONCURRENT_TRANSACTIONS adding its partition under transactions V2 and goes again.
    TxnVerify {
        /// Id this broker gave the verification request.
        req: ReqId,
        /// Ask again rather than give up.
        retry: bool,
    },
    /// Transaction coordinator: write the Complete state of `txn` again after a failed write.
    TxnCompleteRetry {
        /// Transactional id index (into `Topology::txn_ids`).
        txn: u32,
        /// The marker round whose Complete state is to be written again.
        round: u64,
    },
}

/// A coordinator's own write to a partition it leads (acks=all), completed through
/// `Broker::internal_write_done` instead of being answered as a produce response.
#[derive(Debug, Clone)]
pub enum InternalWait {
    /// A group coordinator's write to `__consumer_offsets`.
    Group(GroupWait),
    /// A transaction coordinator's write to `__transaction_state`.
    Txn(TxnWait),
    /// A transaction marker a partition leader appended for a WriteTxnMarkers request
    /// (`id` names the request's aggregation).
    Marker {
        /// Id this leader gave the WriteTxnMarkers request it is answering.
        id: u64,
        /// Partition index the marker was appended to.
        partition: u32,
        /// Producer id whose transaction the marker ends.
        producer_id: i64,
        /// COMMIT (`true`) or ABORT (`false`).
        commit: bool,
    },
}

/// Broker output buffer.
pub type BrokerOut = Out<Msg, BrokerTimer, BrokerObs>;

#[derive(Debug, Clone)]
struct FollowerState {
    broker: u32,
    leo: u64,
    last_caught_up: u64,
    last_fetch_leader_leo: u64,
    last_fetch_time: u64,
    broker_epoch: u64,
    /// The high watermark last sent to this follower (`u64::MAX`: none yet, or it must be
    /// sent again): a fetch response leaves out a partition with no records, no error and
    /// no new high watermark (KIP-227's incremental fetch responses).
    sent_hw: u64,
    /// Caught up with a fully replicated log at the follower's last fetch: until the log or
    /// the ISR changes, each fetch of its session fetches this partition at the same offset,
    /// so its fetch times are the session's (`FetchSession::last_fetch`), written back when
    /// it stops being steady.
    steady: bool,
}

#[derive(Debug, Clone)]
struct PendingProduce {
    id: u64,
    producer: NodeId,
    req: ReqId,
    base: u64,
    required: u64,
    /// A coordinator's own write: completed through the coordinator, not answered as a
    /// produce response.
    internal: Option<InternalWait>,
}

/// A follower fetch parked until one of its partitions has data or
/// `replica.fetch.wait.max.ms` passes (Kafka's `DelayedFetch`).
#[derive(Debug, Clone)]
struct ParkedFetch {
    /// Id this broker gave the parked fetch (its `FetchWait` timer's).
    parked: u64,
    /// The fetching broker.
    replica: u32,
    /// The fetch's id.
    id: u64,
}

/// Leader side of a follower's fetch session (KIP-227): what the follower fetches, so an
/// incremental fetch names only what changed.
#[derive(Debug, Clone)]
struct FetchSession {
    id: u64,
    /// Every partition of the session with the offset and epoch last asked for, ascending.
    partitions: Vec<ReplicaFetchPartition>,
    /// The session's partitions each fetch must look at: every one that is not steady.
    dirty: Vec<u32>,
    /// When the follower last fetched in this session.
    last_fetch: u64,
}

/// A follower's fetcher for one leader broker (Kafka's `ReplicaFetcherThread`): at most one
/// fetch in flight, naming every partition it replicates from that leader.
#[derive(Debug, Clone, Default)]
struct Fetcher {
    /// Id of the fetch in flight (0: none).
    in_flight: u64,
    /// The leader's session id (0: open a new session with the next fetch).
    session: u64,
    /// The partitions, offsets and epochs of the session as of the last fetch sent.
    sent: Vec<ReplicaFetchPartition>,
    /// Partitions that may have changed since the last fetch sent (their log, epoch or
    /// leader), with repeats: the next incremental fetch looks at these only.
    changed: Vec<u32>,
    /// Partitions backing off after an error, to rejoin the session when the backoff ends.
    delayed: Vec<u32>,
    /// Partitions that left the session while there was nothing to fetch: the next fetch
    /// tells the leader.
    forgotten: Vec<u32>,
    /// Token of the armed `Refetch` timer (a newer arming makes older ones stale).
    refetch: u64,
}

#[derive(Debug, Clone)]
struct LeaderState {
    followers: Vec<FollowerState>,
    /// Leader epoch start offset: the LEO when this broker became leader.
    leso: u64,
    /// Proposed ISR of an in-flight AlterPartition.
    pending_isr: Option<Vec<u32>>,
    purgatory: Vec<PendingProduce>,
}

#[derive(Debug, Clone)]
enum Role {
    /// No metadata yet, or the partition is offline.
    None,
    /// Fetching from `leader` through its fetcher, from `delayed_until` on (a backoff after
    /// an error).
    Follower { leader: u32, delayed_until: u64 },
    /// Leading.
    Leader(Box<LeaderState>),
}

/// One broker's replica of one partition.
#[derive(Debug, Clone)]
pub struct Replica {
    /// The log.
    pub log: ReplicaLog,
    /// Local high watermark.
    pub hw: u64,
    hw_checkpoint: u64,
    leader_epoch: u32,
    partition_epoch: u32,
    isr: Vec<u32>,
    role: Role,
}

impl Replica {
    fn new() -> Self {
        Replica {
            log: ReplicaLog::default(),
            hw: 0,
            hw_checkpoint: 0,
            leader_epoch: 0,
            partition_epoch: 0,
            isr: Vec::new(),
            role: Role::None,
        }
    }

    /// Whether this replica believes it leads.
    pub fn is_leader(&self) -> bool {
        matches!(self.role, Role::Leader(_))
    }
}

/// A broker process.
#[derive(Debug)]
pub struct Broker {
    /// Broker id (1-based).
    pub id: u32,
    pub(super) topo: Arc<Topology>,
    /// Epoch of this incarnation's registration (0 before it registers).
    pub broker_epoch: u64,
    /// Whether the socket server takes connections. Kafka's `BrokerServer.startup` enables
    /// request processing (`socketServer.enableRequestProcessing`, which starts the acceptors
    /// and, for a fixed port, only then binds it) after the controller has acknowledged the
    /// broker as caught up and unfenced it (`lifecycleManager.setReadyToUnfence()` completes
    /// once a heartbeat answer says it is no longer fenced). Until then a client's connection is
    /// refused. This model unfences a broker when its registration is accepted, so a restarted
    /// process takes connections from its registration on; it never stops taking them while it
    /// lives (a stale registration that makes it register again does not close the port).
    pub accepts_connections: bool,
    metadata_version: u64,
    /// Replicas by partition index (`None` where not assigned).
    pub replicas: Vec<Option<Replica>>,
    pub(super) cache: Arc<Vec<Arc<PartitionState>>>,
    fenced: Arc<Vec<u32>>,
    timers_armed: bool,
    next_id: u64,
    /// The first of the producer ids the controller gave this broker's transaction coordinator.
    pub(super) producer_ids: i64,
    /// Groups this broker coordinates (loaded when it became leader of their offsets
    /// partition), by group index.
    pub(super) groups: Vec<Option<Group>>,
    /// Consumer fetches waiting for data.
    pub(super) consumer_parked: Vec<ConsumerParked>,
    /// Follower fetches waiting for data (this broker leads some of their partitions).
    replica_parked: Vec<ParkedFetch>,
    /// Leader side: the fetch session of each follower broker, indexed by broker id.
    sessions: Vec<Option<FetchSession>>,
    /// Follower side: one fetcher per leader broker, indexed by broker id.
    fetchers: Vec<Fetcher>,
    /// Buffers for answering follower fetches.
    fetch_bufs: fetch::FetchBufs,
    /// ISR changes proposed and not sent yet: they go in the next AlterPartition request.
    alter_unsent: Vec<IsrProposal>,
    /// The partitions and leader epochs of the AlterPartition request in flight (empty: none).
    alter_in_flight: Vec<(u32, u32)>,
    /// Transactional ids this broker coordinates (loaded when it became leader of their
    /// `__transaction_state` partition), by transactional id index.
    pub(super) txns: Vec<Option<TxnMeta>>,
    /// WriteTxnMarkers requests whose markers are being replicated.
    pub(super) marker_reqs: Vec<MarkerReq>,
    /// Transactional writes waiting for the transaction coordinator's verification (KIP-890).
    pub(super) verifying: Vec<verify::Verifying>,
    /// When the log manager's next producer-id expiry check is due (see [`Broker::expire`]).
    pub(super) next_producer_expiry: u64,
    /// When the transaction coordinator's next look for expired transactional ids is due.
    pub(super) next_txn_id_expiry: u64,
}

impl Broker {
    /// A broker at cluster start: registered with `epoch`, holding empty replicas, with the
    /// initial metadata applied.
    pub fn new(
        id: u32,
        topo: Arc<Topology>,
        (epoch, producer_ids): (u64, i64),
        image: &MetadataImage,
        now: u64,
        out: &mut BrokerOut,
    ) -> Self {
        let replicas = topo.partitions.iter().map(|p| p.replicas.contains(&id).then(Replica::new)).collect();
        let groups = vec![None; topo.groups.len()];
        let txns = vec![None; topo.txn_ids.len()];
        let mut b = Broker {
            id,
            topo,
            broker_epoch: epoch,
            accepts_connections: true,
            metadata_version: 0,
            replicas,
            cache: Arc::default(),
            fenced: Arc::default(),
            timers_armed: false,
            next_id: 0,
            producer_ids,
            groups,
            consumer_parked: Vec::new(),
            replica_parked: Vec::new(),
            sessions: Vec::new(),
            fetchers: Vec::new(),
            fetch_bufs: fetch::FetchBufs::default(),
            alter_unsent: Vec::new(),
            alter_in_flight: Vec::new(),
            txns,
            marker_reqs: Vec::new(),
            verifying: Vec::new(),
            next_producer_expiry: 0,
            next_txn_id_expiry: 0,
        };
        b.next_producer_expiry = now + b.producer_id_expiry().1;
        b.next_txn_id_expiry = now + b.topo.config.transaction_remove_expired_transaction_cleanup_interval_ms;
        b.arm_timers(out);
        b.apply_image(now, image, out);
        b
    }

    /// The same broker after its process died: only the logs (cut back to the flushed offset
    /// on a power loss) and the HW checkpoint survive. It must register again.
    pub fn restarted(old: &Broker, power_loss: bool, now: u64, out: &mut BrokerOut) -> Self {
        let replicas = old
            .replicas
            .iter()
            .map(|r| {
                r.as_ref().map(|r| {
                    let mut log = r.log.clone();
                    log.clear_verifications();
                    if power_loss {
                        let flushed = log.flushed();
                        log.truncate_to(flushed);
                    }
                    let hw = r.hw_checkpoint.min(log.leo());
                    crate::invariant!(
                        1,
                        hw <= log.leo(),
                        "broker:{} restarts with HW {hw} past LEO {}",
                        old.id,
                        log.leo()
                    );
                    Replica { log, hw, hw_checkpoint: hw, leader_epoch: r.leader_epoch, ..Replica::new() }
                })
            })
            .collect();
        out.send(NodeId::Controller, Msg::Register);
        out.timer(old.topo.config.broker_heartbeat_interval_ms, BrokerTimer::Register);
        Broker {
            id: old.id,
            topo: old.topo.clone(),
            broker_epoch: 0,
            accepts_connections: false,
            metadata_version: 0,
            replicas,
            cache: Arc::default(),
            fenced: Arc::default(),
            timers_armed: false,
            next_id: old.next_id,
            producer_ids: old.producer_ids,
            groups: vec![None; old.topo.groups.len()],
            consumer_parked: Vec::new(),
            replica_parked: Vec::new(),
            sessions: Vec::new(),
            fetchers: Vec::new(),
            fetch_bufs: fetch::FetchBufs::default(),
            alter_unsent: Vec::new(),
            alter_in_flight: Vec::new(),
            txns: vec![None; old.topo.txn_ids.len()],
            marker_reqs: Vec::new(),
            verifying: Vec::new(),
            next_producer_expiry: now + old.producer_id_expiry().1,
            next_txn_id_expiry: now + old.topo.config.transaction_remove_expired_transaction_cleanup_interval_ms,
        }
    }

    fn arm_timers(&mut self, out: &mut BrokerOut) {
        if std::mem::replace(&mut self.timers_armed, true) {
            return;
        }
        out.timer(self.topo.config.broker_heartbeat_interval_ms, BrokerTimer::Heartbeat);
        out.timer(self.isr_check_interval(), BrokerTimer::IsrCheck);
        out.timer(HW_CHECKPOINT_INTERVAL_MS, BrokerTimer::HwCheckpoint);
        if self.topo.txn_topic.1 > 0 {
            out.timer(
                self.topo.config.transaction_abort_timed_out_transaction_cleanup_interval_ms.max(1),
                BrokerTimer::TxnTimeoutScan,
            );
        }
    }

    fn isr_check_interval(&self) -> u64 {
        // Kafka's ReplicaManager looks for lagging followers every half lag time.
        (self.topo.config.replica_lag_time_max_ms / 2).max(1)
    }

    pub(super) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Whether partition `p` can take an acks=all write now: this broker leads it and its ISR
    /// has at least `min.insync.replicas` members.
    pub(super) fn writable(&self, p: u32) -> Result<(), KafkaError> {
        let Some(r) = self.replicas[p as usize].as_ref().filter(|r| r.is_leader()) else {
            return Err(KafkaError::NotLeaderOrFollower);
        };
        if r.isr.len() < self.topo.partitions[p as usize].min_isr {
            return Err(KafkaError::NotEnoughReplicas);
        }
        Ok(())
    }

    /// The leader epoch of `p` if this broker leads it.
    pub(super) fn leader_epoch_of(&self, p: u32) -> Option<u32> {
        self.replicas[p as usize].as_ref().filter(|r| r.is_leader()).map(|r| r.leader_epoch)
    }

    /// The leader replica of `p`, if this broker leads it: (log, high watermark, leader epoch).
    pub(super) fn leader_view(&self, p: u32) -> Option<(&ReplicaLog, u64, u32)> {
        self.replicas[p as usize].as_ref().filter(|r| r.is_leader()).map(|r| (&r.log, r.hw, r.leader_epoch))
    }

    /// Which partitions this broker believes it leads (for the final report).
    pub fn leads(&self, p: u32) -> bool {
        self.replicas[p as usize].as_ref().is_some_and(|r| r.is_leader())
    }

    /// This broker's replica of `p` as the world may see it, if it hosts one: (log end offset,
    /// high watermark).
    pub(crate) fn replica_offsets(&self, p: u32) -> Option<(u64, u64)> {
        self.replicas[p as usize].as_ref().map(|r| (r.log.leo(), r.hw))
    }

    /// This broker's leader epoch for partition `p` and whether it believes it leads, if it
    /// hosts a replica (for the world's cross-node invariants).
    pub(crate) fn replica_epoch(&self, p: u32) -> Option<(u32, bool)> {
        self.replicas[p as usize].as_ref().map(|r| (r.leader_epoch, r.is_leader()))
    }

    /// The maximal ISR of `p` (the committed ISR and any member proposed by an AlterPartition
    /// in flight), if this broker leads it (for the world's cross-node invariants).
    pub(crate) fn maximal_isr(&self, p: u32) -> Option<&[u32]> {
        let r = self.replicas[p as usize].as_ref()?;
        let Role::Leader(ls) = &r.role else { return None };
        Some(ls.pending_isr.as_deref().unwrap_or(&r.isr))
    }

    /// The records of replica `p` between offsets `from` and `to` (none if it hosts no replica):
    /// (batch, offset, record index).
    pub(crate) fn records_between(
        &self,
        p: u32,
        from: u64,
        to: u64,
    ) -> impl Iterator<Item = (&crate::record::LogBatch, u64, u32)> + '_ {
        self.replicas[p as usize].iter().flat_map(move |r| r.log.records_between(from, to))
    }

    /// The batches of replica `p` (its final log, for the checker), if it hosts one.
    pub(crate) fn replica_log(&self, p: u32) -> Option<&[Arc<crate::record::LogBatch>]> {
        self.replicas[p as usize].as_ref().map(|r| r.log.batches())
    }
}

impl Node<Msg> for Broker {
    type Timer = BrokerTimer;
    type Obs = BrokerObs;

    /// Handle a message, then send the ISR changes it proposed.
    fn on_message(&mut self, now: u64, from: NodeId, msg: Msg, out: &mut BrokerOut) {
        self.handle_message(now, from, msg, out);
        self.send_alter_partitions(out);
    }

    /// Handle a timer, then send the ISR changes it proposed.
    fn on_timer(&mut self, now: u64, t: BrokerTimer, out: &mut BrokerOut) {
        self.handle_timer(now, t, out);
        self.send_alter_partitions(out);
    }
}

impl Broker {
    /// Handle a message.
    fn handle_message(&mut self, now: u64, from: NodeId, msg: Msg, out: &mut BrokerOut) {
        self.expire(now, out);
        match msg {
            Msg::Registered { broker_epoch, image } => {
                crate::invariant!(
                    12,
                    broker_epoch > self.broker_epoch,
                    "broker:{} registered with epoch {broker_epoch} after {}",
                    self.id,
                    self.broker_epoch
                );
                self.broker_epoch = broker_epoch;
                self.accepts_connections = true;
                self.arm_timers(out);
                self.apply_image(now, &image, out);
            }
            // A broker acts on metadata only once registered: a restarted process that has not
            // registered yet must not take over its old incarnation's role.
            Msg::MetadataUpdate(image) if self.broker_epoch != 0 => self.apply_image(now, &image, out),
            Msg::HeartbeatResponse { image, stale } if self.broker_epoch != 0 => {
                if stale {
                    // The controller knows a newer registration: register again.
                    self.broker_epoch = 0;
                    out.send(NodeId::Controller, Msg::Register);
                    out.timer(self.topo.config.broker_heartbeat_interval_ms, BrokerTimer::Register);
                } else if let Some(image) = image {
                    self.apply_image(now, &image, out);
                }
            }
            Msg::ApiVersions { req } => out.send(from, Msg::ApiVersionsResponse { req }),
            Msg::MetadataRequest => {
                // Answer from this broker's (possibly stale) metadata cache.
                let leaders = self.cache.iter().map(|st| PartitionState::clone(st)).collect();
                out.send(from, Msg::MetadataResponse { leaders: Arc::new(leaders) });
            }
            Msg::Produce { req, partition, acks, timeout_ms, batch, txn } => {
                self.on_produce(now, from, req, (partition, acks, timeout_ms), &batch, (txn, None), out)
            }
            Msg::Fetch(f) => self.on_fetch(now, *f, out),
            Msg::FindCoordinator { group } => {
                let p = self.topo.group_partition(group) as usize;
                let result = self.cache.get(p).and_then(|st| st.leader).ok_or(KafkaError::CoordinatorNotAvailable);
                out.send(from, Msg::FindCoordinatorResponse { group, result });
            }
            Msg::JoinGroup {
                req,
                group,
                member_id,
                session_timeout_ms,
                rebalance_timeout_ms,
                subscription,
                instance_id,
            } => self.on_join_group(
                now,
                from,
                req,
                group,
                (member_id, instance_id.map(|s| Arc::from(s.as_str()))),
                (session_timeout_ms, rebalance_timeout_ms),
                subscription,
                out,
            ),
            Msg::SyncGroup { req, group, member_id, generation, assignments } => {
                self.on_sync_group(now, from, req, group, member_id, generation, assignments, out)
            }
            Msg::GroupHeartbeat { req, group, member_id, generation } => {
                let result = self.on_group_heartbeat(now, group, member_id, generation, out);
                out.send(from, Msg::GroupHeartbeatResponse { req, result });
            }
            Msg::LeaveGroup { group, member_id } => self.on_leave_group(now, group, member_id, out),
            Msg::ConsumerGroupHeartbeat { req, group, member_id, member_epoch, rebalance_timeout_ms, subscription } => {
                let beat = super::group::Beat { member_epoch, rebalance_timeout_ms, subscription };
                self.on_consumer_group_heartbeat(now, (from, req), group, member_id, beat, out)
            }
            Msg::OffsetCommit { req, group, member_id, generation, offsets } => {
                self.on_offset_commit(now, from, req, group, member_id, generation, offsets, out)
            }
            Msg::OffsetFetch { req, group, partitions } => {
                let result = self.on_offset_fetch(group, &partitions);
                out.send(from, Msg::OffsetFetchResponse { req, result });
            }
            Msg::ListOffsets { req, partition } => {
                let result = match self.replicas[partition as usize].as_ref().filter(|r| r.is_leader()) {
                    Some(r) => Ok(r.hw),
                    None => Err(KafkaError::NotLeaderOrFollower),
                };
                out.send(from, Msg::ListOffsetsResponse { req, partition, result });
            }
            Msg::ConsumerEpochEnd { req, partition, current_leader_epoch, leader_epoch } => {
                let result = self.consumer_epoch_end(partition, current_leader_epoch, leader_epoch);
                out.send(from, Msg::ConsumerEpochEndResponse { req, partition, result });
            }
            Msg::ConsumerFetch { req, partitions, max_wait_ms, read_committed } => {
                self.on_consumer_fetch(from, req, (partitions, read_committed), max_wait_ms, out)
            }
            Msg::FetchResponse { id, session, error, partitions } => {
                self.on_fetch_response(now, from, (id, session, error), partitions, out)
            }
            Msg::AlterPartitionResponse { results } => self.on_alter_partition_response(now, results, out),
            Msg::FindTxnCoordinator { txn } => {
                let p = self.topo.txn_partition(txn) as usize;
                let result = self.cache.get(p).and_then(|st| st.leader).ok_or(KafkaError::CoordinatorNotAvailable);
                out.send(from, Msg::FindTxnCoordinatorResponse { txn, result });
            }
            Msg::InitProducerId { req, txn: Some(txn), timeout_ms, producer_id, producer_epoch } => {
                self.on_init_producer_id(now, from, req, txn, timeout_ms, (producer_id, producer_epoch), out)
            }
            Msg::InitProducerId { req, txn: None, .. } => {
                // An idempotent producer's request: any broker hands out a fresh producer id at
                // epoch 0 (`TransactionCoordinator.handleInitProducerId` without a transactional id).
                let producer_id = self.producer_ids + self.next_id() as i64;
                out.send(from, Msg::InitProducerIdResponse { req, result: Ok((producer_id, 0)) });
            }
            Msg::AddPartitionsToTxn { req, txn, producer_id, producer_epoch, partitions } => {
                let kind = super::coord::Reply::AddPartitions;
                self.on_add_to_txn(now, from, req, txn, (producer_id, producer_epoch), partitions, kind, out)
            }
            Msg::AddOffsetsToTxn { req, txn, producer_id, producer_epoch, group } => {
                let partitions = vec![self.topo.group_partition(group)];
                let kind = super::coord::Reply::AddOffsets;
                self.on_add_to_txn(now, from, req, txn, (producer_id, producer_epoch), partitions, kind, out)
            }
            Msg::EndTxn { req, txn, producer_id, producer_epoch, commit } => {
                self.on_end_txn(now, from, req, txn, (producer_id, producer_epoch), commit, out)
            }
            Msg::WriteTxnMarkers { req, producer_id, producer_epoch, commit, coordinator_epoch, partitions } => self
                .on_write_txn_markers(
                    now,
                    from,
                    req,
                    (producer_id, producer_epoch),
                    commit,
                    coordinator_epoch,
                    partitions,
                    out,
                ),
            Msg::WriteTxnMarkersResponse { req, results } => {
                self.on_write_txn_markers_response(now, from, req, results, out)
            }
            Msg::TxnOffsetCommit { req, txn, group, producer_id, producer_epoch, member_id, generation, offsets } => {
                self.on_txn_offset_commit(
                    now,
                    from,
                    req,
                    (group, txn),
                    (producer_id, producer_epoch),
                    (member_id, generation),
                    offsets,
                    None,
                    out,
                )
            }
            Msg::TxnVerify { req, txn, producer_id, producer_epoch, partition, verify_only } => {
                self.on_txn_verify(now, from, req, txn, (producer_id, producer_epoch), partition, verify_only, out)
            }
            Msg::TxnVerifyResponse { req, result } => self.on_txn_verify_response(now, req, result, out),
            Msg::Disconnected | Msg::Refused { .. } => {
                // A leader we fetch from died: back off, then fetch again (from whoever leads by then).
                let NodeId::Broker(dead) = from else { return };
                self.on_txn_peer_down(dead, out);
                self.on_verify_peer_down(now, dead, out);
                self.on_fetch_peer_down(now, dead, out);
            }
            _ => {}
        }
    }

    /// Handle a timer.
    fn handle_timer(&mut self, now: u64, t: BrokerTimer, out: &mut BrokerOut) {
        self.expire(now, out);
        match t {
            BrokerTimer::Heartbeat => {
                if self.broker_epoch != 0 {
                    out.send(
                        NodeId::Controller,
                        Msg::Heartbeat { broker_epoch: self.broker_epoch, metadata_version: self.metadata_version },
                    );
                }
                out.timer(self.topo.config.broker_heartbeat_interval_ms, BrokerTimer::Heartbeat);
            }
            BrokerTimer::IsrCheck => {
                for p in 0..self.replicas.len() as u32 {
                    self.maybe_shrink_isr(now, p);
                }
                out.timer(self.isr_check_interval(), BrokerTimer::IsrCheck);
            }
            BrokerTimer::HwCheckpoint => {
                for r in self.replicas.iter_mut().flatten() {
                    r.hw_checkpoint = r.hw;
                }
                out.timer(HW_CHECKPOINT_INTERVAL_MS, BrokerTimer::HwCheckpoint);
            }
            BrokerTimer::FetchWait { id } => self.on_fetch_wait(id, out),
            BrokerTimer::ProduceTimeout { partition, id } => {
                let Some(r) = self.replicas[partition as usize].as_mut() else { return };
                let Role::Leader(ls) = &mut r.role else { return };
                if let Some(i) = ls.purgatory.iter().position(|p| p.id == id) {
                    let p = ls.purgatory.swap_remove(i);
                    let leader_epoch = r.leader_epoch;
                    if let Some(w) = p.internal {
                        self.internal_write_done(now, w, Err(KafkaError::RequestTimedOut), out);
                        return;
                    }
                    out.send(
                        p.producer,
                        Msg::ProduceResponse {
                            req: p.req,
                            partition,
                            result: Err(KafkaError::RequestTimedOut),
                            leader_epoch,
                        },
                    );
                }
            }
            BrokerTimer::Register => {
                if self.broker_epoch == 0 {
                    out.send(NodeId::Controller, Msg::Register);
                    out.timer(self.topo.config.broker_heartbeat_interval_ms, BrokerTimer::Register);
                }
            }
            BrokerTimer::GroupJoin { group, token } => self.on_group_join_timer(now, group, token, out),
            BrokerTimer::MemberExpiry { group, member, deadline } => {
                self.on_member_expiry(now, group, member, deadline, out)
            }
            BrokerTimer::ConsumerFetchWait { id } => self.on_consumer_fetch_wait(id, out),
            BrokerTimer::TxnTimeoutScan => {
                self.abort_timed_out_txns(now, out);
                out.timer(
                    self.topo.config.transaction_abort_timed_out_transaction_cleanup_interval_ms.max(1),
                    BrokerTimer::TxnTimeoutScan,
                );
            }
            BrokerTimer::TxnMarkerRetry { txn, round } => self.on_txn_marker_retry(now, txn, round, out),
            BrokerTimer::TxnMarkerTimeout { txn, req } => self.on_txn_marker_timeout(now, txn, req, out),
            BrokerTimer::TxnCompleteRetry { txn, round } => self.on_txn_complete_retry(now, txn, round, out),
            BrokerTimer::TxnVerify { req, retry: false } => self.on_txn_verify_timeout(now, req, out),
            BrokerTimer::TxnVerify { req, retry: true } => self.on_txn_verify_retry(req, out),
            BrokerTimer::Refetch { leader, id } => {
                if self.fetchers.get(leader as usize).is_some_and(|f| f.refetch == id) {
                    self.send_fetch(now, leader, out);
                }
            }
            BrokerTimer::FetchTimeout { leader, id } => self.on_fetch_timeout(now, leader, id, out),
        }
    }
}
