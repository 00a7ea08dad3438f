//! Your own application inside the simulation: code you write runs as a member of a consumer
//! group, and the run is judged as any other.
//!
//! Two ways to write it, both mapped onto one internal interface (the member asks the
//! application for its next call whenever the previous one returned), so two versions of one
//! application make the same calls at the same virtual instants and give the same `trace_hash`:
//!
//! - **Synchronous**: implement [`ConsumerApp`]. For each `poll()` that returns records, the
//!   simulator calls [`ConsumerApp::on_batch`], which fills a [`Plan`] (process record `i`,
//!   process them all, `commitSync()`, `commitAsync()`, sleep); the simulator carries the plan
//!   out in order and polls again.
//! - **Async**: write an ordinary async function that gets a [`SimConsumer`] and calls
//!   `poll().await`, `process(&d).await`, `commit_sync().await`, `sleep(ms).await`. Each member
//!   process runs it on its own tokio current-thread runtime without time or I/O drivers; its
//!   only clock is the simulator's virtual clock ([`SimConsumer::now`], [`SimConsumer::sleep`]).
//!
//! A `[[producer]]` can be run by an async application too: it gets a [`SimProducer`] and calls
//! `send(i).await` (record `i` of the table's workload; returns on its acknowledgement or
//! failure) and, with a `transactional.id`, `begin_transaction()`, `commit_transaction()` and
//! `abort_transaction()`.
//!
//! Register applications by `[[consumer]]` and `[[producer]]` name in [`Apps`] and run with
//! [`run`]. Each start of a client process (the first, and each restart after a crash) calls
//! the factory again: what the application keeps in memory dies with the process, as in a real
//! one. What it processed is
//! in the simulator's external store (the history's `Processed` events), which survives crashes.
//! A crash can land between any two calls, at any `.await` of the async version, and in the
//! middle of a record's processing time.
//!
//! A consumer run by an application ignores its `commit` placement as a behaviour: the
//! application decides when to commit. The placement still names the promise the checker judges
//! the group by (`before-processing`: at-most-once; `after-processing`, `after-processing-async` or
//! `auto`: at-least-once), and `enable.auto.commit` still works as in Kafka (an auto-commit at the
//! start of `poll()`).
//!
//! ```
//! use kafkasim::app::{Apps, ConsumerApp, Plan, SimConsumer};
//! use kafkasim::record::Delivery;
//! use kafkasim::scenario::{ConsumerSpec, ProducerSpec, Scenario, TopicSpec};
//!
//! /// Process the batch, then commit: at-least-once.
//! #[derive(Default)]
//! struct ProcessThenCommit;
//!
//! impl ConsumerApp for ProcessThenCommit {
//!     fn on_batch(&mut self, _batch: &[Delivery], plan: &mut Plan) {
//!         plan.process_all().commit_sync();
//!     }
//! }
//!
//! let mut s = Scenario { name: "my application".into(), duration_ms: 60_000, ..Scenario::default() };
//! s.topics.push(TopicSpec::new("orders", 1, 3));
//! s.producers.push(ProducerSpec::new("p1", "orders", 50));
//! s.consumers.push(ConsumerSpec::new("c1", "g1", "orders"));
//!
//! let sync = Apps::new().consumer("c1", || ProcessThenCommit);
//! let (report, out) = kafkasim::app::run(&s, 1, kafkasim::RunOptions::default(), &sync).unwrap();
//! assert_eq!(report.anomalies[kafkasim::record::Anomaly::LostProcessing], 0);
//!
//! // The same application, async.
//! let asynchronous = Apps::new().async_consumer("c1", |mut c: SimConsumer| async move {
//!     loop {
//!         let batch = c.poll().await;
//!         c.process_all(&batch).await;
//!         let _ = c.commit_sync().await;
//!     }
//! });
//! let (_, out2) = kafkasim::app::run(&s, 1, kafkasim::RunOptions::default(), &asynchronous).unwrap();
//! assert_eq!(out.trace_hash, out2.trace_hash);
//! ```
//!
//! Call [`run`] from an ordinary thread: each async member's runtime runs inside it, which tokio
//! refuses inside another runtime's task. `tokio::select!` picks branches at random unless told
//! `biased;`; the simulator cannot seed that, so use `biased;`.

#[cfg(feature = "tokio")]
pub(crate) mod service;
mod sync;
#[cfg(feature = "tokio")]
mod task;

