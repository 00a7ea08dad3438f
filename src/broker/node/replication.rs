//! A broker's replication: leading and following a partition, follower fetches, ISR changes, the high watermark.

use super::*;

impl Broker {
    pub(super) fn become_leader(&mut self, now: u64, p: u32, out: &mut BrokerOut) {
        let info = &self.topo.partitions[p as usize];
        let r = self.replicas[p as usize].as_mut().expect("replica");
        r.log.assign_epoch_start(r.leader_epoch);
        crate::invariant!(
            30,
            r.log.latest_cached_epoch() == Some(r.leader_epoch) && r.isr.contains(&self.id),
            "broker:{} leads partition {p} at epoch {} with latest cached epoch {:?} and ISR {:?}",
            self.id,
            r.leader_epoch,
            r.log.latest_cached_epoch(),
            r.isr
        );
        let followers = info
            .replicas
            .iter()
            .filter(|&&b| b != self.id)
            .map(|&b| FollowerState {
                broker: b,
                leo: 0,
                last_caught_up: if r.isr.contains(&b) { now } else { 0 },
                last_fetch_leader_leo: 0,
                last_fetch_time: 0,
                broker_epoch: 0,
                sent_hw: u64::MAX,
                steady: false,
            })
            .collect();
        let leso = r.log.leo();
        let ls = LeaderState { followers, leso, pending_isr: None, purgatory: Vec::new() };
        self.resign(p, Role::Leader(Box::new(ls)), out);
        self.touch(p);
        if self.topo.is_offsets_partition(p) {
            self.load_groups(now, p, out);
        }
        if self.topo.is_txn_partition(p) {
            self.load_txns(now, p, out);
        }
        self.maybe_advance_hw(now, p, out);
    }

    /// Follow `leader` for `p`: the partition joins the fetcher of that leader, whose next
    /// fetch names it ([`Broker::start_fetchers`] sends it once the metadata is applied).
    pub(super) fn become_follower(&mut self, p: u32, leader: u32, out: &mut BrokerOut) {
        if !self.topo.version.leader_epochs() {
            // Before KIP-101 (0.10 `ReplicaManager.makeFollowers`): a new follower truncates
            // its log to its own high watermark, which may be stale (a restarted broker's comes
            // from the last checkpoint), then fetches from there.
            let r = self.replicas[p as usize].as_mut().expect("replica");
            let hw = r.hw;
            r.log.truncate_to(hw);
        }
        self.resign(p, Role::Follower { leader, delayed_until: 0 }, out);
        self.fetch_changed(leader, p);
    }

    pub(super) fn maybe_expand_isr(&mut self, p: u32, follower: u32) {
        let r = self.replicas[p as usize].as_mut().expect("replica");
        let Role::Leader(ls) = &mut r.role else { return };
        if ls.pending_isr.is_some() || r.isr.contains(&follower) {
            return;
        }
        let Some(fs) = ls.followers.iter().find(|s| s.broker == follower) else { return };
        if fs.leo >= r.hw && fs.leo >= ls.leso {
            let mut isr = r.isr.clone();
            isr.push(follower);
            self.propose_isr(p, isr);
        }
    }

    pub(super) fn maybe_shrink_isr(&mut self, now: u64, p: u32) {
        let lag = self.topo.config.replica_lag_time_max_ms;
        let Some(r) = self.replicas[p as usize].as_mut() else { return };
        let leo = r.log.leo();
        let Role::Leader(ls) = &r.role else { return };
        if ls.pending_isr.is_some() {
            return;
        }
        let out_of_sync: Vec<u32> = ls
            .followers
            .iter()
            .filter(|f| r.isr.contains(&f.broker) && f.leo != leo && now.saturating_sub(f.last_caught_up) > lag)
            .map(|f| f.broker)
            .collect();
        if !out_of_sync.is_empty() {
            let isr = r.isr.iter().copied().filter(|b| !out_of_sync.contains(b)).collect();
            self.propose_isr(p, isr);
        }
    }

    /// Propose `isr` for partition `p`, which this broker leads: the change waits in the
    /// AlterPartition manager for the next request. A partition with a change unsent or in
    /// flight is not proposed again (Kafka's manager refuses a second item for a partition
    /// with OPERATION_NOT_ATTEMPTED and `Partition` goes back to its committed state); the next
    /// fetch or ISR check proposes it again.
    pub(super) fn propose_isr(&mut self, p: u32, isr: Vec<u32>) {
        if self.alter_in_flight.iter().any(|&(q, _)| q == p) || self.alter_unsent.iter().any(|x| x.partition == p) {
            return;
        }
        let r = self.replicas[p as usize].as_mut().expect("replica");
        let Role::Leader(ls) = &mut r.role else { return };
        let me = self.id;
        let broker_epochs = isr
            .iter()
            .map(|&b| {
                if b == me {
                    self.broker_epoch
                } else {
                    ls.followers.iter().find(|f| f.broker == b).map_or(0, |f| f.broker_epoch)
                }
            })
            .collect();
        // While a change is in flight the leader uses the larger of the two ISRs (the maximal ISR).
        let mut maximal = r.isr.clone();
        for &b in &isr {
            if !maximal.contains(&b) {
                maximal.push(b);
            }
        }
        ls.pending_isr = Some(maximal);
        let proposal = IsrProposal {
            partition: p,
            leader_epoch: r.leader_epoch,
            partition_epoch: r.partition_epoch,
            isr,
            broker_epochs,
        };
        let at = self.alter_unsent.partition_point(|x| x.partition < p);
        self.alter_unsent.insert(at, proposal);
    }

