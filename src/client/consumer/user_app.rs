//! A member whose application loop is user code (an application of the `app` module): instead of the built-in
//! poll → process → commit loop of its `commit` placement, the member asks the application's
//! [`Driver`] for its next call each time the previous one returns, and carries it out with the
//! same machinery the built-in loop uses (the same processing timers, the same `commitSync()`),
//! so a user application that makes the built-in loop's calls runs exactly as it does.

use std::sync::Arc;

use super::{App, Consumer, ConsumerObs, ConsumerOut, ConsumerTimer, Topology, CLOSE_TIMEOUT_MS};
use crate::client::driver::{Answer, ConsumerView, Driver, Step};
use crate::record::Delivery;
use crate::scenario::ConsumerSpec;

use crate::client::driver::INSTANT_CALLS_LIMIT;

impl Consumer {
    /// A member run by user code: it starts with the application's first call.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start_user(
        idx: u32,
        instance: u32,
        incarnation: u32,
        spec: Arc<ConsumerSpec>,
        topo: Arc<Topology>,
        now: u64,
        driver: Box<dyn Driver>,
        out: &mut ConsumerOut,
    ) -> Self {
        let mut c = Consumer::new_member(idx, instance, incarnation, spec, topo, now, out);
        c.driver = Some(driver);
        c.user_next(now, Answer::Start, out);
        c
    }

    /// Whether the member's user application returned (its consumer is closed or closing).
    pub fn app_returned(&self) -> bool {
        self.app_returned
    }

    /// The application's previous call returned `answer`: carry out its next calls until one
    /// has to wait (for records, processing time, a commit's answer, a sleep).
    pub(super) fn user_next(&mut self, now: u64, mut answer: Answer, out: &mut ConsumerOut) {
        for _ in 0..INSTANT_CALLS_LIMIT {
            let Some(mut driver) = self.driver.take() else { return };
            driver.view(&mut |v| self.fill_view(v));
            self.told_app();
            let step = driver.next(now, answer);
            self.driver = Some(driver);
            if !matches!(step, Step::Process(_)) {
                // A run of processing ends with the first call that is not processing (as the
                // built-in loop writes it when its batch ends).
                self.flush_processed(out);
            }
            match step {
                Step::Poll => {
                    self.enter_poll(now, out);
                    return;
                }
                Step::Process(d) => {
                    if self.spec.processing_ms > 0 {
                        self.app = App::UserProcessing(d);
                        out.timer(self.spec.processing_ms, ConsumerTimer::Process { batch: self.batch_no });
                        return;
                    }
                    self.user_process_one(d, out);
                    answer = Answer::Done;
                }
                Step::CommitSync => {
                    let deadline = now + self.spec.config.default_api_timeout_ms;
                    match self.begin_sync_commit(now, deadline, out) {
                        None => {
                            self.app = App::UserCommitting;
                            return;
                        }
                        Some(result) => answer = Answer::Committed(result),
                    }
                }
                Step::CommitAsync => {
                    self.commit_async_app(out);
                    answer = Answer::Done;
                }
                Step::Seek(p, offset) => {
                    self.seek(p, offset);
                    answer = Answer::Done;
                }
                Step::CommitOffsets(offsets, sync) => match self.commit_offsets(now, offsets, sync, out) {
                    Some(a) => answer = a,
                    None => return,
                },
                Step::StoreOffsets(offsets) => {
                    self.store_offsets(&offsets);
                    answer = Answer::Done;
                }
                Step::Pause(parts, on) => {
                    self.pause(&parts, on);
                    answer = Answer::Done;
                }
                Step::Sleep(0) => answer = Answer::Done,
                Step::Sleep(ms) => {
                    self.sleeps += 1;
                    self.app = App::UserSleeping { sleep: self.sleeps };
                    out.timer(ms, ConsumerTimer::AppWake { sleep: self.sleeps });
                    return;
                }
                Step::Idle => {
                    self.app = App::UserIdle;
                    return;
                }
                Step::Send(_)
                | Step::BeginTxn
                | Step::EndTxn(_)
                | Step::Produce(..)
                | Step::Flush
                | Step::InitTxn
                | Step::SendOffsets(_) => {
                    unreachable!("a consumer application makes no producer calls")
                }
                Step::Finished => {
                    // The application returned: its consumer is closed (with auto-commit,
                    // close() commits the positions first).
                    self.driver = None;
                    self.app_returned = true;
                    self.app = App::Polling;
                    if self.spec.config.enable_auto_commit && self.start_sync_commit(now, now + CLOSE_TIMEOUT_MS, out) {
                        self.app = App::Closing;
                    } else {
                        self.leave(out);
                    }
                    return;
                }
            }
        }
        panic!(
            "the application of consumer {} made {INSTANT_CALLS_LIMIT} calls in a row at {now} ms without \
             waiting for anything (a loop without poll(), processing time or a sleep?)",
            self.spec.name
        );
    }

    /// `seek()`: an assigned partition is read from `offset` next; what is buffered for it goes
    /// (Java's `SubscriptionState.seek`: a new position, the fetch buffer of the partition cleared).
    fn seek(&mut self, p: u32, offset: u64) {
        if self.assignment.contains(&p) {
            self.position[p as usize] = Some(offset);
            self.resetting[p as usize] = false;
            self.buffer.retain(|(x, _, _)| *x != p);
        }
    }

    /// Write what the application may read of this member now into `v` (its lists reused: the
    /// view is rewritten before every call).
    fn fill_view(&self, v: &mut ConsumerView) {
        v.group = self.group;
        v.member_id = self.member_id;
        v.generation = self.generation;
        v.positions.clear();
        v.positions.extend(self.assignment.iter().map(|&p| (p, self.position[p as usize])));
        v.committed.clear();
        v.committed.extend(self.rdk_committed());
        v.paused.clear();
        v.paused.extend(self.paused_list());
        v.assigned_generation = self.assigned_generation();
    }

    /// The world pokes this member: its service may have a call for it.
    pub(crate) fn user_wake(&mut self, now: u64, out: &mut ConsumerOut) {
        if self.app == App::UserIdle {
            self.user_next(now, Answer::Wake, out);
        }
    }

    /// The record in processing is done.
    pub(super) fn user_processed(&mut self, now: u64, d: Delivery, out: &mut ConsumerOut) {
        self.user_process_one(d, out);
        self.user_next(now, Answer::Done, out);
    }

    fn user_process_one(&mut self, d: Delivery, out: &mut ConsumerOut) {
        self.processed_run.push(d);
        out.observe(ConsumerObs::ProcessedOne(d.record));
    }
}
