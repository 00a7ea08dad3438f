//! # kafkasim
//!
//! A deterministic, in-process Kafka cluster simulator. It runs brokers with replicated
//! partitions (leader epochs, high watermarks, ISR), a KRaft-style controller and producer
//! clients in virtual time, injects crashes, power losses, isolations and pauses, and then
//! judges the run from what the clients observed and the final logs: which acknowledged records
//! were lost, duplicated or reordered, and whether each client kept the delivery semantic its
//! configuration promises.
//!
//! A run is a pure function of (scenario, seed): one event queue ordered by virtual time with a
//! deterministic tie-break, one seeded ChaCha RNG forked per purpose, no threads and no wall
//! clock inside the simulation. The same scenario and seed give the same `trace_hash`.
//!
//! ```
//! use kafkasim::scenario::{Acks, FaultAction, FaultSpec, ProducerSpec, Scenario, Target, TopicSpec, Trigger};
//!
//! // acks=1: the leader answers before any follower has the record...
//! let mut s = Scenario { name: "acks=1 loses acknowledged writes".into(), ..Scenario::default() };
//! s.topics.push(TopicSpec::new("orders", 1, 3));
//! let mut p = ProducerSpec::new("p1", "orders", 200);
//! p.config.acks = Acks::One;
//! p.config.enable_idempotence = false;
//! s.producers.push(p);
//! // ...so when it crashes right after acknowledging p1#17, p1#17 is gone.
//! s.faults.push(FaultSpec {
//!     trigger: Trigger::Record { producer: 0, index: 17, event: kafkasim::scenario::RecordEvent::Acked },
//!     action: FaultAction::Crash,
//!     target: Target::Leader { topic: "orders".into(), partition: 0 },
//!     restart_after_ms: Some(1_000),
//!     duration_ms: None,
//!     pin: false,
//! });
//! let (report, _) = kafkasim::run_seed(&s, 1, kafkasim::RunOptions::default())?;
//! assert!(report.anomalies[kafkasim::record::Anomaly::LostAcked] > 0);
//! # Ok::<(), kafkasim::scenario::InvalidScenario>(())
//! ```
//!
//! The public modules follow the data: [`scenario`] (what to run, validated) → [`world`] (one
//! run: the loop, and the fault verbs a Rust test drives it with) → [`check`] (judging the
//! history) → [`report`] (text and JSON). [`record`] holds what the model writes and the checker
//! reads: log batches, the history, typed fault targets and the [`record::Anomaly`] names.
//! [`app`] runs your own application, synchronous or async, as a client, and runs *services*:
//! your async code written against [`rdkafka`] (rdkafka's names, so `use kafkasim::rdkafka as
//! rdkafka;` is the only change), owning producers and consumers that crash and restart together
//! (docs/services.md); [`strategy`] generates
//! scenarios for property tests; [`explore`] sweeps a scenario's faults over every crash point of
//! its fault-free run. The model itself (the kernel, brokers, clients) is private to the crate:
//! it is reached through these, never directly. docs/architecture.md draws the whole house.

#![deny(missing_docs)]

pub mod app;
pub(crate) mod broker;
pub mod check;
pub(crate) mod client;
pub mod error;
pub mod explore;
pub(crate) mod fault;
#[cfg(feature = "tokio")]
pub mod rdkafka;
pub mod record;
pub mod report;
pub mod scenario;
pub(crate) mod sim;
#[cfg(feature = "strategy")]
pub mod strategy;
pub mod world;

pub use error::KafkaError;
pub use scenario::InvalidScenario;
pub use sim::trace::{Family, TraceFilter};
pub use world::{run, RunOptions, RunOutput};

/// Run one seed of `scenario` and judge it: the report plus the raw run (history, trace). A
/// scenario [`Scenario::validate`](scenario::Scenario::validate) rejects is refused, with the
/// loader's messages.
pub fn run_seed(
    scenario: &scenario::Scenario,
    seed: u64,
    opts: RunOptions,
) -> Result<(report::Report, RunOutput), scenario::InvalidScenario> {
    let out = world::run(scenario, seed, opts)?;
    Ok((judge(scenario, seed, &out), out))
}

/// Judge one run: the report.
fn judge(scenario: &scenario::Scenario, seed: u64, out: &RunOutput) -> report::Report {
    let verdict = check::check(scenario, &out.history);
    report::build_report(scenario, seed, out.trace_hash, out.virtual_ms, out.events, &out.history, verdict)
}
