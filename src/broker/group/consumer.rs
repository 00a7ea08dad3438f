//! The KIP-848 consumer group protocol at the coordinator (`group.protocol = "consumer"`, Kafka
//! 4.0+), shaped after `GroupMetadataManager.consumerGroupHeartbeat`, `ConsumerGroup` and
//! `CurrentAssignmentBuilder`:
//!
//! - ConsumerGroupHeartbeat joins (member epoch 0), heartbeats and acknowledges (the current
//!   epoch, with the partitions the member owns) and leaves (-1). A new member, a leave, a
//!   changed subscription and a fenced member bump the group epoch.
//! - When the group epoch is ahead of the target assignment's, the coordinator computes a new
//!   target with its uniform assignor (the first of 4.0's `group.consumer.assignors`), sticky to
//!   the previous target.
//! - Each heartbeat moves its member one step towards its target: it first gives up what it
//!   must revoke (UNREVOKED_PARTITIONS, at its old epoch), then takes the target epoch and the
//!   partitions nobody else owns; a partition still owned by another member is withheld
//!   (UNRELEASED_PARTITIONS) until that member reported it revoked. Nobody else waits: there is
//!   no group-wide rebalance barrier.
//! - A member silent for `group.consumer.session.timeout.ms` is fenced: removed, its partitions
//!   free for the others' next heartbeats.
//!
//! Every change is written to the group's `__consumer_offsets` partition as one
//! [`ConsumerGroupRecord`] and the heartbeat answered once it is replicated, so the group fails
//! over with the partition.

use crate::broker::assign::Holder;
use std::collections::BTreeMap;

use super::*;
use crate::broker::coord::{ConsumerGroupState, ConsumerMember};
use crate::broker::{ConsumerHeartbeatResult, Topology};
use crate::record::{ConsumerGroupRecord, ConsumerMemberRecord, ConsumerMemberState};

/// What a heartbeat carries besides the member's id.
pub(in crate::broker) struct Beat {
    /// The member epoch it holds (0: join, -1: leave).
    pub(in crate::broker) member_epoch: i32,
    /// Its `max.poll.interval.ms`.
    pub(in crate::broker) rebalance_timeout_ms: u64,
    /// Subscribed topics and owned partitions.
    pub(in crate::broker) subscription: Arc<Subscription>,
}

impl Broker {
    /// A ConsumerGroupHeartbeat from `from` for group `g`: answered at once when it changes
    /// nothing, else once the group's new state is stored.
    pub(in crate::broker) fn on_consumer_group_heartbeat(
        &mut self,
        now: u64,
        (from, req): (NodeId, ReqId),
        g: u32,
        member_id: MemberId,
        beat: Beat,
        out: &mut BrokerOut,
    ) {
        let reply = |out: &mut BrokerOut, result: Result<ConsumerHeartbeatResult, KafkaError>| {
            out.send(from, Msg::ConsumerGroupHeartbeatResponse { req, result: result.map(Box::new) })
        };
        let session = self.topo.config.group_consumer_session_timeout_ms;
        let id = if member_id.is_known() {
            member_id
        } else {
            let n = u32::try_from(self.next_id()).expect("a broker hands out fewer than 2^32 ids in a run");
            MemberId { coordinator: self.id, n }
        };
        let topo = self.topo.clone();
        let grp = match self.group_mut(g) {
            Ok(grp) => grp,
            Err(e) => return reply(out, Err(e)),
        };
        if grp.consumer.is_none() {
            if !grp.members.is_empty() || !grp.pending.is_empty() {
                // A classic group in use (validation keeps the protocols in separate groups).
                return reply(out, Err(KafkaError::UnknownMemberId));
            }
            grp.consumer = Some(ConsumerGroupState::default());
        }
        let (answer, changed) = match heartbeat(grp, &topo, now, from, id, &beat) {
            Ok(x) => x,
            Err(e) => return reply(out, Err(e)),
        };
        check_group(grp);
        if answer.member_epoch >= 0 {
            arm_consumer_expiry(grp, g, id, now, session, out);
        }
        if !changed {
            return reply(out, Ok(answer));
        }
        let wait = GroupWait::ConsumerHeartbeat { to: from, req, result: answer };
        self.store_consumer_group(now, g, wait, out);
    }

    /// A KIP-848 member's session timer fired: fence it if it stayed silent.
    pub(super) fn on_consumer_member_expiry(
        &mut self,
        now: u64,
        g: u32,
        member: MemberId,
        deadline: u64,
        out: &mut BrokerOut,
    ) {
        let session = self.topo.config.group_consumer_session_timeout_ms;
        let Some(grp) = self.groups[g as usize].as_mut() else { return };
        let Some(cg) = grp.consumer.as_mut() else { return };
        let Some(m) = cg.members.get(&member) else { return };
        if m.expiry_deadline != deadline {
            return;
        }
        if now < m.last_seen + session {
            return arm_consumer_expiry(grp, g, member, now, session, out);
        }
        // `consumerGroupFenceMember`: the member goes, its partitions with it.
        cg.members.remove(&member);
        cg.group_epoch += 1;
        check_group(grp);
        self.store_consumer_group(now, g, GroupWait::ConsumerFenced, out);
    }

