//! Offset commits: commitSync, commitAsync and auto-commit, and what their answers do.

use super::*;

impl Consumer {
    /// `allConsumed()`: the position of every assigned partition that has one (librdkafka: the
    /// stored offsets to commit).
    pub(super) fn consumed(&self) -> Arc<[(u32, u64)]> {
        if self.librdkafka() {
            return self.rdk_commit_offsets();
        }
        self.assignment.iter().filter_map(|&p| self.position[p as usize].map(|o| (p, o))).collect()
    }

    /// The history line of a commit that ended; a service's port hears of it too (rdkafka's
    /// `commit_callback`).
    pub(super) fn commit_event(&mut self, offsets: Arc<[(u32, u64)]>, result: Result<(), KafkaError>) -> ConsumerObs {
        if let Some(d) = self.driver.as_mut() {
            d.committed(&offsets, result);
        }
        ConsumerObs::History(EventKind::OffsetCommit { consumer: self.idx, instance: self.instance, offsets, result })
    }

    /// Begin `commitSync()`; false when it ended at once (nothing to commit, or failed locally).
    pub(super) fn start_sync_commit(&mut self, now: u64, deadline: u64, out: &mut ConsumerOut) -> bool {
        self.begin_sync_commit(now, deadline, out).is_none()
    }

    /// Begin `commitSync()`: `None` while it waits for its answer, or what it returned at once
    /// (`Ok` with nothing to commit, an error when not a member of a stable generation).
    pub(super) fn begin_sync_commit(
        &mut self,
        now: u64,
        deadline: u64,
        out: &mut ConsumerOut,
    ) -> Option<Result<(), KafkaError>> {
        let offsets = self.consumed();
        self.begin_sync_commit_of(now, deadline, offsets, out)
    }

    /// Begin `commitSync(offsets)` (Java's `commitSync(Map)`, librdkafka's `rd_kafka_commit` with
    /// a list): as [`Consumer::begin_sync_commit`], with these offsets.
    pub(super) fn begin_sync_commit_of(
        &mut self,
        now: u64,
        deadline: u64,
        offsets: Arc<[(u32, u64)]>,
        out: &mut ConsumerOut,
    ) -> Option<Result<(), KafkaError>> {
        if offsets.is_empty() {
            return Some(Ok(()));
        }
        if self.phase != Phase::Stable || self.generation < 0 {
            let e = if self.rejoin_needed && self.member_id.is_known() {
                KafkaError::RebalanceInProgress
            } else {
                KafkaError::CommitFailed
            };
            out.observe(self.commit_event(offsets, Err(e)));
            return Some(Err(e));
        }
        self.sync_commit = Some(SyncCommit { offsets, deadline, req: None, retry_at: now });
        self.send_sync_commit(now, out);
        None
    }

    pub(super) fn send_sync_commit(&mut self, now: u64, out: &mut ConsumerOut) {
        let Some(coord) = self.coordinator else { return };
        let Some(c) = self.sync_commit.as_ref() else { return };
        if c.req.is_some() || now < c.retry_at {
            return;
        }
        let offsets = c.offsets.clone();
        let req = self.send_commit(coord, offsets, out);
        if let Some(c) = self.sync_commit.as_mut() {
            c.req = Some(req);
        }
    }

    /// Auto-commit's asynchronous commit (`autoCommitOffsetsAsync`); without a known
    /// coordinator it fails at once.
    pub(super) fn commit_async(&mut self, _now: u64, out: &mut ConsumerOut) {
        let offsets = self.consumed();
        if offsets.is_empty() {
            return;
        }
        let Some(coord) = self.coordinator.filter(|_| self.phase == Phase::Stable && self.generation >= 0) else {
            out.observe(self.commit_event(offsets, Err(KafkaError::CommitFailed)));
            return;
        };
        let req = self.send_commit(coord, offsets.clone(), out);
        self.async_commits.insert(req, offsets);
    }

