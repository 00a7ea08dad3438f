//! The async API: the application is an ordinary async function on a tokio current-thread
//! runtime that the client process owns, and talks to its client through a [`SimConsumer`] or a
//! [`SimProducer`].
//!
//! Each call registers a request in state shared with the member (behind a `parking_lot`
//! mutex) and waits. The member, whenever it needs the application's next call, writes the
//! previous call's answer, wakes the task and runs the runtime until the task has made its next
//! request or returned. Everything happens on the simulation's thread inside one event of the
//! run, and the runtime has neither a time nor an I/O driver: no wall clock reaches the task.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::client::driver::{Answer, Driver, Step};
use crate::error::KafkaError;
use crate::record::Delivery;

/// How many times the member lets the runtime run before deciding that the task waits on
/// something the simulator does not drive.
const SPIN_LIMIT: u32 = 100_000;

/// The application's boxed task, as a factory makes it.
pub(crate) type AppFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// What the member and its task share.
#[derive(Debug, Default)]
struct Shared {
    /// Virtual time of the member's current event.
    now: u64,
    /// The task's call the member has not taken yet.
    request: Option<Step>,
    /// The answer to the task's call, not taken by the task yet.
    answer: Option<Answer>,
    /// A call is in progress (made, not answered and taken).
    busy: bool,
    /// A call's future was dropped before its answer came.
    abandoned: bool,
    /// The waker of the task's call in progress.
    waker: Option<Waker>,
}

/// The consumer an async application holds: its Kafka calls run in the simulation, in virtual
/// time. One call at a time (the methods take `&mut self`); a call's future must be awaited to
/// the end (dropping it early, say in a `select!`, is not supported).
#[derive(Debug)]
pub struct SimConsumer {
    shared: Arc<Mutex<Shared>>,
    name: String,
    instance: u32,
}

impl SimConsumer {
    /// `poll()`: returns when it hands out records (the position moves past them), which are
    /// never empty. Empty polls and the group protocol happen inside, in virtual time.
    pub async fn poll(&mut self) -> Vec<Delivery> {
        match self.call(Step::Poll).await {
            Answer::Records(batch) => batch.to_vec(),
            a => unreachable!("poll() answered with {a:?}"),
        }
    }

    /// Process `record`: the consumer's `processing_ms` of virtual time, then its side effect
    /// is in the external store (the history's `Processed`).
    pub async fn process(&mut self, record: &Delivery) {
        self.call(Step::Process(*record)).await;
    }

    /// Process each of `records`, in order.
    pub async fn process_all(&mut self, records: &[Delivery]) {
        for d in records {
            self.process(d).await;
        }
    }

    /// `commitSync()`: commit the position of every assigned partition (`allConsumed()`: all
    /// that `poll()` returned, processed or not) and wait for the answer. Retriable errors are
    /// retried until `default.api.timeout.ms`; with nothing to commit it returns `Ok` at once.
    pub async fn commit_sync(&mut self) -> Result<(), KafkaError> {
        match self.call(Step::CommitSync).await {
            Answer::Committed(r) => r,
            a => unreachable!("commitSync() answered with {a:?}"),
        }
    }

    /// `commitAsync()`: send a commit of the positions and return at once (never retried; the
    /// outcome is in the history).
    pub async fn commit_async(&mut self) {
        self.call(Step::CommitAsync).await;
    }

    /// Sleep `ms` milliseconds of virtual time (no `poll()` meanwhile: `max.poll.interval.ms`
    /// runs). tokio's own timers are off: this is the only clock.
    pub async fn sleep(&mut self, ms: u64) {
        self.call(Step::Sleep(ms)).await;
    }

    /// The virtual time in ms.
    pub fn now(&self) -> u64 {
        self.shared.lock().now
    }

    /// The `[[consumer]]` table this member belongs to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Instance K of `consumer:NAME/K`.
    pub fn instance(&self) -> u32 {
        self.instance
    }

    fn call(&mut self, step: Step) -> Call<'_> {
        Call { shared: &self.shared, step: Some(step), waiting: false }
    }
}

/// The producer an async application holds: its calls run in the simulation, in virtual time,
/// one at a time, each awaited to the end.
///
/// Records are the scenario's: `send(i)` sends record `i` of the `[[producer]]` table's
/// workload (`NAME#i`, `i < records`), to the partition its `keys` and the sticky partitioner
/// choose, and the checker judges them as the built-in workload's.
#[derive(Debug)]
pub struct SimProducer {
    shared: Arc<Mutex<Shared>>,
    name: String,
    instance: u32,
}

impl SimProducer {
    /// `send(record).get()`: hand record `index` to the client and wait until it is
    /// acknowledged (`Ok`) or has failed (the error the client reported, after its retries and
    /// `delivery.timeout.ms`). In a transaction, the first send begins it if
    /// [`begin_transaction`](Self::begin_transaction) did not; an acknowledged send is only
    /// written, not committed.
    ///
    /// # Panics
    ///
    /// If `index` is not below the table's `records`.
    pub async fn send(&mut self, index: u32) -> Result<(), KafkaError> {
        self.outcome(Step::Send(index)).await
    }