    /// Send the proposed ISR changes in one AlterPartition request, unless one is in flight
    /// (`DefaultAlterPartitionManager.maybePropagateIsrChanges`: one request at a time, naming
    /// every change that waited). Called at the end of each of the broker's steps, so the
    /// changes one step proposes (an ISR check over every partition) travel together.
    pub(super) fn send_alter_partitions(&mut self, out: &mut BrokerOut) {
        if self.alter_unsent.is_empty() || !self.alter_in_flight.is_empty() {
            return;
        }
        let proposals = std::mem::take(&mut self.alter_unsent);
        self.alter_in_flight = proposals.iter().map(|x| (x.partition, x.leader_epoch)).collect();
        out.send(NodeId::Controller, Msg::AlterPartition { proposals });
    }

    /// The controller answered the AlterPartition request in flight. A partition takes its
    /// answer only if it still waits for it: led at the epoch it was proposed in, with the
    /// change pending (Kafka's `Partition` ignores an answer that does not match its pending
    /// state, "ignoring out of date AlterPartition response"); a partition this broker has
    /// since resigned, or leads again at a newer epoch, keeps its state.
    pub(super) fn on_alter_partition_response(
        &mut self,
        now: u64,
        results: Vec<(u32, Result<PartitionState, KafkaError>)>,
        out: &mut BrokerOut,
    ) {
        let in_flight = std::mem::take(&mut self.alter_in_flight);
        for (partition, result) in results {
            let Some(&(_, proposed_epoch)) = in_flight.iter().find(|&&(q, _)| q == partition) else { continue };
            let Some(r) = self.replicas[partition as usize].as_mut() else { continue };
            if r.leader_epoch != proposed_epoch {
                continue;
            }
            let Role::Leader(ls) = &mut r.role else { continue };
            if ls.pending_isr.take().is_none() {
                continue;
            }
            if let Ok(st) = result {
                if st.leader_epoch == r.leader_epoch && st.partition_epoch >= r.partition_epoch {
                    r.isr = st.isr;
                    r.partition_epoch = st.partition_epoch;
                    crate::invariant!(
                        10,
                        r.isr.contains(&self.id),
                        "broker:{} leads partition {partition} outside its ISR {:?}",
                        self.id,
                        r.isr
                    );
                }
            }
            self.touch(partition);
            self.maybe_advance_hw(now, partition, out);
        }
    }

    /// Kafka's `maybeIncrementLeaderHW` (3.7+ rule): no advance while the ISR is below
    /// min.insync.replicas; otherwise the minimum LEO over the maximal ISR and over caught-up
    /// replicas outside it. Completes acks=all requests the new HW covers.
    pub(super) fn maybe_advance_hw(&mut self, now: u64, p: u32, out: &mut BrokerOut) {
        let info = &self.topo.partitions[p as usize];
        let lag = self.topo.config.replica_lag_time_max_ms;
        let Some(r) = self.replicas[p as usize].as_mut() else { return };
        let (leo, hw_before) = (r.log.leo(), r.hw);
        let Role::Leader(ls) = &mut r.role else { return };
        let maximal = ls.pending_isr.as_ref().unwrap_or(&r.isr);
        // 3.7+ (KAFKA-15583): no HW advance while the ISR is below min.insync.replicas.
        let strict = self.topo.version.strict_min_isr();
        let mut new_hw = if strict && r.isr.len() < info.min_isr { r.hw } else { leo };
        for f in &ls.followers {
            let caught_up = f.leo == leo || now.saturating_sub(f.last_caught_up) <= lag;
            // A caught-up replica outside the ISR holds the HW back too, if it is ISR-eligible
            // (KAFKA-15021: its broker is not fenced).
            let eligible = caught_up && f.last_fetch_time > 0 && !self.fenced.contains(&f.broker);
            if f.leo < new_hw && (maximal.contains(&f.broker) || eligible) {
                new_hw = f.leo;
            }
        }
        let advanced = new_hw > r.hw;
        if advanced {
            let from = r.hw;
            r.hw = new_hw;
            crate::invariant!(1, r.hw <= leo, "broker:{} leader HW {} of partition {p} past LEO {leo}", self.id, r.hw);
            crate::invariant!(
                31,
                ls.followers.iter().all(|f| !maximal.contains(&f.broker) || f.leo >= new_hw),
                "broker:{} partition {p}: HW {new_hw} past a maximal-ISR member's LEO",
                self.id
            );
            r.log.forget_stable(new_hw);
            out.observe(BrokerObs::Committed { partition: p, broker: self.id, from, to: new_hw });
        }
        crate::invariant!(
            2,
            r.hw >= hw_before,
            "broker:{} partition {p}: leader HW {hw_before} went back to {}",
            self.id,
            r.hw
        );
        // Complete every acks=all request the HW now covers (a retried duplicate may be covered
        // already when it arrives).
        let new_hw = r.hw;
        let enough = maximal.len() >= info.min_isr;
        let epoch = r.leader_epoch;
        let mut i = 0;
        let mut internal_done = Vec::new();
        while i < ls.purgatory.len() {
            if ls.purgatory[i].required <= new_hw {
                let w = ls.purgatory.swap_remove(i);
                // Its timeout would find it gone.
                out.cancel(BrokerTimer::ProduceTimeout { partition: p, id: w.id });
                let result = if enough { Ok(w.base) } else { Err(KafkaError::NotEnoughReplicasAfterAppend) };
                match w.internal {
                    Some(g) => internal_done.push((g, result)),
                    None => out.send(
                        w.producer,
                        Msg::ProduceResponse { req: w.req, partition: p, result, leader_epoch: epoch },
                    ),
                }
            } else {
                i += 1;
            }
        }
        for (g, result) in internal_done {
            self.internal_write_done(now, g, result, out);
        }
        if advanced && !self.consumer_parked.is_empty() {
            self.wake_consumer_fetches(p, out);
        }
    }
}

