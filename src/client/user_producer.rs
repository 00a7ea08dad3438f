//! A producer whose application is user code (an async application's `SimProducer`):
//! instead of the workload loop, the producer asks the application's [`Driver`] for its next
//! call each time the previous one returned. A send waits for its record's acknowledgement or
//! failure; a transaction's end for its `TxnEnded`. Calls go through the same driven API a
//! processor's producer uses.

use std::sync::Arc;

use super::driver::{Answer, Driver, Step};
use super::producer::{Producer, ProducerObs, ProducerOut, ProducerTimer};
use crate::broker::Topology;
use crate::error::KafkaError;
use crate::record::EventKind;
use crate::scenario::ProducerSpec;

use crate::client::driver::INSTANT_CALLS_LIMIT;
use crate::client::transactional::TxnOffsets;

/// What the application waits for.
#[derive(Debug, Clone, PartialEq)]
enum Wait {
    /// Its current call is being carried out.
    Running,
    /// The acknowledgement or failure of this record.
    Record(u32),
    /// The end of its transaction: `commitTransaction()` (true) or `abortTransaction()`.
    Txn(bool),
    /// The end of its sleep number N.
    Sleep(u64),
    /// `initTransactions()`, before this call can go ahead.
    Ready(Step),
    /// Nothing: it returned.
    Returned,
    /// Nothing now: its service has no call for it until the world pokes it.
    Idle,
}

/// The application side of a producer process.
pub(crate) struct UserProducer {
    driver: Option<Box<dyn Driver>>,
    /// The driver is a service's port (`Driver::pokes`).
    pub(crate) pokes: bool,
    wait: Wait,
    sleeps: u64,
    /// Output of the current step already looked through for what the application waits for.
    scanned: Option<usize>,
    /// Records sent by `Step::Produce` whose outcome the application has not been told yet.
    in_flight: std::collections::BTreeSet<u32>,
    /// `sendOffsetsToTransaction()` of the open transaction: written when it commits.
    offsets: Option<TxnOffsets>,
}

impl std::fmt::Debug for UserProducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserProducer").field("wait", &self.wait).field("sleeps", &self.sleeps).finish()
    }
}

impl UserProducer {
    /// Whether the application returned.
    pub(crate) fn returned(&self) -> bool {
        self.wait == Wait::Returned
    }

    /// Whether it waits for its service (or returned) with no record in flight.
    pub(crate) fn quiet(&self) -> bool {
        matches!(self.wait, Wait::Idle | Wait::Returned) && self.in_flight.is_empty()
    }
}

/// The next thing to do: hand the application an answer, or carry out a call it made.
enum Next {
    Answer(Answer),
    Call(Step),
}

