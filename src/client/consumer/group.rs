//! A member's side of the group protocol: join, sync, the range assignor, heartbeats, leaving.

use super::*;

impl Consumer {
    /// An error from the coordinator on a group request.
    pub(super) fn on_group_error(&mut self, now: u64, e: KafkaError, out: &mut ConsumerOut) {
        match e {
            // A transaction still holds offsets of these partitions: ask again (require_stable).
            // (`fetchCommittedOffsets` sleeps `retryBackoff.backoff(attempts++)`.)
            KafkaError::UnstableOffsetCommit => self.retry_later_growing(now, out),
            KafkaError::RebalanceInProgress => self.rejoin_needed = true,
            // Another process joined with this member's instance id (KIP-345): fatal.
            KafkaError::FencedInstanceId => self.fail(now, e, out),
            KafkaError::UnknownMemberId | KafkaError::IllegalGeneration => self.reset_membership(),
            _ => {
                self.coordinator = None;
                self.retry_later_growing(now, out);
            }
        }
    }

    /// This member's `group.instance.id` (KIP-345): instance K of a consumer whose config sets
    /// the value V is the static member `V-K`; `None` for a dynamic member.
    pub(super) fn instance_id(&self) -> Option<String> {
        let v = self.spec.config.group_instance_id.as_ref()?;
        Some(format!("{v}-{}", self.instance))
    }

    /// Java's `resetStateAndRejoin`: this member is out of the group and joins as a new one.
    pub(super) fn reset_membership(&mut self) {
        self.member_id = MemberId::UNKNOWN;
        self.generation = -1;
        self.rejoin_needed = true;
        if self.phase != Phase::Joining {
            self.phase = Phase::Unjoined;
        }
    }

    pub(super) fn on_join_response(
        &mut self,
        now: u64,
        result: Result<JoinResult, (KafkaError, MemberId)>,
        out: &mut ConsumerOut,
    ) {
        self.phase = Phase::Unjoined;
        match result {
            Err((KafkaError::MemberIdRequired, id)) => {
                self.member_id = id;
            }
            Err((e, _)) => {
                self.on_group_error(now, e, out);
                if e == KafkaError::RebalanceInProgress {
                    self.retry_later(now, self.spec.config.retry_backoff_ms, out);
                }
            }
            Ok(r) => {
                self.retry_succeeded();
                self.member_id = r.member_id;
                self.generation = r.generation;
                let assignments = match r.leader == r.member_id {
                    true if self.cooperative() => self.cooperative_sticky_assign(&r.members),
                    true => self.range_assign(&r.members),
                    false => Vec::new(),
                };
                let Some(c) = self.coordinator else { return };
                let req = self.req_id();
                let msg = Msg::SyncGroup {
                    req,
                    group: self.group,
                    member_id: self.member_id,
                    generation: self.generation,
                    assignments,
                };
                self.request(c, ReqKind::Sync, self.spec.config.request_timeout_ms, msg, out);
                self.phase = Phase::Syncing;
            }
        }
    }

    /// Kafka's RangeAssignor: per topic, members (by id) get consecutive ranges of partitions,
    /// the first `partitions % members` one extra.
    pub(super) fn range_assign(&self, members: &[(MemberId, Arc<Subscription>)]) -> Vec<(MemberId, Vec<u32>)> {
        let mut result: Vec<(MemberId, Vec<u32>)> = members.iter().map(|(id, _)| (*id, Vec::new())).collect();
        result.sort_by_key(|r| r.0);
        let mut topics: Vec<u32> = members.iter().flat_map(|(_, s)| s.topics.iter().copied()).collect();
        topics.sort_unstable();
        topics.dedup();
        for t in topics {
            let (_, first, count) = self.topo.topics[t as usize];
            let subs: Vec<usize> = (0..result.len())
                .filter(|&i| members.iter().any(|(id, s)| *id == result[i].0 && s.topics.contains(&t)))
                .collect();
            let m = subs.len() as u32;
            if m == 0 {
                continue;
            }
            let (per, extra) = (count / m, count % m);
            for (k, &i) in subs.iter().enumerate() {
                let k = k as u32;
                let start = k * per + k.min(extra);
                let len = per + u32::from(k < extra);
                result[i].1.extend((start..start + len).map(|p| first + p));
            }
        }
        result
    }

    pub(super) fn on_sync_response(&mut self, now: u64, result: Result<Vec<u32>, KafkaError>, out: &mut ConsumerOut) {
        match result {
            Ok(parts) => {
                self.phase = Phase::Stable;
                self.rejoin_needed = false;
                self.join_prepared = false;
                if self.cooperative() {
                    // Applied, and anything revoked, at the next poll() (onJoinComplete).
                    self.pending_sync = Some((parts, false));
                    return;
                }
                self.record_assignment(parts, out);
                self.proc_assigned(now, out);
            }
            Err(e) => {
                self.phase = Phase::Unjoined;
                self.on_group_error(now, e, out);
                self.rejoin_needed = true;
            }
        }
    }

