//! Retry timing: the growing retry backoff of the coordinator paths (KIP-580), the metadata
//! refresh backoff (`Metadata.timeToAllowUpdate`), the reconnect backoff of a broker that reset
//! or refused, the failure of what was in flight on it, and the wake-ups that end them.

use super::*;

impl Consumer {
    /// Wait `retry.backoff.ms` doubled per failure in a row, up to `retry.backoff.max.ms`
    /// (`retryBackoff.backoff(attempts++)` in Java's coordinator loops, KIP-580), then try again
    /// what waits.
    pub(super) fn retry_later_growing(&mut self, now: u64, out: &mut ConsumerOut) {
        let delay = self.retry_backoff().backoff(self.retry_attempts);
        self.retry_attempts = self.retry_attempts.saturating_add(1);
        self.retry_later(now, delay, out);
    }

    /// A coordinator request succeeded: the next failure waits `retry.backoff.ms` again (each of
    /// Java's loops starts its `attempts` at 0).
    pub(super) fn retry_succeeded(&mut self) {
        self.retry_attempts = 0;
    }

    /// The consumer's metadata refresh backoff (`Metadata` with `retry.backoff.ms` and
    /// `retry.backoff.max.ms`).
    pub(super) fn metadata_allowed_at(&self) -> u64 {
        self.metadata_backoff.allowed_at(&self.retry_backoff())
    }

    /// The consumer's `retry.backoff.ms` growing to `retry.backoff.max.ms` (KIP-580).
    fn retry_backoff(&self) -> ExponentialBackoff {
        ExponentialBackoff::new(self.spec.config.retry_backoff_ms, self.spec.config.retry_backoff_max_ms)
    }

    /// The broker for a metadata request or a coordinator lookup: the next in round-robin order
    /// whose connection has not failed since its last answer, else the next whose reconnect
    /// backoff is over, else the one whose backoff ends first (Java's `leastLoadedNode` prefers
    /// a ready connection and skips a node that `canConnect` refuses).
    pub(super) fn lookup_broker(&mut self, now: u64) -> u32 {
        let n = self.topo.brokers;
        let order = (0..n).map(|i| (self.metadata_rr + i) % n + 1);
        let b = order
            .clone()
            .find(|&b| self.reconnect[b as usize].1 == 0)
            .or_else(|| order.clone().find(|&b| self.reconnect[b as usize].0 <= now))
            .or_else(|| order.min_by_key(|&b| self.reconnect[b as usize].0))
            .expect("a cluster has brokers");
        self.metadata_rr = b;
        b
    }

    /// `broker` reset or refused a connection: no lookup or fetch goes to it for
    /// `reconnect.backoff.ms` (50), doubling per failure in a row up to
    /// `reconnect.backoff.max.ms` (1000), as `ClusterConnectionStates.disconnected` sets (KIP-144;
    /// the defaults, fixed, without the 20% jitter). Refusals that arrive during the backoff
    /// (of requests sent before it) count once.
    pub(super) fn connection_failed(&mut self, now: u64, broker: u32, out: &mut ConsumerOut) {
        let (at, failures) = self.reconnect[broker as usize];
        if at > now {
            return;
        }
        let until = now + RECONNECT.backoff(failures);
        self.reconnect[broker as usize] = (until, failures.saturating_add(1));
        self.wake_at(now, until, out);
    }

    /// Wake up at `at` to try again what waits.
    pub(super) fn retry_later(&mut self, now: u64, delay: u64, out: &mut ConsumerOut) {
        let at = now + delay.max(1);
        self.retry_at = self.retry_at.max(at);
        self.wake_at(now, at, out);
    }

    /// Wake up at `at` without delaying lookups: a failed fetch backs off its broker only, as
    /// Java's fetcher does, so fetches failing in turn at two dead leaders cannot keep pushing
    /// back the metadata refresh and coordinator lookup that would find the new ones.
    pub(super) fn wake_at(&mut self, now: u64, at: u64, out: &mut ConsumerOut) {
        self.wake_until = self.wake_until.max(at);
        if self.retry_armed.is_some_and(|t| t >= now && t <= at) {
            return;
        }
        self.retry_armed = Some(at);
        out.timer(at - now, ConsumerTimer::Retry);
    }

    /// `broker` reset the connection or refused: every request in flight on it fails.
    pub(super) fn fail_broker(&mut self, now: u64, broker: u32, e: KafkaError, out: &mut ConsumerOut) {
        let failed: Vec<(ReqId, ReqKind)> =
            self.requests.iter().filter(|(_, &(b, _))| b == broker).map(|(&r, &(_, k))| (r, k)).collect();
        let only_fetches = failed.iter().all(|&(_, k)| k == ReqKind::Fetch);
        for (req, kind) in failed {
            self.forget_req(req, out);
            match kind {
                ReqKind::Metadata => {
                    // `DefaultMetadataUpdater.handleServerDisconnect`: `Metadata.failedUpdate`.
                    self.metadata_wanted = true;
                    self.metadata_backoff.failed(now);
                }
                ReqKind::FindCoordinator => self.fail_pending_async(e, out),
                ReqKind::Join | ReqKind::Sync => {
                    self.coordinator = None;
                    self.phase = Phase::Unjoined;
                }
                ReqKind::Heartbeat => {
                    self.heartbeat_in_flight = false;
                    self.coordinator = None;
                }
                ReqKind::Commit => {
                    // A coordinator request cut off by a disconnect marks the coordinator
                    // unknown (`AbstractCoordinator`'s response handler on a DisconnectException).
                    self.coordinator = None;
                    self.on_commit_response(now, req, Err(e), out)
                }
                ReqKind::OffsetFetch => {
                    self.offsets_req = None;
                    self.coordinator = None;
                }
                ReqKind::ListOffsets(p) => {
                    self.resetting[p as usize] = false;
                    self.metadata_wanted = true;
                }
                ReqKind::Validate(p) => self.validation_failed(p),
                ReqKind::Fetch => {
                    self.fetches.remove(&broker);
                    self.fetch_backoff[broker as usize] = now + self.spec.config.retry_backoff_ms;
                    self.metadata_wanted = true;
                }
            }
        }
        if only_fetches {
            // The metadata refresh a failed fetch asks for is not held back by it.
            self.wake_at(now, now + self.spec.config.retry_backoff_ms, out);
        } else {
            // A coordinator request cut off: the coordinator is looked up again after the
            // growing backoff (`ensureCoordinatorReady` marks it unknown and sleeps
            // `retryBackoff.backoff(attempts++)`).
            self.retry_later_growing(now, out);
        }
    }
}
