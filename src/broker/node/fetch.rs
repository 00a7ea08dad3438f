//! Follower fetching, both sides. A follower runs one fetcher per leader broker (Kafka's
//! `ReplicaFetcherThread`, `num.replica.fetchers` = 1) with at most one fetch in flight, naming
//! every partition it replicates from that leader. Fetches are incremental (KIP-227 fetch
//! sessions): a request names only the partitions that are new or whose offset or epoch moved,
//! and a response only those with records, an error or a new high watermark. The leader parks
//! a fetch with nothing to return (Kafka's `DelayedFetch`) until one of its partitions gets data
//! or `replica.fetch.wait.max.ms` passes.
//!
//! The leader keeps each follower's session. A partition whose follower is caught up with a
//! fully replicated log is *steady*: nothing a fetch does to it changes but its fetch times,
//! which it takes from the session until its log or ISR changes ([`Broker::touch`]). So a fetch
//! costs what changed, not every partition of the session, and the model behaves as if every
//! partition were fetched every time.

use super::*;

/// Buffers a leader keeps for answering follower fetches, empty between uses: the partitions a
/// fetch looks at and the results it finds at once (this runs on every follower fetch).
#[derive(Debug, Default)]
pub(super) struct FetchBufs {
    look: Vec<ReplicaFetchPartition>,
    due: Vec<(u32, FetchResult)>,
}

impl FetchSession {
    /// What a fetch of this session looks at, appended to `look`: each partition that is not
    /// steady, with the offset and epoch last asked for, in partition order.
    fn look_into(&self, look: &mut Vec<ReplicaFetchPartition>) {
        let at = |p: &u32| self.partitions.binary_search_by_key(p, |x| x.partition).ok();
        look.extend(self.dirty.iter().filter_map(|p| at(p).map(|i| self.partitions[i])));
    }
}

impl Broker {
    fn fetcher(&mut self, leader: u32) -> &mut Fetcher {
        let i = leader as usize;
        if self.fetchers.len() <= i {
            self.fetchers.resize_with(i + 1, Fetcher::default);
        }
        &mut self.fetchers[i]
    }

    /// Every fetcher with nothing in flight fetches now (after a metadata change made this
    /// broker follow new partitions), in broker order.
    pub(super) fn start_fetchers(&mut self, now: u64, out: &mut BrokerOut) {
        for leader in 1..=self.topo.brokers {
            if leader != self.id {
                self.send_fetch(now, leader, out);
            }
        }
    }

    /// The fetcher of `leader` fetches again after `delay_ms` (an earlier arming goes stale).
    fn arm_refetch(&mut self, leader: u32, delay_ms: u64, out: &mut BrokerOut) {
        let id = self.next_id();
        self.fetcher(leader).refetch = id;
        out.timer(delay_ms, BrokerTimer::Refetch { leader, id });
    }

    /// Partition `p`, followed from `leader`, may have changed: its fetcher looks at it
    /// before its next fetch.
    pub(super) fn fetch_changed(&mut self, leader: u32, p: u32) {
        self.fetcher(leader).changed.push(p);
    }

    /// What the fetcher of `leader` asks for `p` now: `None` if this broker does not follow
    /// `p` from `leader` or `p` is backing off.
    fn fetch_state(&self, now: u64, leader: u32, p: u32) -> Option<ReplicaFetchPartition> {
        let r = self.replicas[p as usize].as_ref()?;
        let Role::Follower { leader: l, delayed_until } = r.role else { return None };
        (l == leader && delayed_until <= now).then(|| ReplicaFetchPartition {
            partition: p,
            fetch_offset: r.log.leo(),
            // Before KIP-101 fetches carry no epoch and the leader checks nothing but the offset.
            last_fetched_epoch: if self.topo.version.leader_epochs() { r.log.latest_cached_epoch() } else { None },
            leader_epoch: r.leader_epoch,
        })
    }

