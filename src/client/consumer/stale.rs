//! Stale guard timers: a request's timeout once the request is over, a poll's timeout once the
//! poll is over, taken back (`Out::cancel`) by the members that do not count on them.

use super::*;

impl Consumer {
    /// Forget in-flight request `req` (answered, failed, or given up on): its timeout is taken
    /// back, as it would find nothing to time out. What the request was, if it was in flight.
    pub(super) fn forget_req(&mut self, req: ReqId, out: &mut ConsumerOut) -> Option<(u32, ReqKind)> {
        let r = self.requests.remove(&req);
        if r.is_some() && self.cancels_stale_timers() {
            out.cancel(ConsumerTimer::RequestTimeout { req });
        }
        r
    }

    /// After each step: a queued `PollTimeout` of a poll that is over (the application left
    /// `poll()`, or called it again) would fire to find `poll` stale, so it is taken back. A
    /// poll once over stays over: only `enter_poll` makes the application poll again, under a
    /// new number.
    pub(super) fn cancel_stale_poll_timer(&mut self, out: &mut ConsumerOut) {
        if let Some(poll) = self.poll_timer {
            if poll != self.poll_no || self.app != App::Polling {
                self.poll_timer = None;
                if self.cancels_stale_timers() {
                    out.cancel(ConsumerTimer::PollTimeout { poll });
                }
            }
        }
    }

    /// Whether this member takes back its stale `PollTimeout`s and `RequestTimeout`s. A stale
    /// one does nothing itself, but its step ends with a `pump`, and some members count on
    /// that pump: `poll_step` returns as soon as it hands records over, so a member whose next
    /// poll begins in that same step (a processor, `processing_ms = 0`, an at-most-once commit
    /// failing at once) fetches only at its next event of any kind, and a service's member
    /// whose `poll()` comes from a poke (`Driver::pokes`, which does not pump) hands buffered
    /// records over only then: a stale timer is often that event. Such a member keeps them, so
    /// its run is what it was.
    fn cancels_stale_timers(&self) -> bool {
        self.proc.is_none()
            && self.driver.as_ref().is_none_or(|d| !d.pokes())
            && self.spec.processing_ms > 0
            && self.spec.commit != CommitMode::BeforeProcessing
    }
}