    /// `poll()`'s step while a (re)join is needed: onJoinPrepare, then JoinGroup. `true` when
    /// `poll()` returns no records meanwhile: always with the eager protocol, whose member owns
    /// nothing until the SyncGroup answer; a cooperative member keeps its partitions (KIP-429).
    pub(super) fn join_step(&mut self, now: u64, coord: u32, out: &mut ConsumerOut) -> bool {
        if self.phase == Phase::Joining || self.phase == Phase::Syncing {
            return !self.keeps_partitions();
        }
        if self.proc.is_some() && !self.join_prepared {
            // onPartitionsRevoked: a processor commits its task (or aborts its transaction
            // when its membership is lost) before the rejoin.
            self.join_prepared = true;
            if self.start_task_commit(now, false, out) {
                return true;
            }
        }
        if self.generation >= 0 && !self.assignment.is_empty() && !self.join_prepared {
            // onJoinPrepare: with auto-commit, commit what was consumed (both protocols). The
            // async loop's onPartitionsRevoked calls commitSync() (eager: everything is revoked;
            // cooperative revocations commit in `complete_cooperative`).
            self.join_prepared = true;
            let deadline = if self.spec.config.enable_auto_commit {
                Some(now + self.spec.config.max_poll_interval_ms)
            } else if self.async_loop() && !self.cooperative() {
                Some(now + self.spec.config.default_api_timeout_ms)
            } else {
                None
            };
            if deadline.is_some_and(|d| self.start_sync_commit(now, d, out)) {
                self.app = App::Committing { then_process: false };
                return true;
            }
        }
        if !self.cooperative() || self.generation < 0 {
            // Eager protocol: revoke everything before joining; a member out of the group
            // (no generation) loses its partitions with either protocol (onPartitionsLost).
            self.revoke();
        }
        if now < self.retry_at {
            return !self.keeps_partitions();
        }
        let req = self.req_id();
        let c = &self.spec.config;
        // The subscription carries the partitions still owned (ConsumerProtocol's
        // ownedPartitions): none with the eager protocol, so the leader can be sticky.
        let subscription = Arc::new(Subscription { topics: self.topics.clone(), owned: self.assignment.clone() });
        let msg = Msg::JoinGroup {
            req,
            group: self.group,
            member_id: self.member_id,
            session_timeout_ms: c.session_timeout_ms,
            rebalance_timeout_ms: c.max_poll_interval_ms,
            subscription,
            instance_id: self.instance_id().map(Arc::new),
        };
        let timeout = c.max_poll_interval_ms + JOIN_GROUP_TIMEOUT_EXTRA_MS;
        self.request(coord, ReqKind::Join, timeout, msg, out);
        self.phase = Phase::Joining;
        !self.keeps_partitions()
    }

    pub(super) fn heartbeat(&mut self, now: u64, out: &mut ConsumerOut) {
        if self.kip848() {
            return self.kip848_heartbeat(now, true, out);
        }
        if matches!(self.app, App::Failed | App::Closed) || !self.member_id.is_known() || self.generation < 0 {
            return;
        }
        if !matches!(self.phase, Phase::Stable | Phase::Syncing) {
            return;
        }
        if now.saturating_sub(self.last_poll) > self.spec.config.max_poll_interval_ms {
            // The application did not poll in time: leave the group (Java's maybeLeaveGroup;
            // a static member sends no LeaveGroup, its session timeout removes it).
            if let (Some(c), None) = (self.coordinator, self.instance_id()) {
                out.send(NodeId::Broker(c), Msg::LeaveGroup { group: self.group, member_id: self.member_id });
            }
            self.reset_membership();
            return;
        }
        let Some(c) = self.coordinator else { return };
        if self.heartbeat_in_flight {
            return;
        }
        self.heartbeat_in_flight = true;
        let req = self.req_id();
        let msg =
            Msg::GroupHeartbeat { req, group: self.group, member_id: self.member_id, generation: self.generation };
        self.request(c, ReqKind::Heartbeat, self.spec.config.request_timeout_ms, msg, out);
    }

    /// `close()`'s LeaveGroup; a static member sends none (KIP-345): its session timeout
    /// removes it, unless it comes back first.
    pub(super) fn leave(&mut self, out: &mut ConsumerOut) {
        if self.kip848() {
            self.kip848_leave(out);
        } else if let (Some(c), true, None) = (self.coordinator, self.member_id.is_known(), self.instance_id()) {
            out.send(NodeId::Broker(c), Msg::LeaveGroup { group: self.group, member_id: self.member_id });
        }
        self.app = App::Closed;
    }
}
