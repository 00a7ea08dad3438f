//! Incremental cooperative rebalancing (KIP-429, Kafka 2.4+), chosen with
//! `partition.assignment.strategy = "cooperative-sticky"`: the member's side (Java's
//! `ConsumerCoordinator` with the COOPERATIVE protocol) and the leader's assignor (shaped after
//! `CooperativeStickyAssignor` over `AbstractStickyAssignor`'s balanced, sticky assignment).
//!
//! - onJoinPrepare revokes nothing: the member joins with the partitions it owns in its
//!   subscription and goes on fetching and processing them during the rebalance.
//! - The leader keeps each member's owned partitions up to its share (sticky), spreads the rest,
//!   and withholds every partition that moves from one member to another: nobody gets it in this
//!   generation, so no two members ever own it at once.
//! - After SyncGroup the member revokes only the partitions no longer assigned (an application
//!   with `commitSync()` commits first, in its `onPartitionsRevoked`) and, if it revoked any,
//!   rejoins: the second rebalance hands the freed partitions out.

use super::*;
use crate::broker::assign::Holder;
use crate::scenario::{AssignmentStrategy, CommitMode};

impl Consumer {
    /// Whether the member runs the cooperative protocol (`cooperative-sticky`).
    pub(super) fn cooperative(&self) -> bool {
        self.spec.config.assignment_strategy == AssignmentStrategy::CooperativeSticky
    }

    /// Take `parts` as the assignment once `revoked` are given up (the incremental paths:
    /// cooperative-sticky and KIP-848): a revoked partition loses its position and its buffered
    /// records, and the history records the new assignment.
    pub(super) fn take_assignment(&mut self, parts: Vec<u32>, revoked: &[u32], out: &mut ConsumerOut) {
        for &p in revoked {
            self.position[p as usize] = None;
            self.resetting[p as usize] = false;
        }
        self.buffer.retain(|(p, _, _)| !revoked.contains(p));
        self.unpause_revoked(revoked);
        self.record_assignment(parts, out);
    }

    /// Make `parts` the member's assignment and record it (`Assigned`, at its generation): the
    /// eager SyncGroup answer and the incremental paths (`take_assignment`) both end here.
    pub(super) fn record_assignment(&mut self, parts: Vec<u32>, out: &mut ConsumerOut) {
        self.assignment = parts;
        out.observe(ConsumerObs::History(EventKind::Assigned {
            consumer: self.idx,
            instance: self.instance,
            generation: self.generation,
            partitions: self.assignment.clone(),
        }));
    }

    /// Whether the member still owns partitions it may fetch and process while it rejoins: a
    /// cooperative member of a generation with an assignment.
    pub(super) fn keeps_partitions(&self) -> bool {
        self.cooperative() && self.generation >= 0 && !self.assignment.is_empty()
    }

    /// The leader's `CooperativeStickyAssignor`: a balanced assignment (each member gets
    /// `partitions / members` or one more, of the topics it subscribes to) that keeps owned
    /// partitions where the balance allows, minus the partitions that would change owner.
    pub(super) fn cooperative_sticky_assign(
        &self,
        members: &[(MemberId, Arc<Subscription>)],
    ) -> Vec<(MemberId, Vec<u32>)> {
        let mut members: Vec<&(MemberId, Arc<Subscription>)> = members.iter().collect();
        members.sort_by_key(|m| m.0);
        // Who owned what as the members joined: a partition claimed twice goes to the first
        // member by id (with consistent generations the model never sends such claims).
        let mut owner: BTreeMap<u32, MemberId> = BTreeMap::new();
        for (id, s) in &members {
            for &p in s.owned.iter().filter(|&&p| self.topo.topic_of(p).is_some_and(|t| s.topics.contains(&t))) {
                owner.entry(p).or_insert(*id);
            }
        }
        let holders: Vec<Holder<'_, MemberId>> =
            members.iter().map(|(id, s)| Holder { id: *id, topics: &s.topics, held: &s.owned }).collect();
        let mut result = self.topo.balanced_sticky(&holders);
        // CooperativeStickyAssignor's adjustment: a partition whose owner is another member is
        // withheld from its new owner until the owner has revoked it and rejoined.
        for (id, parts) in &mut result {
            parts.retain(|p| owner.get(p).is_none_or(|o| o == id));
            parts.sort_unstable();
        }
        // ConsumerCoordinator.validateCooperativeAssignment: nothing goes straight from one
        // owner to another.
        for (id, parts) in &result {
            for p in parts {
                crate::invariant!(
                    38,
                    owner.get(p).is_none_or(|o| o == id),
                    "cooperative assignment gives partition {} owned by {:?} to {:?}",
                    p,
                    owner.get(p),
                    id
                );
            }
        }
        result
    }

    /// onJoinComplete of a cooperative rebalance, in `poll()`: revoke the owned partitions the
    /// new assignment lacks (an application that commits with `commitSync()` first commits its
    /// positions in `onPartitionsRevoked`), take the new ones, and rejoin if anything was revoked.
    /// `true` while the revocation's commit blocks the application.
    pub(super) fn complete_cooperative(
        &mut self,
        now: u64,
        (parts, committed): (Vec<u32>, bool),
        out: &mut ConsumerOut,
    ) -> bool {
        let revoked: Vec<u32> = self.assignment.iter().copied().filter(|p| !parts.contains(p)).collect();
        let manual =
            matches!(self.spec.commit, CommitMode::BeforeProcessing | CommitMode::AfterProcessing | CommitMode::Async);
        if !revoked.is_empty() && manual && !committed {
            self.pending_sync = Some((parts, true));
            let deadline = now + self.spec.config.default_api_timeout_ms;
            if self.start_sync_commit(now, deadline, out) {
                self.app = App::Committing { then_process: false };
                return true;
            }
            let Some((parts, _)) = self.pending_sync.take() else { return false };
            return self.complete_cooperative(now, (parts, true), out);
        }
        self.take_assignment(parts, &revoked, out);
        if !revoked.is_empty() {
            // Java's requestRejoin("need to revoke partitions and re-join").
            self.rejoin_needed = true;
        }
        false
    }
}