    /// Writes group `g`'s KIP-848 state to its offsets partition; `wait` answers once it is stored.
    fn store_consumer_group(&mut self, now: u64, g: u32, wait: GroupWait, out: &mut BrokerOut) {
        let Some(grp) = self.groups[g as usize].as_ref() else { return };
        let (p, record) = (grp.partition, consumer_record(grp));
        let meta = BatchTemplate::internal(MetaRecord::ConsumerGroup(Arc::new(record)));
        if let Err(e) = self.group_append(now, p, &meta, wait.clone(), out) {
            self.group_write_done(now, wait, Err(e), out);
        }
    }
}

/// `ConsumerGroup.validateOffsetCommit`: a commit with a negative epoch is accepted while the
/// group has no member (an admin's); otherwise the member must exist (UNKNOWN_MEMBER_ID) and
/// send its current epoch (STALE_MEMBER_EPOCH). Ownership of the partitions is not checked.
pub(super) fn validate_commit(cg: &ConsumerGroupState, member_id: MemberId, epoch: i32) -> Result<(), KafkaError> {
    if epoch < 0 && cg.members.is_empty() {
        return Ok(());
    }
    let m = cg.members.get(&member_id).ok_or(KafkaError::UnknownMemberId)?;
    if m.m.member_epoch != epoch {
        return Err(KafkaError::StaleMemberEpoch);
    }
    Ok(())
}

/// The group's state as stored.
pub(super) fn consumer_record(grp: &Group) -> ConsumerGroupRecord {
    let cg = grp.consumer.as_ref().expect("a consumer group");
    ConsumerGroupRecord {
        group: grp.name.clone(),
        group_epoch: cg.group_epoch,
        assignment_epoch: cg.assignment_epoch,
        members: cg.members.values().map(|m| m.m.clone()).collect(),
    }
}

/// The group as a stored record left it, its members' sessions starting `now`.
pub(super) fn consumer_state(r: &ConsumerGroupRecord, now: u64) -> ConsumerGroupState {
    let members = r
        .members
        .iter()
        .map(|m| {
            // The client is learnt again from its next request.
            (
                m.member_id,
                ConsumerMember { client: NodeId::Controller, last_seen: now, expiry_deadline: 0, m: m.clone() },
            )
        })
        .collect();
    ConsumerGroupState { group_epoch: r.group_epoch, assignment_epoch: r.assignment_epoch, members }
}

pub(super) fn arm_consumer_expiry(
    grp: &mut Group,
    g: u32,
    member: MemberId,
    now: u64,
    session: u64,
    out: &mut BrokerOut,
) {
    let Some(m) = grp.consumer.as_mut().and_then(|cg| cg.members.get_mut(&member)) else { return };
    let deadline = (m.last_seen + session).max(now + 1);
    m.expiry_deadline = deadline;
    out.timer(deadline - now, BrokerTimer::MemberExpiry { group: g, member, deadline });
}

/// One heartbeat's effect on the group: the answer, and whether the group's state changed.
fn heartbeat(
    grp: &mut Group,
    topo: &Topology,
    now: u64,
    from: NodeId,
    id: MemberId,
    beat: &Beat,
) -> Result<(ConsumerHeartbeatResult, bool), KafkaError> {
    let cg = grp.consumer.as_mut().expect("a consumer group");
    let (epoch, sub) = (beat.member_epoch, &beat.subscription);
    if epoch < 0 {
        // `consumerGroupLeave`: an unknown member is UNKNOWN_MEMBER_ID; a known one is fenced.
        cg.members.remove(&id).ok_or(KafkaError::UnknownMemberId)?;
        cg.group_epoch += 1;
        return Ok((ConsumerHeartbeatResult { member_id: id, member_epoch: epoch, assignment: None }, true));
    }
    let mut bump = false;
    match cg.members.get(&id) {
        None if epoch == 0 => {
            let m = ConsumerMemberRecord {
                member_id: id,
                member_epoch: 0,
                previous_epoch: 0,
                state: ConsumerMemberState::Stable,
                topics: sub.topics.clone(),
                assigned: Vec::new(),
                pending_revocation: Vec::new(),
                target: Vec::new(),
                rebalance_timeout_ms: beat.rebalance_timeout_ms,
            };
            cg.members.insert(id, ConsumerMember { client: from, last_seen: now, expiry_deadline: 0, m });
            bump = true;
        }
        None => return Err(KafkaError::UnknownMemberId),
        Some(m) => {
            // `throwIfConsumerGroupMemberEpochIsInvalid`: the previous epoch is accepted with a
            // subset of the assignment (the answer with the new epoch may have been lost).
            let m = &m.m;
            let subset = sub.owned.iter().all(|p| m.assigned.contains(p));
            if epoch > m.member_epoch || (epoch < m.member_epoch && (epoch != m.previous_epoch || !subset)) {
                return Err(KafkaError::FencedMemberEpoch);
            }
        }
    }
    let member = cg.members.get_mut(&id).expect("present");
    member.client = from;
    member.last_seen = now;
    let before = member.m.clone();
    if member.m.topics != sub.topics {
        member.m.topics = sub.topics.clone();
        bump = true;
    }
    member.m.rebalance_timeout_ms = beat.rebalance_timeout_ms;
    if bump {
        cg.group_epoch += 1;
    }
    let mut changed = bump;
    if cg.group_epoch > cg.assignment_epoch {
        uniform_assign(cg, topo);
        cg.assignment_epoch = cg.group_epoch;
        changed = true;
    }
    reconcile(cg, id, &sub.owned);
    let m = &cg.members[&id].m;
    changed |= *m != before;
    let answer = ConsumerHeartbeatResult {
        member_id: id,
        member_epoch: m.member_epoch,
        assignment: Some(m.assigned.as_slice().into()),
    };
    Ok((answer, changed))
}