use std::collections::BTreeMap;
#[cfg(feature = "tokio")]
use std::future::Future;
use std::sync::Arc;

pub use sync::{ConsumerApp, Plan};
#[cfg(feature = "tokio")]
pub use task::{SimConsumer, SimProducer};

use crate::client::driver::{Driver, Drivers};
use crate::report::Report;
use crate::scenario::Scenario;
use crate::world::{RunOptions, RunOutput};

/// How to make a member's application.
#[derive(Clone)]
enum Factory {
    Sync(Arc<dyn Fn() -> Box<dyn ConsumerApp> + Send + Sync>),
    #[cfg(feature = "tokio")]
    Async(Arc<dyn Fn(SimConsumer) -> task::AppFuture + Send + Sync>),
}

/// How to make a producer process's async application.
#[cfg(feature = "tokio")]
type ProducerFactory = Arc<dyn Fn(SimProducer) -> task::AppFuture + Send + Sync>;
/// Without the `tokio` feature there are no async producer applications.
#[cfg(not(feature = "tokio"))]
type ProducerFactory = std::convert::Infallible;

/// Applications by `[[consumer]]` and `[[producer]]` name: which code runs each client.
#[derive(Clone, Default)]
pub struct Apps {
    consumers: BTreeMap<String, Factory>,
    producers: BTreeMap<String, ProducerFactory>,
    /// Service code by `[[service]]` name.
    #[cfg(feature = "tokio")]
    services: BTreeMap<String, service::ServiceFactory>,
}

impl std::fmt::Debug for Apps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kinds: BTreeMap<&str, &str> = self
            .consumers
            .iter()
            .map(|(n, f)| (n.as_str(), if matches!(f, Factory::Sync(_)) { "sync" } else { "async" }))
            .collect();
        let producers: Vec<&str> = self.producers.keys().map(String::as_str).collect();
        f.debug_struct("Apps").field("consumers", &kinds).field("producers", &producers).finish()
    }
}

impl Apps {
    /// No applications: every consumer runs its built-in loop.
    pub fn new() -> Self {
        Apps::default()
    }

    /// Run every member of `[[consumer]]` `name` with a [`ConsumerApp`]; `factory` makes a new
    /// one for each start of a member process.
    pub fn consumer<A: ConsumerApp + 'static>(
        mut self,
        name: &str,
        factory: impl Fn() -> A + Send + Sync + 'static,
    ) -> Self {
        let f = move || Box::new(factory()) as Box<dyn ConsumerApp>;
        self.consumers.insert(name.to_string(), Factory::Sync(Arc::new(f)));
        self
    }

    #[cfg(feature = "tokio")]
    /// Run every member of `[[consumer]]` `name` with an async application: `factory` makes the
    /// task of each start of a member process from the process's [`SimConsumer`].
    pub fn async_consumer<F, Fut>(mut self, name: &str, factory: F) -> Self
    where
        F: Fn(SimConsumer) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let f = move |c: SimConsumer| Box::pin(factory(c)) as task::AppFuture;
        self.consumers.insert(name.to_string(), Factory::Async(Arc::new(f)));
        self
    }

    #[cfg(feature = "tokio")]
    /// Run `[[producer]]` `name` with an async application instead of its workload loop:
    /// `factory` makes the task of each start of the producer process from its
    /// [`SimProducer`]. The table's `records` is the set of records the application may send
    /// (and the checker knows); its `interval_ms`, `transaction_records`, `abort_every` and
    /// `on_restart` are the built-in loop's and do nothing here. The run settles only once the
    /// application has returned.
    pub fn async_producer<F, Fut>(mut self, name: &str, factory: F) -> Self
    where
        F: Fn(SimProducer) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let f = move |p: SimProducer| Box::pin(factory(p)) as task::AppFuture;
        self.producers.insert(name.to_string(), Arc::new(f));
        self
    }

    #[cfg(feature = "tokio")]
    /// Run `[[service]]` `name` with `factory`'s code (written against
    /// `kafkasim::rdkafka`): each start of a service instance (the first, and each restart after
    /// a crash) runs a new task from it (docs/services.md).
    pub fn service<F, Fut>(mut self, name: &str, factory: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let f = move || Box::pin(factory()) as service::hub::ServiceFuture;
        self.services.insert(name.to_string(), Arc::new(f));
        self
    }

    /// Whether no application is registered.
    pub fn is_empty(&self) -> bool {
        #[cfg(feature = "tokio")]
        let services = self.services.is_empty();
        #[cfg(not(feature = "tokio"))]
        let services = true;
        self.consumers.is_empty() && self.producers.is_empty() && services
    }
}