    /// Send an OffsetCommit of `offsets` for this member's generation; its request id.
    pub(super) fn send_commit(&mut self, coord: u32, offsets: Arc<[(u32, u64)]>, out: &mut ConsumerOut) -> ReqId {
        let req = self.req_id();
        let (group, member_id, generation) = (self.group, self.member_id, self.generation);
        let msg = Msg::OffsetCommit { req, group, member_id, generation, offsets };
        self.request(coord, ReqKind::Commit, self.spec.config.request_timeout_ms, msg, out)
    }

    pub(super) fn on_commit_response(
        &mut self,
        now: u64,
        req: ReqId,
        result: Result<(), KafkaError>,
        out: &mut ConsumerOut,
    ) {
        if result.is_ok() {
            self.rdk_commit_succeeded(req);
        }
        if let Some(offsets) = self.async_commits.remove(&req) {
            // commitAsync: never retried; a retriable failure re-arms the auto-commit timer.
            if let Err(e) = result {
                if e.is_retriable() {
                    self.next_auto_commit = now + self.spec.config.retry_backoff_ms;
                }
                self.on_commit_error(now, e, out);
            }
            out.observe(self.commit_event(offsets, result));
            return;
        }
        let stale_retried = result.is_err_and(|e| self.kip848_retries_commit(e));
        let Some(c) = self.sync_commit.as_mut().filter(|c| c.req == Some(req)) else { return };
        c.req = None;
        match result {
            Err(e) if e.is_retriable() || e == KafkaError::RequestTimedOut || stale_retried => {
                if now >= c.deadline {
                    self.finish_sync_commit(now, Err(KafkaError::ApiTimeout), out);
                } else {
                    // `commitOffsetsSync`: `timer.sleep(retryBackoff.backoff(attempts++))`.
                    let before = self.retry_at;
                    self.on_commit_error(now, e, out);
                    if self.retry_at == before {
                        self.retry_later_growing(now, out);
                    }
                    let at = self.retry_at;
                    if let Some(c) = self.sync_commit.as_mut() {
                        c.retry_at = at;
                    }
                }
            }
            result => {
                match result {
                    Err(e) => self.on_commit_error(now, e, out),
                    Ok(()) => self.retry_succeeded(),
                }
                self.finish_sync_commit(now, result, out);
            }
        }
    }

    pub(super) fn on_commit_error(&mut self, now: u64, e: KafkaError, out: &mut ConsumerOut) {
        match e {
            // KIP-848: a commit's error ends the commit only (CommitFailedException); the
            // heartbeat learns of a fencing and the new epoch (`CommitRequestManager`).
            KafkaError::UnknownMemberId | KafkaError::StaleMemberEpoch if self.kip848() => {}
            KafkaError::NotCoordinator
            | KafkaError::CoordinatorNotAvailable
            | KafkaError::CoordinatorLoadInProgress => {
                self.coordinator = None;
                self.retry_later_growing(now, out);
            }
            KafkaError::RebalanceInProgress | KafkaError::UnknownMemberId | KafkaError::IllegalGeneration => {
                self.on_group_error(now, e, out)
            }
            _ => {}
        }
    }

    pub(super) fn finish_sync_commit(&mut self, now: u64, result: Result<(), KafkaError>, out: &mut ConsumerOut) {
        let Some(c) = self.sync_commit.take() else { return };
        if let Some(req) = c.req {
            self.forget_req(req, out);
        }
        out.observe(self.commit_event(c.offsets, result));
        if self.app == App::Closing {
            self.leave(out);
            return;
        }
        if self.app == App::UserCommitting {
            self.user_next(now, crate::client::driver::Answer::Committed(result), out);
            return;
        }
        let App::Committing { then_process } = self.app else { return };
        if then_process && result.is_ok() {
            self.start_processing(now, out);
        } else {
            // A failed commit before processing: the batch is dropped (at-most-once); after
            // processing: logged, and the loop goes on.
            self.enter_poll(now, out);
        }
    }
}

