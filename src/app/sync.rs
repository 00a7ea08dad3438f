//! The synchronous API: a [`ConsumerApp`] says, for each batch `poll()` returns, what to do
//! with it as a [`Plan`] of calls, and the simulator carries the plan out.

use std::collections::VecDeque;

use crate::client::driver::{Answer, Driver, Step};
use crate::error::KafkaError;
use crate::record::{Deliveries, Delivery};

/// A consumer application written as a callback: the simulator runs its poll loop and, for
/// each `poll()` that returns records, asks it what to do with them.
///
/// The simulator calls [`on_batch`](ConsumerApp::on_batch), carries out the calls of the
/// [`Plan`] in order with Kafka semantics, then calls `poll()` again. A crash can stop the
/// member between any two calls, or in the middle of processing a record's batch; its restarted
/// process gets a new application from the factory registered in [`Apps`](super::Apps).
pub trait ConsumerApp: Send {
    /// `poll()` returned `batch` (never empty): say what to do with it in `plan`. An empty plan
    /// polls again at once without processing anything.
    fn on_batch(&mut self, batch: &[Delivery], plan: &mut Plan);

    /// A `commitSync()` of the plan returned `result` (the plan goes on whatever it is). The
    /// default does nothing.
    fn on_commit(&mut self, result: Result<(), KafkaError>) {
        let _ = result;
    }
}

/// The calls a [`ConsumerApp`] makes with one batch, in order, before its next `poll()`.
#[derive(Debug)]
pub struct Plan {
    batch: Deliveries,
    steps: Vec<Step>,
}

impl Plan {
    /// Process record `i` of the batch: the consumer's `processing_ms`, then the side effect
    /// is in the external store (the history's `Processed`).
    ///
    /// # Panics
    ///
    /// If the batch has no record `i`.
    pub fn process(&mut self, i: usize) -> &mut Self {
        let d =
            self.batch.get(i).unwrap_or_else(|| panic!("the batch has {} records, not {}", self.batch.len(), i + 1));
        self.steps.push(Step::Process(d));
        self
    }

    /// Process every record of the batch, in order.
    pub fn process_all(&mut self) -> &mut Self {
        self.steps.extend(self.batch.iter().map(Step::Process));
        self
    }

    /// `commitSync()`: commit the position of every assigned partition (`allConsumed()`, which
    /// covers the whole batch whether processed or not) and wait for the answer; retriable
    /// errors are retried until `default.api.timeout.ms`.
    pub fn commit_sync(&mut self) -> &mut Self {
        self.steps.push(Step::CommitSync);
        self
    }

    /// `commitAsync()`: send a commit of the positions and go on at once (never retried).
    pub fn commit_async(&mut self) -> &mut Self {
        self.steps.push(Step::CommitAsync);
        self
    }

    /// Sleep `ms` virtual milliseconds (no `poll()` meanwhile: `max.poll.interval.ms` runs).
    pub fn sleep(&mut self, ms: u64) -> &mut Self {
        self.steps.push(Step::Sleep(ms));
        self
    }

    /// The calls planned so far, in order (for tests and logs), e.g. `["process 0", "commitSync"]`.
    pub fn calls(&self) -> Vec<String> {
        let index = |d: &Delivery| self.batch.iter().position(|x| x == *d).unwrap_or(usize::MAX);
        self.steps
            .iter()
            .map(|s| match s {
                Step::Process(d) => format!("process {}", index(d)),
                Step::CommitSync => "commitSync".into(),
                Step::CommitAsync => "commitAsync".into(),
                Step::Sleep(ms) => format!("sleep {ms}"),
                s => unreachable!("a plan holds no {s:?}"),
            })
            .collect()
    }
}

/// Replays each batch's plan, then polls.
pub(crate) struct SyncDriver {
    app: Box<dyn ConsumerApp>,
    steps: VecDeque<Step>,
}

impl SyncDriver {
    pub(crate) fn new(app: Box<dyn ConsumerApp>) -> Self {
        SyncDriver { app, steps: VecDeque::new() }
    }
}

impl Driver for SyncDriver {
    fn next(&mut self, _now: u64, answer: Answer) -> Step {
        match answer {
            Answer::Records(batch) => {
                // The application sees the records one by one; the history keeps them as runs.
                let records = batch.to_vec();
                let mut plan = Plan { batch, steps: Vec::new() };
                self.app.on_batch(&records, &mut plan);
                self.steps.extend(plan.steps);
            }
            Answer::Committed(result) => self.app.on_commit(result),
            Answer::Start | Answer::Done | Answer::Outcome(_) | Answer::Wake | Answer::Rebalanced => {}
        }
        self.steps.pop_front().unwrap_or(Step::Poll)
    }
}