impl Drivers for Apps {
    fn is_empty(&self) -> bool {
        Apps::is_empty(self)
    }

    fn producer_driver(&self, name: &str, instance: u32) -> Option<Box<dyn Driver>> {
        let f = self.producers.get(name)?;
        #[cfg(feature = "tokio")]
        return Some(Box::new(task::AsyncDriver::producer(name, instance, |p| f(p))));
        #[cfg(not(feature = "tokio"))]
        match (*f, instance) {}
    }

    fn driver(&self, name: &str, instance: u32) -> Option<Box<dyn Driver>> {
        let _ = instance; // only an async application is told its instance
        Some(match self.consumers.get(name)? {
            Factory::Sync(f) => Box::new(sync::SyncDriver::new(f())),
            #[cfg(feature = "tokio")]
            Factory::Async(f) => Box::new(task::AsyncDriver::consumer(name, instance, |c| f(c))),
        })
    }
}

/// Why [`replay`] did not run a scenario file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The file did not load (`FILE:LINE:COL: MESSAGE`).
    #[error(transparent)]
    File(#[from] crate::scenario::ScenarioError),
    /// The scenario is invalid.
    #[error(transparent)]
    Invalid(#[from] crate::scenario::InvalidScenario),
    /// The file names a `[[service]]` whose code `apps` does not register.
    #[error("{file}: [[service]] `{service}` has no code: register it with `Apps::service(\"{service}\", ...)`")]
    NoCode {
        /// The file, as given.
        file: String,
        /// The service without code.
        service: String,
    },
}

/// Replay a saved scenario file (a failing case a property test wrote with
/// [`crate::scenario::to_toml`]) with `seed`, its services run by the code `apps` registers:
/// loads the file, runs it, prints the text report to stdout and returns the report and the
/// run. The file names the services it needs; `kafkasim run` cannot run them, this can.
///
/// ```no_run
/// use kafkasim::app::{self, Apps};
/// let apps = Apps::new().service("svc", || async { /* your rdkafka code */ });
/// let (report, _) = app::replay("failing-case.toml", 7, &apps).unwrap();
/// assert_eq!(report.seed, 7);
/// ```
pub fn replay(path: impl AsRef<std::path::Path>, seed: u64, apps: &Apps) -> Result<(Report, RunOutput), ReplayError> {
    let path = path.as_ref();
    let scenario = crate::scenario::load_file(path)?;
    for svc in &scenario.services {
        #[cfg(feature = "tokio")]
        let registered = apps.services.contains_key(&svc.name);
        #[cfg(not(feature = "tokio"))]
        let registered = false;
        if !registered {
            return Err(ReplayError::NoCode { file: path.display().to_string(), service: svc.name.clone() });
        }
    }
    let (report, out) = run(&scenario, seed, RunOptions::default(), apps)?;
    print!("{}", crate::report::text::to_text(&report));
    Ok((report, out))
}

/// Run one seed of `scenario` with the consumers `apps` names run by their applications, and
/// judge it. Without applications this is [`crate::run_seed`].
///
/// # Panics
///
/// If `apps` names a consumer or producer the scenario has no table for, or an application
/// panics.
pub fn run(
    scenario: &Scenario,
    seed: u64,
    opts: RunOptions,
    apps: &Apps,
) -> Result<(Report, RunOutput), crate::scenario::InvalidScenario> {
    scenario.validated()?;
    for name in apps.consumers.keys() {
        assert!(
            scenario.consumers.iter().any(|c| &c.name == name),
            "an application is registered for consumer {name}, but the scenario has no [[consumer]] of that name"
        );
    }
    for name in apps.producers.keys() {
        assert!(
            scenario.producers.iter().any(|p| &p.name == name),
            "an application is registered for producer {name}, but the scenario has no [[producer]] of that name"
        );
    }
    #[cfg(feature = "tokio")]
    let out = if scenario.services.is_empty() {
        crate::world::run_with_apps(scenario, seed, opts, Some(apps))
    } else {
        crate::world::run_with_apps(scenario, seed, opts, Some(&service::Host::new(apps, scenario)))
    };
    #[cfg(not(feature = "tokio"))]
    let out = crate::world::run_with_apps(scenario, seed, opts, Some(apps));
    Ok((crate::judge(scenario, seed, &out), out))
}
