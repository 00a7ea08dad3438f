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
            })
            .collect();
        let leso = r.log.leo();
        let ls = LeaderState { followers, leso, pending_isr: None, purgatory: Vec::new(), parked: Vec::new() };
        self.resign(p, Role::Leader(Box::new(ls)), out);
        if self.topo.is_offsets_partition(p) {
            self.load_groups(now, p, out);
        }
        if self.topo.is_txn_partition(p) {
            self.load_txns(now, p, out);
        }
        self.maybe_advance_hw(now, p, out);
    }

    pub(super) fn become_follower(&mut self, p: u32, leader: u32, out: &mut BrokerOut) {
        if !self.topo.version.leader_epochs() {
            // Before KIP-101 (0.10 `ReplicaManager.makeFollowers`): a new follower truncates
            // its log to its own high watermark, which may be stale (a restarted broker's comes
            // from the last checkpoint), then fetches from there.
            let r = self.replicas[p as usize].as_mut().expect("replica");
            let hw = r.hw;
            r.log.truncate_to(hw);
        }
        let id = self.next_id();
        self.resign(p, Role::Follower { leader, fetch_id: id }, out);
        self.send_fetch(p, out);
    }

    pub(super) fn send_fetch(&mut self, p: u32, out: &mut BrokerOut) {
        let id = self.next_id();
        let me = self.id;
        let broker_epoch = self.broker_epoch;
        let r = self.replicas[p as usize].as_mut().expect("replica");
        let Role::Follower { leader, fetch_id } = &mut r.role else { return };
        *fetch_id = id;
        let fetch = FetchRequest {
            partition: p,
            replica: me,
            broker_epoch,
            fetch_offset: r.log.leo(),
            // Before KIP-101 fetches carry no epoch and the leader checks nothing but the offset.
            last_fetched_epoch: if self.topo.version.leader_epochs() { r.log.latest_cached_epoch() } else { None },
            leader_epoch: r.leader_epoch,
            id,
        };
        out.send(NodeId::Broker(*leader), Msg::Fetch(fetch));
        out.timer(
            FETCH_REQUEST_TIMEOUT_MS + self.topo.config.replica_fetch_wait_max_ms,
            BrokerTimer::Refetch { partition: p, id },
        );
    }

    pub(super) fn on_fetch(&mut self, now: u64, f: FetchRequest, out: &mut BrokerOut) {
        let p = f.partition;
        let to = NodeId::Broker(f.replica);
        let reply = |out: &mut BrokerOut, result| out.send(to, Msg::FetchResponse { partition: p, id: f.id, result });
        let Some(r) = self.replicas[p as usize].as_mut().filter(|r| r.is_leader()) else {
            reply(out, FetchResult::Error(KafkaError::NotLeaderOrFollower));
            return;
        };
        if f.leader_epoch < r.leader_epoch {
            reply(out, FetchResult::Error(KafkaError::FencedLeaderEpoch));
            return;
        }
        if f.leader_epoch > r.leader_epoch {
            reply(out, FetchResult::Error(KafkaError::UnknownLeaderEpoch));
            return;
        }
        if let Some(e) = f.last_fetched_epoch {
            let (epoch, end) = r.log.end_offset_for(e).unwrap_or((e, r.log.earliest_epoch_start()));
            // KIP-279 (2.0): diverging when the leader has no entry of the follower's last epoch
            // or it ends before the follower's log does. Before it (0.11-1.1, OffsetsForLeaderEpoch
            // v0) only the end offset counted: a follower whose last epoch the leader never had,
            // but whose log ends before that end offset, kept a forked suffix.
            let diverging =
                if self.topo.version.kip279() { epoch < e || end < f.fetch_offset } else { end < f.fetch_offset };
            if diverging {
                reply(out, FetchResult::Diverging { epoch, end_offset: end });
                return;
            }
        } else if f.fetch_offset > r.log.leo() {
            // Before KIP-101: OFFSET_OUT_OF_RANGE, and the follower truncates to the leader's log
            // end (0.10 `ReplicaFetcherThread.handleOffsetOutOfRange`).
            reply(out, FetchResult::Diverging { epoch: r.leader_epoch, end_offset: r.log.leo() });
            return;
        }
        let leo = r.log.leo();
        let Role::Leader(ls) = &mut r.role else { unreachable!() };
        let Some(fs) = ls.followers.iter_mut().find(|s| s.broker == f.replica) else {
            reply(out, FetchResult::Error(KafkaError::NotLeaderOrFollower));
            return;
        };
        // Kafka's lastCaughtUpTimeMs rule: caught up to the LEO now, or to the LEO of the previous fetch.
        if f.fetch_offset >= leo {
            fs.last_caught_up = now;
        } else if f.fetch_offset >= fs.last_fetch_leader_leo {
            fs.last_caught_up = fs.last_caught_up.max(fs.last_fetch_time);
        }
        fs.leo = f.fetch_offset;
        crate::invariant!(
            27,
            fs.leo <= leo,
            "broker:{} follower {} of partition {p} past the leader's LEO {leo}: {}",
            self.id,
            f.replica,
            fs.leo
        );
        fs.last_fetch_leader_leo = leo;
        fs.last_fetch_time = now;
        fs.broker_epoch = f.broker_epoch;
        self.maybe_expand_isr(p, f.replica, out);
        self.maybe_advance_hw(now, p, out);
        let r = self.replicas[p as usize].as_mut().expect("replica");
        if f.fetch_offset < r.log.leo() {
            let batches = r.log.read_from(f.fetch_offset, MAX_FETCH_BATCHES);
            reply(out, FetchResult::Records { batches, hw: r.hw });
        } else {
            let id = self.next_id();
            let r = self.replicas[p as usize].as_mut().expect("replica");
            let Role::Leader(ls) = &mut r.role else { unreachable!() };
            ls.parked.push(ParkedFetch { id, fetch: f });
            out.timer(self.topo.config.replica_fetch_wait_max_ms, BrokerTimer::FetchWait { partition: p, id });
        }
    }

    pub(super) fn on_fetch_response(&mut self, _now: u64, p: u32, id: u64, result: FetchResult, out: &mut BrokerOut) {
        let flush_interval = self.topo.partitions[p as usize].flush_interval;
        let backoff = self.topo.config.replica_fetch_backoff_ms;
        let kip279 = self.topo.version.kip279();
        let Some(r) = self.replicas[p as usize].as_mut() else { return };
        let Role::Follower { fetch_id, .. } = &mut r.role else { return };
        if *fetch_id != id {
            return;
        }
        match result {
            FetchResult::Records { batches, hw } => {
                for b in batches {
                    let leo = r.log.leo();
                    if b.next_offset() <= leo {
                        continue;
                    }
                    if b.base_offset < leo {
                        // Our tail ends inside the leader's batch: cut back to its start.
                        r.log.truncate_to(b.base_offset);
                    }
                    if b.base_offset != r.log.leo() {
                        break;
                    }
                    crate::invariant!(
                        34,
                        b.leader_epoch <= r.leader_epoch,
                        "a follower at leader epoch {} of partition {p} got a batch of epoch {} at {}",
                        r.leader_epoch,
                        b.leader_epoch,
                        b.base_offset
                    );
                    r.log.append_replicated(b, !kip279);
                }
                if r.log.unflushed() >= flush_interval {
                    r.log.flush();
                }
                r.hw = hw.min(r.log.leo());
                crate::invariant!(1, r.hw <= r.log.leo(), "follower HW {} past LEO {}", r.hw, r.log.leo());
                self.send_fetch(p, out);
            }
            FetchResult::Diverging { epoch, end_offset } => {
                // KIP-279: truncate to where both histories agree; before it, to the leader's end
                // offset (or the own log end if shorter).
                let own = if kip279 {
                    r.log.end_offset_for(epoch).map_or(r.log.earliest_epoch_start(), |(_, end)| end)
                } else {
                    r.log.leo()
                };
                r.log.truncate_to(own.min(end_offset));
                crate::invariant!(
                    15,
                    r.log.leo() <= end_offset,
                    "broker:{} partition {p}: after truncating to the leader's end offset {end_offset} of epoch {epoch}, LEO {}",
                    self.id,
                    r.log.leo()
                );
                r.hw = r.hw.min(r.log.leo());
                crate::invariant!(
                    1,
                    r.hw <= r.log.leo(),
                    "follower HW {} past LEO {} after truncation",
                    r.hw,
                    r.log.leo()
                );
                self.send_fetch(p, out);
            }
            FetchResult::Error(_) => {
                // A new fetch id for the refetch after the backoff.
                let id = self.next_id();
                if let Some(Replica { role: Role::Follower { fetch_id, .. }, .. }) = self.replicas[p as usize].as_mut()
                {
                    *fetch_id = id;
                }
                out.timer(backoff, BrokerTimer::Refetch { partition: p, id });
            }
        }
    }

    pub(super) fn maybe_expand_isr(&mut self, p: u32, follower: u32, out: &mut BrokerOut) {
        let r = self.replicas[p as usize].as_mut().expect("replica");
        let Role::Leader(ls) = &mut r.role else { return };
        if ls.pending_isr.is_some() || r.isr.contains(&follower) {
            return;
        }
        let Some(fs) = ls.followers.iter().find(|s| s.broker == follower) else { return };
        if fs.leo >= r.hw && fs.leo >= ls.leso {
            let mut isr = r.isr.clone();
            isr.push(follower);
            self.propose_isr(p, isr, out);
        }
    }

    pub(super) fn maybe_shrink_isr(&mut self, now: u64, p: u32, out: &mut BrokerOut) {
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
            self.propose_isr(p, isr, out);
        }
    }

    pub(super) fn propose_isr(&mut self, p: u32, isr: Vec<u32>, out: &mut BrokerOut) {
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
        out.send(
            NodeId::Controller,
            Msg::AlterPartition {
                partition: p,
                leader_epoch: r.leader_epoch,
                partition_epoch: r.partition_epoch,
                isr,
                broker_epochs,
            },
        );
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
    }

    /// Leave the leader role (if held), failing what waits on it.
    pub(super) fn resign(&mut self, p: u32, role: Role, out: &mut BrokerOut) {
        let r = self.replicas[p as usize].as_mut().expect("replica");
        let old = std::mem::replace(&mut r.role, role);
        if let Role::Leader(ls) = old {
            let epoch = r.leader_epoch;
            if self.topo.is_offsets_partition(p) {
                self.unload_groups(p, out);
            }
            if self.topo.is_txn_partition(p) {
                self.unload_txns(p);
            }
            for w in ls.purgatory {
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
            for f in ls.parked {
                out.send(
                    NodeId::Broker(f.fetch.replica),
                    Msg::FetchResponse {
                        partition: p,
                        id: f.fetch.id,
                        result: FetchResult::Error(KafkaError::NotLeaderOrFollower),
                    },
                );
            }
        }
    }
}
