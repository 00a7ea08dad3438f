//! The member's side of the KIP-848 consumer group protocol (`group.protocol = "consumer"`,
//! Kafka 4.0+), shaped after the new consumer's `ConsumerMembershipManager`,
//! `AbstractMembershipManager` and `ConsumerHeartbeatRequestManager`:
//!
//! - The member joins with a heartbeat at epoch 0 and then heartbeats every
//!   `group.consumer.heartbeat.interval.ms` (the coordinator's interval) with its epoch, its
//!   subscription and the partitions it owns. The member id stays across a rejoin after fencing.
//! - An answer's assignment is reconciled at the next `poll()`: partitions no longer assigned
//!   are revoked, after a commit of the positions (auto-commit's
//!   `maybeAutoCommitSyncBeforeRevocation`, which retries STALE_MEMBER_EPOCH; or the application's
//!   `commitSync()` in `onPartitionsRevoked`), new ones are taken (committed offset or reset), and
//!   a heartbeat acknowledges the new ownership at once. Other members are not involved.
//! - FENCED_MEMBER_EPOCH or UNKNOWN_MEMBER_ID: the member loses its partitions without a commit
//!   (`onPartitionsLost`) and rejoins with epoch 0. Commits carry the member epoch; a stale one
//!   fails `commitSync()` with a CommitFailedException and is not retried.
//! - `max.poll.interval.ms` without a `poll()`: the member leaves (epoch -1), loses its
//!   partitions and rejoins at its next `poll()`; `close()` leaves with epoch -1.

use super::*;
use crate::scenario::GroupProtocol;

/// The epoch of a heartbeat that leaves the group (`LEAVE_GROUP_MEMBER_EPOCH`).
const LEAVE_GROUP_MEMBER_EPOCH: i32 = -1;

/// A KIP-848 member's reconciliation state, besides the fields it shares with the classic one
/// (member id; `generation` holds the member epoch).
#[derive(Debug, Default)]
pub(super) struct Kip848 {
    /// The assignment the coordinator's last answer gave, until `poll()` applies it.
    target: Option<Arc<[u32]>>,
    /// Whether the commit before revoking for `target` was made (or tried).
    committed: bool,
    /// Whether that commit is auto-commit's, which retries STALE_MEMBER_EPOCH.
    auto_revoking: bool,
    /// A heartbeat is due now (an acknowledgement), not at the next interval.
    urgent: bool,
}

impl Kip848 {
    /// Whether an assignment waits to be applied by `poll()`.
    pub(super) fn reconciling(&self) -> bool {
        self.target.is_some()
    }
}

impl Consumer {
    /// Whether the member runs the KIP-848 protocol.
    pub(super) fn kip848(&self) -> bool {
        self.spec.config.group_protocol == GroupProtocol::Consumer
    }

    /// The heartbeat thread's period: the client's `heartbeat.interval.ms`, or under KIP-848
    /// the interval the coordinator hands out (`group.consumer.heartbeat.interval.ms`).
    pub(super) fn heartbeat_interval_ms(&self) -> u64 {
        if self.kip848() {
            self.topo.config.group_consumer_heartbeat_interval_ms
        } else {
            self.spec.config.heartbeat_interval_ms
        }
    }

    /// `poll()`'s group step under KIP-848: join if out of the group, apply a new assignment
    /// (commit, revoke, take), acknowledge it. `true` when `poll()` returns no records now: the
    /// revocation commit blocks it, or the member has not joined yet.
    pub(super) fn kip848_step(&mut self, now: u64, out: &mut ConsumerOut) -> bool {
        if self.generation < 0 {
            // onConsumerPoll: a member out of the group (new, fenced, or left after
            // max.poll.interval.ms) joins again, with the member id it had.
            self.generation = 0;
            self.phase = Phase::Joining;
        }
        if let Some(target) = self.kip848.target.clone() {
            let revoked: Vec<u32> = self.assignment.iter().copied().filter(|p| !target.contains(p)).collect();
            if !revoked.is_empty() && !self.kip848.committed {
                self.kip848.committed = true;
                let auto = self.spec.config.enable_auto_commit;
                self.kip848.auto_revoking = auto;
                let wait =
                    if auto { self.spec.config.max_poll_interval_ms } else { self.spec.config.default_api_timeout_ms };
                if self.start_sync_commit(now, now + wait, out) {
                    self.app = App::Committing { then_process: false };
                    return true;
                }
            }
            self.kip848.auto_revoking = false;
            self.take_assignment(target.to_vec(), &revoked, out);
            self.kip848 = Kip848 { urgent: true, ..Kip848::default() };
        }
        self.kip848_heartbeat(now, false, out);
        self.phase != Phase::Stable
    }