/// Java's `commitAsync()` called by the application (`ConsumerCoordinator.commitOffsetsAsync`),
/// and the built-in loop of `commit = "after-processing-async"` around it.
impl Consumer {
    /// Whether the built-in loop commits with `commitAsync()` after each batch and so, as the
    /// usual pattern does, with `commitSync()` on revocation and in its `finally` before `close()`.
    pub(super) fn async_loop(&self) -> bool {
        self.spec.commit == CommitMode::Async && self.driver.is_none() && self.proc.is_none()
    }

    /// The built-in loop's commit after processing a batch: `commitSync()` (`true` while the
    /// application waits for it) or `commitAsync()` (the loop polls again at once).
    pub(super) fn commit_after_processing(&mut self, now: u64, out: &mut ConsumerOut) -> bool {
        match self.spec.commit {
            CommitMode::AfterProcessing => {
                let deadline = now + self.spec.config.default_api_timeout_ms;
                if self.start_sync_commit(now, deadline, out) {
                    self.app = App::Committing { then_process: false };
                    return true;
                }
            }
            CommitMode::Async => self.commit_async_app(out),
            CommitMode::Auto | CommitMode::BeforeProcessing => {}
        }
        false
    }

    /// `close()`'s commit and how long it may take: with auto-commit, close's own synchronous
    /// commit; in the async loop, the application's `commitSync()` in its `finally`.
    pub(super) fn close_commit_deadline(&self, now: u64) -> Option<u64> {
        if self.spec.config.enable_auto_commit {
            Some(now + CLOSE_TIMEOUT_MS)
        } else if self.async_loop() {
            Some(now + self.spec.config.default_api_timeout_ms)
        } else {
            None
        }
    }

    /// The application's `commitAsync()` of the positions: sent once and never retried. With
    /// the coordinator unknown it waits for the next lookup (Java chains it to
    /// `lookupCoordinator()` rather than retry, so commits never overtake each other).
    pub(super) fn commit_async_app(&mut self, out: &mut ConsumerOut) {
        let offsets = self.consumed();
        self.commit_async_offsets(offsets, out);
    }

    /// `commitAsync(offsets, cb)`: as [`Consumer::commit_async_app`], with these offsets.
    pub(super) fn commit_async_offsets(&mut self, offsets: Arc<[(u32, u64)]>, out: &mut ConsumerOut) {
        if offsets.is_empty() {
            return;
        }
        if self.coordinator.is_none() {
            self.pending_async.push(offsets);
            return;
        }
        self.send_async(offsets, out);
    }

    /// `doCommitOffsetsAsync`: fails at once outside a stable generation (`sendOffsetCommitRequest`:
    /// a RebalanceInProgressException while rejoining, else a CommitFailedException).
    fn send_async(&mut self, offsets: Arc<[(u32, u64)]>, out: &mut ConsumerOut) {
        let Some(coord) = self.coordinator else { return };
        if self.phase != Phase::Stable || self.generation < 0 {
            let rebalancing = self.rejoin_needed && self.member_id.is_known();
            let e = if rebalancing { KafkaError::RebalanceInProgress } else { KafkaError::CommitFailed };
            out.observe(self.commit_event(offsets, Err(e)));
            return;
        }
        let req = self.send_commit(coord, offsets.clone(), out);
        self.async_commits.insert(req, offsets);
    }

    /// The coordinator is known again: send the commits that waited for it, in order.
    pub(super) fn send_pending_async(&mut self, out: &mut ConsumerOut) {
        if self.coordinator.is_none() {
            return;
        }
        for offsets in std::mem::take(&mut self.pending_async) {
            self.send_async(offsets, out);
        }
    }

    /// The coordinator lookup failed: each commit that waited for it fails (Java's callback sees
    /// a RetriableCommitFailedException) and is not retried.
    pub(super) fn fail_pending_async(&mut self, e: KafkaError, out: &mut ConsumerOut) {
        for offsets in std::mem::take(&mut self.pending_async) {
            out.observe(self.commit_event(offsets, Err(e)));
        }
    }
}
