//! Static membership (KIP-345, Kafka 2.3+): a member with a `group.instance.id` keeps its place
//! in the group across a restart. The restarted process joins with an unknown member id and its
//! instance id; the coordinator gives it a new member id in place of the old one, with the old
//! member's assignment, and in a Stable group answers with the current generation instead of
//! starting a rebalance (Kafka's `ClassicGroup.replaceStaticMember` and
//! `GroupMetadataManager.updateStaticMemberThenRebalanceOrCompleteJoin`).

use std::sync::Arc;

use super::{arm_expiry, maybe_complete_join, prepare_rebalance};
use crate::broker::coord::{GroupState, GroupWait};
use crate::broker::node::{Broker, BrokerOut};
use crate::broker::{BatchTemplate, JoinResult, Msg, Subscription};
use crate::error::KafkaError;
use crate::record::{MemberId, MetaRecord, ReqId};
use crate::sim::NodeId;

/// A static member's JoinGroup with an unknown member id, for an instance id the group knows.
pub(super) struct Join {
    pub(super) from: NodeId,
    pub(super) req: ReqId,
    /// The member id it is given in place of the old one.
    pub(super) fresh_id: MemberId,
    /// Its (`session.timeout.ms`, rebalance timeout).
    pub(super) timeouts: (u64, u64),
}

impl Broker {
    /// A static member's JoinGroup (`inst`) to group `g`, which exists here: replaces the
    /// instance's old member (answered, `None`), refuses a member id that is not the
    /// instance's current one with FENCED_INSTANCE_ID (`None`), or returns the member id to
    /// join with: a new static member gets `j.fresh_id` at once, without KIP-394's round trip.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn static_join(
        &mut self,
        now: u64,
        g: u32,
        j: Join,
        member_id: MemberId,
        inst: &Arc<str>,
        subscription: &Arc<Subscription>,
        out: &mut BrokerOut,
    ) -> Option<MemberId> {
        let grp = self.groups[g as usize].as_mut()?;
        let current = grp.members.iter().find(|(_, m)| m.instance_id.as_ref() == Some(inst)).map(|(&id, _)| id);
        match current {
            Some(old) if !member_id.is_known() => {
                self.replace_static_member(now, g, old, j, subscription.clone(), out);
                None
            }
            Some(old) if old != member_id => {
                let result = Err((KafkaError::FencedInstanceId, MemberId::UNKNOWN));
                out.send(j.from, Msg::JoinGroupResponse { req: j.req, result });
                None
            }
            None if !member_id.is_known() => {
                grp.pending.insert(j.fresh_id, now + j.timeouts.0);
                Some(j.fresh_id)
            }
            _ => Some(member_id),
        }
    }

    /// Replaces member `old` of group `g` by the joining process `j` (same instance id). The old
    /// member's pending JoinGroup or SyncGroup is answered FENCED_INSTANCE_ID. In a Stable group
    /// with unchanged subscriptions the new member id is stored (the group record) and the join
    /// answered with the current generation and the leader as it was, so the joiner does not
    /// compute an assignment; it then syncs and gets the old member's partitions. Otherwise the
    /// join takes part in a rebalance as any rejoin does.
    pub(super) fn replace_static_member(
        &mut self,
        now: u64,
        g: u32,
        old: MemberId,
        j: Join,
        subscription: Arc<Subscription>,
        out: &mut BrokerOut,
    ) {
        let delay = self.topo.config.group_initial_rebalance_delay_ms;
        let Some(grp) = self.groups[g as usize].as_mut() else { return };
        let Some(mut m) = grp.members.remove(&old) else { return };
        let fenced = KafkaError::FencedInstanceId;
        if let Some(req) = m.awaiting_join.take() {
            out.send(m.client, Msg::JoinGroupResponse { req, result: Err((fenced, MemberId::UNKNOWN)) });
        }
        if let Some(req) = m.awaiting_sync.take() {
            out.send(m.client, Msg::SyncGroupResponse { req, result: Err(fenced) });
        }
        // Kafka checks that the group's protocol stays the same; the model, that the topics do.
        let same = m.subscription.topics == subscription.topics;
        m.client = j.from;
        m.subscription = subscription;
        m.last_seen = now;
        (m.session_timeout_ms, m.rebalance_timeout_ms) = j.timeouts;
        grp.members.insert(j.fresh_id, m);
        let leader_before = grp.leader;
        if grp.leader == Some(old) {
            grp.leader = Some(j.fresh_id);
        }
        arm_expiry(grp, g, j.fresh_id, now, out);
        match grp.state {
            GroupState::Stable if same => {
                let result = JoinResult {
                    generation: grp.generation,
                    leader: leader_before.unwrap_or(MemberId::UNKNOWN),
                    member_id: j.fresh_id,
                    members: Vec::new(),
                };
                let (p, record) = (grp.partition, grp.record());
                let wait = GroupWait::StaticJoin { to: j.from, req: j.req, result };
                let meta = BatchTemplate::internal(MetaRecord::GroupMetadata(Arc::new(record)));
                if let Err(e) = self.group_append(now, p, &meta, wait.clone(), out) {
                    self.group_write_done(now, wait, Err(e), out);
                }
            }
            _ => {
                let m = grp.members.get_mut(&j.fresh_id).expect("just inserted");
                m.awaiting_join = Some(j.req);
                if grp.state != GroupState::PreparingRebalance {
                    prepare_rebalance(grp, g, now, delay, out);
                }
                maybe_complete_join(grp, g, now, out);
            }
        }
    }
}