    /// `beginTransaction()` (transactional producers only; waits for `initTransactions()`).
    /// `Err(ProducerFenced)` once a newer instance has fenced this one.
    pub async fn begin_transaction(&mut self) -> Result<(), KafkaError> {
        self.outcome(Step::BeginTxn).await
    }

    /// `commitTransaction()`: flush, then end the transaction; its outcome (an error leaves the
    /// outcome to the coordinator, as in Kafka). `Err(TransactionAbortable)` when a failed send
    /// made the commit an abort (Java throws the abortable error): the records are not committed.
    pub async fn commit_transaction(&mut self) -> Result<(), KafkaError> {
        self.outcome(Step::EndTxn(true)).await
    }

    /// `abortTransaction()`.
    pub async fn abort_transaction(&mut self) -> Result<(), KafkaError> {
        self.outcome(Step::EndTxn(false)).await
    }

    /// Sleep `ms` milliseconds of virtual time.
    pub async fn sleep(&mut self, ms: u64) {
        Call { shared: &self.shared, step: Some(Step::Sleep(ms)), waiting: false }.await;
    }

    /// The virtual time in ms.
    pub fn now(&self) -> u64 {
        self.shared.lock().now
    }

    /// The `[[producer]]` table this producer belongs to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Which start of the producer process this is (0 first, then one more per restart).
    pub fn instance(&self) -> u32 {
        self.instance
    }

    async fn outcome(&mut self, step: Step) -> Result<(), KafkaError> {
        match (Call { shared: &self.shared, step: Some(step), waiting: false }).await {
            Answer::Outcome(r) => r,
            a => unreachable!("a producer call answered with {a:?}"),
        }
    }
}

/// One call in progress.
struct Call<'a> {
    shared: &'a Mutex<Shared>,
    step: Option<Step>,
    waiting: bool,
}

impl Future for Call<'_> {
    type Output = Answer;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Answer> {
        let this = self.get_mut();
        let mut s = this.shared.lock();
        if let Some(step) = this.step.take() {
            assert!(!s.abandoned, "a SimConsumer call was dropped before it returned: that is not supported");
            assert!(!s.busy, "a SimConsumer makes one call at a time");
            s.request = Some(step);
            s.busy = true;
            s.waker = Some(cx.waker().clone());
            this.waiting = true;
            return Poll::Pending;
        }
        match s.answer.take() {
            Some(a) => {
                s.busy = false;
                this.waiting = false;
                Poll::Ready(a)
            }
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for Call<'_> {
    fn drop(&mut self) {
        if self.waiting {
            self.shared.lock().abandoned = true;
        }
    }
}

/// A client process's runtime and its application task.
pub(crate) struct AsyncDriver {
    rt: Runtime,
    shared: Arc<Mutex<Shared>>,
    task: Option<JoinHandle<()>>,
    name: String,
}

impl AsyncDriver {
    /// Spawn the task `make` builds from the member's [`SimConsumer`] (it runs at the member's
    /// first event).
    pub(crate) fn consumer(name: &str, instance: u32, make: impl FnOnce(SimConsumer) -> AppFuture) -> Self {
        AsyncDriver::new(format!("consumer {name}"), |shared| {
            make(SimConsumer { shared, name: name.to_string(), instance })
        })
    }

    /// Spawn the task `make` builds from the process's [`SimProducer`].
    pub(crate) fn producer(name: &str, instance: u32, make: impl FnOnce(SimProducer) -> AppFuture) -> Self {
        AsyncDriver::new(format!("producer {name}"), |shared| {
            make(SimProducer { shared, name: name.to_string(), instance })
        })
    }

    fn new(name: String, make: impl FnOnce(Arc<Mutex<Shared>>) -> AppFuture) -> Self {
        // No I/O and no time driver: the task cannot reach the wall clock through tokio.
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("a current-thread runtime");
        let shared = Arc::new(Mutex::new(Shared::default()));
        let task = rt.spawn(make(shared.clone()));
        AsyncDriver { rt, shared, task: Some(task), name }
    }
}

impl Driver for AsyncDriver {
    fn next(&mut self, now: u64, answer: Answer) -> Step {
        let waker = {
            let mut s = self.shared.lock();
            s.now = now;
            if answer != Answer::Start {
                s.answer = Some(answer);
            }
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        let Some(task) = self.task.as_mut() else { return Step::Finished };
        let shared = &self.shared;
        // Let the runtime run until the task's next call, or its end.
        let next = self.rt.block_on(async {
            for _ in 0..SPIN_LIMIT {
                if let Some(step) = shared.lock().request.take() {
                    return Some(Some(step));
                }
                if task.is_finished() {
                    return Some(None);
                }
                tokio::task::yield_now().await;
            }
            None
        });
        match next {
            Some(Some(step)) => step,
            Some(None) => {
                let task = self.task.take().expect("the task");
                if let Err(e) = self.rt.block_on(task) {
                    if e.is_panic() {
                        std::panic::resume_unwind(e.into_panic());
                    }
                }
                Step::Finished
            }
            None => panic!(
                "the application of {} waits on something the simulator does not drive \
                 (only SimConsumer and SimProducer calls advance; tokio's timers and I/O are off)",
                self.name
            ),
        }
    }
}
