//! A group coordinator's groups across leadership changes: rebuilt by replaying the
//! `__consumer_offsets` partition when a broker becomes its leader, dropped when it stops.

use super::*;

impl Broker {
    /// Became leader of offsets partition `p`: rebuild its groups by replaying the log.
    pub(in crate::broker) fn load_groups(&mut self, now: u64, p: u32, out: &mut BrokerOut) {
        let Some((log, _, _)) = self.leader_view(p) else { return };
        let mut loaded: Vec<(u32, Group)> = Vec::new();
        for b in log.batches() {
            let Some(meta) = b.meta.as_deref() else { continue };
            let name = match meta {
                MetaRecord::OffsetCommit { group, .. } => group,
                MetaRecord::GroupMetadata(r) => &r.group,
                MetaRecord::ConsumerGroup(r) => &r.group,
                MetaRecord::TxnMarker { commit, .. } => {
                    // The marker ends the producer's transactional offsets in every group here.
                    for (_, grp) in loaded.iter_mut() {
                        grp.end_txn(b.producer_id, *commit);
                    }
                    continue;
                }
                MetaRecord::TxnState(_) => continue,
            };
            let Some(g) = self.topo.group(name) else { continue };
            let i = match loaded.iter().position(|x| x.0 == g) {
                Some(i) => i,
                None => {
                    loaded.push((g, Group::new(name.clone(), p)));
                    loaded.len() - 1
                }
            };
            let grp = &mut loaded[i].1;
            match meta {
                MetaRecord::OffsetCommit { offsets, .. } if b.transactional => {
                    let pending = grp.txn_pending.entry(b.producer_id).or_default();
                    for &(tp, o) in offsets.iter() {
                        pending.insert(tp, (o, b.base_offset));
                    }
                }
                MetaRecord::OffsetCommit { offsets, .. } => {
                    for &(tp, o) in offsets.iter() {
                        grp.offsets.insert(tp, o);
                        grp.offset_at.insert(tp, b.base_offset);
                    }
                }
                MetaRecord::GroupMetadata(r) => {
                    crate::invariant!(
                        17,
                        r.generation >= grp.generation,
                        "group {}: its log goes from generation {} back to {} at offset {}",
                        grp.name,
                        grp.generation,
                        r.generation,
                        b.base_offset
                    );
                    grp.generation = r.generation;
                    grp.leader = r.leader;
                    grp.members = r
                        .members
                        .iter()
                        .map(|m| {
                            let member = Member {
                                // The client is learnt again from its next request.
                                client: NodeId::Controller,
                                session_timeout_ms: m.session_timeout_ms,
                                rebalance_timeout_ms: m.rebalance_timeout_ms,
                                subscription: Arc::default(),
                                last_seen: now,
                                expiry_deadline: 0,
                                awaiting_join: None,
                                awaiting_sync: None,
                                assignment: m.assignment.clone(),
                                instance_id: m.instance_id.clone(),
                            };
                            (m.member_id, member)
                        })
                        .collect();
                    grp.state = if grp.members.is_empty() { GroupState::Empty } else { GroupState::Stable };
                }
                MetaRecord::ConsumerGroup(r) => grp.consumer = Some(consumer::consumer_state(r, now)),
                MetaRecord::TxnMarker { .. } | MetaRecord::TxnState(_) => {}
            }
        }
        for (g, mut grp) in loaded {
            let ids: Vec<MemberId> = grp.members.keys().copied().collect();
            for id in ids {
                arm_expiry(&mut grp, g, id, now, out);
            }
            let session = self.topo.config.group_consumer_session_timeout_ms;
            let ids: Vec<MemberId> = grp.consumer.iter().flat_map(|cg| cg.members.keys().copied()).collect();
            for id in ids {
                consumer::arm_consumer_expiry(&mut grp, g, id, now, session, out);
            }
            self.groups[g as usize] = Some(grp);
        }
    }

    /// Lost leadership of offsets partition `p`: its groups move with it; waiting members are
    /// told to find the new coordinator.
    pub(in crate::broker) fn unload_groups(&mut self, p: u32, out: &mut BrokerOut) {
        for slot in self.groups.iter_mut() {
            if slot.as_ref().is_some_and(|g| g.partition == p) {
                let g = slot.take().expect("group");
                for m in g.members.values() {
                    if let Some(req) = m.awaiting_join {
                        out.send(
                            m.client,
                            Msg::JoinGroupResponse {
                                req,
                                result: Err((KafkaError::NotCoordinator, MemberId::UNKNOWN)),
                            },
                        );
                    }
                    if let Some(req) = m.awaiting_sync {
                        out.send(m.client, Msg::SyncGroupResponse { req, result: Err(KafkaError::NotCoordinator) });
                    }
                }
            }
        }
    }
}