    /// The fetcher of `leader` sends its next fetch, unless one is in flight (Kafka's fetcher
    /// thread waits for its response). It fetches every partition it follows from that leader
    /// that is not backing off; with every partition backing off it waits for the first to be
    /// ready. A new session names them all; a session's next fetch names what changed.
    pub(super) fn send_fetch(&mut self, now: u64, leader: u32, out: &mut BrokerOut) {
        if self.fetchers.get(leader as usize).is_some_and(|f| f.in_flight != 0) {
            return;
        }
        let f = self.fetcher(leader);
        let mut changed = std::mem::take(&mut f.changed);
        let delayed = std::mem::take(&mut f.delayed);
        let full = f.session == 0;
        let mut sent = std::mem::take(&mut f.sent);
        // Backoffs that are over: those partitions rejoin.
        let mut still_delayed = Vec::new();
        let mut ready_at = u64::MAX;
        for p in delayed {
            match self.replicas[p as usize].as_ref().map(|r| &r.role) {
                Some(Role::Follower { leader: l, delayed_until }) if *l == leader && *delayed_until > now => {
                    ready_at = ready_at.min(*delayed_until);
                    still_delayed.push(p);
                }
                _ => changed.push(p),
            }
        }
        let (partitions, mut removed) = if full {
            sent.clear();
            for p in 0..self.replicas.len() as u32 {
                if let Some(x) = self.fetch_state(now, leader, p) {
                    sent.push(x);
                }
            }
            changed.clear();
            (sent.clone(), Vec::new())
        } else {
            changed.sort_unstable();
            changed.dedup();
            let (mut partitions, mut removed) = (Vec::new(), Vec::new());
            for p in changed.drain(..) {
                match (self.fetch_state(now, leader, p), sent.binary_search_by_key(&p, |x| x.partition)) {
                    (Some(x), Ok(i)) if sent[i] != x => {
                        sent[i] = x;
                        partitions.push(x);
                    }
                    (Some(_), Ok(_)) => {}
                    (Some(x), Err(i)) => {
                        sent.insert(i, x);
                        partitions.push(x);
                    }
                    (None, Ok(i)) => {
                        sent.remove(i);
                        removed.push(p);
                    }
                    (None, Err(_)) => {}
                }
            }
            (partitions, removed)
        };
        let f = self.fetcher(leader);
        f.changed = changed;
        f.delayed = still_delayed;
        if full {
            f.forgotten.clear();
        } else {
            removed.append(&mut f.forgotten);
            removed.sort_unstable();
        }
        if sent.is_empty() {
            // Nothing to fetch: no request (the removals wait for the next one).
            f.sent = sent;
            f.forgotten = removed;
            if ready_at != u64::MAX {
                self.arm_refetch(leader, ready_at - now, out);
            }
            return;
        }
        let id = self.next_id();
        let timeout = FETCH_REQUEST_TIMEOUT_MS + self.topo.config.replica_fetch_wait_max_ms;
        let (replica, broker_epoch) = (self.id, self.broker_epoch);
        let f = self.fetcher(leader);
        let fetch = FetchRequest { replica, broker_epoch, id, session: f.session, partitions, removed };
        f.in_flight = id;
        f.sent = sent;
        out.send(NodeId::Broker(leader), Msg::Fetch(Box::new(fetch)));
        out.timer(timeout, BrokerTimer::FetchTimeout { leader, id });
    }

    /// Fetch `id` to `leader` got no answer in time (the replica socket timeout): it is
    /// forgotten and sent again, opening a new session.
    pub(super) fn on_fetch_timeout(&mut self, now: u64, leader: u32, id: u64, out: &mut BrokerOut) {
        let f = self.fetcher(leader);
        if f.in_flight != id {
            return;
        }
        f.in_flight = 0;
        f.session = 0;
        f.changed.clear();
        self.send_fetch(now, leader, out);
    }