/// `CurrentAssignmentBuilder.build`: one step of member `id` towards its target, given the
/// partitions it reports owning.
fn reconcile(cg: &mut ConsumerGroupState, id: MemberId, owned: &[u32]) {
    let target_epoch = cg.assignment_epoch;
    let m = &cg.members[&id].m;
    let owns_any = |ps: &[u32]| ps.iter().any(|p| owned.contains(p));
    let epoch = match m.state {
        ConsumerMemberState::Stable if m.member_epoch != target_epoch => m.member_epoch,
        ConsumerMemberState::Stable => return,
        ConsumerMemberState::UnrevokedPartitions if owns_any(&m.pending_revocation) => return,
        ConsumerMemberState::UnrevokedPartitions => m.member_epoch + 1,
        ConsumerMemberState::UnreleasedPartitions => m.member_epoch,
    };
    // computeNextAssignment
    let mut kept: Vec<u32> = m.assigned.iter().copied().filter(|p| m.target.contains(p)).collect();
    let revoke: Vec<u32> = m.assigned.iter().copied().filter(|p| !kept.contains(p)).collect();
    let wanted: Vec<u32> = m.target.iter().copied().filter(|p| !kept.contains(p)).collect();
    // A partition another member still holds (its partition epoch is set) is unreleased.
    let held = |p: u32| cg.members.values().any(|o| o.m.assigned.contains(&p) || o.m.pending_revocation.contains(&p));
    let add: Vec<u32> = wanted.iter().copied().filter(|&p| !held(p)).collect();
    let unreleased = add.len() < wanted.len();
    let m = &mut cg.members.get_mut(&id).expect("present").m;
    let (state, new_epoch, pending) = if !revoke.is_empty() && owns_any(&revoke) {
        (ConsumerMemberState::UnrevokedPartitions, epoch, revoke)
    } else {
        kept.extend(add);
        kept.sort_unstable();
        let state = if unreleased { ConsumerMemberState::UnreleasedPartitions } else { ConsumerMemberState::Stable };
        (state, target_epoch, Vec::new())
    };
    m.state = state;
    // `updateMemberEpoch`: the previous epoch is the one it had.
    m.previous_epoch = m.member_epoch;
    m.member_epoch = new_epoch;
    m.assigned = kept;
    m.pending_revocation = pending;
}

/// The uniform assignor (`UniformAssignor`, 4.0's default): every subscribed partition to one
/// eligible member, `partitions / members` each or one more, sticky to the previous target;
/// members in id order, so the result is deterministic.
fn uniform_assign(cg: &mut ConsumerGroupState, topo: &Topology) {
    let holders: Vec<Holder<'_, MemberId>> =
        cg.members.iter().map(|(&id, m)| Holder { id, topics: &m.m.topics, held: &m.m.target }).collect();
    for (id, parts) in topo.balanced_sticky(&holders) {
        cg.members.get_mut(&id).expect("member").m.target = parts;
    }
}

/// Invariants 42 and 43 over the group's members.
fn check_group(grp: &Group) {
    let Some(cg) = grp.consumer.as_ref() else { return };
    let mut owner: BTreeMap<u32, MemberId> = BTreeMap::new();
    for (&id, m) in &cg.members {
        for &p in m.m.assigned.iter().chain(&m.m.pending_revocation) {
            let other = owner.insert(p, id);
            crate::invariant!(
                42,
                other.is_none(),
                "group {}: partition {p} is owned by member {id} and by member {other:?} at once",
                grp.name
            );
        }
        crate::invariant!(
            43,
            m.m.member_epoch <= cg.assignment_epoch && cg.assignment_epoch <= cg.group_epoch,
            "group {}: member {id} at epoch {} with target epoch {} and group epoch {}",
            grp.name,
            m.m.member_epoch,
            cg.assignment_epoch,
            cg.group_epoch
        );
    }
}

#[cfg(test)]
#[path = "consumer_tests.rs"]
mod tests;