    /// Sends a ConsumerGroupHeartbeat if one is due: `interval` when the heartbeat thread wakes,
    /// else only to join or acknowledge. The thread also leaves the group when the application
    /// has not polled within `max.poll.interval.ms`.
    pub(super) fn kip848_heartbeat(&mut self, now: u64, interval: bool, out: &mut ConsumerOut) {
        if matches!(self.app, App::Failed | App::Closed) || self.generation < 0 || self.heartbeat_in_flight {
            return;
        }
        let Some(c) = self.coordinator else { return };
        if self.generation > 0 && now.saturating_sub(self.last_poll) > self.spec.config.max_poll_interval_ms {
            // The poll timer expired: leave, lose the partitions, rejoin at the next poll().
            self.kip848_leave(out);
            self.kip848_lost();
            return;
        }
        if !(interval || self.kip848.urgent || self.generation == 0) {
            return;
        }
        self.kip848.urgent = false;
        self.heartbeat_in_flight = true;
        let req = self.req_id();
        let subscription = Arc::new(Subscription { topics: self.topics.clone(), owned: self.assignment.clone() });
        let msg = Msg::ConsumerGroupHeartbeat {
            req,
            group: self.group,
            member_id: self.member_id,
            member_epoch: self.generation,
            rebalance_timeout_ms: self.spec.config.max_poll_interval_ms,
            subscription,
        };
        self.request(c, ReqKind::Heartbeat, self.spec.config.request_timeout_ms, msg, out);
    }

    /// The coordinator's answer to a heartbeat.
    pub(super) fn on_kip848_heartbeat(
        &mut self,
        now: u64,
        result: Result<Box<crate::broker::ConsumerHeartbeatResult>, KafkaError>,
        out: &mut ConsumerOut,
    ) {
        self.heartbeat_in_flight = false;
        match result {
            Ok(r) => {
                self.retry_succeeded();
                if r.member_epoch < 0 || self.generation < 0 {
                    // A leave's answer, or an answer to a heartbeat sent before the member left.
                    return;
                }
                self.member_id = r.member_id;
                self.generation = r.member_epoch;
                self.phase = Phase::Stable;
                self.rejoin_needed = false;
                if let Some(a) = r.assignment {
                    let same = a.len() == self.assignment.len() && a.iter().all(|p| self.assignment.contains(p));
                    if same {
                        self.kip848.target = None;
                    } else if self.kip848.target.as_ref() != Some(&a) {
                        self.kip848.target = Some(a);
                        self.kip848.committed = false;
                    }
                }
            }
            Err(KafkaError::FencedMemberEpoch | KafkaError::UnknownMemberId) => {
                // transitionToFenced: onPartitionsLost, then rejoin with epoch 0.
                self.kip848_lost();
            }
            Err(KafkaError::NotCoordinator | KafkaError::CoordinatorNotAvailable) => {
                self.coordinator = None;
                self.kip848.urgent = true;
                // The heartbeat's `RequestState` backs off exponentially (KIP-580).
                self.retry_later_growing(now, out);
            }
            Err(_) => {
                self.kip848.urgent = true;
                self.retry_later_growing(now, out);
            }
        }
    }

    /// Whether a failed commit is retried as a retriable one: STALE_MEMBER_EPOCH in auto-commit's
    /// commit before a revocation (`autoCommitSyncBeforeRevocationWithRetries`), with the epoch
    /// the member holds when it retries.
    pub(super) fn kip848_retries_commit(&self, e: KafkaError) -> bool {
        self.kip848() && e == KafkaError::StaleMemberEpoch && self.kip848.auto_revoking && self.generation > 0
    }

    /// The member is out of the group (fenced, or left on its poll timer): its partitions are
    /// lost, with no commit, and it joins again with epoch 0 at the next `poll()`.
    fn kip848_lost(&mut self) {
        self.revoke();
        self.generation = -1;
        self.phase = Phase::Unjoined;
        self.kip848 = Kip848::default();
    }

    /// Leaves the group: a heartbeat with epoch -1 (`close()`, or the poll timer).
    pub(super) fn kip848_leave(&mut self, out: &mut ConsumerOut) {
        if let (Some(c), true) = (self.coordinator, self.member_id.is_known() && self.generation >= 0) {
            let req = self.req_id();
            let msg = Msg::ConsumerGroupHeartbeat {
                req,
                group: self.group,
                member_id: self.member_id,
                member_epoch: LEAVE_GROUP_MEMBER_EPOCH,
                rebalance_timeout_ms: self.spec.config.max_poll_interval_ms,
                subscription: Arc::new(Subscription { topics: self.topics.clone(), owned: Vec::new() }),
            };
            out.send(NodeId::Broker(c), msg);
        }
    }
}