    /// The connection to `dead` failed: its fetcher forgets the fetch in flight and its
    /// session, and every partition fetched from it backs off `replica.fetch.backoff.ms`, then
    /// fetches again (from whoever leads by then).
    pub(super) fn on_fetch_peer_down(&mut self, now: u64, dead: u32, out: &mut BrokerOut) {
        let backoff = self.topo.config.replica_fetch_backoff_ms;
        let mut any = false;
        for r in self.replicas.iter_mut().flatten() {
            if let Role::Follower { leader, delayed_until } = &mut r.role {
                if *leader == dead {
                    *delayed_until = now + backoff;
                    any = true;
                }
            }
        }
        let f = self.fetcher(dead);
        let lost = std::mem::take(&mut f.in_flight);
        f.session = 0;
        f.changed.clear();
        if lost != 0 {
            out.cancel(BrokerTimer::FetchTimeout { leader: dead, id: lost });
        }
        if any {
            self.arm_refetch(dead, backoff, out);
        }
    }

    /// A response from `leader` to the fetch in flight: apply each partition's result, then
    /// fetch again. FETCH_SESSION_ID_NOT_FOUND opens a new session.
    pub(super) fn on_fetch_response(
        &mut self,
        now: u64,
        from: NodeId,
        (id, session, error): (u64, u64, Option<KafkaError>),
        results: Vec<(u32, FetchResult)>,
        out: &mut BrokerOut,
    ) {
        let NodeId::Broker(leader) = from else { return };
        let f = self.fetcher(leader);
        if f.in_flight != id {
            return;
        }
        f.in_flight = 0;
        f.session = if error.is_some() { 0 } else { session };
        out.cancel(BrokerTimer::FetchTimeout { leader, id });
        let sent = std::mem::take(&mut f.sent);
        // The response names a subset of the session's partitions, in its order: the others
        // had nothing new.
        let mut asked = sent.iter();
        for (p, result) in results {
            if let Some(a) = asked.find(|a| a.partition == p) {
                self.fetched(now, leader, a, result);
                self.fetch_changed(leader, p);
            }
        }
        self.fetcher(leader).sent = sent;
        self.send_fetch(now, leader, out);
    }

