//! The validated scenario: what a scenario file (or Rust code, or a proptest strategy) asks the
//! simulator to run. Every field has Kafka's default unless the contract says otherwise, so a
//! `Scenario::default()` plus a topic and a producer is already a runnable cluster.

mod cluster;
mod consumer;
mod expect;
mod fault;
mod processor;
mod producer;
mod service;

pub use crate::record::{ClientKind, CommitMode, FaultAction, IsolationLevel, ProcessingGuarantee};
pub use cluster::*;
pub use consumer::*;
pub use expect::*;
pub use fault::*;
pub use processor::*;
pub use producer::*;
pub use service::*;

/// A whole scenario: cluster, workload, faults and expectations.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Required human name, echoed in every report.
    pub name: String,
    /// Optional longer text, shown in the text report.
    pub description: Option<String>,
    /// Seed of the one RNG; `--seed` overrides it.
    pub seed: u64,
    /// Virtual-time bound of the whole run, in ms.
    pub duration_ms: u64,
    /// Brokers and their configs.
    pub cluster: ClusterSpec,
    /// One-way message latency.
    pub network: NetworkSpec,
    /// Topics created before the run starts.
    pub topics: Vec<TopicSpec>,
    /// Producing applications.
    pub producers: Vec<ProducerSpec>,
    /// Consuming applications (each may run several members of its group).
    pub consumers: Vec<ConsumerSpec>,
    /// Consume-transform-produce applications (Kafka Streams style).
    pub processors: Vec<ProcessorSpec>,
    /// User services (Rust code) and the client tables each owns (docs/services.md).
    pub services: Vec<ServiceSpec>,
    /// Scheduled faults, in file order.
    pub faults: Vec<FaultSpec>,
    /// Random faults drawn from the seed.
    pub nemesis: Option<NemesisSpec>,
    /// Conditions checked on every seed's report.
    pub expect: Vec<Expectation>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: "unnamed".into(),
            description: None,
            seed: 1,
            duration_ms: 120_000,
            cluster: ClusterSpec::default(),
            network: NetworkSpec::default(),
            topics: Vec::new(),
            producers: Vec::new(),
            consumers: Vec::new(),
            processors: Vec::new(),
            services: Vec::new(),
            faults: Vec::new(),
            nemesis: None,
            expect: Vec::new(),
        }
    }
}

impl Scenario {
    /// The first global input number of each producer's records: the producers' records are
    /// numbered one after the other, in file order (a processor's or a service's output carries
    /// its input's number).
    pub fn record_base(&self) -> Vec<u32> {
        self.producers
            .iter()
            .scan(0u32, |next, p| {
                let base = *next;
                *next = next.saturating_add(p.records);
                Some(base)
            })
            .collect()
    }

    /// The name of the client `c` refers to.
    pub fn client_name(&self, c: ClientRef) -> &str {
        match c {
            ClientRef::Producer(p) => &self.producers[p].name,
            ClientRef::Consumer(k) => &self.consumers[k].name,
            ClientRef::Processor(k) => &self.processors[k].name,
        }
    }

    /// A trigger as a scenario file spells it: the value of `after` (`p1#17 acked`,
    /// `c1 polled 3`), or `at_ms = T` for a timed one.
    pub fn trigger_text(&self, t: &Trigger) -> String {
        match *t {
            Trigger::AtMs(ms) => format!("at_ms = {ms}"),
            Trigger::Record { producer, index, event } => {
                format!("{}#{index} {}", self.producers[producer].name, event.as_str())
            }
            Trigger::Client { client, event, n } => format!("{} {} {n}", self.client_name(client), event.as_str()),
        }
    }

    /// A fault target as a scenario file spells it (`consumer:c1`, `leader:orders/0`; a
    /// partition's sides as `[broker:1, broker:2] and [broker:3, controller]`).
    pub fn target_text(&self, t: &Target) -> String {
        match t {
            Target::Producer(p) => format!("producer:{}", self.producers[*p].name),
            Target::Consumer { consumer, instance: None } => format!("consumer:{}", self.consumers[*consumer].name),
            Target::Consumer { consumer, instance: Some(k) } => {
                format!("consumer:{}/{k}", self.consumers[*consumer].name)
            }
            Target::Processor { processor, instance: None } => {
                format!("processor:{}", self.processors[*processor].name)
            }
            Target::Processor { processor, instance: Some(k) } => {
                format!("processor:{}/{k}", self.processors[*processor].name)
            }
            Target::Service { service, instance: None } => format!("service:{}", self.services[*service].name),
            Target::Service { service, instance: Some(k) } => {
                format!("service:{}/{k}", self.services[*service].name)
            }
            Target::Sides { between, and } => {
                let side = |s: &[Target]| s.iter().map(|t| self.target_text(t)).collect::<Vec<_>>().join(", ");
                format!("[{}] and [{}]", side(between), side(and))
            }
            t => t.to_string(),
        }
    }
}