impl Broker {
    pub(super) fn apply_image(&mut self, now: u64, image: &MetadataImage, out: &mut BrokerOut) {
        if image.version <= self.metadata_version {
            return;
        }
        crate::invariant!(
            13,
            image.version > self.metadata_version,
            "broker:{} went from metadata version {} to {}",
            self.id,
            self.metadata_version,
            image.version
        );
        self.metadata_version = image.version;
        self.cache = image.partitions.clone();
        self.fenced = image.fenced.clone();
        for p in 0..self.replicas.len() {
            let st = &image.partitions[p];
            let Some(r) = self.replicas[p].as_mut() else { continue };
            let fresh = matches!(r.role, Role::None) && st.leader.is_some();
            if st.leader_epoch > r.leader_epoch || fresh {
                crate::invariant!(
                    8,
                    st.leader_epoch >= r.leader_epoch,
                    "broker:{} replica of partition {p} went back from leader epoch {} to {}",
                    self.id,
                    r.leader_epoch,
                    st.leader_epoch
                );
                r.leader_epoch = st.leader_epoch;
                r.partition_epoch = st.partition_epoch;
                r.isr = st.isr.clone();
                match st.leader {
                    Some(l) if l == self.id => self.become_leader(now, p as u32, out),
                    Some(l) => self.become_follower(p as u32, l, out),
                    None => self.resign(p as u32, Role::None, out),
                }
            } else if st.leader_epoch == r.leader_epoch && st.partition_epoch > r.partition_epoch {
                r.partition_epoch = st.partition_epoch;
                r.isr = st.isr.clone();
                self.touch(p as u32);
                let r = self.replicas[p].as_mut().expect("replica");
                crate::invariant!(
                    10,
                    !r.is_leader() || r.isr.contains(&self.id),
                    "broker:{} leads partition {p} outside its ISR {:?}",
                    self.id,
                    r.isr
                );
                if r.is_leader() {
                    self.maybe_advance_hw(now, p as u32, out);
                }
            }
        }
        self.start_fetchers(now, out);
    }

    /// Leave the leader role (if held), failing what waits on it.
    pub(super) fn resign(&mut self, p: u32, role: Role, out: &mut BrokerOut) {
        let r = self.replicas[p as usize].as_mut().expect("replica");
        let old = std::mem::replace(&mut r.role, role);
        if let Role::Follower { leader, .. } = old {
            // The partition leaves (or rejoins, at a new epoch) that leader's fetcher.
            self.fetch_changed(leader, p);
        }
        let r = self.replicas[p as usize].as_mut().expect("replica");
        if let Role::Leader(ls) = old {
            let epoch = r.leader_epoch;
            if self.topo.is_offsets_partition(p) {
                self.unload_groups(p, out);
            }
            if self.topo.is_txn_partition(p) {
                self.unload_txns(p);
            }
            for w in ls.purgatory {
                out.cancel(BrokerTimer::ProduceTimeout { partition: p, id: w.id });
                if let Some(g) = w.internal {
                    self.internal_write_done(0, g, Err(KafkaError::NotLeaderOrFollower), out);
                    continue;
                }
                out.send(
                    w.producer,
                    Msg::ProduceResponse {
                        req: w.req,
                        partition: p,
                        result: Err(KafkaError::NotLeaderOrFollower),
                        leader_epoch: epoch,
                    },
                );
            }
            // Kafka's `DelayedFetch.tryComplete`: a fetch naming a partition this broker no
            // longer leads completes at once.
            self.wake_parked_fetches(p, out);
        }
    }
}