impl Producer {
    /// Instance `instance` of producer `idx`, run by the application `driver` from `now`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start_user(
        idx: u32,
        instance: u32,
        spec: Arc<ProducerSpec>,
        topo: Arc<Topology>,
        producer_id: i64,
        watch_sends: bool,
        now: u64,
        driver: Box<dyn Driver>,
        out: &mut ProducerOut,
    ) -> Self {
        // No workload of its own: every record is the application's to send.
        let records = spec.records;
        let mut p = Producer::start(idx, instance, spec, topo, producer_id, Vec::new(), records, watch_sends, out);
        if let Some(t) = p.txn.as_mut() {
            t.driven = true;
            t.own_group_lookup = true;
        }
        p.user = Some(Box::new(UserProducer {
            pokes: driver.pokes(),
            driver: Some(driver),
            wait: Wait::Running,
            sleeps: 0,
            scanned: None,
            in_flight: Default::default(),
            offsets: None,
        }));
        p.user_run(now, Next::Answer(Answer::Start), out);
        if let Some(u) = p.user.as_mut() {
            u.scanned = None;
        }
        p
    }

    fn set_wait(&mut self, wait: Wait) {
        if let Some(u) = self.user.as_mut() {
            u.wait = wait;
        }
    }

    /// Carry out the application's calls until one has to wait.
    fn user_run(&mut self, now: u64, mut next: Next, out: &mut ProducerOut) {
        for _ in 0..INSTANT_CALLS_LIMIT {
            let step = match next {
                Next::Call(step) => step,
                Next::Answer(answer) => {
                    let Some(driver) = self.user.as_mut().and_then(|u| u.driver.as_mut()) else { return };
                    driver.next(now, answer)
                }
            };
            let mark = out.obs.len();
            self.set_wait(Wait::Running);
            next = match self.user_call(now, step, out) {
                Some(answer) => Next::Answer(answer),
                None => match self.user_resolved(mark, out) {
                    Some(answer) => Next::Answer(answer),
                    None => {
                        if let Some(u) = self.user.as_mut() {
                            u.scanned = Some(out.obs.len());
                        }
                        return;
                    }
                },
            };
        }
        panic!(
            "the application of producer {} made {INSTANT_CALLS_LIMIT} calls in a row at {now} ms without waiting \
             for anything",
            self.spec.name
        );
    }

    /// Carry out one call: its answer if it returned at once.
    fn user_call(&mut self, now: u64, step: Step, out: &mut ProducerOut) -> Option<Answer> {
        let txn_call = matches!(step, Step::BeginTxn | Step::EndTxn(_) | Step::InitTxn | Step::SendOffsets(_));
        assert!(
            !txn_call || self.txn.is_some(),
            "producer {} is not transactional (no transactional.id): no transactions",
            self.spec.name
        );
        if matches!(step, Step::Send(_) | Step::Produce(..)) || txn_call {
            if self.driven_fatal() {
                return Some(Answer::Outcome(Err(KafkaError::ProducerFenced)));
            }
            if !self.driven_ready() {
                self.set_wait(Wait::Ready(step));
                return None;
            }
        }
        match step {
            Step::Send(r) => {
                assert!(
                    r < self.spec.records,
                    "producer {} sends record {r}, but its workload has records 0..{}",
                    self.spec.name,
                    self.spec.records
                );
                let p = self.partition_for(r, out);
                self.set_wait(Wait::Record(r));
                self.driven_send(now, r, p, out);
                None
            }
            Step::Produce(r, partition) => {
                // The service checked the record and the partition against the table and topic.
                let p = match partition {
                    Some(p) if p < self.parts.len() as u32 => p,
                    _ => self.partition_for(r, out),
                };
                if let Some(u) = self.user.as_mut() {
                    u.in_flight.insert(r);
                }
                self.driven_send(now, r, p, out);
                Some(Answer::Outcome(Ok(())))
            }
            Step::Flush => {
                self.driven_flush(now, out);
                Some(Answer::Done)
            }
            Step::Idle => {
                self.set_wait(Wait::Idle);
                None
            }
            // Ready (checked above): the producer id is there.
            Step::InitTxn => Some(Answer::Outcome(Ok(()))),
            Step::BeginTxn => {
                self.driven_begin();
                Some(Answer::Outcome(Ok(())))
            }
            Step::SendOffsets(o) => {
                self.driven_begin();
                if let Some(u) = self.user.as_mut() {
                    u.offsets = Some(o);
                }
                Some(Answer::Outcome(Ok(())))
            }
            Step::EndTxn(commit) => {
                self.set_wait(Wait::Txn(commit));
                let offsets = self.user.as_mut().and_then(|u| u.offsets.take());
                self.driven_end(now, commit, offsets, out);
                None
            }
            Step::Sleep(0) => Some(Answer::Done),
            Step::Sleep(ms) => {
                let u = self.user.as_mut().expect("a user producer");
                u.sleeps += 1;
                u.wait = Wait::Sleep(u.sleeps);
                out.timer(ms, ProducerTimer::AppWake { sleep: u.sleeps });
                None
            }
            Step::Finished => {
                // close(): what lingers goes out; the run waits for it to resolve.
                if let Some(u) = self.user.as_mut() {
                    u.driver = None;
                    u.wait = Wait::Returned;
                }
                self.driven_flush(now, out);
                None
            }
            Step::Poll
            | Step::Process(_)
            | Step::CommitSync
            | Step::CommitAsync
            | Step::Seek(..)
            | Step::CommitOffsets(..)
            | Step::StoreOffsets(_)
            | Step::Pause(..) => {
                unreachable!("a producer application makes no consumer calls")
            }
        }
    }

    /// What the application waits for, if `out` reports it from `mark` on.
    fn user_resolved(&self, mark: usize, out: &ProducerOut) -> Option<Answer> {
        let wait = &self.user.as_ref()?.wait;
        for o in out.obs.get(mark..).unwrap_or_default() {
            let ProducerObs::History(kind) = o else { continue };
            match (wait, kind) {
                (Wait::Record(r), EventKind::Acked { records, .. }) if records.contains(*r) => {
                    return Some(Answer::Outcome(Ok(())))
                }
                (Wait::Record(r), EventKind::Failed { records, error, .. }) if records.contains(*r) => {
                    return Some(Answer::Outcome(Err(*error)))
                }
                // A commit that had to abort (a send or the offsets failed) throws the abortable
                // error (`TransactionManager.maybeFailWithError`); the transaction is over.
                (Wait::Txn(true), EventKind::TxnEnded { commit: false, result: Ok(()), .. }) => {
                    return Some(Answer::Outcome(Err(KafkaError::TransactionAbortable)))
                }
                (Wait::Txn(_), EventKind::TxnEnded { result, .. }) => return Some(Answer::Outcome(*result)),
                _ => {}
            }
        }
        None
    }

    /// Tell the application the outcome of each record it sent without waiting that `out`
    /// reports from `mark` on.
    fn user_deliveries(&mut self, now: u64, mark: usize, out: &ProducerOut) {
        let Some(u) = self.user.as_mut() else { return };
        if u.in_flight.is_empty() {
            return;
        }
        for o in out.obs.get(mark..).unwrap_or_default() {
            let ProducerObs::History(kind) = o else { continue };
            let (partition, records, result) = match kind {
                EventKind::Acked { partition, records, offset, .. } => (*partition, records, Ok(*offset)),
                EventKind::Failed { partition, records, error, .. } => (*partition, records, Err(*error)),
                _ => continue,
            };
            for (i, r) in records.iter().enumerate() {
                if u.in_flight.remove(&r) {
                    let at = result.map(|base| if base < 0 { base } else { base + i as i64 });
                    if let Some(d) = u.driver.as_mut() {
                        d.delivered(now, r, partition, at);
                    }
                }
            }
        }
    }

    /// The world pokes this producer: its service may have a call for it.
    pub(crate) fn user_wake(&mut self, now: u64, out: &mut ProducerOut) {
        let mark = out.obs.len();
        if self.user.as_ref().is_some_and(|u| u.wait == Wait::Idle) {
            self.user_run(now, Next::Answer(Answer::Wake), out);
        }
        self.user_after_step(now, mark, out);
    }

    /// After a message or a timer: whatever the application waited for may have come.
    pub(crate) fn user_after_step(&mut self, now: u64, mark: usize, out: &mut ProducerOut) {
        self.user_deliveries(now, mark, out);
        let Some(u) = self.user.as_mut() else { return };
        let from = u.scanned.take().unwrap_or(mark).max(mark);
        match u.wait.clone() {
            Wait::Ready(step) if self.driven_ready() || self.driven_fatal() => {
                self.user_run(now, Next::Call(step), out)
            }
            Wait::Record(_) | Wait::Txn(_) => {
                if let Some(answer) = self.user_resolved(from, out) {
                    self.user_run(now, Next::Answer(answer), out);
                } else if self.txn.is_some()
                    && self.driven_fatal()
                    && self.user.as_ref().is_some_and(|u| matches!(u.wait, Wait::Txn(_)))
                {
                    // Fenced while ending: the transaction's fate is the coordinator's.
                    self.user_run(now, Next::Answer(Answer::Outcome(Err(KafkaError::ProducerFenced))), out);
                }
            }
            _ => {}
        }
        if let Some(u) = self.user.as_mut() {
            u.scanned = None;
        }
    }

    /// The application's sleep number `sleep` ended.
    pub(crate) fn user_woke(&mut self, now: u64, sleep: u64, out: &mut ProducerOut) {
        if self.user.as_ref().is_some_and(|u| u.wait == Wait::Sleep(sleep)) {
            self.user_run(now, Next::Answer(Answer::Done), out);
        }
    }
}
