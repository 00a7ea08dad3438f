//! What the world asks a member about the end of a run: whether it has drained, closed or
//! failed, and, when a run stops at `duration_ms`, why it has not drained (the report's hint).

use super::*;

impl Consumer {
    /// Whether the member is closed, or stopped on an exception.
    pub fn closed(&self) -> bool {
        matches!(self.app, App::Closed | App::Failed)
    }

    /// Partitions assigned to this member now.
    pub fn assignment(&self) -> &[u32] {
        &self.assignment
    }

    /// Whether the member has read and handled everything up to `end(p)` of each assigned
    /// partition and waits in `poll()` with nothing else to do (the drain phase is over for it).
    /// A paused partition is not read until the application resumes it: it does not count.
    pub fn drained(&self, end: impl Fn(u32) -> Option<u64>) -> bool {
        if matches!(self.app, App::Failed | App::Closing | App::Closed) {
            return true;
        }
        self.app == App::Polling
            && self.steady()
            && self
                .assignment
                .iter()
                .all(|&p| self.paused(p) || end(p).is_none_or(|e| self.position[p as usize] == Some(e)))
    }

    /// In a stable group with no rebalance, reconciliation or commit outstanding.
    fn steady(&self) -> bool {
        self.phase == Phase::Stable
            && !self.rejoin_needed
            && self.sync_commit.is_none()
            && self.pending_sync.is_none()
            && !self.kip848.reconciling()
            && self.async_commits.values().all(|offsets| self.commits_nothing_new(offsets))
            && self.pending_async.is_empty()
    }

    /// Whether an asynchronous commit of `offsets` only repeats what this member's own commits
    /// (or its OffsetFetch) already saw committed: an idle member's auto-commit, which the end
    /// of a run need not wait for (its `close()` commits the positions again).
    fn commits_nothing_new(&self, offsets: &[(u32, u64)]) -> bool {
        offsets.iter().all(|&(p, o)| self.rdk_committed().any(|c| c == (p, o)))
    }

    /// Whether a service's member waits on the cluster: drained, or idle (its service makes no
    /// call on it) in a stable group with no commit outstanding.
    pub fn service_quiet(&self, end: impl Fn(u32) -> Option<u64>) -> bool {
        self.drained(&end) || (self.app == App::UserIdle && self.steady())
    }

    /// Whether the application stopped on an exception.
    pub fn failed(&self) -> bool {
        self.app == App::Failed
    }

    /// What this member still waits for, in a phrase (`None`: drained). `end(p)` is partition
    /// `p`'s high watermark at its leader.
    pub fn waiting_for(&self, end: impl Fn(u32) -> Option<u64>) -> Option<String> {
        if self.drained(&end) {
            return None;
        }
        let name = |p: u32| {
            let info = &self.topo.partitions[p as usize];
            format!("{}/{}", info.topic, info.partition)
        };
        if self.phase != Phase::Stable || self.rejoin_needed || self.kip848.reconciling() {
            return Some(format!(
                "is in a rebalance (a new group's first JoinGroup waits `group.initial.rebalance.delay.ms`; a later one up to the rebalance timeout, `max.poll.interval.ms` = {} ms, for every member to rejoin)",
                self.spec.config.max_poll_interval_ms
            ));
        }
        if self.sync_commit.is_some() || self.pending_sync.is_some() || !self.async_commits.is_empty() {
            return Some("waits for an offset commit".to_string());
        }
        let behind: Vec<String> = self
            .assignment
            .iter()
            .filter_map(|&p| {
                let e = end(p)?;
                let at = self.position[p as usize];
                (at != Some(e)).then(|| match at {
                    Some(at) => format!("{} at {at} of {e}", name(p)),
                    None => format!("{} with no position yet (high watermark {e})", name(p)),
                })
            })
            .collect();
        if !behind.is_empty() {
            let lso = if self.spec.config.isolation_level == crate::record::IsolationLevel::ReadCommitted {
                " (read_committed: it reads only below the last stable offset, which an open transaction holds back)"
            } else {
                ""
            };
            return Some(format!("has not read to the high watermark: {}{lso}", behind.join(", ")));
        }
        Some("is busy in its application (processing or sleeping)".to_string())
    }
}