    /// Apply one partition's result of a fetch from `leader`, unless the partition moved on
    /// since it was asked for (another leader or epoch, or another log end: Kafka's fetcher
    /// drops such a partition's data).
    fn fetched(&mut self, now: u64, leader: u32, asked: &ReplicaFetchPartition, result: FetchResult) {
        let p = asked.partition;
        let flush_interval = self.topo.partitions[p as usize].flush_interval;
        let backoff = self.topo.config.replica_fetch_backoff_ms;
        let kip279 = self.topo.version.kip279();
        let Some(r) = self.replicas[p as usize].as_mut() else { return };
        let Role::Follower { leader: l, delayed_until } = &mut r.role else { return };
        if *l != leader || r.leader_epoch != asked.leader_epoch || r.log.leo() != asked.fetch_offset {
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
            }
            // The partition backs off; the fetcher goes on with the others (Kafka's
            // `delayPartitions(partitionsWithError, fetchBackOffMs)`).
            FetchResult::Error(_) => {
                *delayed_until = now + backoff;
                self.fetcher(leader).delayed.push(p);
            }
        }
    }

    // ---- Leader side ----

    /// A follower's fetch: update its session, look at every partition that changed or is
    /// not steady, and answer at once when one has records, an error or a divergence
    /// (Kafka's `ReplicaManager.fetchMessages`); otherwise park the fetch.
    pub(super) fn on_fetch(&mut self, now: u64, f: FetchRequest, out: &mut BrokerOut) {
        let b = f.replica as usize;
        if self.sessions.len() <= b {
            self.sessions.resize_with(b + 1, || None);
        }
        if f.session == 0 {
            // A new session replaces the follower's old one (a new incarnation, or a fetcher
            // that lost its session).
            if let Some(old) = self.sessions[b].take() {
                for part in &old.partitions {
                    self.unsteady(f.replica, part.partition, old.last_fetch);
                }
            }
            let id = self.next_id();
            let dirty = f.partitions.iter().map(|p| p.partition).collect();
            self.sessions[b] = Some(FetchSession { id, partitions: f.partitions.clone(), dirty, last_fetch: now });
        } else {
            if self.sessions[b].as_ref().is_none_or(|s| s.id != f.session) {
                let error = Some(KafkaError::FetchSessionIdNotFound);
                out.send(
                    NodeId::Broker(f.replica),
                    Msg::FetchResponse { id: f.id, session: 0, error, partitions: Vec::new() },
                );
                return;
            }
            let last = self.sessions[b].as_ref().expect("session").last_fetch;
            for &p in &f.removed {
                self.unsteady(f.replica, p, last);
            }
            for part in &f.partitions {
                self.unsteady(f.replica, part.partition, last);
            }
            let s = self.sessions[b].as_mut().expect("session");
            s.partitions.retain(|x| f.removed.binary_search(&x.partition).is_err());
            s.dirty.retain(|p| f.removed.binary_search(p).is_err());
            for part in &f.partitions {
                match s.partitions.binary_search_by_key(&part.partition, |x| x.partition) {
                    Ok(i) => s.partitions[i] = *part,
                    Err(i) => s.partitions.insert(i, *part),
                }
                if let Err(i) = s.dirty.binary_search(&part.partition) {
                    s.dirty.insert(i, part.partition);
                }
            }
            s.last_fetch = now;
        }
        let s = self.sessions[b].as_ref().expect("session");
        let session = s.id;
        // The partitions to look at and their results, in buffers kept for the purpose (this
        // runs on every follower fetch).
        let mut look = std::mem::take(&mut self.fetch_bufs.look);
        s.look_into(&mut look);
        let mut due = std::mem::take(&mut self.fetch_bufs.due);
        for part in &look {
            if let Some(result) = self.fetch_partition(now, f.replica, f.broker_epoch, part, out) {
                due.push((part.partition, result));
            }
        }
        // What stayed steady leaves the dirty list (a partition touched meanwhile is not).
        // `look` follows the dirty list's order: sorted by partition.
        if let Some(s) = self.sessions[b].as_mut() {
            let replicas = &self.replicas;
            s.dirty.retain(|&p| {
                look.binary_search_by_key(&p, |x| x.partition).is_err() || !follower_steady(replicas, p, f.replica)
            });
        }
        if due.is_empty() {
            let parked = self.next_id();
            self.replica_parked.push(ParkedFetch { parked, replica: f.replica, id: f.id });
            out.timer(self.topo.config.replica_fetch_wait_max_ms, BrokerTimer::FetchWait { id: parked });
        } else {
            self.respond_fetch(f.replica, f.id, session, &look, &mut due, out);
        }
        look.clear();
        self.fetch_bufs.look = look;
        self.fetch_bufs.due = due;
    }

    /// `replica`'s fetch state of `p` stops being steady: its fetch times become the
    /// session's last fetch, `last_fetch`.
    fn unsteady(&mut self, replica: u32, p: u32, last_fetch: u64) {
        let Some(Role::Leader(ls)) = self.replicas[p as usize].as_mut().map(|r| &mut r.role) else { return };
        if let Some(fs) = ls.followers.iter_mut().find(|f| f.broker == replica && f.steady) {
            fs.steady = false;
            fs.last_caught_up = last_fetch;
            fs.last_fetch_time = last_fetch;
        }
    }

    /// Partition `p`'s log, ISR or leadership changed: no follower's fetch state of it is
    /// steady any more, and every session that fetches it looks at it again.
    pub(super) fn touch(&mut self, p: u32) {
        for b in 0..self.sessions.len() {
            let Some(s) = self.sessions[b].as_mut() else { continue };
            if s.partitions.binary_search_by_key(&p, |x| x.partition).is_err() {
                continue;
            }
            if let Err(i) = s.dirty.binary_search(&p) {
                s.dirty.insert(i, p);
            }
            let last = s.last_fetch;
            self.unsteady(b as u32, p, last);
        }
    }

    /// One partition of a follower fetch: the follower's state moves on, and the answer if it
    /// is due now (an error, a divergence, or records); `None` when there is nothing to read.
    fn fetch_partition(
        &mut self,
        now: u64,
        replica: u32,
        broker_epoch: u64,
        f: &ReplicaFetchPartition,
        out: &mut BrokerOut,
    ) -> Option<FetchResult> {
        let p = f.partition;
        let Some(r) = self.replicas[p as usize].as_mut().filter(|r| r.is_leader()) else {
            return Some(FetchResult::Error(KafkaError::NotLeaderOrFollower));
        };
        if f.leader_epoch < r.leader_epoch {
            return Some(FetchResult::Error(KafkaError::FencedLeaderEpoch));
        }
        if f.leader_epoch > r.leader_epoch {
            return Some(FetchResult::Error(KafkaError::UnknownLeaderEpoch));
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
                return Some(FetchResult::Diverging { epoch, end_offset: end });
            }
        } else if f.fetch_offset > r.log.leo() {
            // Before KIP-101: OFFSET_OUT_OF_RANGE, and the follower truncates to the leader's log
            // end (0.10 `ReplicaFetcherThread.handleOffsetOutOfRange`).
            return Some(FetchResult::Diverging { epoch: r.leader_epoch, end_offset: r.log.leo() });
        }
        let leo = r.log.leo();
        let (hw, in_isr) = (r.hw, r.isr.contains(&replica));
        let Role::Leader(ls) = &mut r.role else { unreachable!() };
        let Some(fs) = ls.followers.iter_mut().find(|s| s.broker == replica) else {
            return Some(FetchResult::Error(KafkaError::NotLeaderOrFollower));
        };
        if fs.broker_epoch != broker_epoch || fs.leo != f.fetch_offset {
            // A new incarnation, or a follower that moved (or truncated): send it the high
            // watermark again.
            fs.sent_hw = u64::MAX;
        }
        if in_isr && ls.pending_isr.is_none() && f.fetch_offset == leo && hw == leo {
            // An ISR member caught up with a fully replicated log: the fetch moves its times
            // on and nothing else (the ISR and the high watermark stay as they are), and so
            // will the session's next fetches until the log or the ISR changes.
            fs.last_caught_up = now;
            fs.leo = f.fetch_offset;
            fs.last_fetch_leader_leo = leo;
            fs.last_fetch_time = now;
            fs.broker_epoch = broker_epoch;
            // Steady once the follower has been sent this high watermark.
            fs.steady = fs.sent_hw == hw;
            return None;
        }
        fs.steady = false;
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
            replica,
            fs.leo
        );
        fs.last_fetch_leader_leo = leo;
        fs.last_fetch_time = now;
        fs.broker_epoch = broker_epoch;
        self.maybe_expand_isr(p, replica);
        self.maybe_advance_hw(now, p, out);
        let r = self.replicas[p as usize].as_mut().expect("replica");
        (f.fetch_offset < r.log.leo())
            .then(|| FetchResult::Records { batches: r.log.read_from(f.fetch_offset, MAX_FETCH_BATCHES), hw: r.hw })
    }

    /// Answer fetch `id` of `replica`: the partitions in `due` (records, errors, divergences)
    /// and every other partition of `look` whose high watermark the follower has not been
    /// sent yet, in partition order.
    fn respond_fetch(
        &mut self,
        replica: u32,
        id: u64,
        session: u64,
        look: &[ReplicaFetchPartition],
        due: &mut Vec<(u32, FetchResult)>,
        out: &mut BrokerOut,
    ) {
        let mut partitions = Vec::with_capacity(due.len());
        let mut due = due.drain(..).peekable();
        for part in look {
            let result = due.next_if(|(q, _)| *q == part.partition).map(|(_, x)| x);
            self.respond_partition(replica, part, result, &mut partitions);
        }
        out.send(NodeId::Broker(replica), Msg::FetchResponse { id, session, error: None, partitions });
    }

    /// One partition of a fetch response to `replica`: `result` if there is one, otherwise a
    /// new high watermark the follower has not been sent yet, if any.
    fn respond_partition(
        &mut self,
        replica: u32,
        part: &ReplicaFetchPartition,
        result: Option<FetchResult>,
        partitions: &mut Vec<(u32, FetchResult)>,
    ) {
        let p = part.partition;
        let Some(r) = self.replicas[p as usize].as_mut() else {
            partitions.extend(result.map(|x| (p, x)));
            return;
        };
        let hw = r.hw;
        let fs = match &mut r.role {
            Role::Leader(ls) if r.leader_epoch == part.leader_epoch => {
                ls.followers.iter_mut().find(|s| s.broker == replica)
            }
            _ => None,
        };
        match (result, fs) {
            (Some(x), fs) => {
                if let (FetchResult::Records { hw, .. }, Some(fs)) = (&x, fs) {
                    fs.sent_hw = *hw;
                }
                partitions.push((p, x));
            }
            (None, Some(fs)) if fs.sent_hw != hw => {
                fs.sent_hw = hw;
                partitions.push((p, FetchResult::Records { batches: Vec::new(), hw }));
            }
            (None, _) => {}
        }
    }

    /// Answer a parked fetch: of the session's partitions that are not steady, what each
    /// holds from its fetch offset on, NOT_LEADER_OR_FOLLOWER for one this broker no longer
    /// leads at the fetch's epoch, and new high watermarks.
    fn answer_parked(&mut self, f: &ParkedFetch, out: &mut BrokerOut) {
        let Some(s) = self.sessions.get(f.replica as usize).and_then(|s| s.as_ref()) else { return };
        let session = s.id;
        // The partitions to look at, in a buffer kept for the purpose (this runs on every
        // append that wakes a parked fetch).
        let mut look = std::mem::take(&mut self.fetch_bufs.look);
        s.look_into(&mut look);
        let mut partitions = Vec::new();
        for part in &look {
            let result = match self.replicas[part.partition as usize].as_ref() {
                Some(r) if r.is_leader() && r.leader_epoch == part.leader_epoch => (part.fetch_offset < r.log.leo())
                    .then(|| FetchResult::Records {
                        batches: r.log.read_from(part.fetch_offset, MAX_FETCH_BATCHES),
                        hw: r.hw,
                    }),
                _ => Some(FetchResult::Error(KafkaError::NotLeaderOrFollower)),
            };
            self.respond_partition(f.replica, part, result, &mut partitions);
        }
        look.clear();
        self.fetch_bufs.look = look;
        out.send(NodeId::Broker(f.replica), Msg::FetchResponse { id: f.id, session, error: None, partitions });
    }

    /// Parked fetch `id` has waited `replica.fetch.wait.max.ms`: answer it.
    pub(super) fn on_fetch_wait(&mut self, id: u64, out: &mut BrokerOut) {
        if let Some(i) = self.replica_parked.iter().position(|f| f.parked == id) {
            let f = self.replica_parked.remove(i);
            self.answer_parked(&f, out);
        }
    }

    /// Partition `p` got data, or this broker stopped leading it: answer the parked fetches
    /// whose sessions fetch it (Kafka's `DelayedFetch.tryComplete`).
    pub(super) fn wake_parked_fetches(&mut self, p: u32, out: &mut BrokerOut) {
        self.touch(p);
        let mut i = 0;
        while i < self.replica_parked.len() {
            let b = self.replica_parked[i].replica as usize;
            let fetches_p = self
                .sessions
                .get(b)
                .and_then(|s| s.as_ref())
                .is_some_and(|s| s.partitions.binary_search_by_key(&p, |x| x.partition).is_ok());
            if fetches_p {
                let f = self.replica_parked.remove(i);
                out.cancel(BrokerTimer::FetchWait { id: f.parked });
                self.answer_parked(&f, out);
            } else {
                i += 1;
            }
        }
    }
}

/// Whether `replica`'s fetch state of `p`, which the broker holding `replicas` leads, is steady.
fn follower_steady(replicas: &[Option<Replica>], p: u32, replica: u32) -> bool {
    match replicas[p as usize].as_ref().map(|r| &r.role) {
        Some(Role::Leader(ls)) => ls.followers.iter().any(|f| f.broker == replica && f.steady),
        _ => false,
    }
}
